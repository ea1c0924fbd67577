package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// ReadFile implements wiki.Store: the file at path (an attachment, any
// file that is not a page) as of revision at, "" for head.
func (r *Repo) ReadFile(ctx context.Context, path, at string) (*wiki.File, error) {
	if err := checkFilePath(path); err != nil {
		return nil, err
	}
	var blob plumbing.Hash
	var rev wiki.Revision
	if at == "" {
		id, ok := r.snap.Load().File(path)
		if !ok {
			return nil, fmt.Errorf("file %s: %w", path, wiki.ErrNotFound)
		}
		blob = plumbing.NewHash(id)
		r.mu.RLock()
		last := r.idx.lastRevision(path)
		r.mu.RUnlock()
		if last != "" {
			rv, err := r.Revision(ctx, last)
			if err != nil {
				return nil, err
			}
			rev = *rv
		}
	} else {
		b, rv, err := r.versionAt(at, path)
		if err != nil {
			return nil, fmt.Errorf("file: %w", err)
		}
		blob, rev = b, rv
	}
	content, err := r.readBlob(blob)
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", path, err)
	}
	return &wiki.File{Path: path, Content: content, Blob: blob.String(), Revision: rev}, nil
}

// BlobSize implements wiki.Store: the size from the object's header,
// through the page views' storage, without inflating the content.
func (r *Repo) BlobSize(ctx context.Context, id string) (int64, error) {
	h, err := parseID(id)
	if err != nil {
		return 0, err
	}
	if b, ok := r.blobs.get(h); ok {
		return int64(len(b)), nil
	}
	st := <-r.readers
	defer func() { r.readers <- st }()
	o, err := st.EncodedObject(plumbing.BlobObject, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		st.Reindex()
		o, err = st.EncodedObject(plumbing.BlobObject, h)
	}
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return 0, fmt.Errorf("blob %s: %w", id, wiki.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", id, err)
	}
	return o.Size(), nil
}
