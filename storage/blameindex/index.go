// Package blameindex keeps, for every page, which revision gave each line
// of its current text, so that a blame is a lookup rather than a walk
// through the page's history.
//
// The Index is a consumer of the change feed (wiki.Consumer). For each new
// revision and each page it changed, it derives the new version's line
// owners from those of the versions the revision started from, with git's
// own line diff (xdiff.go): from every parent, as git blame does, so that
// the lines a merge brings in keep their real authors, and from the old
// name's version when the page was renamed. A reset (first start, or
// rewritten history) builds every page from its history, a page at a
// time; until a page is built its blame is "not here" and the wiki walks
// the history as it does without an index. A page whose parent versions
// the index no longer holds (a push of a branch forked long ago) is
// rebuilt from its history in the same Apply.
//
// Versions are keyed by page path and blob id: when a page's text returns
// to an earlier version (a revert), the version is derived again and the
// newer derivation replaces the older one. Everything lives in one bbolt
// file beside the repository (DATA/blame.db), and the checkpoint is written
// in the same transaction as the data it describes. Per page the index
// keeps the current version and the Options.Keep versions before it: the
// parents of ordinary saves, pushes and merges of branches forked not
// long ago.
package blameindex

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Bucket names; keys and values are described in writer.
var (
	bucketMeta     = []byte("meta")     // format, checkpoint, building, nextrev
	bucketRevs     = []byte("revs")     // uint32 BE number -> 20-byte commit id
	bucketRevNums  = []byte("revnums")  // 20-byte commit id -> uint32 BE number
	bucketVersions = []byte("versions") // path NUL 20-byte blob id -> encoded attribution
	bucketPages    = []byte("pages")    // path -> pageRecord
	allBuckets     = [][]byte{bucketMeta, bucketRevs, bucketRevNums, bucketVersions, bucketPages}

	keyFormat     = []byte("format")
	keyCheckpoint = []byte("checkpoint")
	keyBuilding   = []byte("building")
	keyNextRev    = []byte("nextrev")
)

// format is the layout of the file; any other value makes Open start over
// (the index is rebuilt from the repository).
const format = "1"

// ErrInUse is returned by Open when another process has the file open.
var ErrInUse = errors.New("in use by another process")

// Options tunes an Index. The zero value is ready to use.
type Options struct {
	// Keep is how many versions of each page the index keeps beside the
	// current one, as the parents of commits still to come: a push of a
	// branch forked from an older version of a page makes the index
	// rebuild that page from its history. Default 16.
	Keep int
	// Logger receives pages the index had to give up on (they fall back
	// to the on-demand blame); nil discards it.
	Logger *slog.Logger
	// LockTimeout is how long Open waits for another process to release
	// the file; default one second.
	LockTimeout time.Duration
	// BatchTime bounds the work of one transaction while a reset builds
	// the pages, so that lookups see finished pages soon; default 250 ms.
	BatchTime time.Duration
}

// Index is the blame index. It implements wiki.Consumer and
// wiki.BlameIndex, and is safe for concurrent use (Apply is called from
// one goroutine at a time).
type Index struct {
	db  *bolt.DB
	src Source
	opt Options
}

var (
	_ wiki.Consumer   = (*Index)(nil)
	_ wiki.BlameIndex = (*Index)(nil)
)

// Open opens or creates the index file at path, reading the repository
// through src. A file that bbolt cannot read, or of another format, is
// started afresh: the index is rebuilt from the repository. It returns an
// error wrapping ErrInUse when another process holds the file.
func Open(path string, src Source, opt Options) (*Index, error) {
	if opt.Keep <= 0 {
		opt.Keep = 16
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = time.Second
	}
	if opt.BatchTime <= 0 {
		opt.BatchTime = 250 * time.Millisecond
	}
	bopt := &bolt.Options{Timeout: opt.LockTimeout}
	db, err := bolt.Open(path, 0o600, bopt)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrInUse)
	}
	if err != nil {
		if _, serr := os.Stat(path); serr == nil {
			// A file bbolt cannot read (damaged, truncated, another
			// format). It is only an index: start over.
			opt.Logger.Warn("blame index unreadable; rebuilding it", "path", path, "err", err)
			if rerr := os.Remove(path); rerr != nil {
				return nil, fmt.Errorf("open %s: %w (and removing it: %v)", path, err, rerr)
			}
			db, err = bolt.Open(path, 0o600, bopt)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil && string(m.Get(keyFormat)) == format {
			return nil
		}
		return clearAll(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Index{db: db, src: src, opt: opt}, nil
}

// clearAll empties the index: nothing applied.
func clearAll(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(keyFormat, []byte(format))
}

// Close closes the file. Close the subscription first.
func (x *Index) Close() error { return x.db.Close() }

// Name implements wiki.Consumer.
func (x *Index) Name() string { return "blame" }

// Checkpoint implements wiki.Consumer: the commit whose state the file
// holds, "" for none (also while a reset is being built).
func (x *Index) Checkpoint(ctx context.Context) (string, error) {
	var cp string
	err := x.db.View(func(tx *bolt.Tx) error {
		cp = string(tx.Bucket(bucketMeta).Get(keyCheckpoint))
		return nil
	})
	return cp, err
}

// Blame implements wiki.BlameIndex: the revision id of every line of the
// version blob of the page file path, if the index holds that version and
// (when revision is not "") it was made by revision. A failure to read
// the file is logged and answered as "not here", so blame keeps working
// without the index.
func (x *Index) Blame(ctx context.Context, path, blob, revision string) ([]string, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	key, ok := versionKey(path, blob)
	if !ok {
		return nil, false, nil
	}
	var out []string
	err := x.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketVersions).Get(key)
		if v == nil {
			return nil
		}
		producer, owners, err := decodeAttribution(v)
		if err != nil {
			return err
		}
		revs := tx.Bucket(bucketRevs)
		ids := map[uint32]string{}
		id := func(n uint32) (string, error) {
			if s, ok := ids[n]; ok {
				return s, nil
			}
			b := revs.Get(revKey(n))
			if len(b) != 20 {
				return "", fmt.Errorf("blame index: revision %d: %w", n, errCorrupt)
			}
			s := hex.EncodeToString(b)
			ids[n] = s
			return s, nil
		}
		if revision != "" {
			if p, err := id(producer); err != nil || p != revision {
				return err
			}
		}
		res := make([]string, len(owners))
		for i, o := range owners {
			s, err := id(o)
			if err != nil {
				return err
			}
			res[i] = s
		}
		out = res
		return nil
	})
	if err != nil {
		x.opt.Logger.Warn("blame index: lookup failed; using the on-demand blame", "path", path, "err", err)
		return nil, false, nil
	}
	return out, out != nil, nil
}

// Apply implements wiki.Consumer.
func (x *Index) Apply(ctx context.Context, cs wiki.ChangeSet) error {
	if cs.Reset {
		return x.reset(ctx, cs)
	}
	return x.db.Update(func(tx *bolt.Tx) error {
		w := newWriter(tx, x.opt.Keep)
		dirty, err := x.applyRevisions(ctx, w, cs.Revisions)
		if err != nil {
			return err
		}
		// The current versions, as of To. A merge that took another
		// side's version of a page wholesale does not list the page
		// among its own changes: its version is that side's.
		for _, f := range cs.Files {
			if _, ok := wiki.ParsePath(f.Path); !ok {
				continue
			}
			if f.Blob != "" && !dirty[f.Path] && !w.hasVersion(f.Path, f.Blob) {
				dirty[f.Path] = true
			}
			if err := w.setHead(f.Path, f.Blob); err != nil {
				return err
			}
		}
		paths := make([]string, 0, len(dirty))
		for p := range dirty {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if err := x.rebuildAt(ctx, w, p, cs.To); err != nil {
				return err
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		return w.meta.Put(keyCheckpoint, []byte(cs.To))
	})
}

// applyRevisions derives the versions the revisions made, in order. It
// returns the pages it could not derive (a parent version it does not
// hold, or a read that failed): they are rebuilt from their history.
func (x *Index) applyRevisions(ctx context.Context, w *writer, revs []wiki.Revision) (map[string]bool, error) {
	dirty := map[string]bool{}
	for i := range revs {
		rev := &revs[i]
		var parents []string
		var renames map[string]string // blob at the first parent -> path
		for _, ch := range rev.Changes {
			name, ok := wiki.ParsePath(ch.Path)
			if !ok || dirty[ch.Path] {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if ch.Kind == wiki.Deleted {
				if err := w.setHead(ch.Path, ""); err != nil {
					return nil, err
				}
				continue
			}
			if parents == nil {
				ps, err := x.src.Parents(ctx, rev.ID)
				if err != nil {
					return nil, fmt.Errorf("blame index: %w", err)
				}
				parents = ps
			}
			if renames == nil && ch.Kind == wiki.Added && len(parents) > 0 {
				renames = x.renameSources(ctx, rev, parents[0])
			}
			ok, err := x.applyChange(ctx, w, rev, parents, renames, ch.Path, name)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				x.opt.Logger.Warn("blame index: rebuilding a page", "page", ch.Path, "revision", rev.ID, "err", err)
			}
			if !ok {
				dirty[ch.Path] = true
			}
		}
	}
	return dirty, nil
}

// renameSources maps the content that the revision's changed, deleted or
// rewritten pages had at the first parent to their paths: a page the
// revision adds with such content was renamed (git mv deletes the old
// file, a wiki rename leaves a redirect in it). Only exact renames are
// followed, as in the history index.
func (x *Index) renameSources(ctx context.Context, rev *wiki.Revision, parent string) map[string]string {
	out := map[string]string{}
	for _, ch := range rev.Changes {
		if ch.Kind == wiki.Added {
			continue
		}
		name, ok := wiki.ParsePath(ch.Path)
		if !ok {
			continue
		}
		if p, err := x.src.ReadPage(ctx, name, parent); err == nil {
			if _, taken := out[p.Blob]; !taken {
				out[p.Blob] = ch.Path
			}
		}
	}
	return out
}

// applyChange derives the version of one page that rev made. ok is false
// when it could not (a parent's version is missing, or err).
func (x *Index) applyChange(ctx context.Context, w *writer, rev *wiki.Revision, parents []string, renames map[string]string, path string, name wiki.Name) (bool, error) {
	page, err := x.src.ReadPage(ctx, name, rev.ID)
	if err != nil {
		return false, err
	}
	in := newInterner()
	var pvs []parentVersion
	found := false
	for _, p := range parents {
		pp, err := x.src.ReadPage(ctx, name, p)
		if errors.Is(err, wiki.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		found = true
		owners, ok, err := w.version(path, pp.Blob)
		if err != nil || !ok {
			return false, err
		}
		lines := in.lines(pp.Content)
		if len(lines) != len(owners) {
			return false, fmt.Errorf("version %s of %s: %d owners for %d lines: %w", pp.Blob, path, len(owners), len(lines), errCorrupt)
		}
		pvs = append(pvs, parentVersion{lines: lines, owners: owners})
	}
	self, err := w.revNum(rev.ID)
	if err != nil {
		return false, err
	}
	if !found {
		if from, ok := renames[page.Blob]; ok && from != path {
			owners, ok, err := w.version(from, page.Blob)
			if err != nil || !ok {
				return false, err
			}
			return true, w.putVersion(path, page.Blob, self, owners)
		}
	}
	budget := diffBudget
	owners := derive(in, in.lines(page.Content), pvs, self, &budget)
	return true, w.putVersion(path, page.Blob, self, owners)
}

// diffBudget bounds the diff work for one version (see matchLines): far
// more than any real edit of a real page needs.
const diffBudget = 1 << 24

// reset builds the index from scratch for the state cs.To: every page at
// To from its history, a batch of pages per transaction so that lookups
// find the finished ones while the rest is built. An interrupted reset
// towards the same commit resumes where it stopped.
func (x *Index) reset(ctx context.Context, cs wiki.ChangeSet) error {
	resume := false
	err := x.db.Update(func(tx *bolt.Tx) error {
		if string(tx.Bucket(bucketMeta).Get(keyBuilding)) == cs.To {
			resume = true
			return nil
		}
		if err := clearAll(tx); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyBuilding, []byte(cs.To))
	})
	if err != nil {
		return err
	}
	var pages []wiki.FileDelta
	for _, f := range cs.Files {
		if _, ok := wiki.ParsePath(f.Path); ok && f.Blob != "" {
			pages = append(pages, f)
		}
	}
	for done := 0; done < len(pages); {
		if err := ctx.Err(); err != nil {
			return err
		}
		next := done
		err := x.db.Update(func(tx *bolt.Tx) error {
			w := newWriter(tx, x.opt.Keep)
			// Pages come in path order, so their keys mostly append.
			w.versions.FillPercent = 0.9
			start := time.Now()
			for next = done; next < len(pages) && (next == done || time.Since(start) < x.opt.BatchTime); next++ {
				f := pages[next]
				if resume {
					if rec, err := w.page(f.Path); err != nil {
						return err
					} else if rec.head == f.Blob {
						continue
					}
				}
				if err := x.rebuild(ctx, w, f.Path, f.Blob); err != nil {
					return err
				}
			}
			return w.flush()
		})
		if err != nil {
			return err
		}
		done = next
	}
	return x.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if err := m.Delete(keyBuilding); err != nil {
			return err
		}
		return m.Put(keyCheckpoint, []byte(cs.To))
	})
}

// rebuildAt rebuilds one page with its version at commit at as current.
func (x *Index) rebuildAt(ctx context.Context, w *writer, path, at string) error {
	head := ""
	if name, ok := wiki.ParsePath(path); ok {
		p, err := x.src.ReadPage(ctx, name, at)
		switch {
		case err == nil:
			head = p.Blob
		case !errors.Is(err, wiki.ErrNotFound):
			return x.giveUp(ctx, w, path, err)
		}
	}
	return x.rebuild(ctx, w, path, head)
}

// giveUp drops what the index holds of a page that could not be built, so
// that its blame falls back to the walk; only a cancelled ctx or a failing
// file stops the Apply.
func (x *Index) giveUp(ctx context.Context, w *writer, path string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	x.opt.Logger.Warn("blame index: page left to the on-demand blame", "page", path, "err", err)
	return w.dropPage(path)
}

// revKey is the key of a revision number in bucketRevs.
func revKey(n uint32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	return b[:]
}

// versionKey is the key of a page version in bucketVersions.
func versionKey(path, blob string) ([]byte, bool) {
	id, err := hex.DecodeString(blob)
	if err != nil || len(id) != 20 {
		return nil, false
	}
	k := make([]byte, 0, len(path)+21)
	k = append(k, path...)
	k = append(k, 0)
	return append(k, id...), true
}

// pagePrefix is the prefix of all version keys of a page.
func pagePrefix(path string) []byte {
	return append([]byte(path), 0)
}
