package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
)

// ErrDamaged is wrapped by Open's error when the repository's branch is
// missing, empty or names an object that is not there. Open never repairs
// or re-seeds such a repository on its own: that could hide every page.
var ErrDamaged = errors.New("the content repository is damaged")

// branchState is what Open finds of the branch on disk.
type branchState struct {
	// head is the commit the branch names; zero when it does not exist.
	head plumbing.Hash
	// problem says what is wrong; "" when the branch is usable (or the
	// repository is new and empty).
	problem string
}

// inspectBranch reads the branch's ref file itself, because go-git reads
// an empty or torn ref file as a missing branch, which looks exactly like
// a new repository.
func inspectBranch(gitDir string, st *filesystem.Storage, branch plumbing.ReferenceName) branchState {
	loose := filepath.Join(gitDir, filepath.FromSlash(branch.String()))
	b, err := os.ReadFile(loose)
	switch {
	case err == nil:
		text := strings.TrimSpace(string(b))
		if text == "" {
			return branchState{problem: fmt.Sprintf("%s is empty (a write was interrupted)", branch)}
		}
		if !hexID.MatchString(text) {
			return branchState{problem: fmt.Sprintf("%s holds %q, not a commit id", branch, shorten(text, 60))}
		}
		return checkHead(st, branch, plumbing.NewHash(text))
	case !errors.Is(err, os.ErrNotExist):
		return branchState{problem: fmt.Sprintf("cannot read %s: %v", branch, err)}
	}
	// Not loose: packed, or missing.
	if ref, err := st.Reference(branch); err == nil {
		return checkHead(st, branch, ref.Hash())
	}
	if log, _ := readReflog(gitDir, branch); len(log) > 0 {
		return branchState{problem: fmt.Sprintf("%s is missing, but its reflog records %d moves", branch, len(log))}
	}
	if hasObjects(gitDir) {
		return branchState{problem: fmt.Sprintf("%s is missing, but the repository holds objects", branch)}
	}
	return branchState{} // a new, empty repository
}

// checkHead checks that the branch's commit and its tree can be read.
func checkHead(st *filesystem.Storage, branch plumbing.ReferenceName, h plumbing.Hash) branchState {
	c, err := object.GetCommit(st, h)
	if err != nil {
		return branchState{head: h, problem: fmt.Sprintf("%s points at commit %s, which cannot be read: %v", branch, h, err)}
	}
	if _, err := c.Tree(); err != nil {
		return branchState{head: h, problem: fmt.Sprintf("%s points at commit %s, whose tree %s cannot be read: %v", branch, h, c.TreeHash, err)}
	}
	return branchState{head: h}
}

// hasObjects reports whether the object database holds anything at all.
func hasObjects(gitDir string) bool {
	entries, err := os.ReadDir(filepath.Join(gitDir, "objects"))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		if len(name) == 2 || name == "pack" {
			sub, _ := os.ReadDir(filepath.Join(gitDir, "objects", name))
			for _, f := range sub {
				if len(name) == 2 || strings.HasSuffix(f.Name(), ".pack") {
					return true
				}
			}
		}
	}
	return false
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// damaged builds Open's refusal; the caller adds the commands to run.
func damaged(dir, problem string) error {
	return fmt.Errorf("%w: in %s, %s. Nothing was changed", ErrDamaged, dir, problem)
}

// removeLeftovers removes what a crashed write leaves in the repository:
// temporary packs, indexes and objects, a stale lock file on the branch,
// and spooled pushes. Only the process that owns the repository calls it,
// at start, before any write. It returns what it removed, for the log.
func removeLeftovers(gitDir string, branch plumbing.ReferenceName) []string {
	var removed []string
	rm := func(p string) {
		if err := os.RemoveAll(p); err == nil {
			rel, _ := filepath.Rel(gitDir, p)
			removed = append(removed, rel)
		}
	}
	for _, dir := range []string{filepath.Join(gitDir, "objects", "pack"), filepath.Join(gitDir, "objects")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			n := e.Name()
			if strings.HasPrefix(n, "tmp_") || strings.HasPrefix(n, "incoming-") || strings.HasPrefix(n, ".tmp-") {
				rm(filepath.Join(dir, n))
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(gitDir, "objects"))
	for _, e := range entries {
		if !e.IsDir() || len(e.Name()) != 2 {
			continue
		}
		sub, _ := os.ReadDir(filepath.Join(gitDir, "objects", e.Name()))
		for _, f := range sub {
			if strings.HasPrefix(f.Name(), "tmp_") {
				rm(filepath.Join(gitDir, "objects", e.Name(), f.Name()))
			}
		}
	}
	for _, p := range []string{
		filepath.Join(gitDir, filepath.FromSlash(branch.String())+".lock"),
		filepath.Join(gitDir, "packed-refs.lock"),
		filepath.Join(gitDir, incomingSpoolDir),
	} {
		if _, err := os.Lstat(p); err == nil {
			rm(p)
		}
	}
	// The lock files of proposals and of the wiki's records
	// (sidebranch.go), which the wiki writes as it writes main.
	for _, dir := range []string{"voorstel", "wikiwerk"} {
		locks, _ := filepath.Glob(filepath.Join(gitDir, "refs", "heads", dir, "*.lock"))
		for _, p := range locks {
			rm(p)
		}
	}
	return removed
}

// incomingSpoolDir is the folder, in the repository folder, where pushes
// are spooled while they arrive (never part of the repository itself).
const incomingSpoolDir = "wikiwerk-incoming"

// CheckOptions says what Check looks at.
type CheckOptions struct {
	// Branch is the wiki's branch; default "main".
	Branch string
	// IndexPath is the history index file to compare with the
	// repository; "" skips that.
	IndexPath string
	// Repair restores the branch when it is damaged: to the newest
	// reflog entry whose commit is complete, or else the newest complete
	// commit in the object database. It also removes a history index
	// that does not match.
	Repair bool
	// Progress, when set, is told what Check is doing.
	Progress func(format string, args ...any)
}

// CheckReport is what Check found.
type CheckReport struct {
	// Head is the commit the branch names (after a repair, the restored
	// one); zero when it has none.
	Head plumbing.Hash
	// Commits, Trees and Blobs count the objects read from the head.
	Commits, Trees, Blobs int
	// Problems lists what is wrong, in words; empty when all is well.
	Problems []string
	// Notes lists what is worth knowing but not wrong (an index that is
	// behind, leftovers from a crash).
	Notes []string
	// Repaired lists what a repair did.
	Repaired []string
}

// OK reports whether Check found no problems (after any repair).
func (c *CheckReport) OK() bool { return len(c.Problems) == 0 }

// Check verifies a repository read-only (unless opt.Repair): the branch,
// every object reachable from it (readable and well-formed), and the
// history index against it. It is safe while a server runs on the same
// repository, since it writes nothing without Repair.
func Check(ctx context.Context, dir string, opt CheckOptions) (*CheckReport, error) {
	if opt.Branch == "" {
		opt.Branch = "main"
	}
	say := opt.Progress
	if say == nil {
		say = func(string, ...any) {}
	}
	gitDir := dir
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && fi.IsDir() {
		gitDir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(gitDir, "HEAD")); err != nil {
		return nil, fmt.Errorf("check %s: not a git repository: %w", dir, err)
	}
	branch := plumbing.NewBranchReferenceName(opt.Branch)
	st := newStorage(gitDir, Options{}.withDefaults())
	defer st.Close()
	rep := &CheckReport{}
	state := inspectBranch(gitDir, st, branch)
	rep.Head = state.head
	if state.problem != "" {
		rep.Problems = append(rep.Problems, state.problem)
		if opt.Repair {
			if err := repairBranch(ctx, gitDir, st, branch, rep, say); err != nil {
				return rep, err
			}
		}
	}
	if rep.Head.IsZero() {
		if len(rep.Problems) == 0 {
			rep.Notes = append(rep.Notes, "the repository is empty: the wiki seeds it at its first start")
		}
		return rep, nil
	}
	if rep.OK() {
		say("reading every object reachable from %s (%s)", opt.Branch, rep.Head)
		if err := walkReachable(ctx, st, rep.Head, rep); err != nil {
			return rep, err
		}
	}
	if opt.IndexPath != "" && rep.OK() {
		checkIndexFile(ctx, st, opt.IndexPath, rep, opt.Repair)
	}
	if n := countLeftovers(gitDir); n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d temporary files left by an interrupted write; the wiki removes them at its next start", n))
	}
	return rep, nil
}

// countLeftovers counts what removeLeftovers would remove, without doing it.
func countLeftovers(gitDir string) int {
	n := 0
	entries, _ := os.ReadDir(filepath.Join(gitDir, "objects", "pack"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "tmp_") {
			n++
		}
	}
	return n
}

// walkReachable reads and decodes every object reachable from head, each
// once. A problem is recorded in rep; only a cancelled ctx is an error.
func walkReachable(ctx context.Context, st *filesystem.Storage, head plumbing.Hash, rep *CheckReport) error {
	seen := map[plumbing.Hash]bool{}
	var trees []plumbing.Hash
	commits := []plumbing.Hash{head}
	problem := func(format string, args ...any) {
		if len(rep.Problems) < 50 {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
		}
	}
	for len(commits) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := commits[len(commits)-1]
		commits = commits[:len(commits)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := object.GetCommit(st, h)
		if err != nil {
			problem("commit %s cannot be read: %v", h, err)
			continue
		}
		rep.Commits++
		trees = append(trees, c.TreeHash)
		commits = append(commits, c.ParentHashes...)
	}
	for len(trees) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := trees[len(trees)-1]
		trees = trees[:len(trees)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		t, err := object.GetTree(st, h)
		if err != nil {
			problem("tree %s cannot be read: %v", h, err)
			continue
		}
		rep.Trees++
		for _, e := range t.Entries {
			switch {
			case e.Mode == filemode.Dir:
				trees = append(trees, e.Hash)
			case e.Mode == filemode.Submodule:
			default:
				if seen[e.Hash] {
					continue
				}
				seen[e.Hash] = true
				if err := readWhole(st, e.Hash); err != nil {
					problem("file %s (blob %s) cannot be read: %v", e.Name, e.Hash, err)
					continue
				}
				rep.Blobs++
			}
		}
	}
	return nil
}

// readWhole reads a blob to its end, which inflates it and checks it.
func readWhole(st *filesystem.Storage, h plumbing.Hash) error {
	o, err := st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return err
	}
	rd, err := o.Reader()
	if err != nil {
		return err
	}
	defer rd.Close()
	var buf [32 << 10]byte
	n := int64(0)
	for {
		k, err := rd.Read(buf[:])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if n != o.Size() {
		return fmt.Errorf("%d bytes, the header says %d", n, o.Size())
	}
	return nil
}

// checkIndexFile compares the history index file with the repository.
func checkIndexFile(ctx context.Context, st *filesystem.Storage, path string, rep *CheckReport, repair bool) {
	x, _, err := loadIndex(path)
	if err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the history index %s cannot be used (%v); the wiki rebuilds it at start", path, err))
		if repair {
			if err := os.Remove(path); err == nil {
				rep.Repaired = append(rep.Repaired, "removed the unusable history index "+path)
			}
		}
		return
	}
	h := x.head()
	if h == nil {
		rep.Notes = append(rep.Notes, "there is no history index yet; the wiki builds it at start")
		return
	}
	id := plumbing.NewHash(h.ID)
	if id == rep.Head {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the history index holds all %d commits", len(x.chain)))
		return
	}
	// The index's head must be an ancestor of the branch: walk back.
	behind, found := 0, false
	seen := map[plumbing.Hash]bool{}
	queue := []plumbing.Hash{rep.Head}
	for len(queue) > 0 && !found && behind < 1_000_000 {
		c := queue[0]
		queue = queue[1:]
		if seen[c] {
			continue
		}
		seen[c] = true
		if c == id {
			found = true
			break
		}
		cm, err := object.GetCommit(st, c)
		if err != nil {
			break
		}
		behind++
		queue = append(queue, cm.ParentHashes...)
	}
	if found {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the history index is %d commits behind the branch; the wiki catches up at start", behind))
		return
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("the history index ends at %s, which is not in the branch's history; the wiki rebuilds it at start", id))
	if repair {
		if err := os.Remove(path); err == nil {
			rep.Repaired = append(rep.Repaired, "removed the history index of another history "+path)
		}
	}
}

// repairBranch restores the branch: to the newest reflog entry whose
// commit is complete, else to the newest complete commit found.
func repairBranch(ctx context.Context, gitDir string, st *filesystem.Storage, branch plumbing.ReferenceName, rep *CheckReport, say func(string, ...any)) error {
	complete := func(h plumbing.Hash) bool {
		probe := &CheckReport{}
		if err := walkReachable(ctx, st, h, probe); err != nil {
			return false
		}
		return probe.OK()
	}
	var target plumbing.Hash
	var why string
	log, _ := readReflog(gitDir, branch)
	for i := len(log) - 1; i >= 0 && target.IsZero(); i-- {
		e := log[i]
		if e.New.IsZero() {
			continue
		}
		say("trying the reflog's entry %s (%s, %q)", e.New, e.Time.Format(time.RFC3339), e.Message)
		if complete(e.New) {
			target = e.New
			why = fmt.Sprintf("the newest complete commit in the reflog, %s (%s, %q by %s)", e.New, e.Time.Format(time.RFC3339), e.Message, e.Who)
		}
	}
	if target.IsZero() {
		say("no usable reflog entry; looking for the newest complete commit")
		type cand struct {
			h    plumbing.Hash
			when time.Time
		}
		var cands []cand
		iter, err := st.IterEncodedObjects(plumbing.CommitObject)
		if err == nil {
			_ = iter.ForEach(func(o plumbing.EncodedObject) error {
				c := &object.Commit{}
				if c.Decode(o) == nil {
					cands = append(cands, cand{o.Hash(), c.Committer.When})
				}
				return nil
			})
		}
		sort.Slice(cands, func(i, j int) bool { return cands[i].when.After(cands[j].when) })
		for _, c := range cands {
			if complete(c.h) {
				target = c.h
				why = fmt.Sprintf("the newest complete commit, %s (%s)", c.h, c.when.Format(time.RFC3339))
				break
			}
		}
	}
	if target.IsZero() {
		rep.Problems = append(rep.Problems, "no complete commit was found to restore the branch to; restore from a backup")
		return nil
	}
	say("restoring %s to %s", branch.Short(), why)
	// The old value is not a usable commit: the reflog records a creation,
	// as git would, so that fsck finds no entry naming a missing object.
	if err := writeRef(gitDir, branch, plumbing.ZeroHash, target); err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	rep.Repaired = append(rep.Repaired, fmt.Sprintf("restored %s to %s", branch.Short(), why))
	rep.Head = target
	rep.Problems = nil
	return nil
}

// writeRef writes a ref with the lock-file protocol and appends to its
// reflog, outside a Repo (for repair).
func writeRef(gitDir string, branch plumbing.ReferenceName, old, new plumbing.Hash) error {
	ref := filepath.Join(gitDir, filepath.FromSlash(branch.String()))
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		return err
	}
	lock := ref + ".lock"
	// A lock left by the crash that damaged the branch is not a writer.
	os.Remove(lock)
	if err := fsutil.WriteFileBytes(lock, 0o644, []byte(new.String()+"\n")); err != nil {
		return err
	}
	r := &Repo{gitDir: gitDir, branch: branch}
	if err := r.appendReflog(refMove{old: old, new: new, who: object.Signature{Name: "wikiwerk check", Email: "wikiwerk@localhost", When: time.Now()}, message: "wikiwerk check -repair"}); err != nil {
		return err
	}
	if err := os.Rename(lock, ref); err != nil {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(ref))
}
