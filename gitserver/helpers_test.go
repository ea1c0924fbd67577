package gitserver_test

import (
	"bytes"
	"context"
	"net/http"
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
	"github.com/wikiwerk/wikiwerk/wiki"
)

// testServer is a wiki repository served over HTTP by the handler.
type testServer struct {
	repo *storage.Repo
	dir  string
	srv  *httptest.Server
	url  string
	// bytes counts the bytes of every fetch response.
	bytes atomic.Int64
	// pushAllowed switches the write permission.
	pushAllowed atomic.Bool
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	needGit(t)
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	ts := &testServer{repo: repo, dir: dir}
	ts.pushAllowed.Store(true)
	h := gitserver.New(gitserver.Config{
		Repo: repo,
		Authorize: func(r *http.Request, a gitserver.Access) error {
			if a == gitserver.Write && !ts.pushAllowed.Load() {
				return errPushOff
			}
			return nil
		},
	})
	mux := http.NewServeMux()
	mux.Handle("/wiki.git/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		h.ServeHTTP(cw, r)
		if strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			ts.bytes.Add(cw.n)
		}
	}))
	ts.srv = httptest.NewServer(mux)
	t.Cleanup(ts.srv.Close)
	ts.url = ts.srv.URL + "/wiki.git"
	return ts
}

var errPushOff = stringError("pushing is switched off: this wiki runs without anonymous edits")

type stringError string

func (e stringError) Error() string { return string(e) }

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// gitEnv isolates git from the user's configuration.
func gitEnv(home string) []string {
	return append(os.Environ(),
		"HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"),
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Pia Pusher",
		"GIT_AUTHOR_EMAIL=pia@example.nl",
		"GIT_COMMITTER_NAME=Pia Pusher",
		"GIT_COMMITTER_EMAIL=pia@example.nl",
		"LC_ALL=C",
	)
}

// runGit runs git in dir and returns its stdout and stderr.
func runGit(t testing.TB, dir string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(filepath.Dir(dir))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// mustGit runs git and fails the test on error.
func mustGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, errs, err := runGit(t, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s%s", strings.Join(args, " "), err, out, errs)
	}
	return out
}

// save commits one page through the storage API, as a web save does.
func save(t testing.TB, repo *storage.Repo, name, content string) string {
	t.Helper()
	n := wiki.MustParseName(name)
	base := ""
	if p, err := repo.ReadPage(context.Background(), n, ""); err == nil {
		base = p.Revision.ID
	}
	res, err := repo.Commit(context.Background(), wiki.Commit{
		Author:  wiki.Author{Name: "Willem Web", Email: "willem@example.nl"},
		Message: "Edit " + name,
		Changes: []wiki.Change{{Name: n, Content: []byte(content), Base: base}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Revision
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func head(t testing.TB, repo *storage.Repo) string {
	t.Helper()
	_, h, err := repo.Branch()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}
