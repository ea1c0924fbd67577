package backup

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/revlist"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// bundleSignature starts a git bundle of format version 2, the one every
// git since 1.5 reads (git bundle verify, git clone FILE).
const bundleSignature = "# v2 git bundle\n"

// Ref is one reference of the repository as the backup saw it.
type Ref struct {
	// Name is the full name, e.g. "refs/heads/main".
	Name string `json:"name"`
	// Hash is the object it points at.
	Hash string `json:"hash"`
}

// readRefs reads every reference of the repository once: the moment the
// backup shows. HEAD is returned apart, as the name of the branch it
// points at ("" when it is detached or points nowhere).
func readRefs(st *filesystem.Storage) ([]Ref, string, error) {
	iter, err := st.IterReferences()
	if err != nil {
		return nil, "", fmt.Errorf("read refs: %w", err)
	}
	var refs []Ref
	head := ""
	err = iter.ForEach(func(r *plumbing.Reference) error {
		switch {
		case r.Name() == plumbing.HEAD:
			if r.Type() == plumbing.SymbolicReference {
				head = r.Target().String()
			}
		case r.Type() == plumbing.HashReference && strings.HasPrefix(r.Name().String(), "refs/") && r.Name().Validate() == nil:
			// Validate leaves out "refs/heads/main.lock", the lock file of
			// a ref being updated, which the listing shows meanwhile.
			refs = append(refs, Ref{Name: r.Name().String(), Hash: r.Hash().String()})
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("read refs: %w", err)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Name < refs[j].Name })
	return refs, head, nil
}

// openStorage opens the repository's object store read-only: the backup
// never writes to a repository the server is using.
func openStorage(gitDir string) *filesystem.Storage {
	// KeepDescriptors: a pack file stays open once read, so that
	// housekeeping deleting it meanwhile does not take it away from the
	// backup; the storage's Close releases them.
	return filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRU(16<<20), filesystem.Options{KeepDescriptors: true})
}

// attempts is how often the objects are read again from a fresh view of
// the repository when a read fails: the server's housekeeping may pack
// loose objects or merge packs meanwhile. It never removes an object, so
// a fresh listing of the packs finds everything again.
const attempts = 5

// writeBundle writes a git bundle (v2) of refs to w: the header, then a
// pack of every object the refs reach and nothing else. headBranch, when
// set, is listed as HEAD too, so that git clone of the bundle checks it
// out. It closes st (and any storage it opens instead).
func writeBundle(ctx context.Context, gitDir string, st *filesystem.Storage, refs []Ref, headBranch string, w io.Writer) (int, error) {
	defer func() { st.Close() }()
	reopen := func() {
		st.Close()
		st = openStorage(gitDir)
	}
	var hdr bytes.Buffer
	hdr.WriteString(bundleSignature)
	var tips []plumbing.Hash
	for _, r := range refs {
		fmt.Fprintf(&hdr, "%s %s\n", r.Hash, r.Name)
		tips = append(tips, plumbing.NewHash(r.Hash))
		if r.Name == headBranch {
			fmt.Fprintf(&hdr, "%s HEAD\n", r.Hash)
		}
	}
	hdr.WriteString("\n")
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return 0, err
	}
	var objs []plumbing.Hash
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			reopen()
			if !sleep(ctx, time.Duration(i)*200*time.Millisecond) {
				return 0, ctx.Err()
			}
		}
		if objs, err = revlist.Objects(st, tips, nil); err == nil {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("list the objects of the refs: %w", err)
	}
	// A stable order keeps two backups of the same state identical.
	sort.Slice(objs, func(i, j int) bool { return bytes.Compare(objs[i][:], objs[j][:]) < 0 })
	pw := newPackWriter(w, len(objs))
	for _, h := range objs {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		var obj plumbing.EncodedObject
		for i := 0; i < attempts; i++ {
			if i > 0 {
				reopen()
				if !sleep(ctx, time.Duration(i)*200*time.Millisecond) {
					return 0, ctx.Err()
				}
			}
			if obj, err = st.EncodedObject(plumbing.AnyObject, h); err == nil {
				break
			}
		}
		if err != nil {
			return 0, fmt.Errorf("read object %s: %w", h, err)
		}
		if err := pw.add(obj); err != nil {
			return 0, err
		}
	}
	return len(objs), pw.close()
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// packWriter streams a pack (version 2) of whole objects, one at a time,
// so that memory does not grow with the repository. It makes no deltas:
// the wiki's housekeeping repacks the restored repository.
type packWriter struct {
	w    io.Writer
	sum  hash.Hash
	zw   *zlib.Writer
	left int
	err  error
}

func newPackWriter(w io.Writer, n int) *packWriter {
	p := &packWriter{sum: sha1.New(), left: n}
	p.w = io.MultiWriter(w, p.sum)
	p.zw = zlib.NewWriter(io.Discard)
	var hdr [12]byte
	copy(hdr[:4], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(n))
	_, p.err = p.w.Write(hdr[:])
	return p
}

func (p *packWriter) add(obj plumbing.EncodedObject) error {
	if p.err != nil {
		return p.err
	}
	if p.left == 0 {
		return errors.New("pack: more objects than announced")
	}
	p.left--
	var typ byte
	switch obj.Type() {
	case plumbing.CommitObject:
		typ = 1
	case plumbing.TreeObject:
		typ = 2
	case plumbing.BlobObject:
		typ = 3
	case plumbing.TagObject:
		typ = 4
	default:
		return fmt.Errorf("pack: object %s has type %s", obj.Hash(), obj.Type())
	}
	size := uint64(obj.Size())
	var hdr [16]byte
	hdr[0] = typ<<4 | byte(size&0x0f)
	size >>= 4
	n := 1
	for size > 0 {
		hdr[n-1] |= 0x80
		hdr[n] = byte(size & 0x7f)
		size >>= 7
		n++
	}
	if _, err := p.w.Write(hdr[:n]); err != nil {
		p.err = err
		return err
	}
	rc, err := obj.Reader()
	if err != nil {
		p.err = fmt.Errorf("read object %s: %w", obj.Hash(), err)
		return p.err
	}
	defer rc.Close()
	p.zw.Reset(p.w)
	written, err := io.Copy(p.zw, rc)
	if err == nil {
		err = p.zw.Close()
	}
	if err == nil && written != obj.Size() {
		err = fmt.Errorf("object %s: read %d bytes of %d", obj.Hash(), written, obj.Size())
	}
	if err != nil {
		p.err = err
	}
	return err
}

func (p *packWriter) close() error {
	if p.err != nil {
		return p.err
	}
	if p.left != 0 {
		return fmt.Errorf("pack: %d objects missing", p.left)
	}
	_, err := p.w.Write(p.sum.Sum(nil))
	return err
}

// bundleHeader is what a bundle's header says.
type bundleHeader struct {
	refs []Ref
	head bool
}

// readBundleHeader reads a v2 bundle's header from br, leaving br at the
// start of the pack. Bundles with prerequisites (incremental ones) are
// refused: a restore needs the whole history.
func readBundleHeader(br *bufio.Reader) (bundleHeader, error) {
	var h bundleHeader
	sig, err := br.ReadString('\n')
	if err != nil || sig != bundleSignature {
		return h, errors.New("not a git bundle (version 2)")
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return h, fmt.Errorf("bundle header: %w", err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return h, nil
		}
		if strings.HasPrefix(line, "-") {
			return h, errors.New("the bundle needs commits it does not hold (an incremental bundle)")
		}
		id, name, ok := strings.Cut(line, " ")
		if !ok || !plumbing.IsHash(id) {
			return h, fmt.Errorf("bundle header: bad line %q", line)
		}
		if name == "HEAD" {
			h.head = true
			continue
		}
		if !strings.HasPrefix(name, "refs/") || plumbing.ReferenceName(name).Validate() != nil {
			return h, fmt.Errorf("bundle header: bad ref name %q", name)
		}
		h.refs = append(h.refs, Ref{Name: name, Hash: id})
	}
}

// checkReachable reports an error when an object the refs reach is
// missing from st.
func checkReachable(st storer.EncodedObjectStorer, refs []Ref) error {
	var tips []plumbing.Hash
	for _, r := range refs {
		tips = append(tips, plumbing.NewHash(r.Hash))
	}
	if _, err := revlist.Objects(st, tips, nil); err != nil {
		return fmt.Errorf("the restored repository is incomplete: %w", err)
	}
	return nil
}
