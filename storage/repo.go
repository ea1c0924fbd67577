// Package storage keeps the wiki's pages in a git repository with go-git.
//
// A Repo is the single owner of the repository: every go-git call happens
// under its lock, because go-git is not safe for concurrent use. Reads are
// served from an in-memory index of main's first-parent history and a cache
// of blobs, so that viewing a page or its history rarely touches git at all.
// Commits are written without a worktree (blobs, trees bottom-up, commit) and
// main is moved by compare-and-swap.
package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Options tunes a Repo. The zero value is ready to use.
type Options struct {
	// Branch is the branch that holds the wiki; default "main".
	Branch string
	// ObjectCacheBytes bounds go-git's object cache; default 16 MiB.
	// (go-git's own default is 96 MiB per storage.)
	ObjectCacheBytes int64
	// BlobCacheBytes bounds the cache of page contents; default 32 MiB.
	BlobCacheBytes int64
	// BuildInBackground, when the history index has to be built from
	// scratch (a first start on a large repository), opens at once with
	// the pages of head and builds the index in the background: page
	// views work meanwhile, history and recent changes are empty until it
	// is done (see Indexing), and writes wait for it.
	BuildInBackground bool
	// Logger receives what the store does on its own (recovery at
	// start, consumers that fail); nil discards it.
	Logger *slog.Logger
	// IndexPath is a file, outside the repository, in which the history
	// index is kept between runs, so that a start only indexes the
	// commits made since; "" rebuilds it in memory on every start.
	IndexPath string
	// LockObserver, when set, is told how long callers wait for and hold
	// the repository lock (saves, pushes, fetches, housekeeping).
	LockObserver LockObserver
}

func (o Options) withDefaults() Options {
	if o.Branch == "" {
		o.Branch = "main"
	}
	if o.ObjectCacheBytes <= 0 {
		o.ObjectCacheBytes = 16 << 20
	}
	if o.BlobCacheBytes <= 0 {
		o.BlobCacheBytes = 32 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Repo is a content repository. It implements wiki.Store and is safe for
// concurrent use.
type Repo struct {
	branch plumbing.ReferenceName
	// gitDir is the repository's folder (the bare repository, or .git).
	gitDir string

	// gitMu serialises all access to st and repo, and all index updates.
	gitMu observedMutex
	st    *filesystem.Storage
	repo  *git.Repository
	// rd, when set, reads commits and trees from the pack files directly
	// (rawread.go). Under gitMu.
	rd *objectReader
	// writers write blobs outside gitMu (blobwrite.go); readers read
	// them for page views.
	writers, readers storagePool
	// unsynced lists the loose objects written since the branch last
	// moved; they are fsynced before it moves again. Under gitMu.
	unsynced []plumbing.Hash

	// mu guards idx; writers also hold gitMu.
	mu  sync.RWMutex
	idx *index

	snap  atomic.Pointer[wiki.Snapshot]
	blobs *blobCache

	// building is set while the history index is built in the
	// background; indexDone and indexTotal count its progress.
	building              atomic.Bool
	indexDone, indexTotal atomic.Int64

	// moved is closed when main moves (feed.go); resets admits one
	// consumer's Reset at a time.
	movedMu sync.Mutex
	moved   chan struct{}
	resets  chan struct{}

	log *slog.Logger

	closeOnce sync.Once
	closeErr  error

	// packs serves fetches from the pack files (packset.go).
	packs packSet

	// indexPath is the file the history index is kept in ("" for none).
	indexPath string
	// saveMu serialises saves of the index file; file says what it
	// holds (under saveMu). rewrite asks the next save to write the whole
	// file (it was unusable, or history was rewritten).
	saveMu  sync.Mutex
	file    indexFile
	rewrite atomic.Bool
	// IndexProblem is why the index file could not be used at start, if
	// it could not (it was rebuilt); for the log.
	IndexProblem error
}

var _ wiki.Store = (*Repo)(nil)

// Init creates a new bare repository at dir whose HEAD points at the
// configured branch. It fails if dir already holds a repository.
func Init(dir string, opt Options) (*Repo, error) {
	opt = opt.withDefaults()
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return nil, fmt.Errorf("init %s: a repository already exists there", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	st := newStorage(dir, opt)
	repo, err := git.InitWithOptions(st, nil, git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(opt.Branch)})
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	return open(dir, st, repo, opt)
}

// Open opens an existing repository: a bare one at dir, or a non-bare one
// whose .git folder is in dir. Writes go to the branch only, never to a
// worktree. Open indexes the branch's history before it returns.
func Open(dir string, opt Options) (*Repo, error) {
	opt = opt.withDefaults()
	gitDir := dir
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && fi.IsDir() {
		gitDir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(gitDir, "HEAD")); err != nil {
		return nil, fmt.Errorf("open %s: not a git repository: %w", dir, err)
	}
	if removed := removeLeftovers(gitDir, plumbing.NewBranchReferenceName(opt.Branch)); len(removed) > 0 {
		opt.Logger.Info("removed what an interrupted write left behind", "files", removed)
	}
	st := newStorage(gitDir, opt)
	if state := inspectBranch(gitDir, st, plumbing.NewBranchReferenceName(opt.Branch)); state.problem != "" {
		st.Close()
		return nil, damaged(dir, state.problem)
	}
	repo, err := git.Open(st, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	return open(gitDir, st, repo, opt)
}

func newStorage(gitDir string, opt Options) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(gitDir),
		cache.NewObjectLRU(cache.FileSize(opt.ObjectCacheBytes)),
		filesystem.Options{})
}

func open(gitDir string, st *filesystem.Storage, repo *git.Repository, opt Options) (*Repo, error) {
	r := &Repo{
		branch:    plumbing.NewBranchReferenceName(opt.Branch),
		gitDir:    gitDir,
		log:       opt.Logger,
		resets:    make(chan struct{}, 1),
		writers:   newStoragePool(gitDir, max(2, runtime.GOMAXPROCS(0))),
		readers:   newStoragePool(gitDir, 1),
		st:        st,
		repo:      repo,
		idx:       newIndex(),
		blobs:     newBlobCache(opt.BlobCacheBytes),
		indexPath: opt.IndexPath,
	}
	r.gitMu.obs = opt.LockObserver
	if r.indexPath != "" {
		x, file, err := loadIndex(r.indexPath)
		if err != nil {
			// Only a cache: rebuild it from the repository.
			r.IndexProblem = err
			r.rewrite.Store(true)
			x, file = newIndex(), indexFile{path: r.indexPath}
		}
		r.idx, r.file = x, file
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	if h := r.headHash(); !h.IsZero() {
		// The file holds history, not the files at its head: read those
		// from the head's tree (a few reads, whatever the history).
		files, err := r.treeChangesLocked(plumbing.ZeroHash, h)
		if err != nil {
			// The file is from another repository, or its head is gone.
			r.IndexProblem = err
			r.rewrite.Store(true)
			r.idx = newIndex()
		} else {
			r.idx.applyHead(files)
		}
	}
	r.snap.Store(r.idx.snapshot(0))
	if opt.BuildInBackground && len(r.idx.chain) == 0 {
		head, err := r.headLocked()
		if err != nil {
			return nil, err
		}
		if !head.IsZero() {
			// Serve the pages of head at once, without revisions.
			files, err := r.treeChangesLocked(plumbing.ZeroHash, head)
			if err != nil {
				return nil, err
			}
			e := wiki.EmptySnapshot().Edit()
			for _, f := range files {
				if name, ok := wiki.ParsePath(f.path); ok {
					e.SetPage(wiki.PageInfo{Name: name, Blob: f.blob.String()})
				} else {
					e.SetFile(f.path, f.blob.String())
				}
			}
			r.snap.Store(e.Done(head.String()))
			r.building.Store(true)
			go r.buildIndex()
			return r, nil
		}
	}
	if err := r.syncLocked(); err != nil {
		return nil, err
	}
	return r, nil
}

// buildIndex builds the history index in the background (a first start).
func (r *Repo) buildIndex() {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	// Subscriptions wait while building is set. Wake them only once it is
	// cleared: a wake while it is still set (the index's own move of main
	// in syncLocked) finds them waiting again, for a move that may never
	// come.
	defer func() {
		r.building.Store(false)
		r.publishMove()
	}()
	t0 := time.Now()
	if err := r.syncLocked(); err != nil {
		r.log.Error("building the history index failed; history stays empty until the next start", "err", err)
		return
	}
	r.log.Info("built the history index", "commits", len(r.idx.chain), "took", time.Since(t0).Round(time.Millisecond))
}

// Indexing reports the progress of a history index build in the
// background: commits done of total, and whether it is still running.
func (r *Repo) Indexing() (done, total int, busy bool) {
	return int(r.indexDone.Load()), int(r.indexTotal.Load()), r.building.Load()
}

// Close saves the history index and releases the repository's files.
// A second Close does nothing.
func (r *Repo) Close() error {
	r.closeOnce.Do(func() {
		err := r.SaveIndex()
		r.writers.close()
		r.readers.close()
		r.gitMu.Lock()
		defer r.gitMu.Unlock()
		r.closeErr = errors.Join(err, r.st.Close())
	})
	return r.closeErr
}

// SaveIndex writes the commits of the history index that its file does
// not hold yet: it appends them as a segment (or writes the whole file
// after a rebuild). The encoding holds the index for reading; the writing
// holds no lock that a save or a page view needs.
func (r *Repo) SaveIndex() error {
	if r.indexPath == "" {
		return nil
	}
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	rewrite := r.rewrite.Load() || r.file.size == 0
	r.mu.RLock()
	x := r.idx
	n := len(x.chain)
	from := r.file.commits
	if rewrite || from > n {
		from, rewrite = 0, true
	}
	var seg []byte
	var err error
	if from < n || rewrite {
		seg, err = encodeSegment(x, from, n)
	}
	r.mu.RUnlock()
	if err != nil || seg == nil {
		return err
	}
	if rewrite {
		r.rewrite.Store(false)
		f, err := writeIndexFile(r.indexPath, seg, n)
		if err != nil {
			r.rewrite.Store(true)
			return err
		}
		r.file = f
		return nil
	}
	f, err := appendIndexFile(r.file, seg, n)
	if err != nil {
		return err
	}
	r.file = f
	return nil
}

// headLocked returns the commit the branch points at, zero if unborn.
func (r *Repo) headLocked() (plumbing.Hash, error) {
	ref, err := r.st.Reference(r.branch)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", r.branch, err)
	}
	return ref.Hash(), nil
}

// syncLocked brings the index up to the branch's current head, indexing only
// the commits it has not seen when the branch moved forward (as after a
// push), and rebuilding when history was rewritten. Callers hold gitMu.
func (r *Repo) syncLocked() error {
	head, err := r.headLocked()
	if err != nil {
		return err
	}
	old := r.headHash()
	if head == old {
		return nil
	}
	// Read commits and trees straight from the pack files while indexing:
	// through go-git each read looks for a loose file first and decodes
	// into fresh objects, which made a cold start of 100,000 commits take
	// over a minute.
	done := r.useRawReaderLocked()
	defer done()
	x := r.idx
	var fresh []plumbing.Hash
	reachedOld := old.IsZero()
	if !head.IsZero() {
		if fresh, reachedOld, err = r.newCommitsLocked(x, head, old); err != nil {
			return err
		}
	}
	if !reachedOld {
		// main did not move forward from the indexed head: history was
		// rewritten under us. Start over from the root.
		x, old = newIndex(), plumbing.ZeroHash
		r.rewrite.Store(true)
		if fresh, _, err = r.newCommitsLocked(x, head, old); err != nil {
			return err
		}
	}
	if x == r.idx && len(x.chain) == 0 && len(fresh) > 0 {
		// A first build: into an index of its own, so that readers see
		// no half-built history, and without taking mu per commit.
		x = newIndex()
	}
	r.indexTotal.Store(int64(len(fresh)))
	for i, h := range fresh {
		c, err := r.readCommitLocked(h)
		if err != nil {
			return err
		}
		if err := r.indexCommitLocked(x, c); err != nil {
			return err
		}
		r.indexDone.Store(int64(i + 1))
	}
	headChanges, err := r.treeChangesLocked(old, head)
	if err != nil {
		return err
	}
	r.mu.Lock()
	if len(fresh) > 0 {
		// What main's move changed must show in history, whatever the
		// shape of the commits: a merge whose first parent is an older
		// commit can change a page that no single commit of the push
		// changes against its parents. Such paths are credited to the
		// new head.
		x.creditMove(x.seq[head], headChanges)
	}
	x.applyHead(headChanges)
	rebuilt := x != r.idx
	r.idx = x
	r.mu.Unlock()
	prev := r.snap.Load()
	if rebuilt {
		r.snap.Store(x.snapshot(prev.NamesVersion + 1))
	} else {
		// Only the paths this move touched: those that differ between
		// the heads, and those a new commit changed and changed back
		// (their last revision moved all the same).
		paths := make([]string, 0, len(headChanges))
		for _, c := range headChanges {
			paths = append(paths, c.path)
		}
		r.mu.RLock()
		for _, h := range fresh {
			for _, ch := range x.chain[x.seq[h]].Changes {
				paths = append(paths, ch.Path)
			}
		}
		r.mu.RUnlock()
		r.snap.Store(x.nextSnapshot(prev, paths))
	}
	r.publishMove()
	return nil
}

// newCommitsLocked returns the commits reachable from head that x does not
// hold, parents before children, and whether the walk met old (the
// indexed head), which tells a fast-forward from a rewrite. Only the new
// part of the graph is read: the walk stops at commits x knows. It keeps
// only ids and parents (a first build walks 100,000 commits; their
// messages are read again one at a time when each is indexed).
func (r *Repo) newCommitsLocked(x *index, head, old plumbing.Hash) ([]plumbing.Hash, bool, error) {
	seen := map[plumbing.Hash]bool{}
	reachedOld := false
	type frame struct {
		h       plumbing.Hash
		parents []plumbing.Hash
		next    int // the parent to visit next
	}
	visit := func(h plumbing.Hash) (*frame, error) {
		if _, known := x.seq[h]; known {
			reachedOld = reachedOld || h == old
			return nil, nil
		}
		if seen[h] {
			return nil, nil
		}
		seen[h] = true
		parents, err := r.parentsLocked(h)
		if err != nil {
			return nil, err
		}
		return &frame{h: h, parents: parents}, nil
	}
	var order []plumbing.Hash
	f, err := visit(head)
	if err != nil || f == nil {
		return nil, reachedOld, err
	}
	// Depth-first, iteratively (a history is deeper than any stack), and
	// emitted after the parents: a topological order.
	stack := []*frame{f}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		if top.next < len(top.parents) {
			p := top.parents[top.next]
			top.next++
			pf, err := visit(p)
			if err != nil {
				return nil, false, err
			}
			if pf != nil {
				stack = append(stack, pf)
			}
			continue
		}
		order = append(order, top.h)
		stack = stack[:len(stack)-1]
	}
	return order, reachedOld, nil
}

// parentsLocked returns a commit's parents, parsing only its header when
// the raw reader is in use.
func (r *Repo) parentsLocked(h plumbing.Hash) ([]plumbing.Hash, error) {
	if r.rd != nil {
		if typ, b, err := r.rd.read(h); err == nil && typ == plumbing.CommitObject {
			rc, err := parseRawCommit(h, b)
			if err != nil {
				return nil, fmt.Errorf("read commit %s: %w", h, err)
			}
			return rc.parents, nil
		}
	}
	c, err := r.readCommitLocked(h)
	if err != nil {
		return nil, err
	}
	return c.ParentHashes, nil
}

// treeChangesLocked lists the files that differ between the trees of two
// commits (zero for none).
func (r *Repo) treeChangesLocked(from, to plumbing.Hash) ([]fileChange, error) {
	tree := func(h plumbing.Hash) (plumbing.Hash, error) {
		if h.IsZero() {
			return plumbing.ZeroHash, nil
		}
		c, err := r.readCommitLocked(h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read commit %s: %w", h, err)
		}
		return c.TreeHash, nil
	}
	a, err := tree(from)
	if err != nil {
		return nil, err
	}
	b, err := tree(to)
	if err != nil {
		return nil, err
	}
	var changes []fileChange
	err = r.diffTrees(a, b, "", func(path string, old, new plumbing.Hash) {
		changes = append(changes, fileChange{path: path, blob: new, old: old, kind: changeKind(old, new)})
	})
	return changes, err
}

func changeKind(old, new plumbing.Hash) wiki.ChangeKind {
	switch {
	case old.IsZero():
		return wiki.Added
	case new.IsZero():
		return wiki.Deleted
	}
	return wiki.Modified
}

// headHash is the id of the indexed head, zero if none.
func (r *Repo) headHash() plumbing.Hash {
	if h := r.idx.head(); h != nil {
		return plumbing.NewHash(h.ID)
	}
	return plumbing.ZeroHash
}

// indexCommitLocked adds commit c, whose parents x already holds, to x.
// A commit's changes are those against its first parent; a merge keeps
// only the paths where it differs from every parent, so that a change
// brought in by the other side stays credited to the commit that made it.
func (r *Repo) indexCommitLocked(x *index, c *object.Commit) error {
	var parentTree plumbing.Hash
	rev := revisionOf(c)
	if len(c.ParentHashes) > 0 {
		p, err := r.readCommitLocked(c.ParentHashes[0])
		if err != nil {
			return fmt.Errorf("read parent of %s: %w", c.Hash, err)
		}
		parentTree = p.TreeHash
	}
	var changes []fileChange
	err := r.diffTrees(parentTree, c.TreeHash, "", func(path string, old, new plumbing.Hash) {
		changes = append(changes, fileChange{path: path, blob: new, old: old, kind: changeKind(old, new)})
	})
	if err != nil {
		return fmt.Errorf("index commit %s: %w", c.Hash, err)
	}
	if len(c.ParentHashes) > 1 && len(changes) > 0 && !publishesProposal(c) {
		if changes, err = r.mergeOwnChangesLocked(c, changes); err != nil {
			return err
		}
	}
	if x == r.idx {
		r.mu.Lock()
		defer r.mu.Unlock()
	}
	x.add(rev, c.Hash, changes)
	return nil
}

// mergeOwnChangesLocked keeps the changes of a merge (against its first
// parent) where the merge also differs from each other parent.
func (r *Repo) mergeOwnChangesLocked(c *object.Commit, changes []fileChange) ([]fileChange, error) {
	var others []*object.Tree
	for _, p := range c.ParentHashes[1:] {
		pc, err := r.readCommitLocked(p)
		if err != nil {
			return nil, fmt.Errorf("read parent of %s: %w", c.Hash, err)
		}
		t, err := pc.Tree()
		if err != nil {
			return nil, fmt.Errorf("read tree of %s: %w", p, err)
		}
		others = append(others, t)
	}
	kept := changes[:0]
	for _, ch := range changes {
		own := true
		for _, t := range others {
			var blob plumbing.Hash
			if e, err := t.FindEntry(ch.path); err == nil && e.Mode.IsFile() {
				blob = e.Hash
			}
			if blob == ch.blob {
				own = false
				break
			}
		}
		if own {
			kept = append(kept, ch)
		}
	}
	return kept, nil
}

func revisionOf(c *object.Commit) *wiki.Revision {
	rev := &wiki.Revision{
		ID:      c.Hash.String(),
		Author:  wiki.Author{Name: c.Author.Name, Email: c.Author.Email},
		Time:    c.Author.When,
		Message: strings.TrimRight(c.Message, "\n"),
	}
	if len(c.ParentHashes) > 0 {
		rev.Parent = c.ParentHashes[0].String()
	}
	return rev
}

// Snapshot implements wiki.Store.
func (r *Repo) Snapshot(ctx context.Context) (*wiki.Snapshot, error) {
	return r.snap.Load(), nil
}

// ReadBlob implements wiki.Store.
func (r *Repo) ReadBlob(ctx context.Context, id string) ([]byte, error) {
	h, err := parseID(id)
	if err != nil {
		return nil, err
	}
	return r.readBlob(h)
}

func (r *Repo) readBlob(h plumbing.Hash) ([]byte, error) {
	if b, ok := r.blobs.get(h); ok {
		return b, nil
	}
	// A storage of its own, not gitMu: a page view never waits for a
	// save, a push being checked, a clone being planned or the history
	// being indexed.
	st := <-r.readers
	b, err := readBlobFrom(st, h)
	if errors.Is(err, wiki.ErrNotFound) {
		// A pack installed since this storage listed them.
		st.Reindex()
		b, err = readBlobFrom(st, h)
	}
	r.readers <- st
	if err != nil {
		return nil, err
	}
	r.blobs.put(h, b)
	return b, nil
}

// readBlobCachedLocked is readBlob for callers that hold gitMu.
func (r *Repo) readBlobCachedLocked(h plumbing.Hash) ([]byte, error) {
	if b, ok := r.blobs.get(h); ok {
		return b, nil
	}
	b, err := r.readBlobLocked(h)
	if err == nil {
		r.blobs.put(h, b)
	}
	return b, err
}

func (r *Repo) readBlobLocked(h plumbing.Hash) ([]byte, error) { return readBlobFrom(r.st, h) }

// readBlobFrom reads a blob through st.
func readBlobFrom(st *filesystem.Storage, h plumbing.Hash) ([]byte, error) {
	obj, err := st.EncodedObject(plumbing.BlobObject, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("blob %s: %w", h, wiki.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	return b, nil
}

var hexID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// parseID validates a full 40-hex object id.
func parseID(id string) (plumbing.Hash, error) {
	id = strings.ToLower(id)
	if !hexID.MatchString(id) {
		return plumbing.ZeroHash, fmt.Errorf("%w: %q is not a 40-character revision id", wiki.ErrInvalidInput, id)
	}
	return plumbing.NewHash(id), nil
}

// ReadPage implements wiki.Store.
func (r *Repo) ReadPage(ctx context.Context, name wiki.Name, at string) (*wiki.Page, error) {
	path := name.Path()
	var blob plumbing.Hash
	var rev wiki.Revision
	if at == "" {
		info, ok := r.snap.Load().Page(name)
		if !ok {
			return nil, fmt.Errorf("page %s: %w", name, wiki.ErrNotFound)
		}
		blob = plumbing.NewHash(info.Blob)
		if info.Revision != "" {
			// Unknown only while the history index is first built.
			rv, err := r.Revision(ctx, info.Revision)
			if err != nil {
				return nil, err
			}
			rev = *rv
		}
	} else {
		b, rv, err := r.versionAt(at, path)
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		blob, rev = b, rv
	}
	content, err := r.readBlob(blob)
	if err != nil {
		return nil, fmt.Errorf("page %s: %w", name, err)
	}
	return &wiki.Page{Name: name, Content: content, Blob: blob.String(), Revision: rev}, nil
}

// readAt returns the blob of path in commit h, and the commit itself.
func (r *Repo) readAt(h plumbing.Hash, path string) (plumbing.Hash, *wiki.Revision, error) {
	// Through the page views' storage, not under gitMu: an old version is
	// a page view too.
	st := <-r.readers
	defer func() { r.readers <- st }()
	c, err := object.GetCommit(st, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// A pack installed since this storage listed them.
		st.Reindex()
		c, err = object.GetCommit(st, h)
	}
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return plumbing.ZeroHash, nil, wiki.ErrNotFound
	}
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	e, err := t.FindEntry(path)
	if err != nil || !e.Mode.IsFile() {
		return plumbing.ZeroHash, nil, wiki.ErrNotFound
	}
	return e.Hash, revisionOf(c), nil
}

// versionAt returns the blob of path in commit at and the revision that
// made that version: the last change of path at or before at that left
// this blob (history is a graph, so the commit itself need not be it).
func (r *Repo) versionAt(at, path string) (plumbing.Hash, wiki.Revision, error) {
	h, err := parseID(at)
	if err != nil {
		return plumbing.ZeroHash, wiki.Revision{}, err
	}
	b, c, err := r.readAt(h, path)
	if err != nil {
		return plumbing.ZeroHash, wiki.Revision{}, fmt.Errorf("%s at %s: %w", path, at, err)
	}
	rev := *c
	r.mu.RLock()
	if s, ok := r.idx.seq[h]; ok {
		if pc, ok := r.idx.changeWith(path, s, b); ok {
			rev = *r.idx.chain[pc.seq]
		}
	}
	r.mu.RUnlock()
	return b, rev, nil
}

// Revision implements wiki.Store.
func (r *Repo) Revision(ctx context.Context, id string) (*wiki.Revision, error) {
	h, err := parseID(id)
	if err != nil {
		return nil, err
	}
	r.mu.RLock()
	s, ok := r.idx.seq[h]
	var rev *wiki.Revision
	if ok {
		rev = r.idx.chain[s]
	}
	r.mu.RUnlock()
	if ok {
		c := *rev
		return &c, nil
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	c, err := object.GetCommit(r.st, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("revision %s: %w", id, wiki.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("revision %s: %w", id, err)
	}
	return revisionOf(c), nil
}

const (
	defaultLimit = 50
	maxLimit     = 500
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// History implements wiki.Store.
func (r *Repo) History(ctx context.Context, name wiki.Name, q wiki.HistoryQuery) ([]wiki.PageRevision, error) {
	return r.FileHistory(ctx, name.Path(), q)
}

// FileHistory implements wiki.Store. It reads the index only: the cost is
// that of the page's own changes, whatever the size of the repository.
func (r *Repo) FileHistory(ctx context.Context, path string, q wiki.HistoryQuery) ([]wiki.PageRevision, error) {
	limit := clampLimit(q.Limit)
	r.mu.RLock()
	defer r.mu.RUnlock()
	before := int32(len(r.idx.chain))
	if q.Before != "" {
		h, err := parseID(q.Before)
		if err != nil {
			return nil, err
		}
		s, ok := r.idx.seq[h]
		if !ok {
			return nil, fmt.Errorf("history of %s before %s: %w", path, q.Before, wiki.ErrNotFound)
		}
		before = s
	}
	var out []wiki.PageRevision
	r.idx.walkHistory(path, func(seq int32, p string, blob, prev plumbing.Hash) bool {
		if seq >= before {
			return true
		}
		out = append(out, wiki.PageRevision{Revision: *r.idx.chain[seq], Path: p, Blob: blobID(blob), PrevBlob: blobID(prev)})
		return len(out) < limit
	})
	return out, nil
}

func blobID(h plumbing.Hash) string {
	if h.IsZero() {
		return ""
	}
	return h.String()
}

// Recent implements wiki.Store.
func (r *Repo) Recent(ctx context.Context, q wiki.HistoryQuery) ([]wiki.Revision, error) {
	limit := clampLimit(q.Limit)
	r.mu.RLock()
	defer r.mu.RUnlock()
	end := len(r.idx.chain)
	if q.Before != "" {
		h, err := parseID(q.Before)
		if err != nil {
			return nil, err
		}
		s, ok := r.idx.seq[h]
		if !ok {
			return nil, fmt.Errorf("changes before %s: %w", q.Before, wiki.ErrNotFound)
		}
		end = int(s)
	}
	out := make([]wiki.Revision, 0, min(limit, end))
	for i := end - 1; i >= 0 && len(out) < limit; i-- {
		if rev := r.idx.chain[i]; q.Matches(rev) {
			out = append(out, *rev)
		}
	}
	return out, nil
}

// Commit implements wiki.Store.
func (r *Repo) Commit(ctx context.Context, c wiki.Commit) (wiki.CommitResult, error) {
	if len(c.Changes) == 0 {
		return wiki.CommitResult{}, fmt.Errorf("%w: a commit needs at least one change", wiki.ErrInvalidInput)
	}
	author, err := signature(c.Author, c.Time)
	if err != nil {
		return wiki.CommitResult{}, err
	}
	// The texts are compressed, written and fsynced before the lock is
	// taken, so that concurrent saves overlap that work; only trees, the
	// commit and the branch move are serialised.
	pre, err := r.storeBlobsOutside(ctx, c.Changes)
	if err != nil {
		return wiki.CommitResult{}, noSpace(err)
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	// The branch can move under us only if another process writes the
	// repository; then the compare-and-swap fails and we retry on top of it.
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return wiki.CommitResult{}, err
		}
		if err := r.syncLocked(); err != nil {
			return wiki.CommitResult{}, err
		}
		res, err := r.commitLocked(c, author, pre)
		if errors.Is(err, storageRefChanged) && attempt < 5 {
			continue
		}
		if err != nil {
			r.unsynced = r.unsynced[:0]
			err = noSpace(err)
		}
		return res, err
	}
}

var storageRefChanged = errors.New("branch moved during commit")

func (r *Repo) commitLocked(c wiki.Commit, author object.Signature, pre []plumbing.Hash) (wiki.CommitResult, error) {
	x := r.idx
	snap := r.snap.Load()
	head := r.headHash()
	edits := make(map[string]plumbing.Hash, len(c.Changes))
	for i, ch := range c.Changes {
		path := ch.Name.Path()
		if ch.File != "" {
			if err := checkFilePath(ch.File); err != nil {
				return wiki.CommitResult{}, err
			}
			path = ch.File
		}
		if _, dup := edits[path]; dup {
			return wiki.CommitResult{}, fmt.Errorf("%w: %s is changed twice in one commit", wiki.ErrInvalidInput, path)
		}
		_, exists := x.files[path]
		current := ""
		if exists {
			current = x.lastRevision(path)
		}
		content := ch.Content
		switch {
		case ch.Delete && !exists:
			return wiki.CommitResult{}, fmt.Errorf("delete %s: %w", ch.Name, wiki.ErrNotFound)
		case ch.Base != current && ch.Rebase != nil && !ch.Delete:
			var cur []byte
			if exists {
				var err error
				if cur, err = r.readBlobCachedLocked(x.files[path]); err != nil {
					return wiki.CommitResult{}, err
				}
			}
			var err error
			if content, err = ch.Rebase(cur, current); err != nil {
				return wiki.CommitResult{}, err
			}
		case ch.Base != current:
			return wiki.CommitResult{}, fmt.Errorf("%w: %s was edited from %q but is now at %q", wiki.ErrStale, ch.Name, ch.Base, current)
		}
		if !exists && ch.File == "" {
			if other, ok := snap.CaseTwin(ch.Name); ok && other != ch.Name {
				return wiki.CommitResult{}, fmt.Errorf("%w: %s differs from the existing page %s only in letter case", wiki.ErrNameTaken, ch.Name, other)
			}
			if other, ok := snap.LookAlike(ch.Name); ok && other != ch.Name && !deleted(c.Changes, other) {
				return wiki.CommitResult{}, fmt.Errorf("%w: %s looks the same as the existing page %s (letters from another script, or digits for letters); choose another name or edit %s", wiki.ErrNameTaken, ch.Name, other, other)
			}
		}
		if ch.Delete {
			edits[path] = plumbing.ZeroHash
			continue
		}
		if ch.Blob != "" {
			blob, err := parseID(ch.Blob)
			if err != nil {
				return wiki.CommitResult{}, err
			}
			if _, err := r.st.EncodedObject(plumbing.BlobObject, blob); err != nil {
				return wiki.CommitResult{}, fmt.Errorf("%w: no blob %s", wiki.ErrInvalidInput, ch.Blob)
			}
			edits[path] = blob
			continue
		}
		if pre != nil && !pre[i].IsZero() && bytes.Equal(content, ch.Content) {
			// Stored and fsynced before the lock (not rebased since).
			edits[path] = pre[i]
			continue
		}
		blob, err := r.storeBlob(content)
		if err != nil {
			return wiki.CommitResult{}, err
		}
		edits[path] = blob
	}
	var baseTree plumbing.Hash
	if !head.IsZero() {
		hc, err := object.GetCommit(r.st, head)
		if err != nil {
			return wiki.CommitResult{}, fmt.Errorf("read head %s: %w", head, err)
		}
		baseTree = hc.TreeHash
	}
	tree, err := r.writeTree(baseTree, edits)
	if err != nil {
		return wiki.CommitResult{}, err
	}
	if tree.IsZero() {
		if tree, err = r.storeTree(nil); err != nil {
			return wiki.CommitResult{}, err
		}
	}
	if tree == baseTree && !head.IsZero() {
		return wiki.CommitResult{Revision: head.String()}, nil
	}
	commit := &object.Commit{
		Author:    author,
		Committer: author,
		Message:   strings.TrimSpace(c.Message) + "\n",
		TreeHash:  tree,
	}
	if !head.IsZero() {
		commit.ParentHashes = []plumbing.Hash{head}
	}
	obj := r.st.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return wiki.CommitResult{}, fmt.Errorf("encode commit: %w", err)
	}
	id, err := r.st.SetEncodedObject(obj)
	if err != nil {
		return wiki.CommitResult{}, fsutil.Classify(fmt.Errorf("store commit: %w", err))
	}
	r.unsynced = append(r.unsynced, id)
	if err := r.syncLooseObjects(r.unsynced); err != nil {
		return wiki.CommitResult{}, err
	}
	r.unsynced = r.unsynced[:0]
	if err := r.moveBranchLocked(refMove{old: head, new: id, who: author, message: "commit: " + firstLine(commit.Message)}); err != nil {
		return wiki.CommitResult{}, err
	}
	if err := r.syncLocked(); err != nil {
		return wiki.CommitResult{}, err
	}
	return wiki.CommitResult{Revision: id.String(), Committed: true}, nil
}

func (r *Repo) storeBlob(content []byte) (plumbing.Hash, error) {
	obj := r.st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store blob: %w", err)
	}
	h, err := r.st.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fsutil.Classify(fmt.Errorf("store blob: %w", err))
	}
	r.unsynced = append(r.unsynced, h)
	r.blobs.put(h, content)
	return h, nil
}

// signature turns an author into a git signature, refusing what would
// corrupt the commit header (git fsck rejects such commits).
func signature(a wiki.Author, when time.Time) (object.Signature, error) {
	if strings.ContainsAny(a.Name, "<>\n\r\x00") || strings.ContainsAny(a.Email, "<>\n\r\x00 ") {
		return object.Signature{}, fmt.Errorf("%w: author name and e-mail may not contain <, > or line breaks", wiki.ErrInvalidInput)
	}
	if strings.TrimSpace(a.Name) == "" {
		return object.Signature{}, fmt.Errorf("%w: the author needs a name", wiki.ErrInvalidInput)
	}
	if when.IsZero() {
		when = time.Now()
	}
	return object.Signature{Name: strings.TrimSpace(a.Name), Email: a.Email, When: when.Truncate(time.Second)}, nil
}

// checkFilePath applies the page-name rules to an attachment's path, so
// that no change can reach into .git or outside the tree.
func checkFilePath(p string) error {
	if _, err := wiki.ParseName(p); err != nil {
		return fmt.Errorf("%w: attachment path: %v", wiki.ErrInvalidInput, err)
	}
	return nil
}

// noSpace marks an error caused by a full disk as wiki.ErrNoSpace.
func noSpace(err error) error {
	if errors.Is(err, fsutil.ErrNoSpace) && !errors.Is(err, wiki.ErrNoSpace) {
		return fmt.Errorf("%w: %w", wiki.ErrNoSpace, err)
	}
	return err
}

// deleted reports whether the changes delete page n (a rename from a
// look-alike name to the right one replaces it in one commit).
func deleted(changes []wiki.Change, n wiki.Name) bool {
	for _, ch := range changes {
		if ch.Delete && ch.File == "" && ch.Name == n {
			return true
		}
	}
	return false
}
