package gitserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/gitserver"
	"github.com/wikiwerk/wikiwerk/storage"
)

// BenchmarkGitHTTP compares the handler with git's own server, git
// http-backend (run as CGI by net/http/cgi), serving the same repository
// of 10,000 pages in 100 folders, one commit per page, in the same run: the
// time of a full clone, and the bytes on the wire of a fetch after one web
// edit.
//
//	go test -run '^$' -bench GitHTTP -benchtime 3x ./storage/githttp
func BenchmarkGitHTTP(b *testing.B) {
	needGit(b)
	pages := 10000
	if testing.Short() {
		pages = 1000
	}
	root := b.TempDir()
	dir := filepath.Join(root, "content.git")
	start := time.Now()
	buildRepo(b, dir, pages)
	fmt.Printf("built a repository of %d pages in %v\n", pages, time.Since(start).Round(time.Millisecond))

	// The history index is kept in a file so that the repository can be
	// opened again quickly, for clones with cold caches.
	opt := storage.Options{IndexPath: filepath.Join(root, "history.idx")}
	var repo *storage.Repo
	var handler atomic.Pointer[gitserver.Handler]
	reopen := func() {
		if repo != nil {
			repo.Close()
		}
		var err error
		if repo, err = storage.Open(dir, opt); err != nil {
			b.Fatal(err)
		}
		handler.Store(gitserver.New(gitserver.Config{Repo: repo}))
	}
	reopen()
	defer func() { repo.Close() }()

	var ours, theirs atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("/wiki.git/", countFetch(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().ServeHTTP(w, r)
	}), &ours))
	mux.Handle("/backend/", countFetch(&cgi.Handler{
		Path: gitHTTPBackend(b),
		Root: "/backend",
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}, &theirs))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	servers := []struct {
		name  string
		url   string
		bytes *atomic.Int64
	}{
		{"wikiwerk", srv.URL + "/wiki.git", &ours},
		{"http-backend", srv.URL + "/backend/content.git", &theirs},
	}

	work := b.TempDir()
	cloneOnce := func(url string) time.Duration {
		dest, err := os.MkdirTemp(work, "clone-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dest)
		t0 := time.Now()
		// Without checkout: writing 10,000 files is the client's work,
		// the same for both servers, and only adds noise.
		mustGit(b, work, "clone", "-q", "--no-checkout", url, dest)
		return time.Since(t0)
	}
	// A first clone after start walks the whole history; later ones
	// reuse that walk (see storage's cloneCache). Both are measured: the
	// first with the repository opened afresh before each clone.
	var firstClone [2]time.Duration
	b.Run("first-clone", func(b *testing.B) {
		var total [2]time.Duration
		for i := 0; i < b.N; i++ {
			reopen()
			for k, s := range servers {
				total[k] += cloneOnce(s.url)
			}
		}
		for k := range total {
			firstClone[k] = total[k] / time.Duration(b.N)
		}
		b.ReportMetric(firstClone[0].Seconds(), "s/clone-wikiwerk")
		b.ReportMetric(firstClone[1].Seconds(), "s/clone-backend")
	})
	// Clones alternate between the servers, so that both see the same
	// conditions on a busy machine.
	var cloneTime [2]time.Duration
	b.Run("later-clones", func(b *testing.B) {
		var total [2]time.Duration
		for i := 0; i < b.N; i++ {
			for k, s := range servers {
				total[k] += cloneOnce(s.url)
			}
		}
		for k := range total {
			cloneTime[k] = total[k] / time.Duration(b.N)
		}
		b.ReportMetric(cloneTime[0].Seconds(), "s/clone-wikiwerk")
		b.ReportMetric(cloneTime[1].Seconds(), "s/clone-backend")
	})

	// One clone from each server; then each round is one web edit and a
	// fetch from each clone.
	var clones [2]string
	for k, s := range servers {
		clones[k] = filepath.Join(work, "fetch-"+s.name)
		mustGit(b, work, "clone", "-q", s.url, clones[k])
	}
	var fetchBytes [2]int64
	round := 0
	b.Run("fetch", func(b *testing.B) {
		var total [2]int64
		for i := 0; i < b.N; i++ {
			round++
			save(b, repo, fmt.Sprintf("Map%02d/Pagina %05d", round*7%100, round*7), fmt.Sprintf("# Bewerkt\n\nRonde %d.\n", round))
			for k, s := range servers {
				before := s.bytes.Load()
				mustGit(b, clones[k], "fetch", "-q", "origin")
				total[k] += s.bytes.Load() - before
			}
		}
		for k := range total {
			fetchBytes[k] = total[k] / int64(b.N)
		}
		b.ReportMetric(float64(fetchBytes[0]), "B/fetch-wikiwerk")
		b.ReportMetric(float64(fetchBytes[1]), "B/fetch-backend")
	})
	// Printed rather than logged: a benchmark with sub-benchmarks does
	// not show its own log.
	ratio := func(a, b float64) string { return fmt.Sprintf("%.2fx", a/b) }
	fmt.Printf("%d pages              wikiwerk   git http-backend   ratio\n", pages)
	fmt.Printf("first clone           %8v   %16v   %s\n", firstClone[0].Round(time.Millisecond), firstClone[1].Round(time.Millisecond), ratio(float64(firstClone[0]), float64(firstClone[1])))
	fmt.Printf("later clones (mean)   %8v   %16v   %s\n", cloneTime[0].Round(time.Millisecond), cloneTime[1].Round(time.Millisecond), ratio(float64(cloneTime[0]), float64(cloneTime[1])))
	fmt.Printf("fetch after one edit  %7dB   %15dB   %s\n", fetchBytes[0], fetchBytes[1], ratio(float64(fetchBytes[0]), float64(fetchBytes[1])))
}

// countFetch counts the response bytes of fetch requests.
func countFetch(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		h.ServeHTTP(cw, r)
		if strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			n.Add(cw.n)
		}
	})
}

func gitHTTPBackend(b *testing.B) string {
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(p); err != nil {
		b.Skip("git-http-backend is not installed")
	}
	return p
}

// buildRepo creates a bare repository of n pages in 100 folders, one commit
// per page, with git fast-import.
func buildRepo(b *testing.B, dir string, n int) {
	mustGit(b, filepath.Dir(dir), "init", "-q", "--bare", "-b", "main", dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Env = gitEnv(filepath.Dir(dir))
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	writeHistory(w, n)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
}

// writeHistory writes a fast-import stream: page i is created by commit i,
// by one of a few authors, with a page of Dutch-looking prose.
func writeHistory(w io.Writer, n int) {
	words := strings.Fields("de het een gemeente loket aanvraag zorg welzijn burger ondersteuning " +
		"melding onderzoek gesprek besluit termijn wet maatwerk voorziening hulp middelen vervoer " +
		"woning aanpassing beschikking bezwaar cliënt mantelzorg wijkteam indicatie budget")
	authors := []string{"Anna de Vries <anna@example.nl>", "Bram Jansen <bram@example.nl>", "Chantal Bakker <chantal@example.nl>"}
	seed := uint32(7)
	next := func() uint32 {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return seed
	}
	when := int64(1700000000)
	for i := range n {
		var sb strings.Builder
		fmt.Fprintf(&sb, "# Pagina %05d\n\n", i)
		for p := 0; p < 4; p++ {
			for k := 0; k < 40; k++ {
				sb.WriteString(words[next()%uint32(len(words))])
				sb.WriteByte(' ')
			}
			sb.WriteString("\n\n")
		}
		text := sb.String()
		when += 60
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\ncommitter %s %d +0100\ndata <<EOM\nPagina %05d\nEOM\n",
			i+1, authors[i%len(authors)], when, i)
		if i > 0 {
			fmt.Fprintf(w, "from :%d\n", i)
		}
		fmt.Fprintf(w, "M 100644 inline \"Map%02d/Pagina %05d.md\"\ndata %d\n%s\n", i%100, i, len(text), text)
	}
}
