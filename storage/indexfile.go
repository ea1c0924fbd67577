package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// The history index is kept in a file beside the repository (never in it),
// so that a restart reads it instead of walking the whole history again.
// The file is only a cache: on start the repository's branch is walked back
// to the file's last commit and only newer commits are indexed; a file that
// is missing, damaged or from a rewritten history is rebuilt.
//
// Format, after the magic line: a count of commits, then per commit its id,
// author (interned), time and zone, message and changed files (paths
// interned). Integers are varints.
const indexMagic = "wikiwerk history index v2\n"

// saveIndex writes x to path atomically (temporary file, fsync, rename).
func saveIndex(path string, x *index) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".history-index-*")
	if err != nil {
		return fmt.Errorf("save history index: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	w := bufio.NewWriterSize(tmp, 1<<20)
	enc := &indexEncoder{w: w, strs: map[string]uint64{}}
	enc.raw([]byte(indexMagic))
	enc.uvarint(uint64(len(x.chain)))
	for s, rev := range x.chain {
		enc.commit(rev, x.changesOf(int32(s)))
	}
	if enc.err == nil {
		enc.err = w.Flush()
	}
	if enc.err == nil {
		enc.err = tmp.Sync()
	}
	if err := tmp.Close(); enc.err == nil {
		enc.err = err
	}
	if enc.err == nil {
		enc.err = os.Rename(tmp.Name(), path)
	}
	if enc.err != nil {
		return fmt.Errorf("save history index: %w", enc.err)
	}
	return nil
}

// loadIndex reads an index file. A missing file gives an empty index and
// no error; a damaged one gives an error, and the caller rebuilds.
func loadIndex(path string) (*index, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return newIndex(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load history index: %w", err)
	}
	defer f.Close()
	dec := &indexDecoder{r: bufio.NewReaderSize(f, 1<<20)}
	magic := make([]byte, len(indexMagic))
	if _, err := io.ReadFull(dec.r, magic); err != nil || string(magic) != indexMagic {
		return nil, fmt.Errorf("load history index %s: not an index file of this version", path)
	}
	x := newIndex()
	n := dec.uvarint()
	if n > 1<<31 {
		return nil, fmt.Errorf("load history index %s: damaged (%d commits)", path, n)
	}
	var prev string
	for i := uint64(0); i < n && dec.err == nil; i++ {
		rev, id, changes := dec.commit()
		if dec.err != nil {
			break
		}
		rev.Parent = prev
		prev = rev.ID
		x.add(rev, id, changes)
	}
	if dec.err != nil {
		return nil, fmt.Errorf("load history index %s: damaged: %w", path, dec.err)
	}
	return x, nil
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
	r    *bufio.Reader
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
