package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

var (
	anna = wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"}
	bram = wiki.Author{Name: "Bram Jansen", Email: "bram@example.nl"}
)

// newRepo creates a fresh repository in a temporary folder.
func newRepo(t *testing.T) (*storage.Repo, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "content.git")
	r, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, dir
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func fsck(t *testing.T, dir string) {
	t.Helper()
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

func save(t *testing.T, r *storage.Repo, who wiki.Author, name, content, base, msg string) string {
	t.Helper()
	res, err := r.Commit(context.Background(), wiki.Commit{
		Author: who, Message: msg,
		Changes: []wiki.Change{{Name: wiki.MustParseName(name), Content: []byte(content), Base: base}},
	})
	if err != nil {
		t.Fatalf("save %s: %v", name, err)
	}
	return res.Revision
}

func TestCommitAndRead(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	name := wiki.MustParseName("WMO-loket/Ontwerp")

	rev1 := save(t, r, anna, "WMO-loket/Ontwerp", "# Ontwerp\n\nEerste versie.\n", "", "Create WMO-loket/Ontwerp")
	// A page and a folder of the same name: git sorts "WMO-loket.md"
	// before "WMO-loket/", which fsck --strict checks.
	save(t, r, bram, "WMO-loket", "Overzicht\n", "", "Create WMO-loket")
	save(t, r, bram, "WMO-loket-oud", "Oud\n", "", "Create WMO-loket-oud")
	rev2 := save(t, r, bram, "WMO-loket/Ontwerp", "# Ontwerp\n\nTweede versie.\n", rev1, "Update")

	p, err := r.ReadPage(ctx, name, "")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Content) != "# Ontwerp\n\nTweede versie.\n" || p.Revision.ID != rev2 || p.Revision.Author != bram {
		t.Fatalf("head page = %q at %s by %v", p.Content, p.Revision.ID, p.Revision.Author)
	}
	old, err := r.ReadPage(ctx, name, rev1)
	if err != nil {
		t.Fatal(err)
	}
	if string(old.Content) != "# Ontwerp\n\nEerste versie.\n" || old.Revision.Author != anna {
		t.Fatalf("old page = %q by %v", old.Content, old.Revision.Author)
	}
	// As of a later commit that did not touch the page, the page's
	// revision is still the commit that last changed it.
	snap, _ := r.Snapshot(ctx)
	mid, err := r.ReadPage(ctx, name, pageRev(snap, wiki.MustParseName("WMO-loket-oud")))
	if err != nil || mid.Revision.ID != rev1 {
		t.Fatalf("page at later commit: rev %v, err %v", mid, err)
	}
	if _, err := r.ReadPage(ctx, wiki.MustParseName("WMO-loket"), rev1); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("page before it existed: err = %v, want ErrNotFound", err)
	}
	if _, err := r.ReadPage(ctx, name, "zz"); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("bad revision: err = %v, want ErrInvalidInput", err)
	}
	if _, err := r.ReadPage(ctx, name, strings.Repeat("a", 40)); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("unknown revision: err = %v, want ErrNotFound", err)
	}

	if got := snap.PageCount(); got != 3 {
		t.Fatalf("snapshot has %d pages, want 3", got)
	}
	fsck(t, dir)
	// The git CLI sees the same history, authors and text.
	log := git(t, dir, "log", "--format=%an <%ae>|%s", "main")
	want := "Bram Jansen <bram@example.nl>|Update\nBram Jansen <bram@example.nl>|Create WMO-loket-oud\nBram Jansen <bram@example.nl>|Create WMO-loket\nAnna de Vries <anna@example.nl>|Create WMO-loket/Ontwerp\n"
	if log != want {
		t.Fatalf("git log:\n%s\nwant:\n%s", log, want)
	}
	if got := git(t, dir, "show", "main:WMO-loket/Ontwerp.md"); got != "# Ontwerp\n\nTweede versie.\n" {
		t.Fatalf("git show = %q", got)
	}
}

func TestHistoryPaging(t *testing.T) {
	ctx := context.Background()
	r, _ := newRepo(t)
	base := ""
	var revs []string
	for i := range 12 {
		base = save(t, r, anna, "Pagina", fmt.Sprintf("versie %d\n", i), base, fmt.Sprintf("edit %d", i))
		revs = append(revs, base)
		save(t, r, bram, fmt.Sprintf("Ander/%d", i), "x\n", "", "other page")
	}
	name := wiki.MustParseName("Pagina")
	first, err := r.History(ctx, name, wiki.HistoryQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 5 || first[0].ID != revs[11] || first[4].ID != revs[7] {
		t.Fatalf("first page: %d revisions, first %s", len(first), first[0].ID)
	}
	if first[0].Message != "edit 11" || first[0].Author != anna {
		t.Fatalf("revision metadata: %+v", first[0])
	}
	second, err := r.History(ctx, name, wiki.HistoryQuery{Limit: 5, Before: first[4].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 5 || second[0].ID != revs[6] {
		t.Fatalf("second page starts at %s, want %s", second[0].ID, revs[6])
	}
	all, _ := r.History(ctx, name, wiki.HistoryQuery{Limit: 100})
	if len(all) != 12 {
		t.Fatalf("full history has %d entries, want 12", len(all))
	}
	recent, _ := r.Recent(ctx, wiki.HistoryQuery{Limit: 3})
	if len(recent) != 3 || recent[0].Changes[0].Path != "Ander/11.md" || recent[0].Changes[0].Kind != wiki.Added {
		t.Fatalf("recent: %+v", recent)
	}
	if h, _ := r.History(ctx, wiki.MustParseName("Nooit"), wiki.HistoryQuery{}); len(h) != 0 {
		t.Fatalf("history of a page that never existed: %v", h)
	}
}

func TestStaleBaseIsRefused(t *testing.T) {
	ctx := context.Background()
	r, _ := newRepo(t)
	rev1 := save(t, r, anna, "Pagina", "een\n", "", "create")
	save(t, r, bram, "Pagina", "twee\n", rev1, "bram")

	_, err := r.Commit(ctx, wiki.Commit{Author: anna, Message: "late",
		Changes: []wiki.Change{{Name: "Pagina", Content: []byte("drie\n"), Base: rev1}}})
	if !errors.Is(err, wiki.ErrStale) {
		t.Fatalf("stale save: err = %v, want ErrStale", err)
	}
	_, err = r.Commit(ctx, wiki.Commit{Author: anna, Message: "create again",
		Changes: []wiki.Change{{Name: "Pagina", Content: []byte("vier\n")}}})
	if !errors.Is(err, wiki.ErrStale) {
		t.Fatalf("creating an existing page: err = %v, want ErrStale", err)
	}
	_, err = r.Commit(ctx, wiki.Commit{Author: anna, Message: "case",
		Changes: []wiki.Change{{Name: "pagina", Content: []byte("vijf\n")}}})
	if !errors.Is(err, wiki.ErrNameTaken) {
		t.Fatalf("case collision: err = %v, want ErrNameTaken", err)
	}
	p, _ := r.ReadPage(ctx, "Pagina", "")
	if string(p.Content) != "twee\n" {
		t.Fatalf("content after refused saves = %q", p.Content)
	}
	if h, _ := r.History(ctx, "Pagina", wiki.HistoryQuery{}); len(h) != 2 {
		t.Fatalf("refused saves made commits: %d revisions", len(h))
	}
}

func TestUnchangedTextMakesNoCommit(t *testing.T) {
	ctx := context.Background()
	r, _ := newRepo(t)
	rev := save(t, r, anna, "Pagina", "zelfde\n", "", "create")
	res, err := r.Commit(ctx, wiki.Commit{Author: bram, Message: "nothing",
		Changes: []wiki.Change{{Name: "Pagina", Content: []byte("zelfde\n"), Base: rev}}})
	if err != nil || res.Committed || res.Revision != rev {
		t.Fatalf("unchanged save: %+v, %v", res, err)
	}
	snap, _ := r.Snapshot(ctx)
	if snap.Head != rev {
		t.Fatalf("head moved to %s", snap.Head)
	}
}

func TestDeleteRemovesEmptyFolders(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	rev := save(t, r, anna, "Map/Sub/Pagina", "x\n", "", "create")
	save(t, r, anna, "Blijft", "y\n", "", "create")
	_, err := r.Commit(ctx, wiki.Commit{Author: anna, Message: "delete",
		Changes: []wiki.Change{{Name: "Map/Sub/Pagina", Delete: true, Base: rev}}})
	if err != nil {
		t.Fatal(err)
	}
	if out := git(t, dir, "ls-tree", "-r", "--name-only", "main"); out != "Blijft.md\n" {
		t.Fatalf("tree after delete: %q", out)
	}
	if _, err := r.ReadPage(ctx, "Map/Sub/Pagina", ""); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("deleted page: %v", err)
	}
	// The old text stays readable at its revision.
	if p, err := r.ReadPage(ctx, "Map/Sub/Pagina", rev); err != nil || string(p.Content) != "x\n" {
		t.Fatalf("deleted page at old revision: %v", err)
	}
	h, _ := r.History(ctx, "Map/Sub/Pagina", wiki.HistoryQuery{})
	if len(h) != 2 || h[0].Changes[0].Kind != wiki.Deleted {
		t.Fatalf("history of deleted page: %+v", h)
	}
	fsck(t, dir)
}

func TestBadAuthorIsRefused(t *testing.T) {
	r, _ := newRepo(t)
	for _, a := range []wiki.Author{
		{Name: "Evil <x@y>\ncommitter x", Email: "e@x"},
		{Name: "ok", Email: "a>b"},
		{Name: "  ", Email: ""},
	} {
		_, err := r.Commit(context.Background(), wiki.Commit{Author: a, Message: "m",
			Changes: []wiki.Change{{Name: "P", Content: []byte("x")}}})
		if !errors.Is(err, wiki.ErrInvalidInput) {
			t.Errorf("author %q: err = %v, want ErrInvalidInput", a, err)
		}
	}
}

// TestConcurrentCommits saves from many goroutines: every save must land,
// each page's history must hold exactly its saves, and fsck stays clean.
func TestConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	const writers, edits = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := wiki.MustParseName(fmt.Sprintf("Map/Pagina %d", w))
			base := ""
			for i := range edits {
				res, err := r.Commit(ctx, wiki.Commit{Author: anna, Message: "edit",
					Changes: []wiki.Change{{Name: name, Content: fmt.Appendf(nil, "w%d e%d\n", w, i), Base: base}}})
				if err != nil {
					errs <- err
					return
				}
				base = res.Revision
				if _, err := r.ReadPage(ctx, name, ""); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := range writers {
		h, _ := r.History(ctx, wiki.MustParseName(fmt.Sprintf("Map/Pagina %d", w)), wiki.HistoryQuery{})
		if len(h) != edits {
			t.Fatalf("writer %d: %d revisions, want %d", w, len(h), edits)
		}
	}
	if n := strings.Count(git(t, dir, "log", "--oneline", "main"), "\n"); n != writers*edits {
		t.Fatalf("git log has %d commits, want %d", n, writers*edits)
	}
	fsck(t, dir)
}

// TestExternalPushIsIndexed moves main with the git CLI, as a push would,
// and checks that reopening and the next commit both see it.
func TestExternalPushIsIndexed(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	rev1 := save(t, r, anna, "Pagina", "een\n", "", "create")

	work := t.TempDir()
	git(t, work, "clone", "-q", dir, "w")
	wd := filepath.Join(work, "w")
	os.WriteFile(filepath.Join(wd, "Offline.md"), []byte("offline geschreven\n"), 0o644)
	os.WriteFile(filepath.Join(wd, "Pagina.md"), []byte("een\ntwee\n"), 0o644)
	git(t, wd, "add", "-A")
	git(t, wd, "-c", "user.name=Carla Offline", "-c", "user.email=carla@example.nl", "commit", "-q", "-m", "offline werk")
	git(t, wd, "push", "-q", "origin", "main")

	// A stale save against the pushed page is refused; a new page lands on
	// top of the pushed commit.
	_, err := r.Commit(ctx, wiki.Commit{Author: bram, Message: "late",
		Changes: []wiki.Change{{Name: "Pagina", Content: []byte("drie\n"), Base: rev1}}})
	if !errors.Is(err, wiki.ErrStale) {
		t.Fatalf("save over pushed change: %v", err)
	}
	save(t, r, bram, "Nieuw", "n\n", "", "new")
	p, err := r.ReadPage(ctx, "Offline", "")
	if err != nil || p.Revision.Author.Name != "Carla Offline" {
		t.Fatalf("pushed page: %+v, %v", p, err)
	}

	r2, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	h, _ := r2.History(ctx, "Pagina", wiki.HistoryQuery{})
	if len(h) != 2 || h[0].Author.Name != "Carla Offline" {
		t.Fatalf("history after reopen: %+v", h)
	}
	fsck(t, dir)
}

func TestCommitTimeAndMessage(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	when := time.Date(2026, 3, 1, 10, 4, 0, 0, time.FixedZone("CET", 3600))
	_, err := r.Commit(ctx, wiki.Commit{Author: anna, Message: "  Titel\n\nUitleg\n\n", Time: when,
		Changes: []wiki.Change{{Name: "P", Content: []byte("x\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "log", "-1", "--format=%aI|%B", "main"); got != "2026-03-01T10:04:00+01:00|Titel\n\nUitleg\n\n" {
		t.Fatalf("git log = %q", got)
	}
}

// pageRev is the last revision of a page in a snapshot, "" if missing.
func pageRev(s *wiki.Snapshot, n wiki.Name) string {
	p, _ := s.Page(n)
	return p.Revision
}
