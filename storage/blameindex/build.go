package blameindex

import (
	"context"
	"errors"
	"sort"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Building a page from its history: what a reset does for every page, and
// what an Apply does for a page whose parent versions the index no longer
// holds. The history index gives each change of the page (following
// renames into its old names) with the blob before and after, in the order
// commits joined main, parents before children; so only the page's own
// versions are read, and the first parent's version of each is the one
// just derived. Merges ask for their other parents' versions.

// rebuild builds one page from its history and stores its versions, with
// head (the blob at the commit being applied, "" for none) as the current
// one. A page that cannot be built is dropped and left to the on-demand
// blame.
func (x *Index) rebuild(ctx context.Context, w *writer, path, head string) error {
	hist, err := x.history(ctx, path)
	if err != nil {
		return x.giveUp(ctx, w, path, err)
	}
	l := &lineage{x: x, w: w, in: newInterner(), enc: map[string][]byte{}}
	// made holds when each version of path was last made: the newest
	// are kept.
	made := map[string]int{}
	for i := len(hist) - 1; i >= 0; i-- {
		e := &hist[i]
		if e.Blob == "" {
			continue
		}
		if err := l.add(ctx, e); err != nil {
			return x.giveUp(ctx, w, path, err)
		}
		if e.Path == path {
			made[e.Blob] = len(hist) - i
		}
	}
	if head != "" {
		if _, ok := l.enc[head]; !ok {
			return x.giveUp(ctx, w, path, errors.New("the current version is not in the page's history"))
		}
		delete(made, head)
	}
	order := make([]string, 0, len(made))
	for b := range made {
		order = append(order, b)
	}
	sort.Slice(order, func(i, j int) bool { return made[order[i]] < made[order[j]] })
	if len(order) > x.opt.Keep {
		order = order[len(order)-x.opt.Keep:]
	}
	return w.replacePage(path, head, order, l.enc)
}

// history returns the whole history of a path, newest first.
func (x *Index) history(ctx context.Context, path string) ([]wiki.PageRevision, error) {
	const pageSize = 500
	var all []wiki.PageRevision
	q := wiki.HistoryQuery{Limit: pageSize}
	for {
		revs, err := x.src.FileHistory(ctx, path, q)
		if err != nil {
			return nil, err
		}
		all = append(all, revs...)
		if len(revs) < pageSize {
			return all, nil
		}
		q.Before = revs[len(revs)-1].ID
	}
}

// lineage derives the versions of one page, in history order.
type lineage struct {
	x   *Index
	w   *writer
	in  *interner
	enc map[string][]byte // blob id -> encoded attribution, the last one made
	// last holds the few versions derived most recently, decoded: the
	// first parent of the next one is nearly always among them.
	last [4]cachedVersion
	next int
}

type cachedVersion struct {
	blob string
	parentVersion
}

// add derives the version that one change of the page made.
func (l *lineage) add(ctx context.Context, e *wiki.PageRevision) error {
	self, err := l.w.revNum(e.ID)
	if err != nil {
		return err
	}
	var pvs []parentVersion
	if e.PrevBlob != "" {
		pv, ok, err := l.version(ctx, e.PrevBlob)
		if err != nil {
			return err
		}
		if ok {
			pvs = append(pvs, pv)
		}
	}
	parents, err := l.x.src.Parents(ctx, e.ID)
	if err != nil {
		return err
	}
	if len(parents) > 1 {
		name, _ := wiki.ParsePath(e.Path)
		for _, p := range parents[1:] {
			pg, err := l.x.src.ReadPage(ctx, name, p)
			if errors.Is(err, wiki.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if pg.Blob == e.PrevBlob {
				continue
			}
			pv, ok, err := l.version(ctx, pg.Blob)
			if err != nil {
				return err
			}
			if ok {
				pvs = append(pvs, pv)
			}
		}
	}
	text, err := l.x.src.ReadBlob(ctx, e.Blob)
	if err != nil {
		return err
	}
	lines := l.in.lines(text)
	budget := diffBudget
	owners := derive(l.in, lines, pvs, self, &budget)
	l.enc[e.Blob] = encodeAttribution(self, owners)
	l.remember(e.Blob, parentVersion{lines: lines, owners: owners})
	return nil
}

// version returns a version derived earlier in this lineage.
func (l *lineage) version(ctx context.Context, blob string) (parentVersion, bool, error) {
	for _, c := range l.last {
		if c.blob == blob {
			return c.parentVersion, true, nil
		}
	}
	enc, ok := l.enc[blob]
	if !ok {
		return parentVersion{}, false, nil
	}
	_, owners, err := decodeAttribution(enc)
	if err != nil {
		return parentVersion{}, false, err
	}
	text, err := l.x.src.ReadBlob(ctx, blob)
	if err != nil {
		return parentVersion{}, false, err
	}
	pv := parentVersion{lines: l.in.lines(text), owners: owners}
	if len(pv.lines) != len(owners) {
		return parentVersion{}, false, errCorrupt
	}
	l.remember(blob, pv)
	return pv, true, nil
}

func (l *lineage) remember(blob string, pv parentVersion) {
	for i := range l.last {
		if l.last[i].blob == blob {
			l.last[i].parentVersion = pv
			return
		}
	}
	l.last[l.next] = cachedVersion{blob: blob, parentVersion: pv}
	l.next = (l.next + 1) % len(l.last)
}
