package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// PushLimits bound what a push may contain. The zero value means the
// defaults.
type PushLimits struct {
	// MaxPackBytes bounds the pack as sent over the wire; default 256 MiB.
	MaxPackBytes int64
	// MaxFileBytes bounds each file that is not a page (an attachment);
	// default 10 MiB.
	MaxFileBytes int64
	// MaxPageBytes bounds each page (.md file); default 1 MiB, as for
	// pages saved on the web.
	MaxPageBytes int64
	// FileTypes, when set, are the only extensions (".png", "pdf"; any
	// case) a file that is not a page may have, as wiki.Options.FileTypes
	// for uploads: a push that adds or changes another refuses.
	FileTypes []string
	// MayChange, when set, is asked whether the pusher may change the
	// given paths (every file any new commit adds, changes or deletes);
	// an error refuses the push, its text shown to the pusher. This is
	// how protected folders stay protected from git.
	MayChange func(paths []string) error
	// Proposals, when set, takes pushes to refs/for/main and to
	// voorstel/ branches as proposals (pushproposal.go).
	Proposals wiki.ProposalReceiver
}

func (l PushLimits) withDefaults() PushLimits {
	if l.MaxPackBytes <= 0 {
		l.MaxPackBytes = 256 << 20
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 10 << 20
	}
	if l.MaxPageBytes <= 0 {
		l.MaxPageBytes = 1 << 20
	}
	return l
}

// RefUpdate is one command of a push: move ref Name from Old to New (zero
// Old creates the ref, zero New deletes it).
type RefUpdate struct {
	Name     plumbing.ReferenceName
	Old, New plumbing.Hash
}

// PushRejection says why a push, or one ref update of it, was refused.
type PushRejection struct {
	// Reason is short, for git's report: git shows it as
	// "! [remote rejected] main -> main (Reason)".
	Reason string
	// Message explains to the person pushing what happened and what to do,
	// in one or more lines.
	Message string
}

func (e *PushRejection) Error() string { return e.Reason + ": " + e.Message }

// errStale refuses an update whose old id is not the branch's head.
var errStale = &PushRejection{
	Reason: "fetch first",
	Message: "the wiki changed since you last fetched (someone saved a page).\n" +
		"Run 'git pull' to bring in those changes, then push again.",
}

// PushResult is the outcome of ReceivePack.
type PushResult struct {
	// UnpackErr is set when the pack could not be read; then no ref was
	// updated.
	UnpackErr error
	// Refs holds for each update, in order, nil if the ref was updated
	// or the error (a *PushRejection when it is the pusher's to fix).
	Refs []error
	// Commits is the number of new commits on the branch.
	Commits int
	// Proposal is the proposal branch the push moved, "" for main.
	Proposal string
}

// ReceivePack applies a push: updates, and the pack that carries their
// objects. Only fast-forwards of the wiki's branch are accepted, and only
// after every new commit passed the checks of pushChecker. The pushed
// objects are held in memory until then, so a refused push leaves nothing
// behind. The old-id check and the update of the branch happen under the
// lock that web saves take, so the two never overwrite each other.
func (r *Repo) ReceivePack(ctx context.Context, updates []RefUpdate, pack io.Reader, lim PushLimits) PushResult {
	lim = lim.withDefaults()
	res := PushResult{Refs: make([]error, len(updates))}
	main := -1
	needPack := false
	for i, u := range updates {
		proposal := lim.Proposals != nil && isProposalRef(u.Name)
		switch {
		case u.Name != r.branch && !proposal && lim.Proposals != nil:
			res.Refs[i] = reject("only "+r.branch.String(),
				"the wiki is the branch %q; %q cannot be pushed to it.\nPush to %s, or propose your change for review: git push origin HEAD:%s", r.branch.Short(), u.Name.String(), r.branch.Short(), wiki.ProposeRef)
		case u.Name != r.branch && !proposal:
			res.Refs[i] = reject("only "+r.branch.String(),
				"the wiki is the branch %q; %q cannot be pushed to it (push to %s instead)", r.branch.Short(), u.Name.String(), r.branch.Short())
		case u.New.IsZero() && proposal:
			res.Refs[i] = reject("deletion not allowed", "a proposal cannot be deleted by git; withdraw it on the wiki instead")
		case main >= 0 && proposal:
			res.Refs[i] = reject("one at a time", "push one branch at a time: a proposal on its own")
		case u.New.IsZero():
			res.Refs[i] = reject("deletion not allowed", "the wiki's branch %q cannot be deleted", r.branch.Short())
		case main >= 0:
			res.Refs[i] = reject("duplicate", "%q is updated twice", u.Name.String())
		default:
			main = i
		}
		needPack = needPack || !u.New.IsZero()
	}
	if !needPack {
		return res
	}
	spool, err := spoolPack(filepath.Join(r.gitDir, incomingDir), pack, lim.MaxPackBytes)
	if spool != nil {
		defer func() {
			spool.Close()
			os.Remove(spool.Name())
		}()
	}
	if err != nil {
		res.UnpackErr = err
		return res
	}
	if main < 0 {
		return res
	}
	u := updates[main]
	var n int
	if u.Name == r.branch {
		n, err = r.receive(ctx, u, spool, lim)
	} else {
		n, res.Proposal, err = r.receiveProposal(ctx, u, spool, lim)
	}
	var rej *PushRejection
	switch {
	case errors.As(err, &rej):
		res.Refs[main] = rej
	case errors.Is(err, errUnpack):
		res.UnpackErr = err
	case err != nil:
		res.Refs[main] = err
	default:
		res.Commits = n
	}
	return res
}

var errUnpack = errors.New("cannot read the pack")

// spoolPack copies the pack to a temporary file in dir (incomingDir in the
// repository's folder, so that what a crash leaves behind is found at
// start), so that reading it from a slow client never holds the repository
// lock, and so that it can be parsed with seeks instead of in memory. A nil
// file with a nil error means the push sent no pack.
func spoolPack(dir string, pack io.Reader, limit int64) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool pack: %w", err)
	}
	f, err := os.CreateTemp(dir, "push-*.pack")
	if err != nil {
		return nil, fmt.Errorf("spool pack: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(pack, limit+1))
	if err != nil {
		return f, fmt.Errorf("%w: %v", errUnpack, err)
	}
	if n > limit {
		return f, fmt.Errorf("%w: the push is larger than %s", errUnpack, byteSize(limit))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return f, fmt.Errorf("spool pack: %w", err)
	}
	return f, nil
}

// receive validates and applies one update of the branch; it returns the
// number of new commits.
func (r *Repo) receive(ctx context.Context, u RefUpdate, spool *os.File, lim PushLimits) (int, error) {
	q, err := openQuarantine(r, spool, lim)
	if err != nil {
		return 0, err
	}
	defer q.close()
	// The push takes its share of the memory that pushes may use before
	// it reads any object, and holds it until its pack is written.
	release, err := receiving.acquire(ctx, q.weight(), pushGateWait)
	if err != nil {
		return 0, err
	}
	defer release()
	if err := q.index(ctx); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c := &pushChecker{r: r, q: q, lim: lim, seen: map[plumbing.Hash]bool{}, checked: map[string]bool{}}
	commits, err := c.newCommits(u.Old, u.New)
	if err != nil {
		return 0, err
	}
	for _, cm := range commits {
		if err := c.checkCommit(cm); err != nil {
			return 0, err
		}
	}
	if lim.MayChange != nil {
		paths, err := changedPaths(q, u, commits)
		if err != nil {
			return 0, err
		}
		if err := lim.MayChange(paths); err != nil {
			return 0, reject("not allowed", "%v", err)
		}
	}
	if err := r.checkFoldedNames(q, u); err != nil {
		return 0, err
	}
	if c.collision != nil {
		return 0, c.collision
	}
	// Writing the pack compares large objects for deltas, each read whole
	// and indexed: the push's share of the gate grows by what that costs
	// before it starts.
	if extra := q.stagingWeight(c.fresh); extra > 0 {
		release()
		if release, err = receiving.acquire(ctx, q.weight()+extra, pushGateWait); err != nil {
			return 0, err
		}
		defer release()
	}
	// Pack the new objects before taking the lock: only moving the
	// finished files into place happens under it.
	staged, err := r.stagePack(q, c.fresh)
	if err != nil {
		return 0, err
	}
	defer staged.discard()
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	head, err := r.headLocked()
	if err != nil {
		return 0, err
	}
	if head != u.Old {
		return 0, errStale
	}
	if err := staged.installLocked(); err != nil {
		return 0, err
	}
	tip, err := object.GetCommit(q, u.New)
	if err != nil {
		staged.uninstallLocked()
		return 0, fmt.Errorf("read %s: %w", u.New, err)
	}
	if err := r.moveBranchLocked(refMove{old: u.Old, new: u.New, who: tip.Committer, message: "push"}); err != nil {
		staged.uninstallLocked()
		if errors.Is(err, storageRefChanged) {
			return 0, errStale
		}
		return 0, err
	}
	// From here on the push is in: the index follows the branch at once,
	// so history and page views show it.
	if err := r.syncLocked(); err != nil {
		return len(commits), fmt.Errorf("index the push: %w", err)
	}
	return len(commits), nil
}

// checkFoldedNames refuses a push that leaves two pages whose names differ
// only by letter case: they would collide in a clone on macOS or Windows.
func (r *Repo) checkFoldedNames(q *quarantine, u RefUpdate) error {
	snap := r.snap.Load()
	if snap.Head != u.Old.String() && !(u.Old.IsZero() && snap.Head == "") {
		return errStale
	}
	// Names this push adds or removes; everything else is looked up in
	// the snapshot, so the check costs what the push changed.
	folded := map[string]wiki.Name{}
	removed := map[string]bool{}
	lookup := func(key string, n wiki.Name) (wiki.Name, bool) {
		if other, ok := folded[key]; ok {
			return other, true
		}
		if removed[key] {
			return "", false
		}
		return snap.CaseTwin(n)
	}
	var oldTree plumbing.Hash
	if !u.Old.IsZero() {
		c, err := object.GetCommit(q, u.Old)
		if err != nil {
			return fmt.Errorf("read %s: %w", u.Old, err)
		}
		oldTree = c.TreeHash
	}
	nc, err := object.GetCommit(q, u.New)
	if err != nil {
		return fmt.Errorf("read %s: %w", u.New, err)
	}
	var added []wiki.Name
	err = diffTreesIn(q, oldTree, nc.TreeHash, "", func(p string, old, new plumbing.Hash) {
		n, ok := wiki.ParsePath(p)
		if !ok {
			return
		}
		switch {
		case new.IsZero():
			if other, ok := lookup(n.Fold(), n); ok && other == n {
				delete(folded, n.Fold())
				removed[n.Fold()] = true
			}
		case old.IsZero():
			added = append(added, n)
		}
	})
	if err != nil {
		return err
	}
	for _, n := range added {
		if other, ok := lookup(n.Fold(), n); ok && other != n {
			return reject("name taken", "page %q differs from the page %q only in letter case; the two would be one file on Windows and macOS.\n%s", n, other, renameAdvice)
		}
		folded[n.Fold()] = n
	}
	// Look-alike names (UTS #39 skeletons), among the new ones and
	// against the pages that stay.
	skel := map[string]wiki.Name{}
	for _, n := range added {
		key := n.Skeleton()
		other, ok := skel[key]
		if !ok {
			if o, found := snap.LookAlike(n); found && !removed[o.Fold()] {
				other, ok = o, true
			}
		}
		if ok && other != n {
			return reject("name taken", "page %q looks the same as the page %q (letters of another script, or digits for letters), which would deceive readers.\n%s", n, other, renameAdvice)
		}
		skel[key] = n
	}
	return nil
}

// stagedPack is a pack of pushed objects, written to the repository's
// pack folder under temporary names (which git and go-git ignore) and not
// yet part of the repository.
type stagedPack struct {
	r               *Repo
	packTmp, idxTmp string
	sum             plumbing.Hash
	// created is set when installLocked created the final files.
	created bool
}

// stagePack writes objects into a pack and its index.
func (r *Repo) stagePack(q storer.EncodedObjectStorer, objects []plumbing.Hash) (*stagedPack, error) {
	s := &stagedPack{r: r}
	if len(objects) == 0 {
		return s, nil
	}
	err := s.write(func(w io.Writer) error {
		// The objects are all in memory; a window of 10 finds deltas
		// between versions that came together.
		_, err := packfile.NewEncoder(w, q, false).Encode(objects, 10)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stage pack: %w", err)
	}
	return s, nil
}

// write writes a pack with fill, then its index, to temporary files. On
// failure it removes them.
func (s *stagedPack) write(fill func(io.Writer) error) (err error) {
	defer func() {
		if err != nil {
			s.discard()
		}
	}()
	fs := s.r.st.Filesystem()
	pf, err := fs.TempFile("objects/pack", "tmp_pack_")
	if err != nil {
		return err
	}
	s.packTmp = pf.Name()
	defer pf.Close()
	bw := bufio.NewWriterSize(pf, 256<<10)
	if err := fill(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fsutil.Classify(err)
	}
	// Durable before it is installed: the branch may name its objects
	// as soon as it is, and loose copies may be deleted.
	if err := s.syncBilly(pf); err != nil {
		return err
	}
	if _, err := pf.Seek(0, io.SeekStart); err != nil {
		return err
	}
	// Indexing parses the pack as git's index-pack would, so a pack we
	// wrote wrongly fails here and never reaches the repository.
	w := new(idxfile.Writer)
	p, err := packfile.NewParser(packfile.NewScanner(pf), w)
	if err != nil {
		return err
	}
	if s.sum, err = p.Parse(); err != nil {
		return err
	}
	idx, err := w.Index()
	if err != nil {
		return err
	}
	xf, err := fs.TempFile("objects/pack", "tmp_idx_")
	if err != nil {
		return err
	}
	s.idxTmp = xf.Name()
	if _, err := idxfile.NewEncoder(xf).Encode(idx); err != nil {
		xf.Close()
		return fsutil.Classify(err)
	}
	if err := s.syncBilly(xf); err != nil {
		xf.Close()
		return err
	}
	return fsutil.Classify(xf.Close())
}

// installLocked moves the pack into place, the pack before its index as
// git does, and has go-git read the indexes again. Callers hold gitMu.
func (s *stagedPack) installLocked() error {
	if s.packTmp == "" {
		return nil
	}
	fs := s.r.st.Filesystem()
	if _, err := fs.Stat(idxPath(s.sum)); err == nil {
		return nil // the same objects are already there
	}
	if err := fs.Rename(s.packTmp, packPath(s.sum)); err != nil {
		return fmt.Errorf("install pack: %w", err)
	}
	s.packTmp = ""
	if err := fs.Rename(s.idxTmp, idxPath(s.sum)); err != nil {
		fs.Remove(packPath(s.sum))
		return fmt.Errorf("install pack: %w", err)
	}
	s.idxTmp = ""
	s.created = true
	if err := fsutil.SyncDir(filepath.Join(s.r.gitDir, "objects", "pack")); err != nil {
		s.uninstallLocked()
		return fmt.Errorf("install pack: %w", err)
	}
	s.r.st.Reindex()
	return nil
}

// uninstallLocked takes back a pack installed for an update that failed.
func (s *stagedPack) uninstallLocked() {
	if !s.created {
		return
	}
	fs := s.r.st.Filesystem()
	fs.Remove(idxPath(s.sum))
	fs.Remove(packPath(s.sum))
	s.created = false
	s.r.st.Reindex()
}

// discard removes what is left of the temporary files.
func (s *stagedPack) discard() {
	fs := s.r.st.Filesystem()
	for _, p := range []string{s.packTmp, s.idxTmp} {
		if p != "" {
			fs.Remove(p)
		}
	}
}

// diffTreesIn calls fn for each file that differs between trees a and b
// (zero is the empty tree), reading from s.
func diffTreesIn(s interface {
	EncodedObject(plumbing.ObjectType, plumbing.Hash) (plumbing.EncodedObject, error)
}, a, b plumbing.Hash, prefix string, fn func(path string, old, new plumbing.Hash)) error {
	if a == b {
		return nil
	}
	entries := func(h plumbing.Hash) (map[string]object.TreeEntry, error) {
		m := map[string]object.TreeEntry{}
		if h.IsZero() {
			return m, nil
		}
		o, err := s.EncodedObject(plumbing.TreeObject, h)
		if err != nil {
			return nil, fmt.Errorf("read tree %s: %w", h, err)
		}
		t := &object.Tree{}
		if err := t.Decode(o); err != nil {
			return nil, fmt.Errorf("read tree %s: %w", h, err)
		}
		for _, e := range t.Entries {
			m[e.Name] = e
		}
		return m, nil
	}
	ea, err := entries(a)
	if err != nil {
		return err
	}
	eb, err := entries(b)
	if err != nil {
		return err
	}
	side := func(e object.TreeEntry) (dir, file plumbing.Hash) {
		switch {
		case e.Mode == filemode.Dir:
			return e.Hash, plumbing.ZeroHash
		case e.Mode.IsFile():
			return plumbing.ZeroHash, e.Hash
		}
		return plumbing.ZeroHash, plumbing.ZeroHash
	}
	names := map[string]bool{}
	for n := range ea {
		names[n] = true
	}
	for n := range eb {
		names[n] = true
	}
	for n := range names {
		oa, ob := ea[n], eb[n]
		if oa.Hash == ob.Hash && oa.Mode == ob.Mode {
			continue
		}
		da, fa := side(oa)
		db, fb := side(ob)
		if da != db {
			if err := diffTreesIn(s, da, db, prefix+n+"/", fn); err != nil {
				return err
			}
		}
		if fa != fb {
			fn(prefix+n, fa, fb)
		}
	}
	return nil
}

// changedPaths lists, sorted, the paths a push changes: every file whose
// content differs between main and the pushed tip, which is what the push
// does to main whatever the shape of its history (a merge whose first
// parent is an old commit of main changes main against its second parent),
// and every path that one of the commits added, changed or deleted
// relative to its first parent: a protected page changed and changed back
// in one push was still changed.
func changedPaths(q *quarantine, u RefUpdate, commits []*object.Commit) ([]string, error) {
	seen := map[string]bool{}
	var oldTree plumbing.Hash
	if !u.Old.IsZero() {
		c, err := object.GetCommit(q, u.Old)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", u.Old, err)
		}
		oldTree = c.TreeHash
	}
	tip, err := object.GetCommit(q, u.New)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", u.New, err)
	}
	err = diffTreesIn(q, oldTree, tip.TreeHash, "", func(p string, _, _ plumbing.Hash) { seen[p] = true })
	if err != nil {
		return nil, fmt.Errorf("compare %s with main: %w", u.New, err)
	}
	for _, cm := range commits {
		tree, err := object.GetTree(q, cm.TreeHash)
		if err != nil {
			return nil, fmt.Errorf("read tree of %s: %w", cm.Hash, err)
		}
		parentTree := &object.Tree{}
		if len(cm.ParentHashes) > 0 {
			p, err := object.GetCommit(q, cm.ParentHashes[0])
			if err != nil {
				return nil, fmt.Errorf("read parent of %s: %w", cm.Hash, err)
			}
			if parentTree, err = object.GetTree(q, p.TreeHash); err != nil {
				return nil, fmt.Errorf("read tree of %s: %w", p.Hash, err)
			}
		}
		changes, err := object.DiffTree(parentTree, tree)
		if err != nil {
			return nil, fmt.Errorf("compare %s with its parent: %w", cm.Hash, err)
		}
		for _, ch := range changes {
			for _, name := range []string{ch.From.Name, ch.To.Name} {
				if name != "" {
					seen[name] = true
				}
			}
		}
	}
	paths := make([]string, 0, len(seen))
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths, nil
}

// syncBilly fsyncs a file opened through go-billy (whose files cannot
// fsync) by its path in the repository.
func (s *stagedPack) syncBilly(f interface{ Name() string }) error {
	return fsutil.SyncFile(filepath.Join(s.r.gitDir, filepath.FromSlash(f.Name())))
}

// allowsType reports whether FileTypes lets a file named p in.
func (l PushLimits) allowsType(p string) bool {
	if len(l.FileTypes) == 0 {
		return true
	}
	ext := strings.ToLower(path.Ext(p))
	for _, t := range l.FileTypes {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && strings.TrimPrefix(t, ".") == strings.TrimPrefix(ext, ".") && ext != "" {
			return true
		}
	}
	return false
}
