package storage_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// These tests drive the push and fetch methods directly, with packs made
// by the git CLI; gitserver tests them end to end over HTTP.

func pushRepo(t *testing.T) (*storage.Repo, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := filepath.Join(t.TempDir(), "content.git")
	r, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, dir
}

// gitIO runs git in dir with stdin and returns stdout.
func gitIO(t *testing.T, dir string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+home, "GIT_CONFIG_GLOBAL="+filepath.Join(home, "cfg"),
		"GIT_AUTHOR_NAME=Pia Pusher", "GIT_AUTHOR_EMAIL=pia@example.nl",
		"GIT_COMMITTER_NAME=Pia Pusher", "GIT_COMMITTER_EMAIL=pia@example.nl")
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

func gitText(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(string(gitIO(t, dir, nil, args...)))
}

func commitText(t *testing.T, r *storage.Repo, name, content string) string {
	t.Helper()
	n := wiki.MustParseName(name)
	base := ""
	if p, err := r.ReadPage(context.Background(), n, ""); err == nil {
		base = p.Revision.ID
	}
	res, err := r.Commit(context.Background(), wiki.Commit{
		Author:  wiki.Author{Name: "Willem Web", Email: "willem@example.nl"},
		Message: "Edit " + name,
		Changes: []wiki.Change{{Name: n, Content: []byte(content), Base: base}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Revision
}

func headOf(t *testing.T, r *storage.Repo) plumbing.Hash {
	t.Helper()
	_, h, err := r.Branch()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// packFor makes a pack of the objects in clone that new has and old lacks.
func packFor(t *testing.T, clone, new, old string) []byte {
	t.Helper()
	return gitIO(t, clone, []byte(new+"\n^"+old+"\n"), "pack-objects", "--stdout", "--revs", "--thin", "-q")
}

func objectList(t *testing.T, dir string) string {
	t.Helper()
	var files []string
	filepath.Walk(filepath.Join(dir, "objects"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return strings.Join(files, "\n")
}

func rejection(t *testing.T, res storage.PushResult) *storage.PushRejection {
	t.Helper()
	if res.UnpackErr != nil {
		t.Fatalf("unpack: %v", res.UnpackErr)
	}
	var rej *storage.PushRejection
	if !errors.As(res.Refs[0], &rej) {
		t.Fatalf("push result %v, want a rejection", res.Refs[0])
	}
	return rej
}

// TestReceivePackChecksOldUnderTheLock: an update whose old id is no
// longer main's head (a web save came in between) is refused, and so is
// one that does not build on main.
func TestReceivePackChecksOldUnderTheLock(t *testing.T) {
	r, dir := pushRepo(t)
	h1 := commitText(t, r, "Home", "Welkom.\n")
	work := t.TempDir()
	gitIO(t, work, nil, "clone", "-q", dir, "kopie")
	clone := filepath.Join(work, "kopie")
	os.WriteFile(filepath.Join(clone, "Home.md"), []byte("Offline.\n"), 0o644)
	gitIO(t, clone, nil, "commit", "-qam", "Offline")
	c := gitText(t, clone, "rev-parse", "HEAD")
	pack := packFor(t, clone, c, h1)

	h2 := commitText(t, r, "Andere", "Op het web.\n")
	before := objectList(t, dir)
	main := plumbing.NewBranchReferenceName("main")
	res := r.ReceivePack(context.Background(), []storage.RefUpdate{{Name: main, Old: plumbing.NewHash(h1), New: plumbing.NewHash(c)}}, bytes.NewReader(pack), storage.PushLimits{})
	if rej := rejection(t, res); rej.Reason != "fetch first" {
		t.Errorf("stale old: %v", rej)
	}
	res = r.ReceivePack(context.Background(), []storage.RefUpdate{{Name: main, Old: plumbing.NewHash(h2), New: plumbing.NewHash(c)}}, bytes.NewReader(pack), storage.PushLimits{})
	if rej := rejection(t, res); rej.Reason != "non-fast-forward" {
		t.Errorf("not a descendant: %v", rej)
	}
	if h := headOf(t, r); h.String() != h2 {
		t.Errorf("main moved to %s", h)
	}
	if after := objectList(t, dir); after != before {
		t.Errorf("refused pushes left objects:\n%s\nwas\n%s", after, before)
	}
}

// hashObject writes a raw object with git hash-object --literally, which
// skips git's own checks, as a hostile client could.
func hashObject(t *testing.T, dir, typ string, data []byte) string {
	t.Helper()
	return strings.TrimSpace(string(gitIO(t, dir, data, "hash-object", "-t", typ, "-w", "--stdin", "--literally")))
}

func rawTree(entries ...string) []byte {
	// entries: mode, name, hex id, ...
	var b bytes.Buffer
	for i := 0; i+2 < len(entries); i += 3 {
		id, _ := hex.DecodeString(entries[i+2])
		fmt.Fprintf(&b, "%s %s\x00", entries[i], entries[i+1])
		b.Write(id)
	}
	return b.Bytes()
}

// TestReceivePackChecksObjects refuses commits and trees that git fsck
// --strict would refuse, even though the client's git let them through.
func TestReceivePackChecksObjects(t *testing.T) {
	r, dir := pushRepo(t)
	h1 := commitText(t, r, "Home", "Welkom.\n")
	work := t.TempDir()
	gitIO(t, work, nil, "clone", "-q", dir, "kopie")
	clone := filepath.Join(work, "kopie")
	blob := hashObject(t, clone, "blob", []byte("tekst\n"))
	goodTree := hashObject(t, clone, "tree", rawTree("100644", "Home.md", blob))
	commit := func(tree, author string) string {
		return hashObject(t, clone, "commit", []byte(fmt.Sprintf("tree %s\nparent %s\nauthor %s\ncommitter Pia <pia@example.nl> 1700000000 +0100\n\nbericht\n", tree, h1, author)))
	}
	sub := hashObject(t, clone, "tree", rawTree("100644", "a.md", blob))
	cases := []struct {
		name, commit, want string
	}{
		{"no author name", commit(goodTree, "<pia@example.nl> 1700000000 +0100"), "no space before the e-mail"},
		{"empty author name", commit(goodTree, " <pia@example.nl> 1700000000 +0100"), "no name"},
		{"bad date", commit(goodTree, "Pia <pia@example.nl> 01700000000 +0100"), "bad date"},
		{"bad zone", commit(goodTree, "Pia <pia@example.nl> 1700000000 +01"), "bad time zone"},
		{"zero-padded mode", commit(hashObject(t, clone, "tree", rawTree("100644", "Home.md", blob, "040000", "map", sub)), "Pia <p@x> 1 +0000"), "040000"},
		{"unsorted tree", commit(hashObject(t, clone, "tree", rawTree("100644", "b.md", blob, "100644", "a.md", blob)), "Pia <p@x> 1 +0000"), "not sorted"},
		{"duplicate entry", commit(hashObject(t, clone, "tree", rawTree("100644", "a.md", blob, "100644", "a.md", blob)), "Pia <p@x> 1 +0000"), "duplicate entry"},
		{"dot git", commit(hashObject(t, clone, "tree", rawTree("100644", "Home.md", blob, "40000", ".git", sub)), "Pia <p@x> 1 +0000"), `".git"`},
	}
	main := plumbing.NewBranchReferenceName("main")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pack := packFor(t, clone, c.commit, h1)
			res := r.ReceivePack(context.Background(), []storage.RefUpdate{{Name: main, Old: plumbing.NewHash(h1), New: plumbing.NewHash(c.commit)}}, bytes.NewReader(pack), storage.PushLimits{})
			if rej := rejection(t, res); !strings.Contains(rej.Message, c.want) {
				t.Errorf("rejection %q does not mention %q", rej.Message, c.want)
			}
			if h := headOf(t, r); h.String() != h1 {
				t.Errorf("main moved")
			}
		})
	}
	// A truncated pack is an unpack error.
	good := commit(goodTree, "Pia <pia@example.nl> 1700000000 +0100")
	pack := packFor(t, clone, good, h1)
	res := r.ReceivePack(context.Background(), []storage.RefUpdate{{Name: main, Old: plumbing.NewHash(h1), New: plumbing.NewHash(good)}}, bytes.NewReader(pack[:len(pack)-30]), storage.PushLimits{})
	if res.UnpackErr == nil {
		t.Error("truncated pack accepted")
	}
	// The same commit, whole, goes in.
	res = r.ReceivePack(context.Background(), []storage.RefUpdate{{Name: main, Old: plumbing.NewHash(h1), New: plumbing.NewHash(good)}}, bytes.NewReader(pack), storage.PushLimits{})
	if res.UnpackErr != nil || res.Refs[0] != nil || res.Commits != 1 {
		t.Fatalf("good push: %+v", res)
	}
	if p, err := r.ReadPage(context.Background(), wiki.MustParseName("Home"), ""); err != nil || string(p.Content) != "tekst\n" {
		t.Errorf("page after push: %v, %v", p, err)
	}
	gitIO(t, dir, nil, "fsck", "--strict", "--no-dangling")
}

func countObjectsV(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(gitText(t, dir, "count-objects", "-v"), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		m[k] = v
	}
	return m
}

// TestHousekeeping packs loose objects and consolidates packs while saves
// go on, and leaves a repository that git fsck --strict finds clean, with
// every revision readable.
func TestHousekeeping(t *testing.T) {
	r, dir := pushRepo(t)
	ctx := context.Background()
	var revs []string
	for i := range 60 {
		revs = append(revs, commitText(t, r, fmt.Sprintf("Map%d/Pagina", i%4), fmt.Sprintf("Versie %d.\n", i)))
	}
	if c := countObjectsV(t, dir); c["count"] == "0" {
		t.Fatalf("no loose objects before packing: %v", c)
	}
	done := make(chan struct{})
	go func() {
		// Saves carry on meanwhile.
		defer close(done)
		for i := range 30 {
			commitText(t, r, "Tijdens", fmt.Sprintf("Versie %d.\n", i))
		}
	}()
	for range 3 {
		if _, err := r.PackLooseObjects(ctx); err != nil {
			t.Fatal(err)
		}
		commitText(t, r, "Tussendoor", "x "+fmt.Sprint(len(revs))+"\n")
		revs = append(revs, commitText(t, r, "Tussendoor", "y\n"))
	}
	<-done
	if _, err := r.PackLooseObjects(ctx); err != nil {
		t.Fatal(err)
	}
	if c := countObjectsV(t, dir); c["count"] != "0" || c["packs"] == "1" {
		t.Fatalf("after packing: %v", c)
	}
	gitIO(t, dir, nil, "fsck", "--strict", "--no-dangling")

	n, err := r.ConsolidatePacks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := countObjectsV(t, dir); c["packs"] != "1" || c["count"] != "0" {
		t.Fatalf("after consolidating %d packs: %v", n, c)
	}
	gitIO(t, dir, nil, "fsck", "--strict", "--no-dangling")
	for i, rev := range revs[:60] {
		p, err := r.ReadPage(ctx, wiki.MustParseName(fmt.Sprintf("Map%d/Pagina", i%4)), rev)
		if err != nil || string(p.Content) != fmt.Sprintf("Versie %d.\n", i) {
			t.Fatalf("revision %d after repacking: %v %v", i, p, err)
		}
	}
}

// TestFetchPackIsValid checks prepared packs with git index-pack: a full
// clone and a thin incremental fetch, with and without ofs-delta, from a
// packed repository with loose objects on top, and a fetch that goes on
// while housekeeping consolidates the packs it reads.
func TestFetchPackIsValid(t *testing.T) {
	r, dir := pushRepo(t)
	ctx := context.Background()
	for i := range 40 {
		commitText(t, r, fmt.Sprintf("Map%d/Pagina %d", i%3, i%7), strings.Repeat(fmt.Sprintf("regel %d\n", i), 50))
	}
	if _, err := r.PackLooseObjects(ctx); err != nil {
		t.Fatal(err)
	}
	old := headOf(t, r)
	for i := range 5 {
		commitText(t, r, fmt.Sprintf("Map%d/Pagina %d", i%3, i%7), strings.Repeat(fmt.Sprintf("nieuw %d\n", i), 50))
	}
	if _, err := r.PackLooseObjects(ctx); err != nil {
		t.Fatal(err)
	}
	commitText(t, r, "Los", "nog niet ingepakt\n")
	new := headOf(t, r)

	receive := func(t *testing.T, req storage.FetchRequest, into string) {
		t.Helper()
		p, err := r.PreparePack(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := p.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		p.Close()
		sum := sha1.Sum(buf.Bytes()[:buf.Len()-20])
		if !bytes.Equal(sum[:], buf.Bytes()[buf.Len()-20:]) {
			t.Fatal("bad pack checksum")
		}
		gitIO(t, into, buf.Bytes(), "index-pack", "--stdin", "--fix-thin", "--strict")
		gitIO(t, into, nil, "update-ref", "refs/heads/main", new.String())
		gitIO(t, into, nil, "fsck", "--strict", "--no-dangling")
	}
	for _, ofs := range []bool{true, false} {
		t.Run(fmt.Sprintf("clone ofs=%v", ofs), func(t *testing.T) {
			into := filepath.Join(t.TempDir(), "x.git")
			gitIO(t, filepath.Dir(into), nil, "init", "-q", "--bare", into)
			receive(t, storage.FetchRequest{Wants: []plumbing.Hash{new}, OfsDelta: ofs}, into)
		})
		t.Run(fmt.Sprintf("thin fetch ofs=%v", ofs), func(t *testing.T) {
			work := t.TempDir()
			gitIO(t, work, nil, "clone", "-q", "--bare", dir, "x.git")
			into := filepath.Join(work, "x.git")
			gitIO(t, into, nil, "update-ref", "refs/heads/main", old.String())
			gitIO(t, into, nil, "reflog", "expire", "--expire=now", "--all")
			gitIO(t, into, nil, "gc", "-q", "--prune=now")
			receive(t, storage.FetchRequest{Wants: []plumbing.Hash{new}, Haves: []plumbing.Hash{old}, OfsDelta: ofs, ThinPack: true}, into)
		})
	}

	// A fetch in flight keeps its packs: consolidation leaves them for
	// later, and the pack still streams.
	p, err := r.PreparePack(ctx, storage.FetchRequest{Wants: []plumbing.Hash{new}, OfsDelta: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.PackLooseObjects(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ConsolidatePacks(ctx); err != nil {
		t.Fatal(err)
	}
	if c := countObjectsV(t, dir); c["packs"] == "1" {
		t.Error("packs were deleted under a fetch")
	}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	p.Close()
	into := filepath.Join(t.TempDir(), "y.git")
	gitIO(t, filepath.Dir(into), nil, "init", "-q", "--bare", into)
	gitIO(t, into, buf.Bytes(), "index-pack", "--stdin", "--strict")
	if _, err := r.ConsolidatePacks(ctx); err != nil {
		t.Fatal(err)
	}
	if c := countObjectsV(t, dir); c["packs"] != "1" {
		t.Errorf("after the fetch, consolidation left %s packs", c["packs"])
	}
	gitIO(t, dir, nil, "fsck", "--strict", "--no-dangling")
}

// TestHousekeepLoop runs the background loop hard while saves go on, then
// stops it: nothing is lost and the repository stays valid.
func TestHousekeepLoop(t *testing.T) {
	r, dir := pushRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Housekeep(ctx, storage.HousekeepingOptions{Every: 5 * time.Millisecond, MinLoose: 1, MaxPacks: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	var revs []string
	for i := range 40 {
		revs = append(revs, commitText(t, r, fmt.Sprintf("Pagina %d", i%5), fmt.Sprintf("versie %d\n", i)))
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	<-done
	for i, rev := range revs {
		p, err := r.ReadPage(context.Background(), wiki.MustParseName(fmt.Sprintf("Pagina %d", i%5)), rev)
		if err != nil || string(p.Content) != fmt.Sprintf("versie %d\n", i) {
			t.Fatalf("revision %d: %v %v", i, p, err)
		}
	}
	gitIO(t, dir, nil, "fsck", "--strict", "--no-dangling")
}

// pushCase is a push built from raw objects in a clone of the wiki.
type hostileClone struct {
	r     *storage.Repo
	dir   string
	clone string
	h1    string
}

func newHostileClone(t *testing.T) *hostileClone {
	t.Helper()
	r, dir := pushRepo(t)
	h1 := commitText(t, r, "Home", "Welkom.\n")
	work := t.TempDir()
	gitIO(t, work, nil, "clone", "-q", dir, "kopie")
	return &hostileClone{r: r, dir: dir, clone: filepath.Join(work, "kopie"), h1: h1}
}

// commitTree writes a commit of tree on main's head with the given author
// line and message.
func (hc *hostileClone) commitTree(t *testing.T, tree, author, message string) string {
	t.Helper()
	return hashObject(t, hc.clone, "commit", []byte(fmt.Sprintf("tree %s\nparent %s\nauthor %s\ncommitter Pia <pia@example.nl> 1700000000 +0100\n\n%s", tree, hc.h1, author, message)))
}

// assertRefused pushes new onto main and checks that the push is refused
// with a reason and message that mention wants, and that the repository
// is as it was and clean for git fsck --strict.
func (hc *hostileClone) assertRefused(t *testing.T, new string, lim storage.PushLimits, reason string, wants ...string) *storage.PushRejection {
	t.Helper()
	before, head := objectList(t, hc.dir), headOf(t, hc.r)
	pack := packFor(t, hc.clone, new, head.String())
	main := plumbing.NewBranchReferenceName("main")
	res := hc.r.ReceivePack(context.Background(), []storage.RefUpdate{{Name: main, Old: head, New: plumbing.NewHash(new)}}, bytes.NewReader(pack), lim)
	rej := rejection(t, res)
	if reason != "" && rej.Reason != reason {
		t.Errorf("reason %q, want %q (%s)", rej.Reason, reason, rej.Message)
	}
	for _, w := range wants {
		if !strings.Contains(rej.Message, w) {
			t.Errorf("rejection %q does not mention %q", rej.Message, w)
		}
	}
	if h := headOf(t, hc.r); h != head {
		t.Errorf("main moved to %s", h)
	}
	if after := objectList(t, hc.dir); after != before {
		t.Errorf("the refused push left objects:\n%s\nwas\n%s", after, before)
	}
	gitIO(t, hc.dir, nil, "fsck", "--strict", "--no-dangling")
	return rej
}

// TestReceivePackRefusesHostileObjects: pushes that git fsck --strict, or
// the wiki's own rules, refuse, each with its reason and nothing changed.
func TestReceivePackRefusesHostileObjects(t *testing.T) {
	hc := newHostileClone(t)
	blob := hashObject(t, hc.clone, "blob", []byte("tekst\n"))
	badURL := hashObject(t, hc.clone, "blob", []byte("[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch${IFS}/tmp/pwned\n"))
	sub := hashObject(t, hc.clone, "tree", rawTree("100644", "a.md", blob))
	ok := "Pia <pia@example.nl> 1700000000 +0100"
	// withEntries is a commit whose tree has Home.md and the entries.
	withEntries := func(entries ...string) string {
		all := append([]string{"100644", "Home.md", blob}, entries...)
		return hc.commitTree(t, hashObject(t, hc.clone, "tree", rawTree(sortEntries(all)...)), ok, "bericht\n")
	}
	goodTree := hashObject(t, hc.clone, "tree", rawTree("100644", "Home.md", blob))
	cases := []struct {
		name, commit, reason string
		wants                []string
	}{
		{"NUL in the author's name", hc.commitTree(t, goodTree, "Pia\x00Root <pia@example.nl> 1700000000 +0100", "bericht\n"), "bad commit", []string{"nulInHeader"}},
		{"NUL in the message", hc.commitTree(t, goodTree, ok, "bericht\x00verborgen\n"), "bad commit", []string{"nulInCommit"}},
		{"two committers", hashObject(t, hc.clone, "commit", []byte("tree "+goodTree+"\nparent "+hc.h1+"\nauthor "+ok+"\ncommitter "+ok+"\ncommitter Eve <e@x> 1 +0000\n\nx\n")), "bad commit", []string{"more than one committer"}},
		{"time zone", hc.commitTree(t, goodTree, "Pia <pia@example.nl> 1700000000 +1", "x\n"), "bad commit", []string{"bad time zone"}},
		{"GITMOD~1 with a command for a URL", withEntries("100644", "GITMOD~1", badURL), "invalid page name", []string{`"GITMOD~1"`, `".gitmodules"`}},
		{".gitmodules", withEntries("100644", ".gitmodules", badURL), "invalid page name", []string{`".gitmodules"`}},
		{".GITMODULES", withEntries("100644", ".GITMODULES", badURL), "invalid page name", []string{`".gitmodules"`}},
		{".gitmodules with an invisible character", withEntries("100644", "\u200c.gitmodules", badURL), "invalid page name", []string{`".gitmodules"`}},
		{"gi7eba~1", withEntries("100644", "gi7eba~1", badURL), "invalid page name", []string{`".gitmodules"`}},
		{".gitmodules as a symbolic link", withEntries("120000", ".gitmodules", blob), "bad tree", []string{"gitmodulesSymlink"}},
		{"git~1 folder", withEntries("40000", "git~1", sub), "bad tree", []string{`"git~1"`, "hasDotgit"}},
		{"GIT~1 file", withEntries("100644", "GIT~1", blob), "bad tree", []string{`"GIT~1"`, "hasDotgit"}},
		{".git. folder", withEntries("40000", ".git.", sub), "bad tree", []string{"hasDotgit"}},
		{".git with an invisible character", withEntries("40000", "\u200c.git", sub), "bad tree", []string{"hasDotgit"}},
		{"name of 256 bytes", withEntries("100644", strings.Repeat("x", 252)+".png", blob), "invalid page name", []string{"at most 255 bytes"}},
		{"page name of 256 bytes", withEntries("100644", strings.Repeat("x", 253)+".md", blob), "invalid page name", []string{"at most 255 bytes"}},
		{"group-writable mode", withEntries("100664", "a.md", blob), "bad tree", []string{`"100664"`}},
		{"submodule", withEntries("160000", "sub", hc.h1), "submodule", []string{`"sub" is a submodule`}},
		{"attachments differing in case", withEntries("100644", "A.png", blob, "100644", "a.png", blob), "name taken", []string{`"A.png" and "a.png" differ only in letter case`}},
		{"folder and file differing in case", withEntries("40000", "Foo", sub, "100644", "foo", blob), "name taken", []string{`"Foo" and "foo" differ only in letter case`}},
		{"nested attachments differing in case", withEntries("40000", "Map", hashObject(t, hc.clone, "tree", rawTree("100644", "Foto.JPG", blob, "100644", "foto.jpg", blob))), "name taken", []string{`"Map/Foto.JPG" and "Map/foto.jpg"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc.assertRefused(t, c.commit, storage.PushLimits{}, c.reason, c.wants...)
		})
	}
	t.Run("a tag for main", func(t *testing.T) {
		good := hc.commitTree(t, goodTree, ok, "x\n")
		tag := hashObject(t, hc.clone, "tag", []byte("object "+good+"\ntype commit\ntag v1\ntagger "+ok+"\n\nVersie 1\n"))
		hc.assertRefused(t, tag, storage.PushLimits{}, "not a commit", "is a tag")
	})
	// A folder and a page of one name are a page and its attachments.
	good := withEntries("40000", "Foo", sub, "100644", "foo.md", blob)
	pack := packFor(t, hc.clone, good, hc.h1)
	main := plumbing.NewBranchReferenceName("main")
	res := hc.r.ReceivePack(context.Background(), []storage.RefUpdate{{Name: main, Old: plumbing.NewHash(hc.h1), New: plumbing.NewHash(good)}}, bytes.NewReader(pack), storage.PushLimits{})
	if res.UnpackErr != nil || res.Refs[0] != nil {
		t.Fatalf("push of Foo/ and foo.md: %+v", res)
	}
	gitIO(t, hc.dir, nil, "fsck", "--strict", "--no-dangling")
}

// sortEntries sorts mode, name, id triples the way git sorts a tree.
func sortEntries(entries []string) []string {
	type entry struct{ mode, name, id string }
	var list []entry
	for i := 0; i+2 < len(entries); i += 3 {
		list = append(list, entry{entries[i], entries[i+1], entries[i+2]})
	}
	key := func(e entry) string {
		if e.mode == "40000" {
			return e.name + "/"
		}
		return e.name
	}
	sort.SliceStable(list, func(i, j int) bool { return key(list[i]) < key(list[j]) })
	var out []string
	for _, e := range list {
		out = append(out, e.mode, e.name, e.id)
	}
	return out
}

// TestReceivePackMayChangeSeesMerges: a merge whose first parent is an
// older commit of main, with Beleid/ as it was then, changes Beleid/ on
// main although it changes nothing against its first parent. An editor
// who may not change Beleid/ is refused.
func TestReceivePackMayChangeSeesMerges(t *testing.T) {
	r, dir := pushRepo(t)
	commitText(t, r, "Home", "Welkom.\n")
	old := commitText(t, r, "Beleid/Plan", "Versie 1.\n")
	commitText(t, r, "Home", "Welkom op de wiki.\n")
	cur := commitText(t, r, "Beleid/Plan", "Versie 2, vastgesteld.\n")
	work := t.TempDir()
	gitIO(t, work, nil, "clone", "-q", dir, "kopie")
	clone := filepath.Join(work, "kopie")
	// The tree of the old commit with a page added, merged with main.
	gitIO(t, clone, nil, "read-tree", old)
	blob := hashObject(t, clone, "blob", []byte("Nieuw.\n"))
	gitIO(t, clone, nil, "update-index", "--add", "--cacheinfo", "100644,"+blob+",Nieuw.md")
	tree := gitText(t, clone, "write-tree")
	merge := gitText(t, clone, "commit-tree", tree, "-p", old, "-p", cur, "-m", "Samenvoegen")

	var asked [][]string
	lim := storage.PushLimits{MayChange: func(paths []string) error {
		asked = append(asked, paths)
		for _, p := range paths {
			if strings.HasPrefix(p, "Beleid/") {
				return fmt.Errorf("%s is in the protected folder Beleid/; ask an administrator", p)
			}
		}
		return nil
	}}
	hc := &hostileClone{r: r, dir: dir, clone: clone, h1: cur}
	hc.assertRefused(t, merge, lim, "not allowed", "Beleid/Plan.md is in the protected folder")
	if len(asked) != 1 || strings.Join(asked[0], ",") != "Beleid/Plan.md,Home.md,Nieuw.md" {
		t.Errorf("MayChange was asked %q", asked)
	}

	// A change to Beleid/ and back again is still a change.
	gitIO(t, clone, nil, "reset", "-q", "--hard", "origin/main")
	os.WriteFile(filepath.Join(clone, "Beleid", "Plan.md"), []byte("Ingetrokken.\n"), 0o644)
	gitIO(t, clone, nil, "commit", "-qam", "Weg ermee")
	gitIO(t, clone, nil, "revert", "--no-edit", "HEAD")
	tip := gitText(t, clone, "rev-parse", "HEAD")
	asked = nil
	hc.assertRefused(t, tip, lim, "not allowed", "Beleid/Plan.md")

	// Without the rule the merge goes in.
	main := plumbing.NewBranchReferenceName("main")
	pack := packFor(t, clone, merge, cur)
	res := r.ReceivePack(context.Background(), []storage.RefUpdate{{Name: main, Old: plumbing.NewHash(cur), New: plumbing.NewHash(merge)}}, bytes.NewReader(pack), storage.PushLimits{})
	if res.UnpackErr != nil || res.Refs[0] != nil {
		t.Fatalf("merge without rules: %+v", res)
	}
	gitIO(t, dir, nil, "fsck", "--strict", "--no-dangling")
}

// TestThinFetchWhenClientHasObjects: a client may already have objects the
// server sends (from a commit of its own that it has not pushed). Git's
// index-pack then dies on a REF_DELTA whose base comes later in the pack
// ("REF_DELTA ... already resolved (duplicate base?)"), as seen in a crash
// test. The walk here happens to meet bases first, so the index-pack call
// alone would pass either way: the check that fails when a delta names a
// later base is the offsets from git verify-pack below.
func TestThinFetchWhenClientHasObjects(t *testing.T) {
	r, dir := pushRepo(t)
	ctx := context.Background()
	for i := range 20 {
		commitText(t, r, fmt.Sprintf("Map%d/Pagina %d", i%3, i%5), strings.Repeat(fmt.Sprintf("regel %d\n", i), 40))
	}
	if _, err := r.PackLooseObjects(ctx); err != nil {
		t.Fatal(err)
	}
	old := headOf(t, r)
	// Loose commits that edit the same folders and pages, so that the
	// pack computes deltas between their trees and blobs.
	for i := range 30 {
		commitText(t, r, fmt.Sprintf("Map%d/Pagina %d", i%3, i%5), strings.Repeat(fmt.Sprintf("nieuw %d\n", i), 40)+"slot\n")
	}
	new := headOf(t, r)
	for _, ofs := range []bool{true, false} {
		t.Run(fmt.Sprintf("ofs=%v", ofs), func(t *testing.T) {
			work := t.TempDir()
			gitIO(t, work, nil, "clone", "-q", "--bare", dir, "x.git")
			into := filepath.Join(work, "x.git")
			// The client has every object, but says it has only old.
			gitIO(t, into, nil, "update-ref", "refs/heads/main", old.String())
			p, err := r.PreparePack(ctx, storage.FetchRequest{Wants: []plumbing.Hash{new}, Haves: []plumbing.Hash{old}, OfsDelta: ofs, ThinPack: true})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := p.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			p.Close()
			out := gitIO(t, into, buf.Bytes(), "index-pack", "--stdin", "--fix-thin", "--strict")
			gitIO(t, into, nil, "update-ref", "refs/heads/main", new.String())
			gitIO(t, into, nil, "fsck", "--strict", "--no-dangling")
			// Every delta whose base was sent in the pack comes after that
			// base. (--fix-thin appends the client's own bases at the end.)
			sum := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "pack\t"))
			listing := gitIO(t, into, nil, "verify-pack", "-v", filepath.Join("objects", "pack", "pack-"+sum+".idx"))
			offsets := map[string]int64{}
			type delta struct {
				id, base string
				off      int64
			}
			var deltas []delta
			for _, line := range strings.Split(string(listing), "\n") {
				f := strings.Fields(line)
				if len(f) < 5 || len(f[0]) != 40 {
					continue
				}
				off, _ := strconv.ParseInt(f[4], 10, 64)
				offsets[f[0]] = off
				if len(f) == 7 {
					deltas = append(deltas, delta{f[0], f[6], off})
				}
			}
			sent := int64(buf.Len() - 20)
			checked := 0
			for _, d := range deltas {
				if bo := offsets[d.base]; bo < sent {
					checked++
					if bo >= d.off {
						t.Errorf("delta %s at %d names base %s at %d, later in the pack", d.id, d.off, d.base, bo)
					}
				}
			}
			t.Logf("%d deltas, %d against bases in the pack", len(deltas), checked)
		})
	}
}

// TestMoveCreditsMergeShapedChanges: a merge whose first parent is an older
// main commit and whose tree has a page as it was then changes that page,
// though it differs from no parent on its own; history and recent changes
// show the merge as the change (issue 10: "history that hides the merge").
func TestMoveCreditsMergeShapedChanges(t *testing.T) {
	r, dir := pushRepo(t)
	ctx := context.Background()
	old := commitText(t, r, "Beleid/Visie", "oude visie\n")
	admin := commitText(t, r, "Beleid/Visie", "nieuwe visie\n")
	clone := filepath.Join(t.TempDir(), "clone")
	gitIO(t, filepath.Dir(clone), nil, "clone", "-q", dir, clone)
	tree := strings.TrimSpace(gitText(t, clone, "rev-parse", old+"^{tree}"))
	merge := strings.TrimSpace(string(gitIO(t, clone, []byte("samenvoegen\n"), "-c", "user.name=Eva Editor", "-c", "user.email=eva@example.nl",
		"commit-tree", tree, "-p", old, "-p", admin)))
	res := r.ReceivePack(ctx, []storage.RefUpdate{{Name: "refs/heads/main", Old: plumbing.NewHash(admin), New: plumbing.NewHash(merge)}},
		bytes.NewReader(packFor(t, clone, merge, admin)), storage.PushLimits{})
	if res.UnpackErr != nil || res.Refs[0] != nil {
		t.Fatalf("push: %+v", res)
	}
	h, err := r.History(ctx, "Beleid/Visie", wiki.HistoryQuery{})
	if err != nil || len(h) == 0 || h[0].ID != merge || h[0].Blob == "" {
		t.Fatalf("history of the page after the merge-shaped push: %+v %v", h, err)
	}
	recent, _ := r.Recent(ctx, wiki.HistoryQuery{Limit: 1})
	if len(recent) != 1 || recent[0].ID != merge || len(recent[0].Changes) != 1 || recent[0].Changes[0].Path != "Beleid/Visie.md" {
		t.Fatalf("recent changes: %+v", recent)
	}
	p, _ := r.ReadPage(ctx, "Beleid/Visie", "")
	if string(p.Content) != "oude visie\n" || p.Revision.ID != merge {
		t.Fatalf("page after the push: %q at %s", p.Content, p.Revision.ID)
	}
}
