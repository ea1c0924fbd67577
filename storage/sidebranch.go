package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
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

// writeSideRefLocked writes a loose ref with git's lock-file protocol
// (exclusive lock file, compare, write, fsync, rename, fsync the folder).
// Callers hold gitMu and have made the objects durable.
func (r *Repo) writeSideRefLocked(u RefUpdate) error {
	ref := filepath.Join(r.gitDir, filepath.FromSlash(u.Name.String()))
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", u.Name, err))
	}
	lock := ref + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("update %s: %w (%s exists)", u.Name, errRefLocked, lock)
	}
	if err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", u.Name, err))
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(lock)
		}
	}()
	cur := plumbing.ZeroHash
	if ref, err := r.st.Reference(u.Name); err == nil {
		cur = ref.Hash()
	} else if !errors.Is(err, plumbing.ErrReferenceNotFound) {
		return fmt.Errorf("read %s: %w", u.Name, err)
	}
	if cur != u.Old {
		return reject("stale", "%s is at %s, not at %s", u.Name, cur, u.Old)
	}
	if _, err := f.WriteString(u.New.String() + "\n"); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", u.Name, err))
	}
	if err := f.Sync(); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", u.Name, err))
	}
	if err := f.Close(); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", u.Name, err))
	}
	if err := os.Rename(lock, ref); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", u.Name, err))
	}
	done = true
	return fsutil.SyncDir(filepath.Dir(ref))
}
