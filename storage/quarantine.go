package storage

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// incomingDir is the folder, inside the repository's folder, that holds
// a push while it is received: the spooled pack and the pushed objects too
// large to keep in memory. Nothing in it is part of the repository; what a
// crash leaves there can be deleted at start.
const incomingDir = "wikiwerk-incoming"

// What a push may cost in memory. A pushed pack is indexed the way git's
// index-pack does it: each entry's declared size is checked before it is
// inflated, objects are inflated as streams into their hash, and only small
// ones are kept in memory; the others are read again from the spooled pack
// when needed, or, if they came as deltas, from a spill file beside it.
const (
	// pushMemory bounds the bytes of pushed objects one push keeps in
	// memory.
	pushMemory = 32 << 20
	// keepBlobBytes and keepOtherBytes are the largest blob, and the
	// largest commit or tree, kept in memory. Trees and commits are read
	// again and again by the checks; blobs once or twice.
	keepBlobBytes  = 64 << 10
	keepOtherBytes = 1 << 20
	// maxTreeBytes and maxCommitBytes bound those objects: a tree of a
	// hundred thousand pages is some 5 MiB, a commit is a few lines.
	maxTreeBytes   = 16 << 20
	maxCommitBytes = 1 << 20
	// maxPushObjects bounds the objects of one push, and entryCost is
	// what the index costs for each.
	maxPushObjects = 1 << 20
	entryCost      = 256
	// maxDeltaDepth bounds delta chains: git writes at most 4095 (its
	// limit for pack.depth; 50 by default).
	maxDeltaDepth = 4095
	// pushGateBytes is what all pushes received at once may use, and
	// pushGateWait how long a push waits for its share.
	pushGateBytes = 384 << 20
	pushGateWait  = 30 * time.Second
)

// quarantine holds the objects of a pushed pack until the push is
// validated, so that a refused push leaves nothing in the repository.
// Lookups fall through to the repository, taking its lock for each one:
// pushed packs are thin (their deltas name bases the server has), and
// pushed trees share subtrees with main.
//
// A quarantine is filled by one goroutine (index); after that it is only
// read, and reads may come from several goroutines (go-git's pack encoder
// reads each object type in a goroutine of its own).
type quarantine struct {
	r    *Repo
	pack *os.File
	// packEnd is where the entries end and the checksum begins; count is
	// the number of entries the header announces.
	packEnd int64
	count   uint32
	lim     quarantineLimits

	objects map[plumbing.Hash]*qObject
	// held are objects given to SetEncodedObject, as PackLooseObjects
	// does; maxObject and maxTotal bound them.
	held                map[plumbing.Hash]plumbing.EncodedObject
	maxObject, maxTotal int64
	// memory is the bytes of objects kept in memory; total the inflated
	// size of all, as the entries declare it.
	memory, total int64
	// spill holds delta-resolved objects too large to keep in memory.
	spill     *os.File
	spillSize int64
	spillErr  error

	// Used while indexing only.
	entries []qEntry
	ofsKids map[int32][]int32
	refKids map[plumbing.Hash][]int32
	zr      io.ReadCloser
	br      *bufio.Reader
	buf     []byte
}

// quarantineLimits are the sizes a push may hold.
type quarantineLimits struct {
	// blob, tree and commit bound one object of each type (tags are
	// held to the commit limit); file and page are PushLimits', for
	// messages.
	blob, tree, commit int64
	file, page         int64
	// total bounds the inflated size of all pushed objects.
	total int64
}

func pushQuarantineLimits(lim PushLimits) quarantineLimits {
	return quarantineLimits{
		blob:   max(lim.MaxFileBytes, lim.MaxPageBytes),
		tree:   max(maxTreeBytes, lim.MaxPageBytes),
		commit: maxCommitBytes,
		file:   lim.MaxFileBytes,
		page:   lim.MaxPageBytes,
		total:  4*lim.MaxPackBytes + 64<<20,
	}
}

func (l quarantineLimits) of(t plumbing.ObjectType) int64 {
	switch t {
	case plumbing.BlobObject:
		return l.blob
	case plumbing.TreeObject:
		return l.tree
	}
	return l.commit
}

func (l quarantineLimits) largest() int64 { return max(l.blob, l.tree, l.commit) }

// qObject is a pushed object: its content is in data, or inflated from the
// pack at offset at (inPack), or raw in the spill file at offset at.
type qObject struct {
	typ    plumbing.ObjectType
	size   int64
	data   []byte
	at     int64
	inPack bool
}

// qEntry is a pack entry while the pack is indexed.
type qEntry struct {
	off, dataStart int64
	// size is the object's, or for a delta the delta's, inflated size.
	size int64
	// typ is the object's type once known (deltas: once resolved).
	typ   plumbing.ObjectType
	delta bool
	// For deltas: the base (by offset or by id), and the sizes the delta
	// says the base and the result have.
	baseOff            int64
	baseHash           plumbing.Hash
	baseSize, target   int64
	hash               plumbing.Hash
	resolved, refDelta bool
	// depth is the length of the chain of offset deltas that ends here.
	depth int32
}

var _ storer.EncodedObjectStorer = (*quarantine)(nil)

// openQuarantine checks the pack's checksum and header; index reads its
// objects. pack may be empty: a push that sends no objects.
func openQuarantine(r *Repo, pack *os.File, lim PushLimits) (*quarantine, error) {
	q := &quarantine{r: r, pack: pack, lim: pushQuarantineLimits(lim), objects: map[plumbing.Hash]*qObject{}}
	fi, err := pack.Stat()
	if err != nil {
		return nil, fmt.Errorf("read the pack: %w", err)
	}
	if fi.Size() == 0 {
		return q, nil
	}
	if fi.Size() < 32 {
		return nil, fmt.Errorf("%w: the pack is truncated", errUnpack)
	}
	q.packEnd = fi.Size() - 20
	var hdr [12]byte
	if _, err := pack.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("%w: %v", errUnpack, err)
	}
	if string(hdr[:4]) != "PACK" {
		return nil, fmt.Errorf("%w: not a pack", errUnpack)
	}
	if v := binary.BigEndian.Uint32(hdr[4:8]); v != 2 && v != 3 {
		return nil, fmt.Errorf("%w: pack version %d", errUnpack, v)
	}
	q.count = binary.BigEndian.Uint32(hdr[8:12])
	if q.count > maxPushObjects {
		return nil, reject("push too large", "the push holds %d objects; the wiki takes at most %d in one push.\nPush your commits in parts (git push origin <commit>:main, oldest first).", q.count, maxPushObjects)
	}
	// Every entry takes at least two bytes.
	if int64(q.count)*2 > q.packEnd-12 {
		return nil, fmt.Errorf("%w: the pack is truncated", errUnpack)
	}
	h := sha1.New()
	if _, err := io.Copy(h, io.NewSectionReader(pack, 0, q.packEnd)); err != nil {
		return nil, fmt.Errorf("read the pack: %w", err)
	}
	var sum [20]byte
	if _, err := pack.ReadAt(sum[:], q.packEnd); err != nil {
		return nil, fmt.Errorf("read the pack: %w", err)
	}
	if !bytes.Equal(h.Sum(nil), sum[:]) {
		return nil, fmt.Errorf("%w: the pack's checksum is wrong (was it cut short?)", errUnpack)
	}
	return q, nil
}

// weight is the memory the push may take while it is checked: the objects
// kept in memory, the index, and the work of rebuilding one object from a
// delta (base, delta and result).
func (q *quarantine) weight() int64 {
	return pushMemory + int64(q.count)*entryCost + 3*q.lim.largest()
}

// stagingWeight is what writing objects into a pack costs beyond weight:
// go-git's encoder looks for deltas among up to ten objects of a type at a
// time (stagePack's window), reading each whole and keeping an index of
// some 1.5 bytes a byte of each. Only objects too large to keep in memory
// count; the others are part of weight already.
func (q *quarantine) stagingWeight(objects []plumbing.Hash) int64 {
	var sizes []int64
	for _, h := range objects {
		if o, ok := q.objects[h]; ok && o.data == nil {
			sizes = append(sizes, o.size)
		}
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] > sizes[j] })
	var sum int64
	for _, n := range sizes[:min(len(sizes), 10)] {
		sum += n
	}
	return sum * 5 / 2
}

// close deletes the spill file.
func (q *quarantine) close() {
	if q.spill != nil {
		q.spill.Close()
		os.Remove(q.spill.Name())
		q.spill = nil
	}
}

// errPackTooBig is wrapped by quarantine errors about size.
var errPackTooBig = errors.New("too big")

func (q *quarantine) tooLarge(t plumbing.ObjectType, size int64) error {
	if t == plumbing.BlobObject {
		return reject("file too large", "the push holds a file of %s; a file may be at most %s, a page %s.\n%s",
			byteSize(size), byteSize(q.lim.file), byteSize(q.lim.page), fixAdvice)
	}
	return reject("push too large", "the push holds a %s of %s; the wiki takes at most %s", t, byteSize(size), byteSize(q.lim.of(t)))
}

func (q *quarantine) addTotal(size int64) error {
	if q.total += size; q.total > q.lim.total {
		return reject("push too large", "the push is too large: more than %s inflated, the limit is %s.\nPush your commits in parts (git push origin <commit>:main, oldest first).",
			byteSize(q.total), byteSize(q.lim.total))
	}
	return nil
}

// packCounter counts what the zlib reader takes from the pack. It is a
// byte reader, so the zlib reader takes no more than the entry's bytes.
type packCounter struct {
	r *bufio.Reader
	n int64
}

func (c *packCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *packCounter) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// index reads every entry of the pack, then rebuilds the deltas.
func (q *quarantine) index(ctx context.Context) error {
	if q.packEnd == 0 {
		return nil
	}
	q.buf = make([]byte, 32<<10)
	q.ofsKids = map[int32][]int32{}
	q.refKids = map[plumbing.Hash][]int32{}
	cr := &packCounter{r: bufio.NewReaderSize(io.NewSectionReader(q.pack, 0, q.packEnd), 64<<10)}
	if _, err := cr.r.Discard(12); err != nil {
		return fmt.Errorf("%w: %v", errUnpack, err)
	}
	cr.n = 12
	for i := uint32(0); i < q.count; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := q.readEntry(cr); err != nil {
			return err
		}
	}
	if cr.n != q.packEnd {
		return fmt.Errorf("%w: %d bytes after the last entry", errUnpack, q.packEnd-cr.n)
	}
	if err := q.resolveDeltas(ctx); err != nil {
		return err
	}
	q.entries, q.ofsKids, q.refKids, q.buf, q.br = nil, nil, nil, nil, nil
	if q.zr != nil {
		q.zr.Close()
		q.zr = nil
	}
	return nil
}

// readEntry reads the entry at cr: its header, then its data, inflated as
// a stream into the object's hash.
func (q *quarantine) readEntry(cr *packCounter) error {
	e := qEntry{off: cr.n}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: entry at %d: %s", errUnpack, e.off, fmt.Sprintf(format, args...))
	}
	c, err := cr.ReadByte()
	if err != nil {
		return bad("%v", err)
	}
	typ := plumbing.ObjectType((c >> 4) & 7)
	e.size = int64(c & 0x0f)
	for shift := uint(4); c&0x80 != 0; shift += 7 {
		if shift > 56 {
			return bad("bad size")
		}
		if c, err = cr.ReadByte(); err != nil {
			return bad("%v", err)
		}
		e.size |= int64(c&0x7f) << shift
	}
	if e.size < 0 {
		return bad("bad size")
	}
	switch typ {
	case plumbing.OFSDeltaObject:
		if c, err = cr.ReadByte(); err != nil {
			return bad("%v", err)
		}
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if rel > 1<<48 {
				return bad("bad delta offset")
			}
			if c, err = cr.ReadByte(); err != nil {
				return bad("%v", err)
			}
			rel = ((rel + 1) << 7) | int64(c&0x7f)
		}
		e.baseOff = e.off - rel
		base, ok := q.entryAt(e.baseOff)
		if rel <= 0 || !ok {
			return bad("bad delta offset")
		}
		if e.depth = q.entries[base].depth + 1; e.depth > maxDeltaDepth {
			return errChainTooDeep
		}
		e.delta = true
		q.ofsKids[base] = append(q.ofsKids[base], int32(len(q.entries)))
	case plumbing.REFDeltaObject:
		if _, err := io.ReadFull(cr, e.baseHash[:]); err != nil {
			return bad("%v", err)
		}
		e.delta, e.refDelta = true, true
		q.refKids[e.baseHash] = append(q.refKids[e.baseHash], int32(len(q.entries)))
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
		e.typ = typ
		// The declared size is checked before anything is inflated.
		if e.size > q.lim.of(typ) {
			return q.tooLarge(typ, e.size)
		}
		if err := q.addTotal(e.size); err != nil {
			return err
		}
	default:
		return bad("bad type %d", typ)
	}
	e.dataStart = cr.n
	if err := q.resetZlib(cr); err != nil {
		return bad("%v", err)
	}
	if e.delta {
		// A delta starts with the sizes of its base and of its result:
		// the result is held to the limits before it is built.
		if e.size > q.lim.largest()+q.lim.largest()/64+64 {
			return reject("push too large", "the push holds a delta of %s; the wiki takes objects of at most %s", byteSize(e.size), byteSize(q.lim.largest()))
		}
		hdr := q.buf[:min(e.size, 20)]
		if _, err := io.ReadFull(q.zr, hdr); err != nil {
			return bad("%v", err)
		}
		var n1, n2 int
		e.baseSize, n1 = deltaSize(hdr)
		e.target, n2 = deltaSize(hdr[max(n1, 0):])
		if n1 <= 0 || n2 <= 0 {
			return bad("bad delta")
		}
		if e.target > q.lim.largest() {
			return reject("push too large", "the push holds an object of %s; the wiki takes at most %s", byteSize(e.target), byteSize(q.lim.largest()))
		}
		if err := q.addTotal(e.target); err != nil {
			return err
		}
		if err := q.discard(e.size - int64(len(hdr))); err != nil {
			return bad("%v", err)
		}
		q.entries = append(q.entries, e)
		return nil
	}
	hasher := plumbing.NewHasher(typ, e.size)
	o := &qObject{typ: typ, size: e.size, at: e.dataStart, inPack: true}
	if q.keep(typ, e.size) {
		o.data = make([]byte, e.size)
		if _, err := io.ReadFull(q.zr, o.data); err != nil {
			return bad("%v", err)
		}
		hasher.Write(o.data)
		o.inPack = false
	} else if n, err := io.CopyBuffer(hasher, io.LimitReader(q.zr, e.size), q.buf); err != nil || n != e.size {
		return bad("inflates to less than its size (%v)", err)
	}
	if err := q.expectEnd(); err != nil {
		return bad("%v", err)
	}
	e.hash, e.resolved = hasher.Sum(), true
	q.add(e.hash, o)
	q.entries = append(q.entries, e)
	return nil
}

// resetZlib points the reused zlib reader at r.
func (q *quarantine) resetZlib(r io.Reader) error {
	if q.zr == nil {
		zr, err := zlib.NewReader(r)
		q.zr = zr
		return err
	}
	return q.zr.(zlib.Resetter).Reset(r, nil)
}

// discard inflates n bytes into nothing, then checks that the stream ends.
func (q *quarantine) discard(n int64) error {
	if got, err := io.CopyBuffer(io.Discard, io.LimitReader(q.zr, n), q.buf); err != nil || got != n {
		return fmt.Errorf("inflates to less than its size (%v)", err)
	}
	return q.expectEnd()
}

// expectEnd reads the end of the zlib stream, which checks its checksum
// and that the data is no longer than declared.
func (q *quarantine) expectEnd() error {
	var one [1]byte
	n, err := q.zr.Read(one[:])
	if n > 0 {
		return errors.New("inflates to more than its size")
	}
	if err != io.EOF {
		return err
	}
	return nil
}

// deltaSize reads a delta header's size, returning it and the bytes it
// took (0 if b ends first or the size is absurd).
func deltaSize(b []byte) (int64, int) {
	var n int64
	for i := 0; i < len(b) && i < 9; i++ {
		n |= int64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return n, i + 1
		}
	}
	return 0, 0
}

// entryAt finds the entry that starts at off.
func (q *quarantine) entryAt(off int64) (int32, bool) {
	i := sort.Search(len(q.entries), func(i int) bool { return q.entries[i].off >= off })
	if i < len(q.entries) && q.entries[i].off == off {
		return int32(i), true
	}
	return 0, false
}

// keep decides whether an object is kept in memory, and counts it.
func (q *quarantine) keep(t plumbing.ObjectType, size int64) bool {
	limit := int64(keepOtherBytes)
	if t == plumbing.BlobObject {
		limit = keepBlobBytes
	}
	if size > limit || q.memory+size > pushMemory {
		return false
	}
	q.memory += size
	return true
}

func (q *quarantine) add(h plumbing.Hash, o *qObject) {
	if _, ok := q.objects[h]; !ok {
		q.objects[h] = o
	}
}

// resolveDeltas rebuilds every delta, starting from the objects that are
// whole in the pack, then from bases in the repository (a thin pack's).
// Each delta is applied once, its children right after it, so only one
// base, delta and result are in memory at a time beside what keep allows.
func (q *quarantine) resolveDeltas(ctx context.Context) error {
	for i := range q.entries {
		e := &q.entries[i]
		if e.delta {
			continue
		}
		h := e.hash
		if err := q.resolveFrom(ctx, int32(i), h, e.typ, 1, func() ([]byte, error) { return q.content(h) }); err != nil {
			return err
		}
	}
	for len(q.refKids) > 0 {
		var h plumbing.Hash
		for h = range q.refKids {
			break
		}
		var typ plumbing.ObjectType
		var base []byte
		q.r.gitMu.Lock()
		o, err := q.r.st.EncodedObject(plumbing.AnyObject, h)
		if err == nil {
			typ = o.Type()
			if o.Size() > q.lim.of(typ) {
				err = q.tooLarge(typ, o.Size())
			} else {
				base, err = readAll(o)
			}
		}
		q.r.gitMu.Unlock()
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return fmt.Errorf("%w: a delta's base %s is neither in the push nor in the wiki", errUnpack, h)
		}
		if err != nil {
			return err
		}
		if err := q.resolveFrom(ctx, -1, h, typ, 1, func() ([]byte, error) { return base, nil }); err != nil {
			return err
		}
	}
	for i := range q.entries {
		if !q.entries[i].resolved {
			return fmt.Errorf("%w: the pack has deltas that cannot be resolved", errUnpack)
		}
	}
	return nil
}

var errChainTooDeep = reject("delta chain too deep", "the pack has a chain of more than %d deltas, which git never writes; repack with 'git repack -adf' and push again", maxDeltaDepth)

// resolveFrom builds the deltas whose base is entry idx (or -1) with id h,
// then theirs.
func (q *quarantine) resolveFrom(ctx context.Context, idx int32, h plumbing.Hash, typ plumbing.ObjectType, depth int, load func() ([]byte, error)) error {
	kids := q.refKids[h]
	delete(q.refKids, h)
	if idx >= 0 {
		kids = append(kids, q.ofsKids[idx]...)
		delete(q.ofsKids, idx)
	}
	if len(kids) == 0 {
		return nil
	}
	if depth > maxDeltaDepth {
		return errChainTooDeep
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	base, err := load()
	if err != nil {
		return err
	}
	for _, k := range kids {
		e := &q.entries[k]
		if e.target > q.lim.of(typ) {
			return q.tooLarge(typ, e.target)
		}
		if e.baseSize != int64(len(base)) {
			return fmt.Errorf("%w: entry at %d: the delta does not fit its base", errUnpack, e.off)
		}
		delta, err := q.inflateAt(e.dataStart, e.size)
		if err != nil {
			return fmt.Errorf("%w: entry at %d: %v", errUnpack, e.off, err)
		}
		data, err := packfile.PatchDelta(base, delta)
		if err != nil || int64(len(data)) != e.target {
			return fmt.Errorf("%w: entry at %d: bad delta (%v)", errUnpack, e.off, err)
		}
		e.typ, e.hash, e.resolved = typ, plumbing.ComputeHash(typ, data), true
		if err := q.store(e.hash, typ, data); err != nil {
			return err
		}
	}
	base = nil
	for _, k := range kids {
		kh := q.entries[k].hash
		if err := q.resolveFrom(ctx, k, kh, typ, depth+1, func() ([]byte, error) { return q.content(kh) }); err != nil {
			return err
		}
	}
	return nil
}

// store keeps an object rebuilt from a delta: in memory if keep allows,
// else in the spill file.
func (q *quarantine) store(h plumbing.Hash, t plumbing.ObjectType, data []byte) error {
	if _, ok := q.objects[h]; ok {
		return nil
	}
	size := int64(len(data))
	if q.keep(t, size) {
		q.objects[h] = &qObject{typ: t, size: size, data: data}
		return nil
	}
	if q.spill == nil {
		f, err := os.CreateTemp(filepath.Join(q.r.gitDir, incomingDir), "objects-*.spill")
		if err != nil {
			return fmt.Errorf("spill pushed objects: %w", err)
		}
		q.spill = f
	}
	if _, err := q.spill.WriteAt(data, q.spillSize); err != nil {
		return fmt.Errorf("spill pushed objects: %w", err)
	}
	q.objects[h] = &qObject{typ: t, size: size, at: q.spillSize}
	q.spillSize += size
	return nil
}

// inflateAt inflates n bytes of the entry data at off, with the readers
// that indexing reuses.
func (q *quarantine) inflateAt(off, n int64) ([]byte, error) {
	sr := io.NewSectionReader(q.pack, off, q.packEnd-off)
	if q.br == nil {
		q.br = bufio.NewReaderSize(sr, 16<<10)
	} else {
		q.br.Reset(sr)
	}
	if err := q.resetZlib(q.br); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(q.zr, b); err != nil {
		return nil, err
	}
	return b, nil
}

// content returns a pushed object's data.
func (q *quarantine) content(h plumbing.Hash) ([]byte, error) {
	o, ok := q.objects[h]
	if !ok {
		return nil, plumbing.ErrObjectNotFound
	}
	if o.data != nil || o.size == 0 {
		return o.data, nil
	}
	rc, err := q.reader(o)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, o.size)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("read pushed object %s: %w", h, err)
	}
	return b, nil
}

// reader streams an object's data.
func (q *quarantine) reader(o *qObject) (io.ReadCloser, error) {
	switch {
	case o.data != nil || o.size == 0:
		return io.NopCloser(bytes.NewReader(o.data)), nil
	case o.inPack:
		zr, err := zlib.NewReader(bufio.NewReaderSize(io.NewSectionReader(q.pack, o.at, q.packEnd-o.at), 32<<10))
		if err != nil {
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{io.LimitReader(zr, o.size), zr}, nil
	}
	return io.NopCloser(io.NewSectionReader(q.spill, o.at, o.size)), nil
}

// qEncoded is a pushed object as go-git sees it.
type qEncoded struct {
	q *quarantine
	h plumbing.Hash
	o *qObject
}

func (e *qEncoded) Hash() plumbing.Hash                        { return e.h }
func (e *qEncoded) Type() plumbing.ObjectType                  { return e.o.typ }
func (e *qEncoded) SetType(plumbing.ObjectType)                {}
func (e *qEncoded) Size() int64                                { return e.o.size }
func (e *qEncoded) SetSize(int64)                              {}
func (e *qEncoded) Reader() (io.ReadCloser, error)             { return e.q.reader(e.o) }
func (e *qEncoded) Writer() (io.WriteCloser, error)            { return nil, errQuarantineReadOnly }
func (q *quarantine) NewEncodedObject() plumbing.EncodedObject { return &plumbing.MemoryObject{} }

var errQuarantineReadOnly = errors.New("a push quarantine is read-only")

// newQuarantine makes a quarantine that holds in memory the objects given
// to SetEncodedObject, each at most maxObject bytes and all at most
// maxTotal.
func newQuarantine(r *Repo, maxObject, maxTotal int64) *quarantine {
	return &quarantine{r: r, objects: map[plumbing.Hash]*qObject{}, held: map[plumbing.Hash]plumbing.EncodedObject{}, maxObject: maxObject, maxTotal: maxTotal}
}

func (q *quarantine) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	if q.held == nil {
		return plumbing.ZeroHash, errQuarantineReadOnly
	}
	if o.Type() == plumbing.OFSDeltaObject || o.Type() == plumbing.REFDeltaObject {
		return plumbing.ZeroHash, plumbing.ErrInvalidType
	}
	h := o.Hash()
	if _, ok := q.held[h]; ok {
		return h, nil
	}
	if o.Size() > q.maxObject {
		return plumbing.ZeroHash, fmt.Errorf("%w: a %s of %d bytes (the limit is %d)", errPackTooBig, o.Type(), o.Size(), q.maxObject)
	}
	if q.total += o.Size(); q.total > q.maxTotal {
		return plumbing.ZeroHash, fmt.Errorf("%w: the objects come to more than %d bytes", errPackTooBig, q.maxTotal)
	}
	q.held[h] = o
	return h, nil
}

// local returns an object of the push itself.
func (q *quarantine) local(h plumbing.Hash) (plumbing.EncodedObject, bool) {
	if o, ok := q.objects[h]; ok {
		return &qEncoded{q: q, h: h, o: o}, true
	}
	if o, ok := q.held[h]; ok {
		return o, true
	}
	return nil, false
}

func (q *quarantine) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, ok := q.local(h); ok {
		if t != plumbing.AnyObject && o.Type() != t {
			return nil, plumbing.ErrObjectNotFound
		}
		return o, nil
	}
	q.r.gitMu.Lock()
	defer q.r.gitMu.Unlock()
	o, err := q.r.st.EncodedObject(t, h)
	if err != nil {
		return nil, err
	}
	return inMemory(o)
}

// inMemory returns a copy of o held in memory. go-git returns large packed
// objects as lazy readers of the pack file; copying them while holding the
// lock keeps all go-git code under it.
func inMemory(o plumbing.EncodedObject) (plumbing.EncodedObject, error) {
	if m, ok := o.(*plumbing.MemoryObject); ok {
		return m, nil
	}
	b, err := readAll(o)
	if err != nil {
		return nil, err
	}
	m := &plumbing.MemoryObject{}
	m.SetType(o.Type())
	if _, err := m.Write(b); err != nil {
		return nil, err
	}
	return m, nil
}

func (q *quarantine) IterEncodedObjects(t plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	var list []plumbing.EncodedObject
	for h, o := range q.objects {
		if t == plumbing.AnyObject || o.typ == t {
			list = append(list, &qEncoded{q: q, h: h, o: o})
		}
	}
	for _, o := range q.held {
		if t == plumbing.AnyObject || o.Type() == t {
			list = append(list, o)
		}
	}
	return storer.NewEncodedObjectSliceIter(list), nil
}

func (q *quarantine) HasEncodedObject(h plumbing.Hash) error {
	if _, ok := q.local(h); ok {
		return nil
	}
	q.r.gitMu.Lock()
	defer q.r.gitMu.Unlock()
	return q.r.st.HasEncodedObject(h)
}

func (q *quarantine) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if o, ok := q.local(h); ok {
		return o.Size(), nil
	}
	q.r.gitMu.Lock()
	defer q.r.gitMu.Unlock()
	return q.r.st.EncodedObjectSize(h)
}

func (q *quarantine) AddAlternate(string) error {
	return errors.New("a push quarantine has no alternates")
}

// pushGate bounds the memory of the pushes being checked at once: each
// takes its weight before it reads its pack, and waits while the others
// hold too much. Memory is the process's, so the gate is too: repositories
// served by one process share it (receiving). The zero value is ready to
// use.
type pushGate struct {
	once sync.Once
	mu   sync.Mutex
	// capacity is the bytes all pushes may hold; used what they hold.
	capacity, used int64
	// freed is closed, and replaced, whenever a push gives its share back.
	freed chan struct{}
}

// receiving is the gate of every push this process receives.
var receiving pushGate

func (g *pushGate) init() {
	g.once.Do(func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.capacity == 0 {
			g.capacity = pushGateBytes
		}
		g.freed = make(chan struct{})
	})
}

// acquire takes n bytes of the gate (all of it if n is more), waiting at
// most wait for them; release gives them back.
func (g *pushGate) acquire(ctx context.Context, n int64, wait time.Duration) (release func(), err error) {
	g.init()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		g.mu.Lock()
		n = min(n, g.capacity)
		if g.used+n <= g.capacity {
			g.used += n
			g.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					g.mu.Lock()
					g.used -= n
					close(g.freed)
					g.freed = make(chan struct{})
					g.mu.Unlock()
				})
			}, nil
		}
		freed := g.freed
		g.mu.Unlock()
		select {
		case <-freed:
		case <-timer.C:
			return nil, reject("server busy", "the server is busy receiving other pushes; try again in a minute")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
