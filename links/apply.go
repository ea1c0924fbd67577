package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

var errNoSource = errors.New("link graph has no Source to read pages from")

// Apply implements wiki.Consumer: it parses the pages cs added or
// modified, drops those it deleted (a rename is both), and on a Reset
// replaces everything with cs.Files. Attachments are not pages and are
// left out.
//
// The pages are parsed first; then their records and the checkpoint
// cs.To go to the file in one transaction, and only after it committed
// into memory. An error anywhere leaves both as they were.
func (g *Graph) Apply(ctx context.Context, cs wiki.ChangeSet) error {
	src := g.opt.Source
	if src == nil {
		return errNoSource
	}
	if cs.Reset {
		g.building.Store(true)
	}
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("link graph: snapshot: %w", err)
	}
	revs := newRevisions(src, snap, cs)
	var (
		puts []*Page
		dels []wiki.Name
	)
	for _, d := range cs.Files {
		name, ok := d.Page()
		if !ok {
			continue
		}
		if d.Kind == wiki.Deleted {
			dels = append(dels, name)
			continue
		}
		content, err := src.ReadBlob(ctx, d.Blob)
		if errors.Is(err, wiki.ErrNotFound) {
			// Retrying cannot bring it back: the page is there, without
			// links.
			g.log.Warn("link graph: page content missing", "page", name, "blob", d.Blob)
			content = nil
		} else if err != nil {
			return fmt.Errorf("link graph: read %s: %w", d.Path, err)
		}
		p, err := g.parse(ctx, name, content)
		if err != nil {
			return err
		}
		if rev, err := revs.lastChange(ctx, name, d); err != nil {
			return fmt.Errorf("link graph: last change of %s: %w", name, err)
		} else if rev != nil {
			p.Revision, p.Author, p.Time = rev.ID, rev.Author.Name, rev.Time
		}
		puts = append(puts, p)
	}
	err = g.db.Update(func(tx *bolt.Tx) error {
		if cs.Reset {
			if err := tx.DeleteBucket(bucketPages); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(bucketPages); err != nil {
				return err
			}
		}
		b := tx.Bucket(bucketPages)
		for _, n := range dels {
			if err := b.Delete([]byte(n)); err != nil {
				return err
			}
		}
		for _, p := range puts {
			v, err := json.Marshal(p)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(p.Name), v); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyCheckpoint, []byte(cs.To))
	})
	if err != nil {
		return fmt.Errorf("link graph: write: %w", err)
	}
	g.mu.Lock()
	if cs.Reset {
		g.clear()
	}
	for _, n := range dels {
		g.remove(n)
	}
	for _, p := range puts {
		g.remove(p.Name)
		g.add(p)
	}
	g.mu.Unlock()
	g.building.Store(false)
	return nil
}

// revisions finds the last change of the pages of one change set.
type revisions struct {
	src  Source
	snap *wiki.Snapshot
	to   string
	// last maps a path to the last revision of the change set that
	// touched it.
	last  map[string]string
	cache map[string]*wiki.Revision
}

func newRevisions(src Source, snap *wiki.Snapshot, cs wiki.ChangeSet) *revisions {
	r := &revisions{src: src, snap: snap, to: cs.To, last: map[string]string{}, cache: map[string]*wiki.Revision{}}
	for _, rev := range cs.Revisions {
		for _, c := range rev.Changes {
			r.last[c.Path] = rev.ID
		}
	}
	return r
}

// lastChange returns the revision that last changed the page: the one the
// snapshot names while the page still has the content the change set
// brought, else the change set's own last revision of it, else (a reset
// of a page changed again since) the change set's end. nil when that
// revision cannot be found.
func (r *revisions) lastChange(ctx context.Context, name wiki.Name, d wiki.FileDelta) (*wiki.Revision, error) {
	id := r.to
	if info, ok := r.snap.Page(name); ok && info.Blob == d.Blob && info.Revision != "" {
		id = info.Revision
	} else if last, ok := r.last[d.Path]; ok {
		id = last
	}
	if rev, ok := r.cache[id]; ok {
		return rev, nil
	}
	rev, err := r.src.Revision(ctx, id)
	if errors.Is(err, wiki.ErrNotFound) {
		rev, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.cache[id] = rev
	return rev, nil
}
