package search

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Apply implements wiki.Consumer: it indexes the pages cs added or
// modified, removes those it deleted (a rename is both), and on a Reset
// replaces everything with cs.Files. Attachments are not indexed.
//
// The work goes to bleve in batches of Options.BatchSize pages, each
// durable when written; the checkpoint cs.To goes into the last one. A
// crash part way therefore leaves the old checkpoint, and the feed
// delivers the same changes again, which overwrite what was written. A
// Reset first clears the checkpoint, so that a reset cut short is redone
// as a reset.
func (ix *Index) Apply(ctx context.Context, cs wiki.ChangeSet) (err error) {
	src := ix.opt.Source
	if src == nil {
		return errNoSource
	}
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("search: snapshot: %w", err)
	}
	type put struct {
		name wiki.Name
		d    wiki.FileDelta
	}
	var puts []put
	var dels []string
	for _, d := range cs.Files {
		name, ok := d.Page()
		if !ok {
			continue
		}
		if d.Kind == wiki.Deleted {
			dels = append(dels, string(name))
		} else {
			puts = append(puts, put{name, d})
		}
	}
	if cs.Reset {
		keep := make(map[string]bool, len(puts))
		for _, p := range puts {
			keep[string(p.name)] = true
		}
		ix.pagesMu.RLock()
		for id := range ix.pages {
			if !keep[id] {
				dels = append(dels, id)
			}
		}
		ix.pagesMu.RUnlock()
	}

	ix.done.Store(0)
	ix.total.Store(int64(len(puts) + len(dels)))
	if cs.Reset || len(puts)+len(dels) > ix.opt.BatchSize {
		ix.building.Store(true)
	}
	defer func() {
		// A reset cut short leaves an index that is not whole.
		if err == nil || !cs.Reset {
			ix.building.Store(false)
		}
	}()

	revs := wiki.NewLastChanges(src, snap, cs)
	b := ix.idx.NewBatch()
	pending := 0 // pages in b
	flush := func(force bool) error {
		if pending < ix.opt.BatchSize && !force {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := ix.idx.Batch(b); err != nil {
			return fmt.Errorf("search: write batch: %w", err)
		}
		ix.done.Add(int64(pending))
		// A new batch, not b.Reset(): bleve's analysis goroutine may
		// still be reading the old one's map after Batch returned.
		b = ix.idx.NewBatch()
		pending = 0
		return nil
	}
	if cs.Reset {
		b.DeleteInternal(keyCheckpoint)
	}
	for _, id := range dels {
		b.Delete(id)
		pending++
		if err := flush(false); err != nil {
			return err
		}
	}
	for _, p := range puts {
		content, err := src.ReadBlob(ctx, p.d.Blob)
		if errors.Is(err, wiki.ErrNotFound) {
			// Retrying cannot bring it back; the rest of the wiki
			// should stay searchable.
			ix.log.Warn("search: page content missing; not indexed", "page", p.name, "blob", p.d.Blob)
			continue
		}
		if err != nil {
			return fmt.Errorf("search: read %s: %w", p.d.Path, err)
		}
		if len(content) > maxPageBytes {
			content = truncate(content, maxPageBytes)
		}
		rev, err := revs.Of(ctx, p.name, p.d)
		if err != nil {
			return fmt.Errorf("search: last change of %s: %w", p.name, err)
		}
		parsed, err := ix.parseBounded(ctx, content)
		if err != nil {
			return fmt.Errorf("search: parse %s: %w", p.name, err)
		}
		doc := newDocument(p.name, parsed, ix.opt.DefaultLang, rev)
		if err := b.Index(string(p.name), doc); err != nil {
			return fmt.Errorf("search: index %s: %w", p.name, err)
		}
		e := ix.newEntry(p.name, doc.Title)
		ix.pagesMu.Lock()
		ix.pages[string(p.name)] = e
		ix.pagesMu.Unlock()
		pending++
		if err := flush(false); err != nil {
			return err
		}
	}
	b.SetInternal(keyCheckpoint, []byte(cs.To))
	if err := flush(true); err != nil {
		return err
	}
	ix.pagesMu.Lock()
	for _, id := range dels {
		delete(ix.pages, id)
	}
	ix.pagesMu.Unlock()
	return nil
}

// maxPageBytes is how much of a page is indexed; the rest of a larger one
// is not, to bound the memory of one batch.
const maxPageBytes = 1 << 20

// truncate cuts b to at most n bytes, at a rune boundary.
func truncate(b []byte, n int) []byte {
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}
