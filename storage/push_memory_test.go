package storage

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// packBuilder writes a pack as a hostile client could, entry by entry, to
// a file, without holding the objects in memory.
type packBuilder struct {
	f   *os.File
	w   *bufio.Writer
	sum hash.Hash
	off int64
	n   uint32
	zw  *zlib.Writer
}

func newPackBuilder(t *testing.T, path string, count uint32) *packBuilder {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	b := &packBuilder{f: f, w: bufio.NewWriter(f), sum: sha1.New()}
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], count)
	b.write(hdr[:])
	return b
}

func (b *packBuilder) write(p []byte) {
	b.w.Write(p)
	b.sum.Write(p)
	b.off += int64(len(p))
}

// entry writes an entry of type t whose data, size bytes, fill writes;
// base is the offset of an OFS_DELTA's base. It returns the entry's offset.
func (b *packBuilder) entry(t plumbing.ObjectType, size int64, base int64, fill func(io.Writer)) int64 {
	off := b.off
	b.write(appendEntryHeader(nil, t, size))
	if t == plumbing.OFSDeltaObject {
		b.write(appendOfsDelta(nil, off-base))
	}
	if b.zw == nil {
		b.zw, _ = zlib.NewWriterLevel(writerFunc(b.write), zlib.BestSpeed)
	} else {
		b.zw.Reset(writerFunc(b.write))
	}
	fill(b.zw)
	b.zw.Close()
	b.n++
	return off
}

// deflated writes an entry whose zlib stream is z.
func (b *packBuilder) deflated(t plumbing.ObjectType, size int64, z []byte) int64 {
	off := b.off
	b.write(appendEntryHeader(nil, t, size))
	b.write(z)
	b.n++
	return off
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

func (b *packBuilder) object(t plumbing.ObjectType, data []byte) plumbing.Hash {
	b.entry(t, int64(len(data)), 0, func(w io.Writer) { w.Write(data) })
	return plumbing.ComputeHash(t, data)
}

func (b *packBuilder) finish(t *testing.T) {
	t.Helper()
	b.w.Write(b.sum.Sum(nil))
	if err := b.w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := b.f.Close(); err != nil {
		t.Fatal(err)
	}
}

// zeros writes n zero bytes.
func zeros(w io.Writer, n int64) {
	buf := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, int64(len(buf)))
		w.Write(buf[:k])
		n -= k
	}
}

// bombBlob is size-8 zero bytes and the number i: all compress to almost
// nothing, and all differ. It returns the blob's id and its zlib stream.
func bombBlob(size int64, i int) (plumbing.Hash, []byte) {
	var tail [8]byte
	binary.BigEndian.PutUint64(tail[:], uint64(i))
	h := plumbing.NewHasher(plumbing.BlobObject, size)
	zeros(h, size-8)
	h.Write(tail[:])
	return h.Sum(), bombStream(size, tail[:])
}

// zeroRuns caches the deflated zeros that start every bomb of a size.
var zeroRuns sync.Map

// bombStream is the zlib stream of size-len(tail) zeros and tail: the
// zeros deflated once (ending on a byte boundary), then tail in a stored
// final block, then the checksum. Deflating hundreds of megabytes for
// every test run would take longer than the test.
func bombStream(size int64, tail []byte) []byte {
	n := size - int64(len(tail))
	run, ok := zeroRuns.Load(n)
	if !ok {
		var b bytes.Buffer
		fw, _ := flate.NewWriter(&b, flate.BestSpeed)
		zeros(fw, n)
		fw.Flush()
		run = b.Bytes()
		zeroRuns.Store(n, run)
	}
	var out bytes.Buffer
	out.Write([]byte{0x78, 0x01})
	out.Write(run.([]byte))
	out.WriteByte(1) // final stored block
	binary.Write(&out, binary.LittleEndian, uint16(len(tail)))
	binary.Write(&out, binary.LittleEndian, ^uint16(len(tail)))
	out.Write(tail)
	// Adler-32: each zero adds a (still 1) to b.
	const mod = 65521
	a, b := uint32(1), uint32(n%mod)
	for _, c := range tail {
		a = (a + uint32(c)) % mod
		b = (b + a) % mod
	}
	binary.Write(&out, binary.BigEndian, b<<16|a)
	return out.Bytes()
}

// bombSpec describes a zlib bomb: blobs of size bytes, the first whole,
// the others whole too or deltas on it, in one commit on parent.
type bombSpec struct {
	Blobs  int
	Size   int64
	Deltas bool
	// Collide adds two names that differ only in case, so that the push
	// is refused after its objects were read.
	Collide bool
}

// writeBomb writes the pack and returns the commit it holds.
func writeBomb(t *testing.T, path string, parent plumbing.Hash, s bombSpec) plumbing.Hash {
	t.Helper()
	b := newPackBuilder(t, path, uint32(s.Blobs+2))
	var names []string
	ids := map[string]plumbing.Hash{}
	var first int64
	for i := range s.Blobs {
		h, z := bombBlob(s.Size, i)
		name := fmt.Sprintf("bom-%02d.bin", i)
		if s.Collide && i == 1 {
			name = "BOM-00.bin"
		}
		names = append(names, name)
		ids[name] = h
		if i == 0 || !s.Deltas {
			off := b.deflated(plumbing.BlobObject, s.Size, z)
			if i == 0 {
				first = off
			}
			continue
		}
		// Copy all but the last 8 bytes of the first blob, insert 8.
		var tail [8]byte
		binary.BigEndian.PutUint64(tail[:], uint64(i))
		d := appendDeltaSize(nil, int(s.Size))
		d = appendDeltaSize(d, int(s.Size))
		d = appendCopy(d, 0, int(s.Size-8))
		d = append(d, 8)
		d = append(d, tail[:]...)
		b.entry(plumbing.OFSDeltaObject, int64(len(d)), first, func(w io.Writer) { w.Write(d) })
	}
	sort.Strings(names)
	var tree bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&tree, "100644 %s\x00", n)
		h := ids[n]
		tree.Write(h[:])
	}
	th := b.object(plumbing.TreeObject, tree.Bytes())
	c := b.object(plumbing.CommitObject, []byte(fmt.Sprintf("tree %s\nparent %s\nauthor Bo Bom <bo@example.nl> 1700000000 +0100\ncommitter Bo Bom <bo@example.nl> 1700000000 +0100\n\nBom\n", th, parent)))
	b.finish(t)
	return c
}

// memChild is what the parent asks of the child process.
type memChild struct {
	Repo  string
	Packs []string
	Old   string
	News  []string
	// MaxFileBytes and MaxPackBytes are the PushLimits (which JSON
	// cannot carry whole).
	MaxFileBytes, MaxPackBytes int64
	// Gate is the capacity of the pushes' memory gate; 0 for the
	// default.
	Gate int64
}

// memResult is what the child reports.
type memResult struct {
	PeakKiB  int64
	Results  []string
	Incoming []string
}

const memChildEnv = "WIKIWERK_PUSH_MEMORY_CHILD"

// TestPushMemoryChild is the child process of TestPushMemory: it receives
// the pushes it is given, all at once, and reports its peak memory. It
// does nothing in a normal test run.
func TestPushMemoryChild(t *testing.T) {
	spec := os.Getenv(memChildEnv)
	if spec == "" {
		t.Skip("runs as the child of TestPushMemory")
	}
	var c memChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	if c.Gate > 0 {
		receiving.init()
		receiving.mu.Lock()
		receiving.capacity = c.Gate
		receiving.mu.Unlock()
	}
	r, err := Open(c.Repo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := memResult{Results: make([]string, len(c.Packs))}
	var wg sync.WaitGroup
	for i := range c.Packs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Open(c.Packs[i])
			if err != nil {
				out.Results[i] = err.Error()
				return
			}
			defer f.Close()
			lim := PushLimits{MaxFileBytes: c.MaxFileBytes, MaxPackBytes: c.MaxPackBytes}
			res := r.ReceivePack(context.Background(), []RefUpdate{{Name: r.branch, Old: plumbing.NewHash(c.Old), New: plumbing.NewHash(c.News[i])}}, f, lim)
			switch {
			case res.UnpackErr != nil:
				out.Results[i] = "unpack: " + res.UnpackErr.Error()
			case res.Refs[0] != nil:
				out.Results[i] = res.Refs[0].Error()
			default:
				out.Results[i] = "ok"
			}
		}()
	}
	wg.Wait()
	out.PeakKiB = peakKiB(t)
	left, _ := os.ReadDir(filepath.Join(c.Repo, incomingDir))
	for _, e := range left {
		out.Incoming = append(out.Incoming, e.Name())
	}
	b, _ := json.Marshal(out)
	fmt.Printf("\nRESULT %s\n", b)
}

// peakKiB is the process's peak resident memory.
func peakKiB(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// childBinary is the test binary the children run: this one, or without
// the race detector when it is on, as it multiplies what memory costs and
// slows a push down tenfold.
func childBinary(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return os.Args[0]
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the race detector is on and there is no go command to build the child without it")
	}
	bin := filepath.Join(t.TempDir(), "storage.test")
	cmd := exec.Command("go", "test", "-c", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the child: %v\n%s", err, out)
	}
	return bin
}

// runMemChild runs the pushes in a child process and returns its report.
func runMemChild(t *testing.T, bin string, c memChild) memResult {
	t.Helper()
	spec, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^TestPushMemoryChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), memChildEnv+"="+string(spec))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, js, ok := strings.Cut(string(out), "\nRESULT ")
	if !ok {
		t.Fatalf("child reported nothing:\n%s", out)
	}
	js, _, _ = strings.Cut(js, "\n")
	var res memResult
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPushMemory pushes zlib bombs, packs that inflate to hundreds of
// megabytes, and measures the peak memory of the process that receives
// them (a child, so that other tests do not count).
func TestPushMemory(t *testing.T) {
	if os.Getenv(memChildEnv) != "" {
		t.Skip("in the child")
	}
	if testing.Short() {
		t.Skip("pushes a gigabyte of inflated data several times; skipped with -short")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	dir := filepath.Join(t.TempDir(), "content.git")
	r, err := Init(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Commit(context.Background(), wiki.Commit{
		Author: wiki.Author{Name: "Willem Web", Email: "willem@example.nl"}, Message: "Begin",
		Changes: []wiki.Change{{Name: wiki.MustParseName("Home"), Content: []byte("Welkom.\n")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	head := plumbing.NewHash(res.Revision)
	// A second copy, for the three accepted pushes.
	dir2 := filepath.Join(t.TempDir(), "content.git")
	if err := os.CopyFS(dir2, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	packs := t.TempDir()
	bomb := func(name string, s bombSpec) (string, string) {
		p := filepath.Join(packs, name+".pack")
		return p, writeBomb(t, p, head, s).String()
	}
	const mib = 1024
	bin := childBinary(t)
	baseline := runMemChild(t, bin, memChild{Repo: dir})
	t.Logf("child at rest: peak %d MiB", baseline.PeakKiB/mib)

	check := func(t *testing.T, what string, got memResult, budget int64, wants ...string) {
		t.Helper()
		t.Logf("%s: peak %d MiB (at rest %d MiB, budget %d MiB): %q", what, got.PeakKiB/mib, baseline.PeakKiB/mib, budget>>20, got.Results)
		if limit := baseline.PeakKiB + budget>>10; got.PeakKiB > limit {
			t.Errorf("%s: peak %d MiB, more than %d MiB", what, got.PeakKiB/mib, limit/mib)
		}
		for i, w := range wants {
			if !strings.Contains(got.Results[i], w) {
				t.Errorf("%s: push %d: %q, want %q", what, i, got.Results[i], w)
			}
		}
		if len(got.Incoming) > 0 {
			t.Errorf("%s: left behind in %s: %q", what, incomingDir, got.Incoming)
		}
	}

	// 60 blobs of 16 MiB, 960 MiB inflated: refused by the first
	// entry's declared size, before anything is inflated.
	p, c := bomb("whole", bombSpec{Blobs: 60, Size: 16 << 20})
	check(t, "60 x 16 MiB, whole", runMemChild(t, bin, memChild{Repo: dir, Packs: []string{p}, Old: head.String(), News: []string{c}}), 16<<20, "file too large")
	pd, cd := bomb("deltas", bombSpec{Blobs: 60, Size: 16 << 20, Deltas: true})
	check(t, "60 x 16 MiB, deltas", runMemChild(t, bin, memChild{Repo: dir, Packs: []string{pd}, Old: head.String(), News: []string{cd}}), 16<<20, "file too large")

	// With files of up to 32 MiB allowed and a 64 MiB pack limit, the
	// declared sizes add up past the inflated limit (320 MiB) before
	// anything is rebuilt.
	check(t, "60 x 16 MiB, deltas, 32 MiB files", runMemChild(t, bin, memChild{Repo: dir, Packs: []string{pd}, Old: head.String(), News: []string{cd}, MaxFileBytes: 32 << 20, MaxPackBytes: 64 << 20}), 16<<20, "the push is too large")

	// 20 blobs of 8 MiB as deltas (160 MiB inflated) are rebuilt one by
	// one, spilled to disk, and refused for a case collision after.
	pc, cc := bomb("collide", bombSpec{Blobs: 20, Size: 8 << 20, Deltas: true, Collide: true})
	one := runMemChild(t, bin, memChild{Repo: dir, Packs: []string{pc}, Old: head.String(), News: []string{cc}})
	// The bound is what the push takes of the gate.
	q, err := openQuarantine(&Repo{}, mustOpen(t, pc), PushLimits{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	weight := q.weight()
	check(t, "20 x 8 MiB, deltas, refused after reading", one, weight, "differ only in letter case")

	// Three at once, with a gate that lets one in at a time: the others
	// wait their turn.
	gate := weight * 3 / 2
	three := runMemChild(t, bin, memChild{Repo: dir, Packs: []string{pc, pc, pc}, Old: head.String(), News: []string{cc, cc, cc}, Gate: gate})
	check(t, "three at once, one at a time", three, gate, "differ only in letter case", "differ only in letter case", "differ only in letter case")
	// Three at once with the default gate.
	threeDefault := runMemChild(t, bin, memChild{Repo: dir, Packs: []string{pc, pc, pc}, Old: head.String(), News: []string{cc, cc, cc}})
	check(t, "three at once, default gate", threeDefault, pushGateBytes, "differ only in letter case", "differ only in letter case", "differ only in letter case")

	// The same without the collision goes in: rebuilt, checked and
	// written into a pack of the repository.
	pa, ca := bomb("accepted", bombSpec{Blobs: 20, Size: 8 << 20, Deltas: true})
	// Writing the pack (stagePack) takes more: stagingWeight.
	staging := int64(10*8<<20) * 5 / 2
	check(t, "20 x 8 MiB, deltas, accepted", runMemChild(t, bin, memChild{Repo: dir, Packs: []string{pa}, Old: head.String(), News: []string{ca}}), weight+staging, "ok")
	// Three of those at once: writing the pack takes a larger share of
	// the gate, so they go one after the other (the first wins, the
	// others find main moved).
	accepted := runMemChild(t, bin, memChild{Repo: dir2, Packs: []string{pa, pa, pa}, Old: head.String(), News: []string{ca, ca, ca}})
	check(t, "three accepted at once, default gate", accepted, pushGateBytes)
	ok := 0
	for _, r := range accepted.Results {
		switch {
		case r == "ok":
			ok++
		case !strings.Contains(r, "fetch first"):
			t.Errorf("three accepted at once: %q", r)
		}
	}
	if ok != 1 {
		t.Errorf("three accepted at once: %d went in", ok)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestPushGate: pushes past the gate's capacity wait, and are refused
// when they waited too long.
func TestPushGate(t *testing.T) {
	g := &pushGate{capacity: 100}
	rel1, err := g.acquire(context.Background(), 60, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		rel, err := g.acquire(context.Background(), 60, 5*time.Second)
		if err == nil {
			rel()
		}
		got <- err
	}()
	_, err = g.acquire(context.Background(), 60, 10*time.Millisecond)
	var rej *PushRejection
	if !errors.As(err, &rej) || !strings.Contains(rej.Message, "the server is busy receiving other pushes; try again in a minute") {
		t.Fatalf("third push: %v", err)
	}
	rel1()
	rel1() // twice is once
	if err := <-got; err != nil {
		t.Fatalf("waiting push: %v", err)
	}
	// More than the capacity is let in alone.
	rel, err := g.acquire(context.Background(), 1000, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rel()
	if g.used != 0 {
		t.Errorf("used %d after every release", g.used)
	}
}

// TestPushDeltas receives packs whose objects are deltas: chains, deltas
// on the wiki's own objects (a thin pack), and large results spilled to
// disk. Each must rebuild exactly; a chain deeper than git ever writes is
// refused.
func TestPushDeltas(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := filepath.Join(t.TempDir(), "content.git")
	r, err := Init(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	res, err := r.Commit(ctx, wiki.Commit{
		Author: wiki.Author{Name: "Willem Web", Email: "willem@example.nl"}, Message: "Begin",
		Changes: []wiki.Change{{Name: wiki.MustParseName("Home"), Content: []byte("Welkom.\n")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	head := plumbing.NewHash(res.Revision)
	homeBlob := plumbing.ComputeHash(plumbing.BlobObject, []byte("Welkom.\n"))
	// appendDelta is a delta that appends add to base.
	appendDelta := func(base int, add []byte) []byte {
		d := appendDeltaSize(nil, base)
		d = appendDeltaSize(d, base+len(add))
		d = appendCopy(d, 0, base)
		d = append(d, byte(len(add)))
		return append(d, add...)
	}
	// push writes a pack: entries, then a tree of files and a commit.
	push := func(t *testing.T, count int, entries func(b *packBuilder), files map[string]plumbing.Hash) PushResult {
		t.Helper()
		p := filepath.Join(t.TempDir(), "x.pack")
		b := newPackBuilder(t, p, uint32(count+2))
		entries(b)
		var names []string
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		var tree bytes.Buffer
		for _, n := range names {
			fmt.Fprintf(&tree, "100644 %s\x00", n)
			h := files[n]
			tree.Write(h[:])
		}
		th := b.object(plumbing.TreeObject, tree.Bytes())
		c := b.object(plumbing.CommitObject, []byte(fmt.Sprintf("tree %s\nparent %s\nauthor Pia <pia@example.nl> 1700000000 +0100\ncommitter Pia <pia@example.nl> 1700000000 +0100\n\nx\n", th, head)))
		b.finish(t)
		f := mustOpen(t, p)
		out := r.ReceivePack(ctx, []RefUpdate{{Name: r.branch, Old: head, New: c}}, f, PushLimits{})
		if out.UnpackErr == nil && out.Refs[0] == nil {
			head = c
		}
		left, _ := os.ReadDir(filepath.Join(dir, incomingDir))
		if len(left) > 0 {
			t.Errorf("left behind in %s: %v", incomingDir, left)
		}
		return out
	}
	catFile := func(t *testing.T, h plumbing.Hash) []byte {
		t.Helper()
		out, err := exec.Command("git", "-C", dir, "cat-file", "blob", h.String()).Output()
		if err != nil {
			t.Fatalf("git cat-file %s: %v", h, err)
		}
		return out
	}
	chain := func(depth int) (func(b *packBuilder), plumbing.Hash) {
		content := []byte("x")
		for range depth {
			content = append(content, 'x')
		}
		return func(b *packBuilder) {
			prev := b.entry(plumbing.BlobObject, 1, 0, func(w io.Writer) { w.Write([]byte("x")) })
			for i := range depth {
				d := appendDelta(1+i, []byte("x"))
				prev = b.entry(plumbing.OFSDeltaObject, int64(len(d)), prev, func(w io.Writer) { w.Write(d) })
			}
		}, plumbing.ComputeHash(plumbing.BlobObject, content)
	}

	t.Run("chain of 5000", func(t *testing.T) {
		fill, last := chain(5000)
		out := push(t, 5001, fill, map[string]plumbing.Hash{"Home.md": homeBlob, "Lang.md": last})
		var rej *PushRejection
		if !errors.As(out.Refs[0], &rej) || rej.Reason != "delta chain too deep" {
			t.Fatalf("push: %+v", out)
		}
	})
	t.Run("chain of 200", func(t *testing.T) {
		fill, last := chain(200)
		out := push(t, 201, fill, map[string]plumbing.Hash{"Home.md": homeBlob, "Lang.md": last})
		if out.UnpackErr != nil || out.Refs[0] != nil {
			t.Fatalf("push: %+v", out)
		}
		if got := catFile(t, last); string(got) != strings.Repeat("x", 201) {
			t.Errorf("rebuilt %q", got)
		}
	})
	t.Run("thin", func(t *testing.T) {
		// A delta on the wiki's own Home.md, which the pack lacks.
		d := appendDelta(len("Welkom.\n"), []byte("Meer.\n"))
		want := plumbing.ComputeHash(plumbing.BlobObject, []byte("Welkom.\nMeer.\n"))
		out := push(t, 1, func(b *packBuilder) {
			off := b.off
			b.write(appendEntryHeader(nil, plumbing.REFDeltaObject, int64(len(d))))
			b.write(homeBlob[:])
			zw := zlib.NewWriter(writerFunc(b.write))
			zw.Write(d)
			zw.Close()
			b.n++
			_ = off
		}, map[string]plumbing.Hash{"Home.md": want})
		if out.UnpackErr != nil || out.Refs[0] != nil {
			t.Fatalf("push: %+v", out)
		}
		p, err := r.ReadPage(ctx, wiki.MustParseName("Home"), "")
		if err != nil || string(p.Content) != "Welkom.\nMeer.\n" {
			t.Fatalf("Home after the push: %v %v", p, err)
		}
	})
	t.Run("large results spilled", func(t *testing.T) {
		// Two 3 MiB files, the second a delta on the first: too large to
		// keep in memory, so rebuilt into the spill file, from which the
		// new pack is written.
		base := bytes.Repeat([]byte("0123456789abcdef"), 3<<16)
		target := append(append([]byte{}, base...), "einde\n"...)
		bh, th := plumbing.ComputeHash(plumbing.BlobObject, base), plumbing.ComputeHash(plumbing.BlobObject, target)
		d := appendDelta(len(base), []byte("einde\n"))
		out := push(t, 2, func(b *packBuilder) {
			first := b.entry(plumbing.BlobObject, int64(len(base)), 0, func(w io.Writer) { w.Write(base) })
			b.entry(plumbing.OFSDeltaObject, int64(len(d)), first, func(w io.Writer) { w.Write(d) })
		}, map[string]plumbing.Hash{"Home.md": homeBlob, "a.bin": bh, "b.bin": th})
		if out.UnpackErr != nil || out.Refs[0] != nil {
			t.Fatalf("push: %+v", out)
		}
		if got := catFile(t, th); !bytes.Equal(got, target) {
			t.Errorf("b.bin rebuilt wrongly (%d bytes)", len(got))
		}
		if got := catFile(t, bh); !bytes.Equal(got, base) {
			t.Errorf("a.bin stored wrongly (%d bytes)", len(got))
		}
	})
	t.Run("delta on a missing base", func(t *testing.T) {
		d := appendDelta(3, []byte("x"))
		out := push(t, 1, func(b *packBuilder) {
			b.write(appendEntryHeader(nil, plumbing.REFDeltaObject, int64(len(d))))
			b.write(bytes.Repeat([]byte{7}, 20))
			zw := zlib.NewWriter(writerFunc(b.write))
			zw.Write(d)
			zw.Close()
			b.n++
		}, map[string]plumbing.Hash{"Home.md": homeBlob})
		if out.UnpackErr == nil || !strings.Contains(out.UnpackErr.Error(), "neither in the push nor in the wiki") {
			t.Fatalf("push: %+v", out)
		}
	})
	t.Run("size that lies", func(t *testing.T) {
		// The header says 5 bytes, the data inflates to 6.
		out := push(t, 1, func(b *packBuilder) {
			b.entry(plumbing.BlobObject, 5, 0, func(w io.Writer) { w.Write([]byte("zesjes")) })
		}, map[string]plumbing.Hash{"Home.md": homeBlob})
		if out.UnpackErr == nil || !strings.Contains(out.UnpackErr.Error(), "more than its size") {
			t.Fatalf("push: %+v", out)
		}
	})
	out, err := exec.Command("git", "-C", dir, "fsck", "--strict", "--no-dangling").CombinedOutput()
	if err != nil {
		t.Fatalf("git fsck --strict: %v\n%s", err, out)
	}
}
