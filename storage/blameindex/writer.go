package blameindex

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// writer is one write transaction's view of the index, with the page
// records it touched held until flush.
//
// Revisions are numbered in the order the index first meets them
// (bucketRevs and bucketRevNums), so that an attribution stores small
// integers rather than 20-byte ids. A page record (bucketPages) names the
// page's current version and the earlier versions kept, oldest first; the
// versions themselves are in bucketVersions under path NUL blob id, so that
// a lookup is one read.
type writer struct {
	meta, revs, revNums, versions, pages *bolt.Bucket
	keep                                 int

	nums map[string]uint32 // commit id -> number, for this transaction
	next uint32            // the next number to hand out; 0 until read
	recs map[string]*pageRecord
}

func newWriter(tx *bolt.Tx, keep int) *writer {
	w := &writer{
		meta:     tx.Bucket(bucketMeta),
		revs:     tx.Bucket(bucketRevs),
		revNums:  tx.Bucket(bucketRevNums),
		versions: tx.Bucket(bucketVersions),
		pages:    tx.Bucket(bucketPages),
		keep:     keep,
		nums:     map[string]uint32{},
		recs:     map[string]*pageRecord{},
	}
	// Revision numbers only grow: full pages, not bbolt's half-full ones
	// that leave room for inserts in between.
	w.revs.FillPercent = 1
	return w
}

// revNum returns the number of a commit, handing out the next one to a
// commit not seen before. Numbers start at 1: 0 means "no owner yet".
func (w *writer) revNum(id string) (uint32, error) {
	if n, ok := w.nums[id]; ok {
		return n, nil
	}
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != 20 {
		return 0, fmt.Errorf("blame index: %q is not a commit id", id)
	}
	if b := w.revNums.Get(raw); len(b) == 4 {
		n := binary.BigEndian.Uint32(b)
		w.nums[id] = n
		return n, nil
	}
	if w.next == 0 {
		w.next = 1
		if b := w.meta.Get(keyNextRev); len(b) == 4 {
			w.next = binary.BigEndian.Uint32(b)
		}
	}
	n := w.next
	w.next++
	if err := w.revs.Put(revKey(n), raw); err != nil {
		return 0, err
	}
	if err := w.revNums.Put(raw, revKey(n)); err != nil {
		return 0, err
	}
	w.nums[id] = n
	return n, nil
}

// version returns the owners of a page version the index holds.
func (w *writer) version(path, blob string) ([]uint32, bool, error) {
	key, ok := versionKey(path, blob)
	if !ok {
		return nil, false, nil
	}
	v := w.versions.Get(key)
	if v == nil {
		return nil, false, nil
	}
	_, owners, err := decodeAttribution(v)
	return owners, err == nil, err
}

func (w *writer) hasVersion(path, blob string) bool {
	key, ok := versionKey(path, blob)
	return ok && w.versions.Get(key) != nil
}

// putVersion stores a version and makes it the page's current one.
func (w *writer) putVersion(path, blob string, producer uint32, owners []uint32) error {
	key, ok := versionKey(path, blob)
	if !ok {
		return fmt.Errorf("blame index: %q is not a blob id", blob)
	}
	if err := w.versions.Put(key, encodeAttribution(producer, owners)); err != nil {
		return err
	}
	return w.setHead(path, blob)
}

// setHead makes blob the page's current version ("" when the page is
// gone); the version before it is kept among the earlier ones, and the
// oldest of those beyond keep is dropped.
func (w *writer) setHead(path, blob string) error {
	rec, err := w.page(path)
	if err != nil {
		return err
	}
	rec.makeCurrent(blob)
	for len(rec.recent) > w.keep {
		if old := rec.recent[0]; old != rec.head {
			if key, ok := versionKey(path, old); ok {
				if err := w.versions.Delete(key); err != nil {
					return err
				}
			}
		}
		rec.recent = rec.recent[1:]
	}
	return nil
}

// page returns the record of a page, empty for a page the index does not
// know.
func (w *writer) page(path string) (*pageRecord, error) {
	if rec, ok := w.recs[path]; ok {
		return rec, nil
	}
	rec := &pageRecord{}
	if b := w.pages.Get([]byte(path)); b != nil {
		var err error
		if rec, err = decodePageRecord(b); err != nil {
			return nil, err
		}
	}
	w.recs[path] = rec
	return rec, nil
}

// dropPage forgets every version of a page.
func (w *writer) dropPage(path string) error {
	c := w.versions.Cursor()
	prefix := pagePrefix(path)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	w.recs[path] = &pageRecord{changed: true}
	return nil
}

// replacePage puts a page's versions in place of what the index held:
// head is the current one ("" for none), recent the earlier ones kept,
// oldest first, and enc holds them all encoded.
func (w *writer) replacePage(path, head string, recent []string, enc map[string][]byte) error {
	if err := w.dropPage(path); err != nil {
		return err
	}
	put := func(blob string) error {
		key, ok := versionKey(path, blob)
		if !ok {
			return fmt.Errorf("blame index: %q is not a blob id", blob)
		}
		return w.versions.Put(key, enc[blob])
	}
	if head != "" {
		if err := put(head); err != nil {
			return err
		}
	}
	for _, b := range recent {
		if err := put(b); err != nil {
			return err
		}
	}
	w.recs[path] = &pageRecord{head: head, recent: recent, changed: true}
	return nil
}

// flush writes the page records and the revision counter.
func (w *writer) flush() error {
	for path, rec := range w.recs {
		if !rec.changed {
			continue
		}
		var err error
		if rec.head == "" && len(rec.recent) == 0 {
			err = w.pages.Delete([]byte(path))
		} else {
			err = w.pages.Put([]byte(path), rec.encode())
		}
		if err != nil {
			return err
		}
	}
	if w.next != 0 {
		return w.meta.Put(keyNextRev, revKey(w.next))
	}
	return nil
}

// pageRecord is what the index holds of one page.
//
//	byte      1 when a current version follows
//	[20]byte  the current version's blob id
//	uvarint   the number of earlier versions kept
//	[20]byte  each of them, oldest first
type pageRecord struct {
	head    string   // blob id of the current version, "" for none
	recent  []string // blob ids of earlier versions kept, oldest first
	changed bool
}

// makeCurrent makes blob the current version, keeping the one before.
func (r *pageRecord) makeCurrent(blob string) {
	if r.head == blob {
		return
	}
	r.recent = remove(r.recent, blob)
	if r.head != "" {
		r.recent = append(remove(r.recent, r.head), r.head)
	}
	r.head = blob
	r.changed = true
}

func remove(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

func (r *pageRecord) encode() []byte {
	b := make([]byte, 0, 1+20+binary.MaxVarintLen32+20*len(r.recent))
	if raw, err := hex.DecodeString(r.head); err == nil && len(raw) == 20 {
		b = append(b, 1)
		b = append(b, raw...)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(r.recent)))
	for _, s := range r.recent {
		raw, _ := hex.DecodeString(s)
		b = append(b, raw...)
	}
	return b
}

func decodePageRecord(b []byte) (*pageRecord, error) {
	rec := &pageRecord{}
	if len(b) < 1 {
		return nil, errCorrupt
	}
	if b[0] == 1 {
		if len(b) < 21 {
			return nil, errCorrupt
		}
		rec.head = hex.EncodeToString(b[1:21])
		b = b[21:]
	} else {
		b = b[1:]
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) != 20*n {
		return nil, errCorrupt
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		rec.recent = append(rec.recent, hex.EncodeToString(b[20*i:20*i+20]))
	}
	return rec, nil
}
