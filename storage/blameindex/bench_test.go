package blameindex_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/blameindex"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// BenchmarkBlameTable prints, for a page with about 2,000 and one with
// about 13,000 revisions, the first blame from the index (in a fresh
// process, the index on disk) and the index's build and update times,
// beside `git blame` and the on-demand walk:
//
//	go test -run '^$' -bench BlameTable -benchtime 1x ./storage/blameindex
//
// The repositories are made with git fast-import: one page edited a few
// lines at a time whose first lines never change (the walk's worst case,
// as on the most-edited page of cmd/wikibench), beside 50 other pages.
// BLAMEINDEX_REPO=DIR BLAMEINDEX_PAGES=PATH,PATH,... measures pages of
// an existing repository instead, in a clone of it (such as the one that
// `go run ./cmd/wikibench -out DIR` leaves in DIR/content.git).
func BenchmarkBlameTable(b *testing.B) {
	var repos []repoResult
	if dir := os.Getenv("BLAMEINDEX_REPO"); dir != "" {
		clone := filepath.Join(b.TempDir(), "content.git")
		if out, err := exec.Command("git", "clone", "-q", "--bare", "--local", dir, clone).CombinedOutput(); err != nil {
			b.Fatalf("clone: %v %s", err, out)
		}
		repos = append(repos, measure(b, filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), clone, strings.Split(os.Getenv("BLAMEINDEX_PAGES"), ",")))
	} else {
		for _, revs := range []int{2000, 13000} {
			dir := filepath.Join(b.TempDir(), "content.git")
			start := time.Now()
			generate(b, dir, revs)
			b.Logf("generated %d revisions in %v", revs, time.Since(start).Round(time.Millisecond))
			repos = append(repos, measure(b, fmt.Sprintf("generated, %s revisions", thousands(revs)), dir, []string{"Diep.md"}))
		}
	}
	fmt.Println()
	fmt.Println("| repository: page (revisions) | `git blame --porcelain` (process) | index: open + lookup | first `Wiki.Blame` with the index | first `Wiki.Blame`, walk (today) | whole process with the index |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for _, r := range repos {
		for _, p := range r.pages {
			fmt.Printf("| %s: `%s` (%s) | %s | %s | %s | %s | %s |\n", r.label, strings.TrimSuffix(p.path, ".md"), thousands(p.revs),
				fmtDur(p.git), fmtDur(p.lookup), fmtDur(p.inProc), fmtDur(p.walk), fmtDur(p.whole))
		}
	}
	fmt.Println()
	fmt.Println("| repository (commits, pages) | index build: reset, page by page | index build: chain order, one Apply | one save's update (median, p90) | index file |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, r := range repos {
		fmt.Printf("| %s (%s, %s) | %s | %s | %s (p90 %s) | %.1f MB |\n", r.label, thousands(r.commits), thousands(r.pageCount),
			fmtDur(r.build), fmtDur(r.chain), fmtDur(median(r.saves)), fmtDur(quantile(r.saves, 0.9)), float64(r.size)/1e6)
	}
}

type repoResult struct {
	label              string
	commits, pageCount int
	build, chain       time.Duration
	saves              []time.Duration
	size               int64
	pages              []pageResult
}

type pageResult struct {
	path                             string
	revs                             int
	git, walk, inProc, lookup, whole time.Duration
}

// measure times the index on one repository and the first blame of some
// of its pages.
func measure(b *testing.B, label, dir string, paths []string) repoResult {
	ctx := context.Background()
	data := b.TempDir()
	histIdx := filepath.Join(data, "history.idx")
	blameDB := filepath.Join(data, "blame.db")
	res := repoResult{label: label}

	// The history index is built once and saved, as a server does at its
	// first start; every later open reads it.
	repo, err := storage.Open(dir, storage.Options{IndexPath: histIdx})
	if err != nil {
		b.Fatal(err)
	}
	snap, _ := repo.Snapshot(ctx)
	res.pageCount = snap.PageCount()
	root := ""
	for q := (wiki.HistoryQuery{Limit: 500}); ; {
		revs, _ := repo.Recent(ctx, q)
		res.commits += len(revs)
		if len(revs) > 0 {
			root = revs[len(revs)-1].ID
		}
		if len(revs) < 500 {
			break
		}
		q.Before = root
	}
	head := snap.Head

	// The index, built from scratch as at a first start.
	src, err := blameindex.NewGitSource(repo, dir)
	if err != nil {
		b.Fatal(err)
	}
	idx, err := blameindex.Open(blameDB, src, blameindex.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cs, err := repo.Changes(ctx, "", head)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := idx.Apply(ctx, cs); err != nil {
		b.Fatal(err)
	}
	res.build = time.Since(start)
	b.Logf("%s: reset build %v", label, res.build)

	// The other way to build: every revision in the order of the chain
	// (as Recent pages through it), as one incremental Apply from the
	// root commit. It must agree with the build page by page.
	chain, err := blameindex.Open(filepath.Join(data, "chain.db"), src, blameindex.Options{})
	if err != nil {
		b.Fatal(err)
	}
	first, err := repo.Changes(ctx, "", root)
	if err == nil {
		err = chain.Apply(ctx, first)
	}
	rest, err2 := repo.Changes(ctx, root, head)
	if err != nil || err2 != nil {
		b.Fatal(err, err2)
	}
	start = time.Now()
	if err := chain.Apply(ctx, rest); err != nil {
		b.Fatal(err)
	}
	res.chain = time.Since(start)
	b.Logf("%s: chain-order build %v", label, res.chain)
	for p := range snap.Pages() {
		a, okA, _ := idx.Blame(ctx, p.Name.Path(), p.Blob, p.Revision)
		c, okC, _ := chain.Blame(ctx, p.Name.Path(), p.Blob, p.Revision)
		if !okA || !okC || strings.Join(a, " ") != strings.Join(c, " ") {
			b.Errorf("%s: the two builds differ (held: %v, %v)", p.Name, okA, okC)
		}
	}
	chain.Close()

	for _, path := range paths {
		name, ok := wiki.ParsePath(path)
		if !ok {
			b.Fatalf("%q is not a page", path)
		}
		pr := pageResult{path: path}
		for q := (wiki.HistoryQuery{Limit: 500}); ; {
			hist, _ := repo.History(ctx, name, q)
			pr.revs += len(hist)
			if len(hist) < 500 {
				break
			}
			q.Before = hist[len(hist)-1].ID
		}
		walk, err := wiki.New(repo, wiki.Options{}).Blame(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		byIndex, err := wiki.New(repo, wiki.Options{BlameIndex: idx}).Blame(ctx, name)
		if err != nil || len(byIndex) != len(walk) {
			b.Fatalf("%s: index %d lines, walk %d: %v", path, len(byIndex), len(walk), err)
		}
		res.pages = append(res.pages, pr)
	}

	// One save's update: a commit of a few changed lines, applied.
	name, _ := wiki.ParsePath(paths[0])
	for i := 0; i < 20; i++ {
		p, err := repo.ReadPage(ctx, name, "")
		if err != nil {
			b.Fatal(err)
		}
		lines := strings.Split(string(p.Content), "\n")
		lines[len(lines)/2] = fmt.Sprintf("bewerkt %d", i)
		c, err := repo.Commit(ctx, wiki.Commit{Author: anna, Message: "bewerkt", Changes: []wiki.Change{
			{Name: name, Content: []byte(strings.Join(lines, "\n")), Base: p.Revision.ID},
		}})
		if err != nil {
			b.Fatal(err)
		}
		cs, err := repo.Changes(ctx, head, c.Revision)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := idx.Apply(ctx, cs); err != nil {
			b.Fatal(err)
		}
		res.saves = append(res.saves, time.Since(start))
		head = c.Revision
	}
	idx.Close()
	src.Close()
	if err := repo.Close(); err != nil {
		b.Fatal(err)
	}
	if fi, err := os.Stat(blameDB); err == nil {
		res.size = fi.Size()
	}

	for i := range res.pages {
		pr := &res.pages[i]
		var gitTimes, inProc, lookups, whole, walks []time.Duration
		for k := 0; k < 3; k++ {
			// git blame, as a user pays it: a whole process.
			start := time.Now()
			if out, err := exec.Command("git", "-C", dir, "blame", "--porcelain", "main", "--", pr.path).CombinedOutput(); err != nil {
				b.Fatalf("git blame: %v %s", err, out)
			}
			gitTimes = append(gitTimes, time.Since(start))
			// A fresh process that opens the repository (the history
			// index from its file) and the blame index, and blames once.
			start = time.Now()
			out := helper(b, dir, histIdx, blameDB, pr.path, "index")
			whole = append(whole, time.Since(start))
			inProc = append(inProc, out["first-blame"])
			lookups = append(lookups, out["lookup"])
			// The same without the index: today's walk.
			walks = append(walks, helper(b, dir, histIdx, blameDB, pr.path, "walk")["first-blame"])
		}
		pr.git, pr.inProc, pr.lookup, pr.whole, pr.walk = median(gitTimes), median(inProc), median(lookups), median(whole), median(walks)
	}
	return res
}

// helper runs TestFirstBlameHelper in a fresh process and returns the
// times it reports.
func helper(b *testing.B, dir, histIdx, blameDB, path, mode string) map[string]time.Duration {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFirstBlameHelper$")
	cmd.Env = append(os.Environ(), "BLAMEINDEX_HELPER="+strings.Join([]string{dir, histIdx, blameDB, path, mode}, "\n"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("helper: %v\n%s", err, out)
	}
	times := map[string]time.Duration{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && (k == "lookup" || k == "first-blame") {
			times[k], _ = time.ParseDuration(v)
		}
	}
	if times["first-blame"] == 0 {
		b.Fatalf("helper said:\n%s", out)
	}
	return times
}

// TestFirstBlameHelper is the fresh process of BenchmarkBlameTable; it
// does nothing in a normal test run.
func TestFirstBlameHelper(t *testing.T) {
	arg := os.Getenv("BLAMEINDEX_HELPER")
	if arg == "" {
		t.Skip("only run by BenchmarkBlameTable")
	}
	f := strings.Split(arg, "\n")
	dir, histIdx, blameDB, path, mode := f[0], f[1], f[2], f[3], f[4]
	ctx := context.Background()
	repo, err := storage.Open(dir, storage.Options{IndexPath: histIdx})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	name, _ := wiki.ParsePath(path)
	if mode == "walk" {
		start := time.Now()
		lines, err := wiki.New(repo, wiki.Options{}).Blame(ctx, name)
		if err != nil || len(lines) == 0 {
			t.Fatal(err)
		}
		fmt.Printf("first-blame %v\n", time.Since(start))
		return
	}
	src, err := blameindex.NewGitSource(repo, dir)
	if err != nil {
		t.Fatal(err)
	}
	// The lookup alone: open the file, find the page's current version
	// (from the snapshot, which reads nothing) and its owners.
	start := time.Now()
	idx, err := blameindex.Open(blameDB, src, blameindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	snap, _ := repo.Snapshot(ctx)
	info, ok := snap.Page(name)
	if !ok {
		t.Fatalf("no page %s", name)
	}
	if _, ok, _ := idx.Blame(ctx, path, info.Blob, info.Revision); !ok {
		t.Fatal("the index does not hold the page")
	}
	fmt.Printf("lookup %v\n", time.Since(start))
	// What the web asks: Wiki.Blame, which also reads the page's text
	// from the repository (its first read in this process) and the
	// revisions.
	start = time.Now()
	lines, err := wiki.New(repo, wiki.Options{BlameIndex: idx}).Blame(ctx, name)
	if err != nil || len(lines) == 0 {
		t.Fatal(err)
	}
	fmt.Printf("first-blame %v\n", time.Since(start))
}

// generate makes a repository with a page "Diep.md" of revs revisions and
// 50 other pages, with git fast-import.
func generate(b *testing.B, dir string, revs int) {
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", dir).CombinedOutput(); err != nil {
		b.Fatalf("git init: %v %s", err, out)
	}
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet", "--done")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	g := &editor{r: rand.New(rand.NewPCG(uint64(revs), 9))}
	authors := []wiki.Author{anna, bram, carla}
	when := time.Date(2015, 1, 5, 9, 0, 0, 0, time.UTC).Unix()
	var deep []string
	for i := 0; i < 40; i++ {
		deep = append(deep, g.line())
	}
	others := make([][]string, 50)
	for i := range others {
		for j := 0; j < 30; j++ {
			others[i] = append(others[i], g.line())
		}
	}
	file := func(path string, lines []string) {
		t := text(lines)
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, len(t), t)
	}
	mark := 0
	commit := func(msg string, files func()) {
		mark++
		a := authors[g.r.IntN(len(authors))]
		when += 3600
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\nauthor %s <%s> %d +0100\ncommitter %s <%s> %d +0100\ndata %d\n%s\n",
			mark, a.Name, a.Email, when, a.Name, a.Email, when, len(msg), msg)
		if mark > 1 {
			fmt.Fprintf(w, "from :%d\n", mark-1)
		}
		files()
		w.WriteString("\n")
	}
	commit("import", func() {
		file("Diep.md", deep)
		for i, o := range others {
			file(fmt.Sprintf("Map/Pagina %d.md", i), o)
		}
	})
	for n := 1; n < revs; {
		if g.r.IntN(10) < 8 {
			// The first 20 lines never change, so the walk has to go
			// all the way back; the page stays under 200 lines.
			rest := g.edit(deep[20:])
			if len(rest) > 180 {
				rest = rest[:180]
			}
			deep = append(deep[:20:20], rest...)
			commit("edit", func() { file("Diep.md", deep) })
			n++
			continue
		}
		i := g.r.IntN(len(others))
		others[i] = g.edit(others[i])
		commit("edit other", func() { file(fmt.Sprintf("Map/Pagina %d.md", i), others[i]) })
	}
	w.WriteString("done\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("fast-import: %v %s", err, stderr.String())
	}
}

func median(s []time.Duration) time.Duration { return quantile(s, 0.5) }

func quantile(s []time.Duration, q float64) time.Duration {
	s = slices.Clone(s)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
