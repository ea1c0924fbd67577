package main

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/blameindex"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// openBlame opens the blame index in DATA/blame.db and subscribes it to
// the change feed. The returned function stops and closes it. When the
// index cannot be opened, the wiki runs without it (blame then walks each
// page's history on demand) and says so.
func (m *Main) openBlame(ctx context.Context, repo *storage.Repo) (wiki.BlameIndex, func(), error) {
	// The repository itself is the index's source: it reads commits and
	// blobs through the storage page views use, so no second copy of the
	// pack indexes is held in memory.
	ix, err := blameindex.Open(filepath.Join(m.DataDir, "blame.db"), repo, blameindex.Options{Logger: m.log})
	if err != nil {
		if errors.Is(err, blameindex.ErrInUse) {
			m.log.Warn("the blame index is in use by another process; blame walks each page's history instead", "err", err)
			return nil, func() {}, nil
		}
		return nil, nil, err
	}
	sub, err := repo.Subscribe(ctx, ix)
	if err != nil {
		ix.Close()
		return nil, nil, err
	}
	m.watch("blame", sub)
	return ix, func() {
		sub.Close()
		ix.Close()
	}, nil
}
