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
	revs := wiki.NewLastChanges(src, snap, cs)
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
		if rev, err := revs.Of(ctx, name, d); err != nil {
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
