package storage

import (
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// index is the in-memory view of main's first-parent history that serves
// every read: which commits changed which path, and which files are at head.
// It is what keeps page history off go-git's path-filtered Log, which diffs
// whole trees per commit on every request.
//
// The index is only extended by the holder of Repo.gitMu, under Repo.mu;
// readers hold Repo.mu for reading.
type index struct {
	// chain is main's first-parent chain, oldest first; a commit's position
	// in it is its sequence number.
	chain []*wiki.Revision
	// seq maps a commit id on the chain to its position.
	seq map[plumbing.Hash]int32
	// paths maps a file path to the commits that changed it, oldest first.
	paths map[string][]pathChange
	// files maps each file at head to its blob.
	files map[string]plumbing.Hash
	// namesVersion counts changes to the set of page names.
	namesVersion uint64
}

// pathChange records that the commit at seq changed a path, leaving blob
// there; a zero blob means the commit deleted it.
type pathChange struct {
	seq  int32
	blob plumbing.Hash
}

func newIndex() *index {
	return &index{
		seq:   map[plumbing.Hash]int32{},
		paths: map[string][]pathChange{},
		files: map[string]plumbing.Hash{},
	}
}

// head returns the newest commit on the chain, or nil if there is none.
func (x *index) head() *wiki.Revision {
	if len(x.chain) == 0 {
		return nil
	}
	return x.chain[len(x.chain)-1]
}

// fileChange is one path changed by a commit, as found by diffTrees.
type fileChange struct {
	path string
	blob plumbing.Hash // zero: deleted
	kind wiki.ChangeKind
}

// add appends a commit whose parent is the current head, with the files it
// changed.
func (x *index) add(rev *wiki.Revision, id plumbing.Hash, changes []fileChange) {
	s := int32(len(x.chain))
	x.chain = append(x.chain, rev)
	x.seq[id] = s
	sort.Slice(changes, func(i, j int) bool { return changes[i].path < changes[j].path })
	rev.Changes = make([]wiki.FileChange, len(changes))
	for i, c := range changes {
		rev.Changes[i] = wiki.FileChange{Path: c.path, Kind: c.kind}
		x.paths[c.path] = append(x.paths[c.path], pathChange{seq: s, blob: c.blob})
		if c.blob.IsZero() {
			delete(x.files, c.path)
		} else {
			x.files[c.path] = c.blob
		}
		if c.kind != wiki.Modified && strings.HasSuffix(c.path, wiki.PageExt) {
			x.namesVersion++
		}
	}
}

// at returns the last change to path at or before seq s, if any.
func (x *index) at(path string, s int32) (pathChange, bool) {
	changes := x.paths[path]
	i := sort.Search(len(changes), func(i int) bool { return changes[i].seq > s })
	if i == 0 {
		return pathChange{}, false
	}
	return changes[i-1], true
}

// lastRevision returns the id of the last commit that changed path at head.
func (x *index) lastRevision(path string) string {
	changes := x.paths[path]
	if len(changes) == 0 {
		return ""
	}
	return x.chain[changes[len(changes)-1].seq].ID
}

// snapshot builds the immutable Snapshot of head.
func (x *index) snapshot() *wiki.Snapshot {
	s := &wiki.Snapshot{
		Pages:        make(map[wiki.Name]wiki.PageInfo, len(x.files)),
		Folded:       make(map[string]wiki.Name, len(x.files)),
		NamesVersion: x.namesVersion,
	}
	if h := x.head(); h != nil {
		s.Head = h.ID
	}
	for p, blob := range x.files {
		name, ok := wiki.ParsePath(p)
		if !ok {
			continue
		}
		s.Pages[name] = wiki.PageInfo{Name: name, Blob: blob.String(), Revision: x.lastRevision(p)}
		s.Folded[name.Fold()] = name
	}
	return s
}
