package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Parents returns the ids of a commit's parents, first parent first (the
// history index keeps only the first). It reads through the storage that
// page views use, not under the repository lock.
func (r *Repo) Parents(ctx context.Context, id string) ([]string, error) {
	h, err := parseID(id)
	if err != nil {
		return nil, err
	}
	st := <-r.readers
	defer func() { r.readers <- st }()
	c, err := object.GetCommit(st, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// A pack installed since this storage listed them.
		st.Reindex()
		c, err = object.GetCommit(st, h)
	}
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("commit %s: %w", id, wiki.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", id, err)
	}
	out := make([]string, len(c.ParentHashes))
	for i, p := range c.ParentHashes {
		out[i] = p.String()
	}
	return out, nil
}
