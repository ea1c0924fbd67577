package gitsync

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// openReadOnly opens a git repository's objects with a storage of its own,
// for reading only (go-git storages are not safe to share, and the Repo's
// own is used under its lock). Opened per round, it sees the packs that
// exist then.
func openReadOnly(gitDir string) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRU(4<<20), filesystem.Options{})
}

// openStaging opens (creating it if need be) a bare repository of the
// sync's own, beside the content repository in the data folder.
func openStaging(dir string) (*filesystem.Storage, error) {
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); errors.Is(err, os.ErrNotExist) {
		for _, d := range []string{"objects/pack", "objects/info", "refs/heads"} {
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
				return nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[core]\n\trepositoryformatversion = 0\n\tbare = true\n"), 0o644); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRU(8<<20), filesystem.Options{}), nil
}

// overlay reads objects from the staging repository first and the content
// repository second, and writes to the staging repository: the merge sees
// the upstream's commits and the wiki's together without copying either
// into the other.
type overlay struct {
	*filesystem.Storage // staging
	content             *filesystem.Storage
}

func (o *overlay) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	obj, err := o.Storage.EncodedObject(t, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return o.content.EncodedObject(t, h)
	}
	return obj, err
}

func (o *overlay) HasEncodedObject(h plumbing.Hash) error {
	if o.Storage.HasEncodedObject(h) == nil {
		return nil
	}
	return o.content.HasEncodedObject(h)
}

func (o *overlay) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	n, err := o.Storage.EncodedObjectSize(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return o.content.EncodedObjectSize(h)
	}
	return n, err
}

// missing collects the objects the content repository lacks among those
// reachable from some commits, walking only what is new: a commit, tree
// or blob the content repository has is not entered (it has everything
// below it).
type missing struct {
	src     storer.EncodedObjectStorer
	content *filesystem.Storage
	seen    map[plumbing.Hash]bool
	list    []plumbing.Hash
}

func newMissing(src storer.EncodedObjectStorer, content *filesystem.Storage) *missing {
	return &missing{src: src, content: content, seen: map[plumbing.Hash]bool{}}
}

func (m *missing) has(h plumbing.Hash) bool { return m.content.HasEncodedObject(h) == nil }

// commits adds the commits reachable from tip that the content repository
// lacks, with their trees and files.
func (m *missing) commits(tip plumbing.Hash) error {
	stack := []plumbing.Hash{tip}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if m.seen[h] || m.has(h) {
			continue
		}
		m.seen[h] = true
		c, err := object.GetCommit(m.src, h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		m.list = append(m.list, h)
		if err := m.tree(c.TreeHash); err != nil {
			return err
		}
		stack = append(stack, c.ParentHashes...)
	}
	return nil
}

// tree adds a tree and what it holds, as far as the content repository
// lacks it.
func (m *missing) tree(h plumbing.Hash) error {
	if m.seen[h] || m.has(h) {
		return nil
	}
	m.seen[h] = true
	t, err := object.GetTree(m.src, h)
	if err != nil {
		return fmt.Errorf("read tree %s: %w", h, err)
	}
	m.list = append(m.list, h)
	for _, e := range t.Entries {
		switch {
		case e.Mode == filemode.Dir:
			if err := m.tree(e.Hash); err != nil {
				return err
			}
		case e.Mode.IsFile():
			if !m.seen[e.Hash] && !m.has(e.Hash) {
				m.seen[e.Hash] = true
				m.list = append(m.list, e.Hash)
			}
		}
	}
	return nil
}

// writePack writes the collected objects as a pack (version 2, deltas by
// offset within the pack only, so that it needs nothing else).
func (m *missing) writePack(w io.Writer) error {
	_, err := packfile.NewEncoder(w, m.src, false).Encode(m.list, 10)
	return err
}

// pipePack returns a reader of the pack written by m, for storage's
// receive functions. The caller closes it, which ends the writer should
// the reader stop early.
func (m *missing) pipePack() *io.PipeReader {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(m.writePack(pw)) }()
	return pr
}

// packEncode writes objects read from st as a pack.
func packEncode(w io.Writer, st storer.EncodedObjectStorer, list []plumbing.Hash) (plumbing.Hash, error) {
	return packfile.NewEncoder(w, st, false).Encode(list, 10)
}
