package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Pushing proposals: a push to refs/for/main, or to a branch
// refs/heads/voorstel/<id>, is checked exactly as a push to main is (the
// quarantine, every new commit and tree as git fsck --strict and the
// wiki's rules see them, sizes and file types), and then handed to the
// PushLimits.Proposals receiver, which decides whether the pusher may
// propose it and which branch it goes on. refs/for/main itself is never
// created: the commits go on a new voorstel/ branch.

// isProposalRef reports whether a push names a proposal.
func isProposalRef(n plumbing.ReferenceName) bool {
	return n.String() == wiki.ProposeRef || strings.HasPrefix(n.String(), wiki.ProposalRefPrefix)
}

// receiveProposal validates and applies a push of a proposal; it returns
// the number of new commits and the branch that moved.
func (r *Repo) receiveProposal(ctx context.Context, u RefUpdate, spool *os.File, lim PushLimits) (int, string, error) {
	if spool == nil {
		return 0, "", reject("empty push", "the push holds no commits")
	}
	if u.Name.String() != wiki.ProposeRef {
		if _, err := r.sideRef(u.Name.String()); err != nil {
			return 0, "", reject("bad name", "%q is not a proposal branch name: use voorstel/ and then letters, digits, '-' or '.'", u.Name.Short())
		}
	}
	q, err := openQuarantine(r, spool, lim)
	if err != nil {
		return 0, "", err
	}
	defer q.close()
	release, err := receiving.acquire(ctx, q.weight(), pushGateWait)
	if err != nil {
		return 0, "", err
	}
	defer release()
	if err := q.index(ctx); err != nil {
		return 0, "", err
	}
	c := &pushChecker{r: r, q: q, lim: lim, seen: map[plumbing.Hash]bool{}, checked: map[string]bool{}}
	// Main's history is where the walk stops; commits already on the
	// proposal were checked when they came.
	commits, err := c.newCommits(plumbing.ZeroHash, u.New)
	if err != nil {
		return 0, "", err
	}
	for _, cm := range commits {
		if err := c.checkCommit(cm); err != nil {
			return 0, "", err
		}
	}
	if c.collision != nil {
		return 0, "", c.collision
	}
	parents := func(h plumbing.Hash) ([]plumbing.Hash, error) {
		cm, err := object.GetCommit(q, h)
		if err != nil {
			return nil, reject("missing objects", "the pushed history refers to commit %s, which neither the push nor the wiki has", h)
		}
		return cm.ParentHashes, nil
	}
	if !u.Old.IsZero() {
		ok, err := descends(r, parents, u.New, u.Old)
		if err != nil {
			return 0, "", err
		}
		if !ok {
			return 0, "", reject("non-fast-forward", "the push would remove commits from the proposal %s (a force push, a rebase or an amended commit?).\n"+
				"Fetch it (git pull origin %s), then push again.", u.Name.Short(), u.Name.Short())
		}
	}
	base, err := mergeBaseIn(r, parents, u.New)
	if err != nil {
		return 0, "", err
	}
	if base.IsZero() {
		return 0, "", reject("unrelated history", "the pushed commits do not build on the wiki's history; clone the wiki and commit on top of main")
	}
	paths, err := changedPaths(q, RefUpdate{Old: base, New: u.New}, commits)
	if err != nil {
		return 0, "", err
	}
	// The names it adds must not be case twins or look-alikes of pages
	// on main, as for a push to main: publishing would bring them in.
	if head := r.snap.Load().Head; head != "" {
		if err := r.checkFoldedNames(q, RefUpdate{Old: plumbing.NewHash(head), New: u.New}); err != nil {
			return 0, "", err
		}
	}
	p := wiki.PushedProposal{Ref: u.Name.String(), Old: blobID(u.Old), New: u.New.String(), Base: base.String(), Paths: paths}
	ref, err := lim.Proposals.PrepareProposal(ctx, p)
	if err != nil {
		return 0, "", reject("not allowed", "%v", err)
	}
	target, err := r.sideRef(ref)
	if err != nil {
		return 0, "", err
	}
	expected := u.Old
	if target != u.Name {
		expected = plumbing.ZeroHash
	}
	staged, err := r.stagePack(q, c.fresh)
	if err != nil {
		return 0, "", err
	}
	defer staged.discard()
	if err := r.installProposal(staged, q, target, expected, u.New); err != nil {
		return 0, "", err
	}
	if err := lim.Proposals.ProposalPushed(ctx, p, target.String()); err != nil {
		return len(commits), target.String(), fmt.Errorf("record the proposal: %w", err)
	}
	return len(commits), target.String(), nil
}

// installProposal moves the proposal's branch from old to tip once the
// pushed objects are in place.
func (r *Repo) installProposal(staged *stagedPack, q *quarantine, name plumbing.ReferenceName, old, tip plumbing.Hash) error {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	cur, err := r.refLocked(name)
	if err != nil {
		return err
	}
	if cur != old {
		return reject("fetch first", "the proposal %s changed since you last fetched; run 'git pull origin %s', then push again", name.Short(), name.Short())
	}
	if err := staged.installLocked(); err != nil {
		return err
	}
	c, err := object.GetCommit(q, tip)
	if err != nil {
		staged.uninstallLocked()
		return fmt.Errorf("read %s: %w", tip, err)
	}
	if err := r.moveRefLocked(name, refMove{old: old, new: tip, who: c.Committer, message: "push"}); err != nil {
		staged.uninstallLocked()
		if errors.Is(err, storageRefChanged) {
			return errStale
		}
		return err
	}
	return nil
}

// descends reports whether commit new has old among its ancestors (or is
// old). The walk stops at main's history, which old is not on unless the
// proposal was made from it.
func descends(r *Repo, parents func(plumbing.Hash) ([]plumbing.Hash, error), new, old plumbing.Hash) (bool, error) {
	oldSeq, oldOnMain := r.chainSeq(old)
	seen := map[plumbing.Hash]bool{}
	stack := []plumbing.Hash{new}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if h == old {
			return true, nil
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		if s, ok := r.chainSeq(h); ok {
			if oldOnMain && s >= oldSeq {
				return true, nil
			}
			continue
		}
		ps, err := parents(h)
		if err != nil {
			return false, err
		}
		stack = append(stack, ps...)
	}
	return false, nil
}
