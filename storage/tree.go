package storage

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// treeEntries returns the entries of tree h; the zero hash is the empty tree.
// Callers hold gitMu.
func (r *Repo) treeEntries(h plumbing.Hash) ([]object.TreeEntry, error) {
	if h.IsZero() {
		return nil, nil
	}
	if r.rd != nil {
		if typ, b, err := r.rd.read(h); err == nil && typ == plumbing.TreeObject {
			raw, err := parseRawTree(nil, b)
			if err != nil {
				return nil, fmt.Errorf("read tree %s: %w", h, err)
			}
			entries := make([]object.TreeEntry, len(raw))
			for i, e := range raw {
				entries[i] = object.TreeEntry{Name: string(e.name), Mode: e.mode, Hash: e.hash}
			}
			return entries, nil
		}
	}
	t, err := object.GetTree(r.st, h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	return t.Entries, nil
}

// writeTree stores a copy of tree base with edits applied and returns its
// hash. edits maps paths relative to base to blob hashes; the zero hash
// deletes the file. Only the trees on the paths of edits are rewritten, so
// the cost is proportional to the depth of the change, not the size of the
// wiki. A tree left empty yields the zero hash so that its parent drops it,
// as git has no empty folders. Callers hold gitMu.
func (r *Repo) writeTree(base plumbing.Hash, edits map[string]plumbing.Hash) (plumbing.Hash, error) {
	old, err := r.treeEntries(base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries := make([]object.TreeEntry, len(old))
	copy(entries, old)
	find := func(name string) int {
		for i := range entries {
			if entries[i].Name == name {
				return i
			}
		}
		return -1
	}
	remove := func(i int) { entries = append(entries[:i], entries[i+1:]...) }

	subdirs := map[string]map[string]plumbing.Hash{}
	for p, blob := range edits {
		dir, rest, nested := strings.Cut(p, "/")
		if nested {
			if subdirs[dir] == nil {
				subdirs[dir] = map[string]plumbing.Hash{}
			}
			subdirs[dir][rest] = blob
			continue
		}
		i := find(p)
		switch {
		case i >= 0 && entries[i].Mode == filemode.Dir:
			return plumbing.ZeroHash, fmt.Errorf("%w: %q is a folder", wiki.ErrInvalidInput, p)
		case blob.IsZero() && i >= 0:
			remove(i)
		case blob.IsZero():
			// Deleting what is not there: callers check existence first.
		case i >= 0:
			entries[i].Hash = blob
			if entries[i].Mode != filemode.Executable {
				entries[i].Mode = filemode.Regular
			}
		default:
			entries = append(entries, object.TreeEntry{Name: p, Mode: filemode.Regular, Hash: blob})
		}
	}
	for dir, sub := range subdirs {
		i := find(dir)
		var subBase plumbing.Hash
		if i >= 0 {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%w: a file named %q is in the way of the folder", wiki.ErrInvalidInput, dir)
			}
			subBase = entries[i].Hash
		}
		h, err := r.writeTree(subBase, sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		switch {
		case h.IsZero() && i >= 0:
			remove(i)
		case h.IsZero():
		case i >= 0:
			entries[i].Hash = h
		default:
			entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
		}
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	// Git orders entries as if folder names ended in "/"; fsck --strict
	// rejects any other order. TreeEntrySorter implements exactly that.
	sort.Sort(object.TreeEntrySorter(entries))
	return r.storeTree(entries)
}

// storeTree encodes and stores a tree object. Callers hold gitMu.
func (r *Repo) storeTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	t := &object.Tree{Entries: entries}
	obj := r.st.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	h, err := r.st.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store tree: %w", err)
	}
	r.unsynced = append(r.unsynced, h)
	return h, nil
}

// diffTrees calls fn for every file that differs between trees a and b
// (zero hash = empty tree), with the blob on each side (zero when absent).
// Subtrees with equal hashes are skipped without being read, which is what
// makes indexing a commit cheap. Submodule entries are ignored. Callers hold
// gitMu.
func (r *Repo) diffTrees(a, b plumbing.Hash, prefix string, fn func(path string, old, new plumbing.Hash)) error {
	if a == b {
		return nil
	}
	ea, err := r.treeEntries(a)
	if err != nil {
		return err
	}
	eb, err := r.treeEntries(b)
	if err != nil {
		return err
	}
	inA := make(map[string]object.TreeEntry, len(ea))
	for _, e := range ea {
		inA[e.Name] = e
	}
	// side visits one entry present on only one side (or of another kind).
	side := func(e object.TreeEntry, removed bool) error {
		p := prefix + e.Name
		switch {
		case e.Mode == filemode.Submodule:
			return nil
		case e.Mode == filemode.Dir && removed:
			return r.diffTrees(e.Hash, plumbing.ZeroHash, p+"/", fn)
		case e.Mode == filemode.Dir:
			return r.diffTrees(plumbing.ZeroHash, e.Hash, p+"/", fn)
		case removed:
			fn(p, e.Hash, plumbing.ZeroHash)
		default:
			fn(p, plumbing.ZeroHash, e.Hash)
		}
		return nil
	}
	for _, e := range eb {
		o, ok := inA[e.Name]
		delete(inA, e.Name)
		switch {
		case !ok:
			err = side(e, false)
		case o.Hash == e.Hash && o.Mode == e.Mode:
		case o.Mode == filemode.Dir && e.Mode == filemode.Dir:
			err = r.diffTrees(o.Hash, e.Hash, prefix+e.Name+"/", fn)
		case o.Mode != filemode.Dir && e.Mode != filemode.Dir && o.Mode != filemode.Submodule && e.Mode != filemode.Submodule:
			if o.Hash != e.Hash {
				fn(prefix+e.Name, o.Hash, e.Hash)
			}
		default:
			if err = side(o, true); err == nil {
				err = side(e, false)
			}
		}
		if err != nil {
			return err
		}
	}
	for _, o := range inA {
		if err := side(o, true); err != nil {
			return err
		}
	}
	return nil
}
