package gitsync

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/wikiwerk/wikiwerk/wiki/diff"
)

// treeMerger merges three trees the way the wiki merges concurrent saves:
// a change made on one side only is taken, the same change on both sides
// is taken once, and a page both sides changed is merged line by line
// (wiki/diff.Merge3). Anything else — overlapping lines, a file changed
// on one side and deleted on the other, a file that is a folder on the
// other side, two different versions of an attachment — is a conflict.
// Identical subtrees are not entered, so the cost is that of what
// changed. New trees and merged files are written to st.
type treeMerger struct {
	st storer.EncodedObjectStorer
	// conflicts lists the paths that could not be merged.
	conflicts []string
}

// maxMergeBytes bounds the texts merged line by line; larger files that
// both sides changed are a conflict.
const maxMergeBytes = 1 << 20

// merge merges trees (zero is the empty tree) and returns the merged
// tree, zero when it is empty. The result is meaningful only when
// conflicts is empty.
func (m *treeMerger) merge(base, ours, theirs plumbing.Hash) (plumbing.Hash, error) {
	return m.tree("", base, ours, theirs)
}

func (m *treeMerger) entries(h plumbing.Hash) (map[string]object.TreeEntry, error) {
	out := map[string]object.TreeEntry{}
	if h.IsZero() {
		return out, nil
	}
	t, err := object.GetTree(m.st, h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	for _, e := range t.Entries {
		out[e.Name] = e
	}
	return out, nil
}

func (m *treeMerger) tree(prefix string, base, ours, theirs plumbing.Hash) (plumbing.Hash, error) {
	switch {
	case ours == theirs:
		return ours, nil
	case base == ours:
		return theirs, nil
	case base == theirs:
		return ours, nil
	}
	eb, err := m.entries(base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	eo, err := m.entries(ours)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	et, err := m.entries(theirs)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	names := map[string]bool{}
	for _, set := range []map[string]object.TreeEntry{eb, eo, et} {
		for n := range set {
			names[n] = true
		}
	}
	var out []object.TreeEntry
	for n := range names {
		b, bok := eb[n]
		o, ook := eo[n]
		t, tok := et[n]
		same := func(x object.TreeEntry, xok bool, y object.TreeEntry, yok bool) bool {
			return xok == yok && (!xok || (x.Hash == y.Hash && x.Mode == y.Mode))
		}
		var pick object.TreeEntry
		var keep bool
		switch {
		case same(o, ook, t, tok):
			pick, keep = o, ook
		case same(b, bok, o, ook):
			pick, keep = t, tok
		case same(b, bok, t, tok):
			pick, keep = o, ook
		default:
			e, k, err := m.both(prefix+n, b, bok, o, ook, t, tok)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			pick, keep = e, k
		}
		if keep {
			pick.Name = n
			out = append(out, pick)
		}
	}
	if len(out) == 0 {
		return plumbing.ZeroHash, nil
	}
	sort.Sort(object.TreeEntrySorter(out))
	return m.store(out)
}

// both merges an entry that both sides changed, differently.
func (m *treeMerger) both(path string, b object.TreeEntry, bok bool, o object.TreeEntry, ook bool, t object.TreeEntry, tok bool) (object.TreeEntry, bool, error) {
	isDir := func(e object.TreeEntry, ok bool) bool { return ok && e.Mode == filemode.Dir }
	isFile := func(e object.TreeEntry, ok bool) bool { return ok && e.Mode.IsFile() }
	hash := func(e object.TreeEntry, ok bool) plumbing.Hash {
		if !ok {
			return plumbing.ZeroHash
		}
		return e.Hash
	}
	switch {
	case isDir(o, ook) && isDir(t, tok) && (!bok || isDir(b, bok)):
		h, err := m.tree(path+"/", hash(b, bok), o.Hash, t.Hash)
		if err != nil || h.IsZero() {
			return object.TreeEntry{}, false, err
		}
		return object.TreeEntry{Mode: filemode.Dir, Hash: h}, true, nil
	case isFile(o, ook) && isFile(t, tok) && o.Mode == t.Mode && (!bok || isFile(b, bok)):
		h, ok, err := m.text(hash(b, bok), o.Hash, t.Hash)
		if err != nil {
			return object.TreeEntry{}, false, err
		}
		if ok {
			return object.TreeEntry{Mode: o.Mode, Hash: h}, true, nil
		}
	}
	m.conflicts = append(m.conflicts, path)
	return o, ook, nil
}

// text merges a file both sides changed, if all three versions are text
// of a size the line merge takes; ok is false for a conflict.
func (m *treeMerger) text(base, ours, theirs plumbing.Hash) (plumbing.Hash, bool, error) {
	var texts [3]string
	for i, h := range []plumbing.Hash{base, ours, theirs} {
		if h.IsZero() {
			continue
		}
		b, err := m.blob(h)
		if errors.Is(err, errTooLarge) {
			return plumbing.ZeroHash, false, nil
		}
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			return plumbing.ZeroHash, false, nil
		}
		texts[i] = string(b)
	}
	if base.IsZero() {
		// Both added the file, differently: there is nothing to merge
		// against.
		return plumbing.ZeroHash, false, nil
	}
	res, err := diff.Merge3(texts[0], texts[1], texts[2], diff.Options{MaxBytes: maxMergeBytes})
	if errors.Is(err, diff.ErrTooLarge) {
		return plumbing.ZeroHash, false, nil
	}
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if res.Conflicts > 0 {
		return plumbing.ZeroHash, false, nil
	}
	text := res.Text
	if strings.Contains(texts[1], "\r\n") && strings.Contains(texts[2], "\r\n") {
		// Both sides keep CRLF line ends; the merge normalised to LF.
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	h, err := m.storeBlob([]byte(text))
	return h, err == nil, err
}

var errTooLarge = errors.New("too large to merge")

func (m *treeMerger) blob(h plumbing.Hash) ([]byte, error) {
	o, err := m.st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	if o.Size() > maxMergeBytes {
		return nil, errTooLarge
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

func (m *treeMerger) storeBlob(b []byte) (plumbing.Hash, error) {
	o := m.st.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(b)))
	w, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(b); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return m.st.SetEncodedObject(o)
}

func (m *treeMerger) store(entries []object.TreeEntry) (plumbing.Hash, error) {
	o := m.st.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	return m.st.SetEncodedObject(o)
}

// storeEmptyTree stores the empty tree (a commit needs a tree).
func storeEmptyTree(st storer.EncodedObjectStorer) (plumbing.Hash, error) {
	o := st.NewEncodedObject()
	if err := (&object.Tree{}).Encode(o); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(o)
}

// storeCommit encodes and stores a commit.
func storeCommit(st storer.EncodedObjectStorer, c *object.Commit) (plumbing.Hash, error) {
	o := st.NewEncodedObject()
	if err := c.Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	return st.SetEncodedObject(o)
}
