package storage

import (
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// Pack is a pack prepared for a fetch. Preparing it walks the history under
// the repository lock; writing it does not take that lock, so a slow client
// never holds up saves: it copies stored entries straight from pack files
// (which housekeeping will not delete while a Pack is open) and encodes the
// few objects that are not packed from copies read during preparation.
//
// A Pack must be closed.
type Pack struct {
	entries []*packEntry
	files   packFiles
	ofs     bool
	buf     []byte
	release func()
	stats   PackStats
}

// PackStats describes a prepared pack.
type PackStats struct {
	// Objects is the number of objects in the pack.
	Objects int
	// Deltas is how many of them are sent as deltas.
	Deltas int
	// Reused is how many are copied as stored, without re-encoding.
	Reused int
}

// entryKind says how an object is written into the pack.
type entryKind int

const (
	// rawFull copies a stored whole object.
	rawFull entryKind = iota
	// rawDelta copies a stored delta whose base is in the pack too, from
	// the same pack file.
	rawDelta
	// rawThin copies a stored delta whose base the client has.
	rawThin
	// inlineFull compresses an object read during preparation.
	inlineFull
	// inlineDelta compresses a delta computed during preparation against
	// baseHash, which is in the pack or which the client has.
	inlineDelta
)

type packEntry struct {
	hash plumbing.Hash
	kind entryKind
	// pack, off, end and hdr locate a stored entry.
	pack *packFile
	off  int64
	end  int64
	hdr  entryHeader
	// base is the in-pack base of a rawDelta.
	base *packEntry
	// baseHash is the base of a rawThin or inlineDelta entry.
	baseHash plumbing.Hash
	// typ and data are an inline entry: an object type and content, or
	// REFDeltaObject and a delta.
	typ  plumbing.ObjectType
	data []byte
	// outOff is where the entry starts in the written pack.
	outOff int64
}

// Delta search is bounded so that one fetch cannot make the server compare
// huge files.
const maxDeltaTarget = 4 << 20

// PreparePack works out the pack for req: the objects the client lacks, each
// copied as stored where possible. The caller must Close it.
func (r *Repo) PreparePack(ctx context.Context, req FetchRequest) (*Pack, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	if _, err := r.checkWantsLocked(req.Wants); err != nil {
		return nil, err
	}
	ps, err := r.refreshPacksLocked()
	if err != nil {
		return nil, err
	}
	p := &Pack{files: packFiles{}, ofs: req.OfsDelta}
	w := &fetchWalk{or: newObjectReader(r, ps, p.files)}
	if err := r.fetchObjectsLocked(ctx, w, req); err != nil {
		p.closeFiles()
		return nil, err
	}
	if err := p.planLocked(r, ps, w, req.ThinPack); err != nil {
		p.closeFiles()
		return nil, fmt.Errorf("prepare pack: %w", err)
	}
	// Taken before gitMu is released, so housekeeping cannot delete a
	// pack between planning and writing.
	ps.inUse.RLock()
	p.release = ps.inUse.RUnlock
	return p, nil
}

func (p *Pack) planLocked(r *Repo, ps *packSet, w *fetchWalk, thin bool) error {
	entries := make([]*packEntry, len(w.objects))
	byHash := make(map[plumbing.Hash]*packEntry, len(w.objects))
	for i, o := range w.objects {
		e := &packEntry{hash: o.hash}
		entries[i] = e
		byHash[o.hash] = e
		if pf, off, ok := ps.find(o.hash); ok {
			f, err := w.or.file(pf)
			if err != nil {
				return err
			}
			hdr, err := readEntryHeader(f, off)
			if err != nil {
				return fmt.Errorf("pack %s: %w", pf.hash, err)
			}
			e.pack, e.off, e.end, e.hdr = pf, off, pf.entryEnd(off), hdr
		}
	}
	// canBase reports whether b may be named as the base of a REF_DELTA
	// computed here: it is in the pack, or the client has it.
	walkPos := make(map[plumbing.Hash]int, len(w.objects))
	for i, o := range w.objects {
		walkPos[o.hash] = i
	}
	canBase := func(b plumbing.Hash, i int) bool {
		if b.IsZero() {
			return false
		}
		if be, ok := byHash[b]; ok {
			// Only a base written before the delta: stored entries go
			// first, loose ones in walk order. A REF_DELTA naming a
			// later entry breaks git's index-pack when the client also
			// has that base ("REF_DELTA ... already resolved").
			return be.pack != nil || walkPos[b] < i
		}
		return thin && w.clientHas[b]
	}
	for i, e := range entries {
		o := w.objects[i]
		if e.pack != nil && p.planStored(e, byHash, w, thin) {
			continue
		}
		storedWhole := e.pack != nil && !e.hdr.typ.IsDelta()
		// Deltas computed here point from loose objects to objects met
		// earlier in the walk, or from any object to one the client has;
		// stored deltas stay within their pack file. None of these can
		// close a cycle, which the client could not resolve.
		baseOK := thin && w.clientHas[o.pathBase]
		if e.pack == nil {
			baseOK = canBase(o.pathBase, i)
		}
		if storedWhole && !baseOK {
			e.kind = rawFull
			continue
		}
		// Not stored, stored as a delta we cannot use, or worth a try
		// as a delta against what the client has: read the object.
		typ, data, err := w.or.read(o.hash)
		if err != nil {
			return err
		}
		e.kind, e.typ, e.data = inlineFull, typ, data
		if baseOK && typ != plumbing.CommitObject && len(data) <= maxDeltaTarget {
			if _, base, err := w.or.read(o.pathBase); err == nil && len(base) > 0 && len(base) <= maxDeltaTarget {
				if d := makeDelta(base, data); len(d) < len(data)/2 {
					e.kind, e.typ, e.data, e.baseHash = inlineDelta, plumbing.REFDeltaObject, d, o.pathBase
					continue
				}
			}
		}
		if storedWhole {
			e.kind, e.data = rawFull, nil
		}
	}
	// Stored entries in pack order, so that every in-pack delta base is
	// written before its delta, as OFS_DELTA requires; then the rest.
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		switch {
		case a.pack == nil || b.pack == nil:
			return a.pack != nil && b.pack == nil
		case a.pack != b.pack:
			return a.pack.rank < b.pack.rank
		}
		return a.off < b.off
	})
	p.entries = entries
	p.stats.Objects = len(entries)
	for _, e := range entries {
		switch e.kind {
		case rawDelta, rawThin:
			p.stats.Deltas++
			p.stats.Reused++
		case rawFull:
			p.stats.Reused++
		case inlineDelta:
			p.stats.Deltas++
		}
	}
	return nil
}

// planStored decides whether the stored delta e can be copied as is.
func (p *Pack) planStored(e *packEntry, byHash map[plumbing.Hash]*packEntry, w *fetchWalk, thin bool) bool {
	var base plumbing.Hash
	switch e.hdr.typ {
	case plumbing.OFSDeltaObject:
		h, ok := e.pack.hashAt(e.hdr.baseOffset)
		if !ok {
			return false
		}
		base = h
	case plumbing.REFDeltaObject:
		base = e.hdr.baseHash
	default:
		return false
	}
	if b, ok := byHash[base]; ok {
		// Only a base served from the same pack: packs on disk have no
		// delta cycles, so copies of their chains have none either.
		if b.pack == e.pack {
			e.kind, e.base = rawDelta, b
			return true
		}
		return false
	}
	if thin && w.clientHas[base] {
		e.kind, e.baseHash = rawThin, base
		return true
	}
	return false
}

func readAll(o plumbing.EncodedObject) ([]byte, error) {
	rd, err := o.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", o.Hash(), err)
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", o.Hash(), err)
	}
	return b, nil
}

// Stats describes the pack.
func (p *Pack) Stats() PackStats { return p.stats }

// Close releases the pack files.
func (p *Pack) Close() error {
	p.closeFiles()
	if p.release != nil {
		p.release()
		p.release = nil
	}
	return nil
}

func (p *Pack) closeFiles() { p.files.close() }

// WriteTo writes the pack in git's pack format (version 2), without taking
// the repository lock.
func (p *Pack) WriteTo(w io.Writer) (int64, error) {
	pw := &packWriter{w: w, sum: sha1.New()}
	var head [12]byte
	copy(head[:], "PACK")
	binary.BigEndian.PutUint32(head[4:], 2)
	binary.BigEndian.PutUint32(head[8:], uint32(len(p.entries)))
	pw.write(head[:])
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.DefaultCompression)
	hdr := make([]byte, 0, 64)
	for _, e := range p.entries {
		if pw.err != nil {
			break
		}
		e.outOff = pw.n
		hdr = hdr[:0]
		switch e.kind {
		case rawFull:
			hdr = appendEntryHeader(hdr, e.hdr.typ, e.hdr.size)
		case rawDelta:
			// An offset can only point back; a REF_DELTA base may come
			// later in the pack.
			if p.ofs && e.base.off < e.off {
				hdr = appendEntryHeader(hdr, plumbing.OFSDeltaObject, e.hdr.size)
				hdr = appendOfsDelta(hdr, e.outOff-e.base.outOff)
			} else {
				hdr = appendEntryHeader(hdr, plumbing.REFDeltaObject, e.hdr.size)
				hdr = append(hdr, e.base.hash[:]...)
			}
		case rawThin:
			hdr = appendEntryHeader(hdr, plumbing.REFDeltaObject, e.hdr.size)
			hdr = append(hdr, e.baseHash[:]...)
		case inlineFull:
			hdr = appendEntryHeader(hdr, e.typ, int64(len(e.data)))
		case inlineDelta:
			hdr = appendEntryHeader(hdr, plumbing.REFDeltaObject, int64(len(e.data)))
			hdr = append(hdr, e.baseHash[:]...)
		}
		pw.write(hdr)
		switch e.kind {
		case inlineFull, inlineDelta:
			zw.Reset(pw)
			zw.Write(e.data)
			if err := zw.Close(); err != nil && pw.err == nil {
				pw.err = err
			}
		default:
			if err := p.copyStored(pw, e); err != nil && pw.err == nil {
				pw.err = err
			}
		}
	}
	if pw.err == nil {
		pw.write(pw.sum.Sum(nil))
	}
	return pw.n, pw.err
}

// copyStored copies the compressed data of a stored entry, checking it
// against the CRC in the pack's index so that a damaged pack on the server
// fails the fetch here rather than in the client's index-pack.
func (p *Pack) copyStored(pw *packWriter, e *packEntry) error {
	f := p.files[e.pack]
	const chunk = 256 << 10
	if p.buf == nil {
		p.buf = make([]byte, chunk)
	}
	var crc uint32
	for off := e.off; off < e.end; {
		b := p.buf[:min(chunk, e.end-off)]
		if _, err := f.ReadAt(b, off); err != nil {
			return fmt.Errorf("pack %s at %d: %w", e.pack.hash, off, err)
		}
		crc = crc32.Update(crc, crc32.IEEETable, b)
		if skip := e.hdr.dataStart - off; skip > 0 {
			b = b[skip:]
		}
		pw.write(b)
		off += int64(chunk)
	}
	if want, err := e.pack.idx.FindCRC32(e.hash); err == nil && want != crc {
		return fmt.Errorf("pack %s: object %s is damaged (CRC mismatch)", e.pack.hash, e.hash)
	}
	return pw.err
}

// packWriter counts and checksums what it writes, and keeps the first
// error.
type packWriter struct {
	w   io.Writer
	sum hash.Hash
	n   int64
	err error
}

func (pw *packWriter) Write(b []byte) (int, error) {
	if pw.err != nil {
		return 0, pw.err
	}
	n, err := pw.w.Write(b)
	pw.sum.Write(b[:n])
	pw.n += int64(n)
	if err != nil {
		pw.err = err
	}
	return n, err
}

func (pw *packWriter) write(b []byte) { pw.Write(b) }
