package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// page is the generator's model of one page: its current text and path.
type page struct {
	id             int
	path           string
	lines          []string
	mark           int // fast-import mark of the current blob
	edits          int
	editsUnderPath int
	oldPaths       []string
}

type commitKind int

const (
	kindImport commitKind = iota
	kindEdit
	kindRename
	kindMerge
)

// mainCommit remembers one of main's latest first-parent commits so that
// a merge can fork from it.
type mainCommit struct {
	mark    int
	time    int64
	kind    commitKind
	touched []int // page ids
}

// generator holds the state of one Generate run.
type generator struct {
	cfg     GenConfig
	r       *rand.Rand
	hot     *rand.Zipf // popularity rank of the page an edit picks
	rank    []int      // page id by popularity rank
	busy    *rand.Zipf // some authors edit far more than others
	authors []author
	pages   []*page
	now     int64
	meanGap float64
	marks   int
	recent  []mainCommit
	stats   RepoStats

	out          *bufio.Writer
	blobs        []pendingBlob
	commits      bytes.Buffer
	pendingBytes int
}

func newGenerator(cfg GenConfig, w io.Writer) *generator {
	r := rand.New(rand.NewPCG(cfg.Seed, 0x77696b69))
	g := &generator{
		cfg:     cfg,
		r:       r,
		hot:     rand.NewZipf(r, 1.1, 1, uint64(cfg.Pages-1)),
		rank:    r.Perm(cfg.Pages),
		busy:    rand.NewZipf(r, 1.5, 1, uint64(cfg.Authors-1)),
		authors: makeAuthors(cfg.Authors),
		now:     historyStart.Unix(),
		meanGap: historySpan.Seconds() / float64(cfg.Commits),
		out:     bufio.NewWriterSize(w, 1<<20),
	}
	return g
}

// run writes the whole fast-import stream. A second goroutine writes
// each chunk while the next one is generated, so that fast-import, the
// bottleneck, never waits for the generator.
func (g *generator) run() error {
	chunks := make(chan chunk, 1)
	errc := make(chan error, 1)
	go func() { errc <- writeChunks(g.out, chunks) }()
	g.generate(chunks)
	close(chunks)
	return <-errc
}

// generate produces the commits, handing them on in chunks.
func (g *generator) generate(chunks chan<- chunk) {
	imports := g.cfg.importCommits()
	for i := range imports {
		g.importCommit(i, imports)
	}
	renameAt := spread(g.cfg.Renames, imports, g.cfg.Commits, 0.5)
	mergeAt := spread(g.cfg.Merges, imports, g.cfg.Commits, 0.25)
	for n := imports; n < g.cfg.Commits; {
		switch {
		case len(renameAt) > 0 && n >= renameAt[0]:
			renameAt = renameAt[1:]
			if !g.rename() {
				g.edit()
			}
			n++
		case len(mergeAt) > 0 && n >= mergeAt[0] && g.cfg.Commits-n >= 2:
			if used, ok := g.mergeEpisode(g.cfg.Commits - n); ok {
				mergeAt = mergeAt[1:]
				n += used
				continue
			}
			// No run of edits to fork from yet: try again after this one.
			g.edit()
			n++
		default:
			g.edit()
			n++
		}
		if g.pendingBytes >= flushBytes {
			chunks <- g.takeChunk()
		}
	}
	chunks <- g.takeChunk()
}

// spread returns k positions evenly spread over [lo, hi).
func spread(k, lo, hi int, phase float64) []int {
	out := make([]int, k)
	for j := range out {
		out[j] = lo + int((float64(j)+phase)*float64(hi-lo)/float64(k))
	}
	return out
}

func (g *generator) mark() int {
	g.marks++
	return g.marks
}

func (g *generator) tick() int64 {
	g.now += int64(g.r.ExpFloat64()*g.meanGap) + 1
	return g.now
}

func (g *generator) author() author { return g.authors[g.busy.Uint64()] }

// pickPage returns a page id, half the time uniformly and half the time by
// a Zipf popularity so that a few pages collect long histories, as a front
// page or a running project's page does. It returns -1 when skip refuses
// every candidate tried.
func (g *generator) pickPage(skip func(id int) bool) int {
	for range 50 {
		id := g.r.IntN(len(g.pages))
		if g.r.IntN(2) == 0 {
			id = g.rank[g.hot.Uint64()]
		}
		if skip == nil || !skip(id) {
			return id
		}
	}
	return -1
}

// pagePath names page id: the first page is the front page, the others
// are spread round-robin over the folders.
func pagePath(id, folders int) string {
	if id == 0 {
		return "Home.md"
	}
	return "Afdeling " + strconv.Itoa(1+(id-1)%folders) + "/Onderwerp " + strconv.Itoa(id) + ".md"
}

func (g *generator) folders() int { return min(10, max(1, g.cfg.Pages/20)) }

// importCommit creates the i-th batch of pages.
func (g *generator) importCommit(i, of int) {
	c := commitSpec{
		ref: "refs/heads/main", who: g.authors[0], when: g.tick(),
		msg: fmt.Sprintf("Pagina's overgenomen uit de oude wiki (deel %d van %d)", i+1, of),
	}
	var ids []int
	for id := i * pagesPerImport; id < min((i+1)*pagesPerImport, g.cfg.Pages); id++ {
		p := &page{id: id, path: pagePath(id, g.folders()), edits: 1, editsUnderPath: 1}
		title := strings.TrimSuffix(p.path[strings.LastIndex(p.path, "/")+1:], ".md")
		if id == 0 {
			title = "Welkom"
		}
		p.lines = append(p.lines, "# "+title, "")
		for range 18 + g.r.IntN(100) {
			p.lines = append(p.lines, sentence(g.r))
		}
		g.pages = append(g.pages, p)
		c.ops = append(c.ops, g.storeVersion(p))
		ids = append(ids, id)
	}
	g.commit(c, kindImport, ids)
}

// edit writes one ordinary commit that changes 1-3 pages.
func (g *generator) edit() {
	n := 1
	switch k := g.r.IntN(10); {
	case k >= 9:
		n = 3
	case k >= 6:
		n = 2
	}
	var ids []int
	for range n {
		if id := g.pickPage(func(id int) bool { return slices.Contains(ids, id) }); id >= 0 {
			ids = append(ids, id)
		}
	}
	c := commitSpec{ref: "refs/heads/main", who: g.author(), when: g.tick(), msg: g.message(ids)}
	for _, id := range ids {
		c.ops = append(c.ops, g.change(g.pages[id]))
	}
	g.commit(c, kindEdit, ids)
}

func (g *generator) message(ids []int) string {
	msg := pick(g.r, editMessages)
	if len(ids) == 1 {
		msg += " (" + strings.TrimSuffix(g.pages[ids[0]].path, ".md") + ")"
	}
	return msg
}

// change edits a few lines of p, sometimes appending or dropping lines,
// and returns the file operation that stores the new version.
func (g *generator) change(p *page) fileOp {
	for range 1 + g.r.IntN(3) {
		p.lines[2+g.r.IntN(len(p.lines)-2)] = sentence(g.r)
	}
	// Appends slightly outweigh deletions: pages grow slowly, as real ones
	// do, and only the busiest reach maxLines.
	if g.r.IntN(7) == 0 {
		for range 1 + g.r.IntN(3) {
			if len(p.lines) < maxLines {
				p.lines = append(p.lines, sentence(g.r))
			}
		}
	}
	if g.r.IntN(10) == 0 && len(p.lines) > 20 {
		i := 2 + g.r.IntN(len(p.lines)-2)
		p.lines = slices.Delete(p.lines, i, i+1)
	}
	p.edits++
	p.editsUnderPath++
	return g.storeVersion(p)
}

// storeVersion queues p's current text as a blob and makes it p's
// current version.
func (g *generator) storeVersion(p *page) fileOp {
	data := []byte(strings.Join(p.lines, "\n") + "\n")
	p.mark = g.mark()
	g.blobs = append(g.blobs, pendingBlob{page: p.id, mark: p.mark, data: data})
	g.pendingBytes += len(data)
	g.stats.BlobBytes += int64(len(data))
	return fileOp{path: p.path, mark: p.mark}
}

// rename moves a page that was never moved to another folder, keeping its
// content, as `git mv` followed by a commit does.
func (g *generator) rename() bool {
	id := g.pickPage(func(id int) bool { return id == 0 || len(g.pages[id].oldPaths) > 0 })
	if id < 0 {
		return false
	}
	p := g.pages[id]
	old := p.path
	folder := "Archief"
	if f := g.folders(); f > 1 {
		cur, _ := strconv.Atoi(strings.TrimPrefix(old[:strings.Index(old, "/")], "Afdeling "))
		folder = "Afdeling " + strconv.Itoa(1+(cur+g.r.IntN(f-1))%f)
	}
	p.path = folder + old[strings.Index(old, "/"):]
	p.oldPaths = append(p.oldPaths, old)
	p.edits++
	p.editsUnderPath = 1
	g.stats.Renames = append(g.stats.Renames, Rename{From: old, To: p.path})
	g.commit(commitSpec{
		ref: "refs/heads/main", who: g.author(), when: g.tick(),
		msg: fmt.Sprintf("%s verplaatst naar %s", strings.TrimSuffix(old, ".md"), folder),
		ops: []fileOp{{path: old}, {path: p.path, mark: p.mark}},
	}, kindRename, []int{id})
	return true
}

// mergeEpisode writes 1-3 commits made on a clone that forked from main a
// few edits ago, then the merge that `git pull` makes of them: the clone's
// commits first, main second. It uses at most budget commits and reports
// how many it wrote; false means main has no recent edits to fork before.
func (g *generator) mergeEpisode(budget int) (int, bool) {
	// The window of main commits the clone missed holds only edits, and
	// the clone edits other pages, so the merge needs no conflict
	// resolution and its tree is the clone's plus the window's pages.
	k := 0
	for limit := 2 + g.r.IntN(6); k < limit && k < len(g.recent)-1 && g.recent[len(g.recent)-1-k].kind == kindEdit; k++ {
	}
	if k == 0 {
		return 0, false
	}
	fork := g.recent[len(g.recent)-1-k]
	mainTip := g.recent[len(g.recent)-1]
	var window []int
	for _, c := range g.recent[len(g.recent)-k:] {
		for _, id := range c.touched {
			if !slices.Contains(window, id) {
				window = append(window, id)
			}
		}
	}
	who := g.author()
	sides := min(1+g.r.IntN(3), budget-1)
	sideTip := 0
	for s := range sides {
		var ids []int
		for range 1 + g.r.IntN(2) {
			id := g.pickPage(func(id int) bool { return slices.Contains(window, id) || slices.Contains(ids, id) })
			if id >= 0 {
				ids = append(ids, id)
			}
		}
		c := commitSpec{
			ref: sideRef, mark: g.mark(), who: who, msg: g.message(ids),
			when: fork.time + int64(s+1)*(g.now-fork.time)/int64(sides+1),
		}
		if s == 0 {
			c.from = fork.mark
		}
		for _, id := range ids {
			c.ops = append(c.ops, g.change(g.pages[id]))
		}
		g.writeCommit(c)
		sideTip = c.mark
	}
	m := commitSpec{
		ref: "refs/heads/main", who: who, when: g.tick(),
		msg:  "Merge branch 'main' of https://wiki.example/wiki.git",
		from: sideTip, merge: mainTip.mark,
	}
	for _, id := range window {
		m.ops = append(m.ops, fileOp{path: g.pages[id].path, mark: g.pages[id].mark})
	}
	g.stats.Merges++
	g.commit(m, kindMerge, nil)
	return sides + 1, true
}

// commit writes a commit on main and remembers it for later merges.
func (g *generator) commit(c commitSpec, kind commitKind, touched []int) {
	c.mark = g.mark()
	g.writeCommit(c)
	g.recent = append(g.recent, mainCommit{mark: c.mark, time: c.when, kind: kind, touched: touched})
	if len(g.recent) > recentKept {
		g.recent = g.recent[1:]
	}
}
