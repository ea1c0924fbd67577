package storage

import (
	"sort"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// index is the in-memory view of main's history that serves every read:
// which commits changed which path, and which files are at head. It is
// what keeps page history off go-git's path-filtered Log, which diffs whole
// trees per commit on every request.
//
// The chain holds every commit reachable from main, parents before
// children, in the order they arrived: commits are only ever appended as
// main moves forward (by saves and pushes). A merge is recorded as
// changing only the paths where it differs from all its parents, as git
// log does: a change that came in through either side of a merge is
// credited to the commit that made it, not to whoever merged.
//
// The index is only extended by the holder of Repo.gitMu, under Repo.mu;
// readers hold Repo.mu for reading.
type index struct {
	// chain holds the commits, parents before children; a commit's
	// position in it is its sequence number.
	chain []*wiki.Revision
	// seq maps a commit id on the chain to its position.
	seq map[plumbing.Hash]int32
	// paths maps a file path to the commits that changed it, oldest first.
	paths map[string][]pathChange
	// files maps each file at head to its blob.
	files map[string]plumbing.Hash
	// renames maps a path to the renames that created it, oldest first,
	// so that history can follow a page into its old name.
	renames map[string][]rename
	// pathNames interns path strings.
	pathNames map[string]string
}

// pathChange records that the commit at seq changed a path from old (its
// first parent's version; zero when it added the path) to blob (zero when
// it deleted it).
type pathChange struct {
	seq       int32
	blob, old plumbing.Hash
}

// rename records that the commit at seq created a path from the content
// of from (which it deleted or replaced, as a rename leaves a redirect).
type rename struct {
	seq  int32
	from string
}

func newIndex() *index {
	return &index{
		seq:     map[plumbing.Hash]int32{},
		paths:   map[string][]pathChange{},
		files:   map[string]plumbing.Hash{},
		renames: map[string][]rename{},

		pathNames: map[string]string{},
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
	old  plumbing.Hash // zero: added
	kind wiki.ChangeKind
}

// add appends a commit, whose parents are already in the index, with the
// files it changed. The files at head are kept by applyHead.
func (x *index) add(rev *wiki.Revision, id plumbing.Hash, changes []fileChange) {
	s := int32(len(x.chain))
	x.chain = append(x.chain, rev)
	x.seq[id] = s
	sort.Slice(changes, func(i, j int) bool { return changes[i].path < changes[j].path })
	rev.Changes = make([]wiki.FileChange, len(changes))
	for i := range changes {
		// One string per path, shared by all its changes: a long history
		// repeats the same few thousand paths.
		if known, ok := x.pathNames[changes[i].path]; ok {
			changes[i].path = known
		} else {
			x.pathNames[changes[i].path] = changes[i].path
		}
	}
	for i, c := range changes {
		rev.Changes[i] = wiki.FileChange{Path: c.path, Kind: c.kind}
		x.paths[c.path] = append(x.paths[c.path], pathChange{seq: s, blob: c.blob, old: c.old})
	}
	x.findRenames(s, changes)
}

// creditMove records, for a move of main to the commit at seq, every path
// that differs between the old and the new head but whose last recorded
// change did not leave the content it has now: it is credited to the new
// head, so that history and recent changes show what the move did.
func (x *index) creditMove(seq int32, moved []fileChange) {
	rev := x.chain[seq]
	var added []fileChange
	for _, c := range moved {
		changes := x.paths[c.path]
		if n := len(changes); n > 0 && changes[n-1].blob == c.blob {
			continue // a new commit (or an old one) already left it so
		}
		if n := len(changes); n > 0 && changes[n-1].seq == seq {
			continue
		}
		added = append(added, c)
	}
	if len(added) == 0 {
		return
	}
	for _, c := range added {
		path := c.path
		if known, ok := x.pathNames[path]; ok {
			path = known
		} else {
			x.pathNames[path] = path
		}
		x.paths[path] = append(x.paths[path], pathChange{seq: seq, blob: c.blob, old: c.old})
		rev.Changes = append(rev.Changes, wiki.FileChange{Path: path, Kind: c.kind})
	}
	sort.Slice(rev.Changes, func(i, j int) bool { return rev.Changes[i].Path < rev.Changes[j].Path })
}

// applyHead brings the files at head up to date with the difference
// between the old and the new head's trees.
func (x *index) applyHead(changes []fileChange) {
	for _, c := range changes {
		if c.blob.IsZero() {
			delete(x.files, c.path)
		} else {
			x.files[c.path] = c.blob
		}
	}
}

// findRenames records renames in one commit's changes: a file added with
// exactly the content another file had before this commit, where that
// other file was deleted (git mv) or rewritten (a wiki rename leaves a
// redirect in its place). Content-similar renames are not followed.
func (x *index) findRenames(s int32, changes []fileChange) {
	var gone map[plumbing.Hash]string
	for _, c := range changes {
		if c.kind == wiki.Added {
			continue
		}
		if gone == nil {
			gone = map[plumbing.Hash]string{}
		}
		if _, taken := gone[c.old]; !taken {
			gone[c.old] = c.path
		}
	}
	if gone == nil {
		return
	}
	for _, c := range changes {
		if c.kind != wiki.Added {
			continue
		}
		if from, ok := gone[c.blob]; ok && from != c.path {
			x.renames[c.path] = append(x.renames[c.path], rename{seq: s, from: from})
		}
	}
}

// changeWith returns the latest change to path at or before seq s that
// left blob there: the revision a version of the page came from.
func (x *index) changeWith(path string, s int32, blob plumbing.Hash) (pathChange, bool) {
	changes := x.paths[path]
	for i := sort.Search(len(changes), func(i int) bool { return changes[i].seq > s }) - 1; i >= 0; i-- {
		if changes[i].blob == blob {
			return changes[i], true
		}
	}
	return pathChange{}, false
}

// changeAt returns path's change in the commit at seq s, if any.
func (x *index) changeAt(path string, s int32) (pathChange, bool) {
	changes := x.paths[path]
	i := sort.Search(len(changes), func(i int) bool { return changes[i].seq >= s })
	if i < len(changes) && changes[i].seq == s {
		return changes[i], true
	}
	return pathChange{}, false
}

// lastRevision returns the id of the last commit that changed path at head.
func (x *index) lastRevision(path string) string {
	changes := x.paths[path]
	if len(changes) == 0 {
		return ""
	}
	return x.chain[changes[len(changes)-1].seq].ID
}

// snapshot builds the Snapshot of head from scratch, with a names version
// past since (so that caches keyed by it never see an old value again).
// It costs O(files): for opening and after a rewrite of history only.
func (x *index) snapshot(since uint64) *wiki.Snapshot {
	base := wiki.EmptySnapshot()
	base.NamesVersion = since
	e := base.Edit()
	for p := range x.files {
		x.snapshotPath(e, p)
	}
	head := ""
	if h := x.head(); h != nil {
		head = h.ID
	}
	return e.Done(head)
}

// nextSnapshot returns the snapshot that follows prev when the given paths
// may have changed: O(paths), whatever the number of pages.
func (x *index) nextSnapshot(prev *wiki.Snapshot, paths []string) *wiki.Snapshot {
	e := prev.Edit()
	for _, p := range paths {
		x.snapshotPath(e, p)
	}
	head := ""
	if h := x.head(); h != nil {
		head = h.ID
	}
	return e.Done(head)
}

// snapshotPath brings one path of a snapshot in line with the index.
func (x *index) snapshotPath(e *wiki.SnapshotEdit, p string) {
	blob, exists := x.files[p]
	name, isPage := wiki.ParsePath(p)
	switch {
	case isPage && exists:
		e.SetPage(wiki.PageInfo{Name: name, Blob: blob.String(), Revision: x.lastRevision(p)})
	case isPage:
		e.DeletePage(name)
	case exists:
		e.SetFile(p, blob.String())
	default:
		e.DeleteFile(p)
	}
}

// walkHistory visits the changes to path newest first, following renames
// into the names the file had before, with the path at each change and the
// blob after and before it (zero when deleted, resp. created). It stops
// when visit returns false.
func (x *index) walkHistory(path string, visit func(seq int32, path string, blob, prev plumbing.Hash) bool) {
	upto := int32(len(x.chain)) // only changes before upto count
	for path != "" {
		changes := x.paths[path]
		i := sort.Search(len(changes), func(i int) bool { return changes[i].seq >= upto })
		next := ""
		for ; i > 0; i-- {
			c := changes[i-1]
			prev := c.old
			from, renamed := x.renamedAt(path, c.seq)
			if renamed {
				// The old name's content before the rename.
				if old, ok := x.changeAt(from, c.seq); ok {
					prev = old.old
				}
			}
			if !visit(c.seq, path, c.blob, prev) {
				return
			}
			if renamed {
				next, upto = from, c.seq
				break
			}
		}
		path = next
	}
}

// renamedAt reports whether the commit at seq created path by renaming,
// and from which path.
func (x *index) renamedAt(path string, seq int32) (string, bool) {
	for _, r := range x.renames[path] {
		if r.seq == seq {
			return r.from, true
		}
	}
	return "", false
}
