package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Branches beside main, for the git sync (package gitsync): the mirror
// pushes them, and an upstream change that conflicts with the wiki is kept
// as one. They never move main, so they are not on the change feed; their
// commits are checked exactly like a push to main before they are stored.

// GitDir returns the repository's folder (the bare repository, or .git),
// for code that opens it read-only with a storage of its own.
func (r *Repo) GitDir() string { return r.gitDir }

// MainReaches reports whether main's history, as indexed, holds commit h:
// h is main's head or one of its ancestors.
func (r *Repo) MainReaches(h plumbing.Hash) bool {
	_, ok := r.chainSeq(h)
	return ok
}

// BranchesUnder returns the branches whose names start with prefix (for
// example "refs/heads/voorstel/"), and the commit each points at. Main is
// never among them.
func (r *Repo) BranchesUnder(prefix string) (map[plumbing.ReferenceName]plumbing.Hash, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	iter, err := r.st.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	out := map[plumbing.ReferenceName]plumbing.Hash{}
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference && ref.Name() != r.branch && strings.HasPrefix(ref.Name().String(), prefix) {
			out[ref.Name()] = ref.Hash()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	return out, nil
}

// ReceiveSideBranch stores a branch other than main from a pack, checked as
// a push to main is (fsck rules, page names, sizes, file types; no access
// rules: lim.MayChange is not asked): u.Old zero creates the branch and
// refuses when it exists, otherwise the branch must still be at u.Old.
// A refusal is a *PushRejection.
func (r *Repo) ReceiveSideBranch(ctx context.Context, u RefUpdate, pack io.Reader, lim PushLimits) error {
	if u.Name == r.branch || !strings.HasPrefix(u.Name.String(), "refs/heads/") || u.New.IsZero() {
		return reject("not a side branch", "%q cannot be stored as a side branch", u.Name.String())
	}
	if err := checkRefName(u.Name); err != nil {
		return err
	}
	lim = lim.withDefaults()
	spool, err := spoolPack(filepath.Join(r.gitDir, incomingDir), pack, lim.MaxPackBytes)
	if spool != nil {
		defer func() {
			spool.Close()
			os.Remove(spool.Name())
		}()
	}
	if err != nil {
		return err
	}
	q, err := openQuarantine(r, spool, lim)
	if err != nil {
		return err
	}
	defer q.close()
	release, err := receiving.acquire(ctx, q.weight(), pushGateWait)
	if err != nil {
		return err
	}
	defer release()
	if err := q.index(ctx); err != nil {
		return err
	}
	c := &pushChecker{r: r, q: q, lim: lim, seen: map[plumbing.Hash]bool{}, checked: map[string]bool{}}
	commits, err := c.newCommits(plumbing.ZeroHash, u.New)
	if err != nil {
		return err
	}
	for _, cm := range commits {
		if err := c.checkCommit(cm); err != nil {
			return err
		}
	}
	if c.collision != nil {
		return c.collision
	}
	staged, err := r.stagePack(q, c.fresh)
	if err != nil {
		return err
	}
	defer staged.discard()
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	if err := staged.installLocked(); err != nil {
		return err
	}
	if err := r.writeSideRefLocked(u); err != nil {
		staged.uninstallLocked()
		return err
	}
	return nil
}

// checkRefName refuses ref names that git would refuse or that could
// reach outside refs/.
func checkRefName(n plumbing.ReferenceName) error {
	s := n.String()
	for _, part := range strings.Split(s, "/") {
		if part == "" || part == "." || part == ".." || strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return reject("bad ref name", "%q is not a valid branch name", s)
		}
	}
	if strings.ContainsAny(s, " ~^:?*[\\\x7f") || strings.Contains(s, "@{") || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' }) {
		return reject("bad ref name", "%q is not a valid branch name", s)
	}
	return nil
}

// writeSideRefLocked moves a side branch as main moves (moveRefLocked:
// lock file, compare-and-swap, fsync, reflog). Callers hold gitMu and
// have made the objects durable.
func (r *Repo) writeSideRefLocked(u RefUpdate) error {
	who := object.Signature{Name: "wikiwerk", Email: "wikiwerk@localhost", When: time.Now()}
	err := r.moveRefLocked(u.Name, refMove{old: u.Old, new: u.New, who: who, message: "sync: " + u.Name.Short()})
	if errors.Is(err, storageRefChanged) {
		cur, _ := r.refLocked(u.Name)
		return reject("stale", "%s is at %s, not at %s", u.Name, cur, u.Old)
	}
	return err
}
