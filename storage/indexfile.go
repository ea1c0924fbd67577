package storage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// The history index is kept in a file beside the repository (never in it),
// so that a restart reads it instead of walking the whole history again.
// The file is only a cache: on start the repository's branch is walked back
// to the file's last commit and only newer commits are indexed; a file that
// is missing, damaged or from a rewritten history is rebuilt.
//
// The file only grows: after the magic line come segments, each holding the
// commits that arrived since the previous one, so saving costs what is new,
// not the whole history, and never holds the repository lock. A segment is
// a count of commits, then per commit its id, author (interned within the
// segment), time and zone, message and changed files (paths interned), then
// a CRC-32 of the segment. Integers are varints. A crash while appending
// leaves a torn last segment, which loading ignores (and the next save cuts
// off).
const indexMagic = "wikiwerk history index v3\n"

// indexFile is the history index's file and how much of the chain it
// holds.
type indexFile struct {
	path string
	// commits is how many commits of the chain the file holds; size is
	// the length of its valid part (what follows is a torn segment).
	commits int
	size    int64
}

// writeIndexFile writes a whole index, encoded by encodeSegment, to path
// atomically (temporary file, fsync, rename): for a new or rebuilt index.
func writeIndexFile(path string, segment []byte, commits int) (indexFile, error) {
	err := fsutil.WriteFile(path, 0o644, func(w io.Writer) error {
		if _, err := w.Write([]byte(indexMagic)); err != nil {
			return err
		}
		_, err := w.Write(segment)
		return err
	})
	if err != nil {
		return indexFile{}, fmt.Errorf("save history index: %w", err)
	}
	return indexFile{path: path, commits: commits, size: int64(len(indexMagic) + len(segment))}, nil
}

// appendIndexFile appends a segment holding commits [f.commits, commits)
// to the file, fsynced.
func appendIndexFile(f indexFile, segment []byte, commits int) (indexFile, error) {
	file, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		return f, fmt.Errorf("save history index: %w", err)
	}
	defer file.Close()
	// Cut off a torn segment of an earlier crash.
	if err := file.Truncate(f.size); err != nil {
		return f, fmt.Errorf("save history index: %w", fsutil.Classify(err))
	}
	if _, err := file.WriteAt(segment, f.size); err != nil {
		return f, fmt.Errorf("save history index: %w", fsutil.Classify(err))
	}
	if err := file.Sync(); err != nil {
		return f, fmt.Errorf("save history index: %w", fsutil.Classify(err))
	}
	return indexFile{path: f.path, commits: commits, size: f.size + int64(len(segment))}, nil
}

// encodeSegment encodes commits [from, to) of x as one segment. The
// caller must keep those commits from changing: they never do once added,
// but the maps that hold them grow, so callers hold Repo.mu for reading.
func encodeSegment(x *index, from, to int) ([]byte, error) {
	var buf bytes.Buffer
	bw := bufio.NewWriterSize(&buf, 64<<10)
	enc := &indexEncoder{w: bw, strs: map[string]uint64{}}
	enc.uvarint(uint64(to - from))
	for s := from; s < to; s++ {
		enc.commit(x.chain[s], x.changesOf(int32(s)))
	}
	if enc.err == nil {
		enc.err = bw.Flush()
	}
	if enc.err != nil {
		return nil, enc.err
	}
	return binary.BigEndian.AppendUint32(buf.Bytes(), crc32.ChecksumIEEE(buf.Bytes())), nil
}

// loadIndex reads an index file. A missing file gives an empty index and
// no error; a damaged one gives an error, and the caller rebuilds. A torn
// last segment is not damage: the index holds the segments before it.
func loadIndex(path string) (*index, indexFile, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return newIndex(), indexFile{path: path}, nil
	}
	if err != nil {
		return nil, indexFile{}, fmt.Errorf("load history index: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, indexFile{}, fmt.Errorf("load history index: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(indexMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != indexMagic {
		return nil, indexFile{}, fmt.Errorf("load history index %s: not an index file of this version", path)
	}
	x := newIndex()
	file := indexFile{path: path, size: int64(len(indexMagic))}
	for file.size < st.Size() {
		crc := crc32.NewIEEE()
		cr := &countingReader{r: br, crc: crc}
		dec := &indexDecoder{r: cr}
		n := dec.uvarint()
		if dec.err != nil || n > 1<<31 {
			break
		}
		type entry struct {
			rev     *wiki.Revision
			id      plumbing.Hash
			changes []fileChange
		}
		seg := make([]entry, 0, min(n, 1<<16))
		for i := uint64(0); i < n && dec.err == nil; i++ {
			rev, id, changes := dec.commit()
			if dec.err == nil {
				seg = append(seg, entry{rev, id, changes})
			}
		}
		if dec.err != nil {
			break // torn
		}
		sum := crc.Sum32()
		var tail [4]byte
		if _, err := io.ReadFull(br, tail[:]); err != nil || binary.BigEndian.Uint32(tail[:]) != sum {
			break // torn or damaged: ignore from here
		}
		for _, e := range seg {
			x.add(e.rev, e.id, e.changes)
		}
		file.commits = len(x.chain)
		file.size += cr.n + 4
	}
	return x, file, nil
}

type countingReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	n   int64
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
		c.crc.Write([]byte{b})
	}
	return b, err
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.crc.Write(p[:n])
	return n, err
}

// changesOf returns the files commit s changed, with their blobs, as add
// received them.
func (x *index) changesOf(s int32) []fileChange {
	rev := x.chain[s]
	out := make([]fileChange, 0, len(rev.Changes))
	for _, c := range rev.Changes {
		fc := fileChange{path: c.Path, kind: c.Kind}
		if pc, ok := x.changeAt(c.Path, s); ok {
			fc.blob, fc.old = pc.blob, pc.old
		}
		out = append(out, fc)
	}
	return out
}

type indexEncoder struct {
	w    *bufio.Writer
	strs map[string]uint64
	err  error
	buf  [binary.MaxVarintLen64]byte
}

func (e *indexEncoder) raw(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *indexEncoder) uvarint(v uint64) { e.raw(e.buf[:binary.PutUvarint(e.buf[:], v)]) }
func (e *indexEncoder) varint(v int64)   { e.raw(e.buf[:binary.PutVarint(e.buf[:], v)]) }

func (e *indexEncoder) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	e.raw(b)
}

// str writes a string once; later uses refer to it by number. Paths and
// authors repeat across thousands of commits.
func (e *indexEncoder) str(s string) {
	if ref, ok := e.strs[s]; ok {
		e.uvarint(ref + 1)
		return
	}
	e.strs[s] = uint64(len(e.strs))
	e.uvarint(0)
	e.bytes([]byte(s))
}

func (e *indexEncoder) commit(rev *wiki.Revision, changes []fileChange) {
	id := plumbing.NewHash(rev.ID)
	e.raw(id[:])
	var parent plumbing.Hash
	if rev.Parent != "" {
		parent = plumbing.NewHash(rev.Parent)
	}
	e.raw(parent[:])
	e.str(rev.Author.Name)
	e.str(rev.Author.Email)
	e.varint(rev.Time.Unix())
	_, offset := rev.Time.Zone()
	e.varint(int64(offset))
	e.bytes([]byte(rev.Message))
	e.uvarint(uint64(len(changes)))
	for _, c := range changes {
		e.str(c.path)
		e.str(string(c.kind))
		e.raw(c.blob[:])
		e.raw(c.old[:])
	}
}

type indexDecoder struct {
	r    *countingReader
	strs []string
	err  error
}

func (d *indexDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d.r)
	d.err = err
	return v
}

func (d *indexDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(d.r)
	d.err = err
	return v
}

func (d *indexDecoder) hash() plumbing.Hash {
	var h plumbing.Hash
	if d.err == nil {
		_, d.err = io.ReadFull(d.r, h[:])
	}
	return h
}

func (d *indexDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > 64<<20 {
		d.err = fmt.Errorf("a field of %d bytes", n)
		return nil
	}
	b := make([]byte, n)
	_, d.err = io.ReadFull(d.r, b)
	return b
}

func (d *indexDecoder) str() string {
	ref := d.uvarint()
	switch {
	case d.err != nil:
		return ""
	case ref == 0:
		s := string(d.bytes())
		d.strs = append(d.strs, s)
		return s
	case ref-1 < uint64(len(d.strs)):
		return d.strs[ref-1]
	}
	d.err = fmt.Errorf("string reference %d out of range", ref)
	return ""
}

func (d *indexDecoder) commit() (*wiki.Revision, plumbing.Hash, []fileChange) {
	id := d.hash()
	rev := &wiki.Revision{ID: id.String()}
	if parent := d.hash(); !parent.IsZero() {
		rev.Parent = parent.String()
	}
	rev.Author.Name = d.str()
	rev.Author.Email = d.str()
	sec := d.varint()
	offset := d.varint()
	rev.Time = time.Unix(sec, 0).In(time.FixedZone("", int(offset)))
	rev.Message = string(d.bytes())
	n := d.uvarint()
	if n > 1<<24 {
		d.err = fmt.Errorf("commit %s changes %d files", id, n)
		return nil, id, nil
	}
	changes := make([]fileChange, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		c := fileChange{path: d.str(), kind: wiki.ChangeKind(d.str())}
		c.blob = d.hash()
		c.old = d.hash()
		changes = append(changes, c)
	}
	return rev, id, changes
}
