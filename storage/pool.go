package storage

import (
	"context"
	"fmt"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Blobs are written outside the repository lock. go-git's storage is not
// safe for concurrent use, so each writer takes a storage of its own from a
// small pool: loose objects are files written under a temporary name and
// renamed into place, so two storages on one repository never see each
// other half-done, and equal content lands in the same file.

// storagePool is a pool of storages, each used by one goroutine at a
// time: to write loose blobs, or to read blobs for page views.
type storagePool chan *filesystem.Storage

func newStoragePool(gitDir string, n int) storagePool {
	p := make(storagePool, n)
	for range n {
		p <- filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRU(4<<20), filesystem.Options{})
	}
	return p
}

func (p storagePool) close() {
	for range cap(p) {
		(<-p).Close()
	}
}

// storeBlobsOutside writes and fsyncs the blob of every change that
// carries content, without the repository lock. It returns the blob ids by
// change, zero where nothing was written.
func (r *Repo) storeBlobsOutside(ctx context.Context, changes []wiki.Change) ([]plumbing.Hash, error) {
	var out []plumbing.Hash
	var written []plumbing.Hash
	for i, ch := range changes {
		if ch.Delete || ch.Blob != "" {
			continue
		}
		if out == nil {
			out = make([]plumbing.Hash, len(changes))
		}
		var st *filesystem.Storage
		select {
		case st = <-r.writers:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		h, err := writeBlob(st, ch.Content)
		r.writers <- st
		if err != nil {
			return nil, err
		}
		r.blobs.put(h, ch.Content)
		out[i] = h
		written = append(written, h)
	}
	if len(written) > 0 {
		if err := r.syncLooseObjects(written); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeBlob stores content as a loose blob through st.
func writeBlob(st *filesystem.Storage, content []byte) (plumbing.Hash, error) {
	obj := st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	h, err := st.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fsutil.Classify(fmt.Errorf("store blob: %w", err))
	}
	return h, nil
}
