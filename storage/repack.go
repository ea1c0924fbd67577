package storage

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Housekeeping: every web save writes loose objects (one file each), and
// every push and repack adds a pack. Both make the repository slower to
// read and to clone, so they are packed away in the background:
//
//   - PackLooseObjects moves loose objects into a new pack, in three steps
//     so that saves wait only for the quick ones: copy the objects under the
//     lock, write and index the pack without it, then install the pack and
//     delete the loose files under it again.
//   - ConsolidatePacks merges all packs into one by copying their entries
//     byte for byte, as a clone does, and deletes the old packs once no
//     fetch is reading them.
//
// Neither ever removes an object: everything stays readable throughout,
// and git fsck --strict stays clean.

// HousekeepingOptions tunes Housekeep. The zero value means the defaults.
type HousekeepingOptions struct {
	// Every is how often to look; default 1 minute.
	Every time.Duration
	// MinLoose is how many loose objects make a repack worthwhile;
	// default 100 (a few dozen saves).
	MinLoose int
	// MaxPacks is how many packs make a consolidation worthwhile; default
	// 16.
	MaxPacks int
	// Logger receives what was done and errors; default slog.Default().
	Logger *slog.Logger
}

// Housekeep packs loose objects and consolidates packs periodically until
// ctx is done. It returns when ctx is done.
func (r *Repo) Housekeep(ctx context.Context, opt HousekeepingOptions) {
	if opt.Every <= 0 {
		opt.Every = time.Minute
	}
	if opt.MinLoose <= 0 {
		opt.MinLoose = 100
	}
	if opt.MaxPacks <= 0 {
		opt.MaxPacks = 16
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	t := time.NewTicker(opt.Every)
	defer t.Stop()
	for {
		// Keeping the clone cache current means no later clone has to
		// walk the whole history while holding the lock.
		if err := r.warmCloneCache(ctx); err != nil && ctx.Err() == nil {
			opt.Logger.Error("repository housekeeping: clone cache", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.housekeepOnce(ctx, opt); err != nil && ctx.Err() == nil {
			opt.Logger.Error("repository housekeeping", "err", err)
		}
	}
}

// warmCloneCache brings the clone cache, once a clone has made one, up to
// main's head; when it is current this costs nothing. It does not build a
// cache that no clone asked for: on a large history that walk holds the
// lock for seconds and the list costs memory, which every start would pay
// for a clone that may never come.
func (r *Repo) warmCloneCache(ctx context.Context) error {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	head := r.headHash()
	if head.IsZero() || r.packs.clone == nil {
		return nil
	}
	ps, err := r.refreshPacksLocked()
	if err != nil {
		return err
	}
	files := packFiles{}
	defer files.close()
	w := &fetchWalk{or: newObjectReader(r, ps, files)}
	return r.fetchObjectsLocked(ctx, w, FetchRequest{Wants: []plumbing.Hash{head}})
}

func (r *Repo) housekeepOnce(ctx context.Context, opt HousekeepingOptions) error {
	loose, err := r.countLoose()
	if err != nil {
		return err
	}
	if loose >= opt.MinLoose {
		n, err := r.PackLooseObjects(ctx)
		if err != nil {
			return err
		}
		opt.Logger.Info("packed loose objects", "objects", n)
	}
	r.gitMu.Lock()
	ps, err := r.refreshPacksLocked()
	packs, obsolete := 0, len(r.packs.obsolete)
	if err == nil {
		packs = len(ps.order)
	}
	r.gitMu.Unlock()
	if err != nil {
		return err
	}
	if obsolete > 0 {
		r.deleteObsoletePacks()
	}
	if packs > opt.MaxPacks {
		n, err := r.ConsolidatePacks(ctx)
		if err != nil {
			return err
		}
		opt.Logger.Info("consolidated packs", "packs", n)
	}
	return nil
}

func (r *Repo) countLoose() (int, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	n := 0
	err := r.st.ForEachObjectHash(func(plumbing.Hash) error { n++; return nil })
	if err != nil {
		return 0, fmt.Errorf("count loose objects: %w", err)
	}
	return n, nil
}

// maxLoosePerPack bounds one round of PackLooseObjects, which holds the
// objects in memory.
const maxLoosePerPack = 20000

// PackLooseObjects moves loose objects into a new pack and returns how
// many it packed.
func (r *Repo) PackLooseObjects(ctx context.Context) (int, error) {
	r.packs.housekeeping.Lock()
	defer r.packs.housekeeping.Unlock()
	q := newQuarantine(r, math.MaxInt64, math.MaxInt64)
	var hashes []plumbing.Hash
	r.gitMu.Lock()
	err := r.st.ForEachObjectHash(func(h plumbing.Hash) error {
		if len(hashes) >= maxLoosePerPack {
			return errStopIter
		}
		hashes = append(hashes, h)
		return nil
	})
	if err == errStopIter {
		err = nil
	}
	for _, h := range hashes {
		if err != nil {
			break
		}
		var o plumbing.EncodedObject
		if o, err = r.st.EncodedObject(plumbing.AnyObject, h); err == nil {
			if o, err = inMemory(o); err == nil {
				_, err = q.SetEncodedObject(o)
			}
		}
	}
	r.gitMu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("pack loose objects: %w", err)
	}
	if len(hashes) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	staged, err := r.stagePack(q, hashes)
	if err != nil {
		return 0, err
	}
	defer staged.discard()
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	if err := staged.installLocked(); err != nil {
		return 0, err
	}
	// The objects are in the new pack now; its index is loaded, so
	// every later read finds them there.
	for _, h := range hashes {
		if err := r.st.DeleteLooseObject(h); err != nil {
			return 0, fmt.Errorf("delete packed loose object %s: %w", h, err)
		}
	}
	return len(hashes), nil
}

var errStopIter = fmt.Errorf("stop")

// ConsolidatePacks merges every pack into one and returns how many packs
// were merged. Old packs that a fetch is still reading are deleted on a
// later call.
func (r *Repo) ConsolidatePacks(ctx context.Context) (int, error) {
	r.packs.housekeeping.Lock()
	defer r.packs.housekeeping.Unlock()
	r.gitMu.Lock()
	ps, err := r.refreshPacksLocked()
	if err != nil {
		r.gitMu.Unlock()
		return 0, err
	}
	old := append([]*packFile(nil), ps.order...)
	var p *Pack
	if len(old) > 1 {
		p, err = r.planAllLocked(ps)
	}
	r.gitMu.Unlock()
	if err != nil {
		return 0, err
	}
	if p != nil {
		defer p.Close()
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		staged := &stagedPack{r: r}
		err := staged.write(func(w io.Writer) error {
			_, err := p.WriteTo(w)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("consolidate packs: %w", err)
		}
		p.Close()
		defer staged.discard()
		r.gitMu.Lock()
		err = staged.installLocked()
		if err == nil {
			for _, pf := range old {
				if pf.hash != staged.sum {
					r.packs.obsolete = append(r.packs.obsolete, pf.hash)
				}
			}
		}
		r.gitMu.Unlock()
		if err != nil {
			return 0, err
		}
	}
	r.deleteObsoletePacks()
	return len(old), nil
}

// deleteObsoletePacks deletes packs whose objects are all in a newer pack,
// unless a fetch is reading packs right now.
func (r *Repo) deleteObsoletePacks() {
	// gitMu first: PreparePack takes inUse for reading while it holds
	// gitMu, so taking them the other way round could deadlock.
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	if !r.packs.inUse.TryLock() {
		return
	}
	defer r.packs.inUse.Unlock()
	fs := r.st.Filesystem()
	var keep []plumbing.Hash
	for _, h := range r.packs.obsolete {
		// The index first: without it, git and go-git no longer see the
		// pack.
		if err := fs.Remove(idxPath(h)); err != nil && !isNotExist(fs, idxPath(h)) {
			keep = append(keep, h)
			continue
		}
		fs.Remove(packPath(h))
	}
	r.packs.obsolete = keep
	r.st.Reindex()
}

func isNotExist(fs billy.Filesystem, p string) bool {
	_, err := fs.Stat(p)
	return err != nil
}

// planAllLocked plans a pack of every object in every pack, each copied as
// stored where possible. Callers hold gitMu.
func (r *Repo) planAllLocked(ps *packSet) (*Pack, error) {
	p := &Pack{files: packFiles{}, ofs: true}
	w := &fetchWalk{or: newObjectReader(r, ps, p.files), included: map[plumbing.Hash]int{}, clientHas: map[plumbing.Hash]bool{}}
	for _, pf := range ps.order {
		for _, h := range pf.hashes {
			// The type is only needed for objects that cannot be
			// copied; planLocked reads those whole anyway.
			w.include(h, plumbing.AnyObject, plumbing.ZeroHash)
		}
	}
	if err := p.planLocked(r, ps, w, false); err != nil {
		p.closeFiles()
		return nil, fmt.Errorf("plan consolidated pack: %w", err)
	}
	ps.inUse.RLock()
	p.release = ps.inUse.RUnlock
	return p, nil
}
