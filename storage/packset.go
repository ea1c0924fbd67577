package storage

import (
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/hash"
)

// packSet knows the repository's pack files well enough to serve a fetch by
// copying stored objects byte for byte: compressed, and often as deltas
// against objects in the same pack. That is what makes a clone cheap: the
// server neither inflates nor re-deflates what git already packed. go-git's
// packfile.Encoder, by contrast, decodes every object and compresses it
// again.
//
// The zero value is ready to use. packs is guarded by Repo.gitMu.
type packSet struct {
	// inUse is held for reading while a fetch streams from pack files
	// (without gitMu), and for writing by housekeeping before it deletes a
	// pack, so that no stream ever loses a file under it. Readers take it
	// while holding gitMu; the writer only with TryLock, while holding
	// gitMu, so it never waits for a slow download.
	inUse sync.RWMutex
	packs map[plumbing.Hash]*packFile
	// order lists packs in a stable order (by name), so that an object
	// stored in several packs is always served from the same one.
	order []*packFile
	// obsolete lists packs whose objects are all in a newer pack, to be
	// deleted when no fetch reads them. Guarded by gitMu.
	obsolete []plumbing.Hash
	// housekeeping serialises PackLooseObjects and ConsolidatePacks.
	housekeeping sync.Mutex
	// clone is what the last full clone sent (fetch.go). Guarded by
	// gitMu.
	clone *cloneCache
}

// packFile is one pack with its index, decoded once and kept.
type packFile struct {
	hash plumbing.Hash
	// rank is the position in packSet.order.
	rank int
	idx  *idxfile.MemoryIndex
	// offsets are the entries' offsets, ascending, with hashes the object
	// at each: an entry ends where the next one begins.
	offsets []int64
	hashes  []plumbing.Hash
	// dataEnd is where the last entry ends: the pack's size minus its
	// 20-byte trailer.
	dataEnd int64
	// loc maps objects to offsets; built on first use, under gitMu. A
	// map lookup beats the index's binary search when a clone looks up
	// every object twice.
	loc map[plumbing.Hash]int64
}

func packPath(h plumbing.Hash) string { return "objects/pack/pack-" + h.String() + ".pack" }
func idxPath(h plumbing.Hash) string  { return "objects/pack/pack-" + h.String() + ".idx" }

// refreshPacksLocked brings the set up to date with the pack files on
// disk. Callers hold gitMu.
func (r *Repo) refreshPacksLocked() (*packSet, error) {
	ps := &r.packs
	hashes, err := r.st.ObjectPacks()
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	sort.Slice(hashes, func(i, j int) bool { return hashes[i].String() < hashes[j].String() })
	if ps.packs == nil {
		ps.packs = map[plumbing.Hash]*packFile{}
	}
	seen := make(map[plumbing.Hash]bool, len(hashes))
	order := make([]*packFile, 0, len(hashes))
	for _, h := range hashes {
		seen[h] = true
		p := ps.packs[h]
		if p == nil {
			if p, err = r.loadPack(h); err != nil {
				return nil, err
			}
			ps.packs[h] = p
		}
		p.rank = len(order)
		order = append(order, p)
	}
	for h := range ps.packs {
		if !seen[h] {
			delete(ps.packs, h)
		}
	}
	ps.order = order
	return ps, nil
}

func (r *Repo) loadPack(h plumbing.Hash) (*packFile, error) {
	fs := r.st.Filesystem()
	f, err := fs.Open(idxPath(h))
	if err != nil {
		return nil, fmt.Errorf("open index of pack %s: %w", h, err)
	}
	defer f.Close()
	idx := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(f).Decode(idx); err != nil {
		return nil, fmt.Errorf("read index of pack %s: %w", h, err)
	}
	fi, err := fs.Stat(packPath(h))
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", h, err)
	}
	p := &packFile{hash: h, idx: idx, dataEnd: fi.Size() - hash.Size}
	it, err := idx.EntriesByOffset()
	if err != nil {
		return nil, fmt.Errorf("index of pack %s: %w", h, err)
	}
	defer it.Close()
	for {
		e, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("index of pack %s: %w", h, err)
		}
		p.offsets = append(p.offsets, int64(e.Offset))
		p.hashes = append(p.hashes, e.Hash)
	}
	return p, nil
}

// entryEnd returns where the entry at off ends.
func (p *packFile) entryEnd(off int64) int64 {
	i := sort.Search(len(p.offsets), func(i int) bool { return p.offsets[i] > off })
	if i == len(p.offsets) {
		return p.dataEnd
	}
	return p.offsets[i]
}

// hashAt returns the object stored at off.
func (p *packFile) hashAt(off int64) (plumbing.Hash, bool) {
	i := sort.Search(len(p.offsets), func(i int) bool { return p.offsets[i] >= off })
	if i == len(p.offsets) || p.offsets[i] != off {
		return plumbing.ZeroHash, false
	}
	return p.hashes[i], true
}

// find returns the first pack (in order) holding h, and its offset there.
// Callers hold gitMu.
func (ps *packSet) find(h plumbing.Hash) (*packFile, int64, bool) {
	for _, p := range ps.order {
		if p.loc == nil {
			p.loc = make(map[plumbing.Hash]int64, len(p.hashes))
			for i, x := range p.hashes {
				p.loc[x] = p.offsets[i]
			}
		}
		if off, ok := p.loc[h]; ok {
			return p, off, true
		}
	}
	return nil, 0, false
}

// entryHeader is the header of a pack entry as stored.
type entryHeader struct {
	typ plumbing.ObjectType
	// size is the inflated size of the entry's data: the object, or the
	// delta for delta entries.
	size int64
	// baseOffset is the base of an OFS_DELTA entry, as an absolute offset.
	baseOffset int64
	// baseHash is the base of a REF_DELTA entry.
	baseHash plumbing.Hash
	// dataStart is where the compressed data begins.
	dataStart int64
}

// readEntryHeader parses the entry header at off.
func readEntryHeader(f io.ReaderAt, off int64) (entryHeader, error) {
	var buf [64]byte
	n, err := f.ReadAt(buf[:], off)
	if err != nil && err != io.EOF {
		return entryHeader{}, err
	}
	return parseEntryHeader(buf[:n], off)
}

// parseEntryHeader parses the header at the start of b, the bytes of the
// entry at off.
func parseEntryHeader(b []byte, off int64) (entryHeader, error) {
	if len(b) < 2 {
		return entryHeader{}, fmt.Errorf("pack entry at %d: truncated", off)
	}
	h := entryHeader{typ: plumbing.ObjectType((b[0] >> 4) & 7), size: int64(b[0] & 0x0f)}
	i, shift := 0, uint(4)
	for b[i]&0x80 != 0 {
		i++
		if i >= len(b) || shift > 56 {
			return entryHeader{}, fmt.Errorf("pack entry at %d: bad size", off)
		}
		h.size |= int64(b[i]&0x7f) << shift
		shift += 7
	}
	i++
	switch h.typ {
	case plumbing.OFSDeltaObject:
		// Git's offset encoding: big-endian base-128 where each
		// continuation adds one, so that every value has one encoding.
		if i >= len(b) {
			return entryHeader{}, fmt.Errorf("pack entry at %d: truncated", off)
		}
		c := b[i]
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			i++
			if i >= len(b) || rel > 1<<48 {
				return entryHeader{}, fmt.Errorf("pack entry at %d: bad delta offset", off)
			}
			c = b[i]
			rel = ((rel + 1) << 7) | int64(c&0x7f)
		}
		i++
		h.baseOffset = off - rel
		if rel <= 0 || h.baseOffset < 12 {
			return entryHeader{}, fmt.Errorf("pack entry at %d: bad delta offset", off)
		}
	case plumbing.REFDeltaObject:
		if i+20 > len(b) {
			return entryHeader{}, fmt.Errorf("pack entry at %d: truncated", off)
		}
		copy(h.baseHash[:], b[i:i+20])
		i += 20
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	default:
		return entryHeader{}, fmt.Errorf("pack entry at %d: bad type %d", off, h.typ)
	}
	h.dataStart = off + int64(i)
	return h, nil
}

// appendEntryHeader appends a pack entry header for an entry of type t
// whose inflated data is size bytes.
func appendEntryHeader(b []byte, t plumbing.ObjectType, size int64) []byte {
	c := byte(t)<<4 | byte(size&0x0f)
	size >>= 4
	for size != 0 {
		b = append(b, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(b, c)
}

// appendOfsDelta appends the distance back to an OFS_DELTA base.
func appendOfsDelta(b []byte, rel int64) []byte {
	var tmp [16]byte
	i := len(tmp) - 1
	tmp[i] = byte(rel & 0x7f)
	for rel >>= 7; rel != 0; rel >>= 7 {
		rel--
		i--
		tmp[i] = 0x80 | byte(rel&0x7f)
	}
	return append(b, tmp[i:]...)
}
