package storage_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// BenchmarkSaveLatency prints the latency of one save (median and p95) in
// wikis of 10, 1,000 and 10,000 pages, beside the git CLI making the same
// commit in a clone of the same size (write the file, git add, git
// commit), and the throughput of 1 and 16 concurrent writers on distinct
// pages. Target: the 10,000-page median within 1.5x of the 10-page one.
//
//	go test -run '^$' -bench SaveLatency -benchtime 1x ./storage
func BenchmarkSaveLatency(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("needs the git CLI")
	}
	const saves = 60
	var rows []string
	var base10 time.Duration
	for _, n := range []int{10, 1000, 10000} {
		dir := filepath.Join(b.TempDir(), "content.git")
		r, err := storage.Init(dir, storage.Options{IndexPath: filepath.Join(b.TempDir(), "history.idx")})
		if err != nil {
			b.Fatal(err)
		}
		seed := wiki.Commit{Author: anna, Message: "seed"}
		for i := range n {
			seed.Changes = append(seed.Changes, wiki.Change{Name: wiki.Name(fmt.Sprintf("Map%d/Pagina %d", i%20, i)), Content: []byte(fmt.Sprintf("# Pagina %d\n\nTekst.\n", i))})
		}
		if _, err := r.Commit(context.Background(), seed); err != nil {
			b.Fatal(err)
		}
		var ww []time.Duration
		rev := pageRevOf(r, "Map0/Pagina 0")
		for i := range saves {
			t0 := time.Now()
			res, err := r.Commit(context.Background(), wiki.Commit{Author: anna, Message: "edit",
				Changes: []wiki.Change{{Name: "Map0/Pagina 0", Content: []byte(fmt.Sprintf("# Pagina 0\n\nVersie %d.\n", i)), Base: rev}}})
			ww = append(ww, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			rev = res.Revision
		}
		r.Close()
		// The git CLI: the same files in a worktree, one commit per save.
		work := b.TempDir()
		gitB(b, work, "init", "-q", "-b", "main")
		for i := range n {
			p := filepath.Join(work, fmt.Sprintf("Map%d", i%20), fmt.Sprintf("Pagina %d.md", i))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(fmt.Sprintf("# Pagina %d\n\nTekst.\n", i)), 0o644)
		}
		gitB(b, work, "add", "-A")
		gitB(b, work, "commit", "-qm", "seed")
		var cli []time.Duration
		target := filepath.Join(work, "Map0", "Pagina 0.md")
		for i := range saves {
			t0 := time.Now()
			os.WriteFile(target, []byte(fmt.Sprintf("# Pagina 0\n\nVersie %d.\n", i)), 0o644)
			gitB(b, work, "add", "Map0/Pagina 0.md")
			gitB(b, work, "commit", "-qm", "edit")
			cli = append(cli, time.Since(t0))
		}
		m, p := quantiles(ww)
		cm, cp := quantiles(cli)
		if n == 10 {
			base10 = m
		}
		rows = append(rows, fmt.Sprintf("| %6d | %8.2f | %8.2f | %8.2f | %8.2f | %.2fx |", n, ms(m), ms(p), ms(cm), ms(cp), float64(m)/float64(base10)))
	}
	b.Logf("\n| pages | wikiwerk median ms | p95 ms | git CLI median ms | p95 ms | median vs 10 pages |\n|---|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))

	// Throughput: one writer, then 16 on distinct pages.
	dir := filepath.Join(b.TempDir(), "content.git")
	r, err := storage.Init(dir, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rate := func(writers, each int) float64 {
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := wiki.Name(fmt.Sprintf("Schrijver/%d-%d", writers, w))
				rev := ""
				for i := range each {
					res, err := r.Commit(context.Background(), wiki.Commit{Author: anna, Message: "edit",
						Changes: []wiki.Change{{Name: name, Content: []byte(strings.Repeat(fmt.Sprintf("regel %d van schrijver %d\n", i, w), 40)), Base: rev}}})
					if err != nil {
						b.Error(err)
						return
					}
					rev = res.Revision
				}
			}()
		}
		wg.Wait()
		return float64(writers*each) / time.Since(t0).Seconds()
	}
	one := rate(1, 160)
	sixteen := rate(16, 10)
	fmt.Printf("| writers | saves/s |\n|---|---|\n| 1 | %.0f |\n| 16 (distinct pages) | %.0f (%.2fx) |\n", one, sixteen, sixteen/one)
}

func pageRevOf(r *storage.Repo, n wiki.Name) string {
	s, _ := r.Snapshot(context.Background())
	p, _ := s.Page(n)
	return p.Revision
}

func quantiles(d []time.Duration) (median, p95 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)*95/100]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func gitB(b *testing.B, dir string, args ...string) {
	b.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Anna", "-c", "user.email=anna@example.nl"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git %v: %v\n%s", args, err, out)
	}
}
