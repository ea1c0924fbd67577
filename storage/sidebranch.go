package storage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Refs beside main: proposal branches (refs/heads/voorstel/<id>) and the
// wiki's records (refs/heads/wikiwerk/...), see wiki.BranchStore. They are
// written without a worktree like main, under the same lock, and moved by
// moveRefLocked with the same lock file, fsyncs and reflog. Nothing here
// touches the history index: it follows main, and proposals enter it only
// when they are merged.

var _ wiki.BranchStore = (*Repo)(nil)

// sideRefName accepts the names of refs beside main that the wiki writes
// or serves: a conservative subset of git's ref-name rules.
var sideRefName = regexp.MustCompile(`^refs/heads/(voorstel|wikiwerk)/[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`)

// sideRef validates a ref beside main.
func (r *Repo) sideRef(name string) (plumbing.ReferenceName, error) {
	if !sideRefName.MatchString(name) || strings.Contains(name, "..") || strings.HasSuffix(name, ".lock") || strings.HasSuffix(name, ".") {
		return "", fmt.Errorf("%w: %q is not a proposal or record ref", wiki.ErrInvalidInput, name)
	}
	n := plumbing.ReferenceName(name)
	if n == r.branch {
		return "", fmt.Errorf("%w: %q is the wiki's own branch", wiki.ErrInvalidInput, name)
	}
	return n, nil
}

// optionalID parses a commit id that may be "".
func optionalID(id string) (plumbing.Hash, error) {
	if id == "" {
		return plumbing.ZeroHash, nil
	}
	return parseID(id)
}

// RefTip implements wiki.BranchStore.
func (r *Repo) RefTip(ctx context.Context, ref string) (string, error) {
	name, err := r.sideRef(ref)
	if err != nil {
		return "", err
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	h, err := r.refLocked(name)
	if err != nil {
		return "", err
	}
	return blobID(h), nil
}

// RefsUnder implements wiki.BranchStore.
func (r *Repo) RefsUnder(ctx context.Context, prefix string) (map[string]string, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	return r.refsUnderLocked(prefix)
}

func (r *Repo) refsUnderLocked(prefix string) (map[string]string, error) {
	it, err := r.st.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	defer it.Close()
	out := map[string]string{}
	err = it.ForEach(func(ref *plumbing.Reference) error {
		n := ref.Name().String()
		if ref.Type() == plumbing.HashReference && strings.HasPrefix(n, prefix) && sideRefName.MatchString(n) {
			out[n] = ref.Hash().String()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	return out, nil
}

// SideRef is a ref beside main that clients may fetch.
type SideRef struct {
	Name plumbing.ReferenceName
	Hash plumbing.Hash
}

// SideRefs lists the proposal branches and the wiki's record branches,
// sorted by name, for git clients to fetch: a clone holds the proposals
// and discussions too.
func (r *Repo) SideRefs() ([]SideRef, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	m, err := r.refsUnderLocked("refs/heads/")
	if err != nil {
		return nil, err
	}
	out := make([]SideRef, 0, len(m))
	for n, h := range m {
		out = append(out, SideRef{Name: plumbing.ReferenceName(n), Hash: plumbing.NewHash(h)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// isSideTipLocked reports whether h is the tip of a ref beside main.
func (r *Repo) isSideTipLocked(h plumbing.Hash) bool {
	m, err := r.refsUnderLocked("refs/heads/")
	if err != nil {
		return false
	}
	for _, tip := range m {
		if tip == h.String() {
			return true
		}
	}
	return false
}

// WriteBranch implements wiki.BranchStore.
func (r *Repo) WriteBranch(ctx context.Context, b wiki.BranchWrite) (string, error) {
	name, err := r.sideRef(b.Ref)
	if err != nil {
		return "", err
	}
	old, err := optionalID(b.Old)
	if err != nil {
		return "", err
	}
	var parents []plumbing.Hash
	for _, p := range b.Parents {
		h, err := parseID(p)
		if err != nil {
			return "", err
		}
		parents = append(parents, h)
	}
	if b.Parents == nil && !old.IsZero() {
		parents = []plumbing.Hash{old}
	}
	treeOf, err := optionalID(b.TreeOf)
	if err != nil {
		return "", err
	}
	if treeOf.IsZero() && len(parents) > 0 {
		treeOf = parents[0]
	}
	author, err := signature(b.Author, b.Time)
	if err != nil {
		return "", err
	}
	if err := wiki.CheckText("message", b.Message); err != nil {
		return "", err
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	cur, err := r.refLocked(name)
	if err != nil {
		return "", err
	}
	if cur != old {
		return "", fmt.Errorf("%w: %s moved (it is at %s, not %s)", wiki.ErrStale, name, blobID(cur), b.Old)
	}
	for _, p := range parents {
		if _, err := r.readCommitLocked(p); err != nil {
			return "", fmt.Errorf("%w: no commit %s", wiki.ErrInvalidInput, p)
		}
	}
	id, err := r.writeCommitLocked(commitSpec{parents: parents, treeOf: treeOf, files: b.Files, author: author, message: b.Message})
	if err != nil {
		r.unsynced = r.unsynced[:0]
		return "", noSpace(err)
	}
	if err := r.moveRefLocked(name, refMove{old: old, new: id, who: author, message: "commit: " + firstLine(b.Message)}); err != nil {
		if errors.Is(err, storageRefChanged) {
			return "", fmt.Errorf("%w: %s moved meanwhile", wiki.ErrStale, name)
		}
		return "", noSpace(err)
	}
	return id.String(), nil
}

// commitSpec is a commit to write.
type commitSpec struct {
	parents []plumbing.Hash
	treeOf  plumbing.Hash
	files   map[string][]byte
	author  object.Signature
	message string
}

// writeCommitLocked stores the blobs, trees and commit of c, fsynced, and
// returns the commit's id; no ref moves.
func (r *Repo) writeCommitLocked(c commitSpec) (plumbing.Hash, error) {
	var baseTree plumbing.Hash
	if !c.treeOf.IsZero() {
		tc, err := r.readCommitLocked(c.treeOf)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read %s: %w", c.treeOf, err)
		}
		baseTree = tc.TreeHash
	}
	edits := make(map[string]plumbing.Hash, len(c.files))
	for p, content := range c.files {
		if err := checkFilePath(p); err != nil {
			return plumbing.ZeroHash, err
		}
		if content == nil {
			edits[p] = plumbing.ZeroHash
			continue
		}
		h, err := r.storeBlob(content)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		edits[p] = h
	}
	tree, err := r.writeTree(baseTree, edits)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if tree.IsZero() {
		if tree, err = r.storeTree(nil); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	commit := &object.Commit{
		Author:       c.author,
		Committer:    c.author,
		Message:      strings.TrimSpace(c.message) + "\n",
		TreeHash:     tree,
		ParentHashes: c.parents,
	}
	obj := r.st.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	id, err := r.st.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fsutil.Classify(fmt.Errorf("store commit: %w", err))
	}
	r.unsynced = append(r.unsynced, id)
	if err := r.syncLooseObjects(r.unsynced); err != nil {
		return plumbing.ZeroHash, err
	}
	r.unsynced = r.unsynced[:0]
	return id, nil
}

// WriteMerge implements wiki.BranchStore.
func (r *Repo) WriteMerge(ctx context.Context, m wiki.MergeWrite) (wiki.CommitResult, error) {
	want, err := parseID(m.Main)
	if err != nil {
		return wiki.CommitResult{}, err
	}
	other, err := parseID(m.Other)
	if err != nil {
		return wiki.CommitResult{}, err
	}
	author, err := signature(m.Author, time.Time{})
	if err != nil {
		return wiki.CommitResult{}, err
	}
	if err := wiki.CheckText("message", m.Message); err != nil {
		return wiki.CommitResult{}, err
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	if err := r.syncLocked(); err != nil {
		return wiki.CommitResult{}, err
	}
	head := r.headHash()
	if head != want {
		return wiki.CommitResult{}, fmt.Errorf("%w: main is at %s, not %s", wiki.ErrStale, head, want)
	}
	if _, err := r.readCommitLocked(other); err != nil {
		return wiki.CommitResult{}, fmt.Errorf("%w: no commit %s", wiki.ErrInvalidInput, other)
	}
	id, err := r.writeCommitLocked(commitSpec{parents: []plumbing.Hash{head, other}, treeOf: head, files: m.Files, author: author, message: m.Message})
	if err != nil {
		r.unsynced = r.unsynced[:0]
		return wiki.CommitResult{}, noSpace(err)
	}
	if err := r.moveBranchLocked(refMove{old: head, new: id, who: author, message: "merge: " + firstLine(m.Message)}); err != nil {
		if errors.Is(err, storageRefChanged) {
			return wiki.CommitResult{}, fmt.Errorf("%w: main moved meanwhile", wiki.ErrStale)
		}
		return wiki.CommitResult{}, noSpace(err)
	}
	if err := r.syncLocked(); err != nil {
		return wiki.CommitResult{}, err
	}
	return wiki.CommitResult{Revision: id.String(), Committed: true}, nil
}

// FileAt implements wiki.BranchStore.
func (r *Repo) FileAt(ctx context.Context, commit, path string) ([]byte, error) {
	h, err := parseID(commit)
	if err != nil {
		return nil, err
	}
	blob, _, err := r.readAt(h, path)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", path, commit, err)
	}
	return r.readBlob(blob)
}

// FilesAt implements wiki.BranchStore.
func (r *Repo) FilesAt(ctx context.Context, commit, folder string) ([]string, error) {
	h, err := parseID(commit)
	if err != nil {
		return nil, err
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	c, err := r.readCommitLocked(h)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", commit, wiki.ErrNotFound)
	}
	var out []string
	err = r.diffTrees(plumbing.ZeroHash, c.TreeHash, "", func(p string, _, _ plumbing.Hash) {
		if folder == "" || strings.HasPrefix(p, strings.TrimSuffix(folder, "/")+"/") {
			out = append(out, p)
		}
	})
	sort.Strings(out)
	return out, err
}

// Diff implements wiki.BranchStore.
func (r *Repo) Diff(ctx context.Context, from, to string) ([]wiki.TreeDiff, error) {
	a, err := optionalID(from)
	if err != nil {
		return nil, err
	}
	b, err := parseID(to)
	if err != nil {
		return nil, err
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	changes, err := r.treeChangesLocked(a, b)
	if err != nil {
		return nil, err
	}
	out := make([]wiki.TreeDiff, len(changes))
	for i, c := range changes {
		out[i] = wiki.TreeDiff{Path: c.path, Old: blobID(c.old), New: blobID(c.blob)}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// MergeBase implements wiki.BranchStore.
func (r *Repo) MergeBase(ctx context.Context, tip string) (string, error) {
	h, err := parseID(tip)
	if err != nil {
		return "", err
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	base, err := mergeBaseIn(r, func(h plumbing.Hash) ([]plumbing.Hash, error) { return r.parentsLocked(h) }, h)
	return blobID(base), err
}

// mergeBaseIn walks back from tip to the commits of main's history and
// returns the newest one met: every commit of main's first-parent chain
// descends from the older ones, so it is the best common ancestor of tip
// and main.
func mergeBaseIn(r *Repo, parents func(plumbing.Hash) ([]plumbing.Hash, error), tip plumbing.Hash) (plumbing.Hash, error) {
	best := int32(-1)
	var bestHash plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	stack := []plumbing.Hash{tip}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		if s, ok := r.chainSeq(h); ok {
			if s > best {
				best, bestHash = s, h
			}
			continue
		}
		ps, err := parents(h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		stack = append(stack, ps...)
	}
	return bestHash, nil
}

// publishesProposal reports whether a merge commit publishes a proposal
// (its message carries the Approved-by trailer the wiki writes): such a
// merge is listed in the history of the pages it brings into main, so
// that the history shows who approved a change besides who made it.
func publishesProposal(c *object.Commit) bool {
	return len(c.ParentHashes) == 2 && strings.Contains(c.Message, "\n"+wiki.ApprovedByTrailer+": ")
}

// BranchHistory implements wiki.BranchStore: the first-parent history of a
// ref beside main, newest first, with the files each commit changed.
func (r *Repo) BranchHistory(ctx context.Context, ref string, limit int) ([]wiki.Revision, error) {
	name, err := r.sideRef(ref)
	if err != nil {
		return nil, err
	}
	limit = clampLimit(limit)
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	h, err := r.refLocked(name)
	if err != nil {
		return nil, err
	}
	var out []wiki.Revision
	for !h.IsZero() && len(out) < limit {
		c, err := r.readCommitLocked(h)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", h, err)
		}
		rev := revisionOf(c)
		var parent plumbing.Hash
		if len(c.ParentHashes) > 0 {
			parent = c.ParentHashes[0]
		}
		changes, err := r.treeChangesLocked(parent, h)
		if err != nil {
			return nil, err
		}
		for _, ch := range changes {
			rev.Changes = append(rev.Changes, wiki.FileChange{Path: ch.path, Kind: ch.kind})
		}
		out = append(out, *rev)
		h = parent
	}
	return out, nil
}
