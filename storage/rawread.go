package storage

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// useRawReaderLocked makes commit and tree reads go through the package's
// own pack reader (objread.go) until the returned function is called:
// for indexing, which reads every commit and many trees. Callers hold
// gitMu, which also keeps housekeeping from deleting a pack meanwhile.
func (r *Repo) useRawReaderLocked() func() {
	if r.rd != nil {
		return func() {}
	}
	ps, err := r.refreshPacksLocked()
	if err != nil {
		return func() {}
	}
	files := packFiles{}
	r.rd = newObjectReader(r, ps, files)
	return func() {
		files.close()
		r.rd = nil
	}
}

// readCommitLocked reads a commit, from the pack files directly when a raw
// reader is in use. Callers hold gitMu.
func (r *Repo) readCommitLocked(h plumbing.Hash) (*object.Commit, error) {
	if r.rd != nil {
		if typ, b, err := r.rd.read(h); err == nil && typ == plumbing.CommitObject {
			o := &plumbing.MemoryObject{}
			o.SetType(plumbing.CommitObject)
			o.Write(b)
			return object.DecodeCommit(r.st, o)
		}
	}
	c, err := object.GetCommit(r.st, h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	return c, nil
}
