package storage

import (
	"bytes"
	"compress/zlib"
	"container/list"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// objectReader reads commits and trees for the fetch walk straight from the
// pack files: it keeps them open, resolves deltas with a cache of recent
// bases, and parses trees without decoding them into go-git objects. A
// clone of a large wiki reads every tree of its history; through go-git
// each read would open the pack file again and allocate every entry.
// Loose objects are read through go-git. Used under gitMu.
type objectReader struct {
	r     *Repo
	ps    *packSet
	files packFiles
	cache *objCache
	zr    io.ReadCloser
	buf   []byte
}

func newObjectReader(r *Repo, ps *packSet, files packFiles) *objectReader {
	return &objectReader{r: r, ps: ps, files: files, cache: newObjCache(32 << 20)}
}

func (or *objectReader) file(pf *packFile) (*blockReader, error) {
	return or.files.open(or.r, pf)
}

// read returns an object's type and content. The content may be shared
// with the cache: callers must not modify it.
func (or *objectReader) read(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	if pf, off, ok := or.ps.find(h); ok {
		return or.readAt(pf, off, 0)
	}
	o, err := or.r.st.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, nil, fmt.Errorf("read %s: %w", h, err)
	}
	b, err := readAll(o)
	return o.Type(), b, err
}

// maxChain bounds delta chains; git writes at most 50 (4095 with
// --depth), so anything longer is a damaged pack, not a reason to recurse
// forever.
const maxChain = 10000

func (or *objectReader) readAt(pf *packFile, off int64, depth int) (plumbing.ObjectType, []byte, error) {
	if t, b, ok := or.cache.get(pf, off); ok {
		return t, b, nil
	}
	if depth > maxChain {
		return 0, nil, fmt.Errorf("pack %s: delta chain too long at %d", pf.hash, off)
	}
	f, err := or.file(pf)
	if err != nil {
		return 0, nil, err
	}
	hdr, data, err := or.inflate(f, off, pf.entryEnd(off))
	if err != nil {
		return 0, nil, fmt.Errorf("pack %s at %d: %w", pf.hash, off, err)
	}
	t := hdr.typ
	switch hdr.typ {
	case plumbing.OFSDeltaObject, plumbing.REFDeltaObject:
		var base []byte
		if hdr.typ == plumbing.OFSDeltaObject {
			t, base, err = or.readAt(pf, hdr.baseOffset, depth+1)
		} else if bpf, boff, ok := or.ps.find(hdr.baseHash); ok {
			t, base, err = or.readAt(bpf, boff, depth+1)
		} else {
			t, base, err = or.read(hdr.baseHash)
		}
		if err != nil {
			return 0, nil, err
		}
		if data, err = packfile.PatchDelta(base, data); err != nil {
			return 0, nil, fmt.Errorf("pack %s at %d: %w", pf.hash, off, err)
		}
	}
	or.cache.put(pf, off, t, data)
	return t, data, nil
}

// inflate reads the entry at off, which ends at end, in one read, and
// returns its header and decompressed data.
func (or *objectReader) inflate(f io.ReaderAt, off, end int64) (entryHeader, []byte, error) {
	n := end - off
	if n <= 0 || n > 1<<32 {
		return entryHeader{}, nil, errors.New("bad entry length")
	}
	if int64(cap(or.buf)) < n {
		or.buf = make([]byte, n)
	}
	src := or.buf[:n]
	if _, err := f.ReadAt(src, off); err != nil {
		return entryHeader{}, nil, err
	}
	hdr, err := parseEntryHeader(src, off)
	if err != nil {
		return entryHeader{}, nil, err
	}
	if hdr.size > 1<<32 {
		return entryHeader{}, nil, errors.New("entry too large")
	}
	br := bytes.NewReader(src[hdr.dataStart-off:])
	if or.zr == nil {
		zr, err := zlib.NewReader(br)
		if err != nil {
			return entryHeader{}, nil, err
		}
		or.zr = zr
	} else if err := or.zr.(zlib.Resetter).Reset(br, nil); err != nil {
		return entryHeader{}, nil, err
	}
	out := make([]byte, hdr.size)
	if _, err := io.ReadFull(or.zr, out); err != nil {
		return entryHeader{}, nil, err
	}
	return hdr, out, nil
}

// rawEntry is a tree entry as stored; name points into the tree's data.
type rawEntry struct {
	mode filemode.FileMode
	name []byte
	hash plumbing.Hash
}

// isDir reports a subtree entry.
func (e *rawEntry) isDir() bool { return e.mode == filemode.Dir }

// parseRawTree splits a tree's data into entries, appended to out[:0].
func parseRawTree(out []rawEntry, b []byte) ([]rawEntry, error) {
	out = out[:0]
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			return nil, errors.New("bad tree entry")
		}
		var m uint32
		for _, c := range b[:sp] {
			if c < '0' || c > '7' || m > 1<<24 {
				return nil, fmt.Errorf("bad tree entry mode %q", b[:sp])
			}
			m = m<<3 | uint32(c-'0')
		}
		b = b[sp+1:]
		nul := bytes.IndexByte(b, 0)
		if nul < 0 || len(b) < nul+21 {
			return nil, errors.New("truncated tree entry")
		}
		e := rawEntry{mode: filemode.FileMode(m), name: b[:nul]}
		copy(e.hash[:], b[nul+1:nul+21])
		out = append(out, e)
		b = b[nul+21:]
	}
	return out, nil
}

// rawCommit is what the fetch walk needs of a commit.
type rawCommit struct {
	hash    plumbing.Hash
	tree    plumbing.Hash
	parents []plumbing.Hash
	// when is the committer time, in seconds.
	when int64
}

// parseRawCommit reads a commit's header.
func parseRawCommit(h plumbing.Hash, b []byte) (*rawCommit, error) {
	c := &rawCommit{hash: h}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) == 0 {
			break
		}
		key, val, _ := bytes.Cut(line, []byte(" "))
		switch string(key) {
		case "tree":
			c.tree = plumbing.NewHash(string(val))
		case "parent":
			c.parents = append(c.parents, plumbing.NewHash(string(val)))
		case "committer":
			// "Name <email> 1700000000 +0100"
			if gt := bytes.LastIndexByte(val, '>'); gt >= 0 {
				f := bytes.Fields(val[gt+1:])
				if len(f) > 0 {
					c.when, _ = strconv.ParseInt(string(f[0]), 10, 64)
				}
			}
		}
	}
	if c.tree.IsZero() {
		return nil, fmt.Errorf("commit %s has no tree", h)
	}
	return c, nil
}

// objCache is an LRU of inflated pack entries, bounded in bytes.
type objCache struct {
	max, size int
	ll        *list.List
	items     map[objKey]*list.Element
}

type objKey struct {
	pf  *packFile
	off int64
}

type objItem struct {
	key  objKey
	typ  plumbing.ObjectType
	data []byte
}

func newObjCache(max int) *objCache {
	return &objCache{max: max, ll: list.New(), items: map[objKey]*list.Element{}}
}

func (c *objCache) get(pf *packFile, off int64) (plumbing.ObjectType, []byte, bool) {
	el, ok := c.items[objKey{pf, off}]
	if !ok {
		return 0, nil, false
	}
	c.ll.MoveToFront(el)
	it := el.Value.(*objItem)
	return it.typ, it.data, true
}

func (c *objCache) put(pf *packFile, off int64, t plumbing.ObjectType, data []byte) {
	if len(data) > c.max/4 {
		return
	}
	k := objKey{pf, off}
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.ll.PushFront(&objItem{key: k, typ: t, data: data})
	c.size += len(data)
	for c.size > c.max {
		el := c.ll.Back()
		it := el.Value.(*objItem)
		c.ll.Remove(el)
		delete(c.items, it.key)
		c.size -= len(it.data)
	}
}
