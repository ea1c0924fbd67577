package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestIndexFileSurvivesRestart: the history index saved at close is used
// at the next start, gives the same answers as a fresh build, and picks
// up commits made while the wiki was not running.
func TestIndexFileSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "content.git")
	idx := filepath.Join(t.TempDir(), "history.idx")
	r, err := storage.Init(dir, storage.Options{IndexPath: idx})
	if err != nil {
		t.Fatal(err)
	}
	base := ""
	for i := range 30 {
		base = save(t, r, []wiki.Author{anna, bram}[i%2], "Map/Pagina", fmt.Sprintf("versie %d\n", i), base, fmt.Sprintf("edit %d", i))
		save(t, r, anna, fmt.Sprintf("Ander %d", i), "x\n", "", "ander")
	}
	want, _ := r.History(ctx, "Map/Pagina", wiki.HistoryQuery{Limit: 100})
	wantRecent, _ := r.Recent(ctx, wiki.HistoryQuery{Limit: 100})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(idx); err != nil || fi.Size() == 0 {
		t.Fatalf("no index file: %v", err)
	}

	// A commit while the wiki is down (as a push to the bare repository
	// would make), by the git CLI.
	work := t.TempDir()
	git(t, work, "clone", "-q", dir, "w")
	wd := filepath.Join(work, "w")
	os.WriteFile(filepath.Join(wd, "Map", "Pagina.md"), []byte("offline\n"), 0o644)
	git(t, wd, "-c", "user.name=Carla", "-c", "user.email=c@example.nl", "commit", "-qam", "offline")
	git(t, wd, "push", "-q", "origin", "main")

	r2, err := storage.Open(dir, storage.Options{IndexPath: idx})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if r2.IndexProblem != nil {
		t.Fatalf("index file not used: %v", r2.IndexProblem)
	}
	snap, _ := r2.Snapshot(ctx)
	if snap.PageCount() != 31 {
		t.Fatalf("after restart the wiki has %d pages, want 31", snap.PageCount())
	}
	if p, err := r2.ReadPage(ctx, "Ander 7", ""); err != nil || string(p.Content) != "x\n" {
		t.Fatalf("a page after restart: %v", err)
	}
	got, _ := r2.History(ctx, "Map/Pagina", wiki.HistoryQuery{Limit: 100})
	if len(got) != 31 || got[0].Author.Name != "Carla" {
		t.Fatalf("after restart: %d revisions, newest by %q", len(got), got[0].Author.Name)
	}
	if !reflect.DeepEqual(stripZones(got[1:]), stripZones(want)) {
		t.Fatalf("history from the index file differs from the original")
	}
	gotRecent, _ := r2.Recent(ctx, wiki.HistoryQuery{Limit: 100})
	if gotRecent[1].ID != wantRecent[0].ID || gotRecent[1].Message != wantRecent[0].Message || !reflect.DeepEqual(gotRecent[1].Changes, wantRecent[0].Changes) {
		t.Fatalf("recent changes from the index file differ")
	}
	p, err := r2.ReadPage(ctx, "Map/Pagina", want[5].ID)
	if err != nil || string(p.Content) != "versie 24\n" {
		t.Fatalf("old revision after restart: %v %q", err, p)
	}
}

// stripZones compares times as instants: the file keeps the offset, not
// the zone's name.
func stripZones(revs []wiki.PageRevision) []wiki.PageRevision {
	out := make([]wiki.PageRevision, len(revs))
	for i, r := range revs {
		r.Time = r.Time.UTC()
		out[i] = r
	}
	return out
}

func TestDamagedIndexFileIsRebuilt(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "content.git")
	idx := filepath.Join(t.TempDir(), "history.idx")
	r, _ := storage.Init(dir, storage.Options{IndexPath: idx})
	save(t, r, anna, "P", "x\n", "", "create")
	r.Close()
	b, _ := os.ReadFile(idx)
	// A torn last segment (a crash while appending) is not damage: the
	// segments before it are used and the rest is indexed again.
	os.WriteFile(idx, b[:len(b)/2], 0o644)
	rt, err := storage.Open(dir, storage.Options{IndexPath: idx})
	if err != nil {
		t.Fatal(err)
	}
	if rt.IndexProblem != nil {
		t.Fatalf("a torn segment was taken for damage: %v", rt.IndexProblem)
	}
	if h, _ := rt.History(ctx, "P", wiki.HistoryQuery{}); len(h) != 1 {
		t.Fatalf("history after a torn index: %d", len(h))
	}
	rt.Close()
	// Damage (not an index file of this version) is rebuilt.
	os.WriteFile(idx, append([]byte("garbage\n"), b...), 0o644)
	r2, err := storage.Open(dir, storage.Options{IndexPath: idx})
	if err != nil {
		t.Fatal(err)
	}
	if r2.IndexProblem == nil {
		t.Fatal("a damaged index file was not noticed")
	}
	if h, _ := r2.History(ctx, "P", wiki.HistoryQuery{}); len(h) != 1 {
		t.Fatalf("history after rebuild: %d", len(h))
	}
	r2.Close()
	r3, _ := storage.Open(dir, storage.Options{IndexPath: idx})
	defer r3.Close()
	if r3.IndexProblem != nil {
		t.Fatalf("rebuilt index was not saved: %v", r3.IndexProblem)
	}
}

// TestRewrittenHistoryRebuildsIndex: if main was reset behind the wiki's
// back, the saved index no longer fits and is rebuilt.
func TestRewrittenHistoryRebuildsIndex(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "content.git")
	idx := filepath.Join(t.TempDir(), "history.idx")
	r, _ := storage.Init(dir, storage.Options{IndexPath: idx})
	first := save(t, r, anna, "P", "een\n", "", "create")
	save(t, r, anna, "P", "twee\n", first, "edit")
	r.Close()
	git(t, dir, "update-ref", "refs/heads/main", first)

	r2, _ := storage.Open(dir, storage.Options{IndexPath: idx})
	defer r2.Close()
	h, _ := r2.History(ctx, "P", wiki.HistoryQuery{})
	if len(h) != 1 || h[0].ID != first {
		t.Fatalf("history after reset: %+v", h)
	}
}

// TestHistoryFollowsRenames: a page moved with git mv (delete + add of the
// same content), and one moved by the wiki (old name keeps a redirect),
// both keep their history.
func TestHistoryFollowsRenames(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	v1 := save(t, r, anna, "Oud", "een\n", "", "create")
	v2 := save(t, r, bram, "Oud", "twee\n", v1, "edit")

	// The wiki's way: new name gets the content, old name a redirect.
	res, err := r.Commit(ctx, wiki.Commit{Author: anna, Message: "rename", Changes: []wiki.Change{
		{Name: "Nieuw", Content: []byte("twee\n")},
		{Name: "Oud", Content: []byte("---\nredirect: Nieuw\n---\n"), Base: v2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	v3 := save(t, r, bram, "Nieuw", "drie\n", res.Revision, "after rename")

	h, _ := r.History(ctx, "Nieuw", wiki.HistoryQuery{})
	ids := []string{}
	for _, p := range h {
		ids = append(ids, p.Path+"@"+p.ID[:7])
	}
	want := []string{"Nieuw.md@" + v3[:7], "Nieuw.md@" + res.Revision[:7], "Oud.md@" + v2[:7], "Oud.md@" + v1[:7]}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("history of renamed page = %v, want %v", ids, want)
	}
	// The rename entry's previous content is the old name's text, so its
	// diff shows no change.
	if h[1].PrevBlob != h[1].Blob {
		t.Errorf("rename revision: prev %s, blob %s", h[1].PrevBlob, h[1].Blob)
	}
	if h[3].PrevBlob != "" {
		t.Errorf("creation has a previous blob %q", h[3].PrevBlob)
	}
	// Paging across the rename.
	page2, _ := r.History(ctx, "Nieuw", wiki.HistoryQuery{Limit: 2, Before: h[1].ID})
	if len(page2) != 2 || page2[0].ID != v2 || page2[1].ID != v1 {
		t.Fatalf("second page across the rename: %+v", page2)
	}

	// git mv by the CLI, pushed.
	work := t.TempDir()
	git(t, work, "clone", "-q", dir, "w")
	wd := filepath.Join(work, "w")
	git(t, wd, "mv", "Nieuw.md", "Verhuisd.md")
	git(t, wd, "-c", "user.name=Carla", "-c", "user.email=c@example.nl", "commit", "-qm", "git mv")
	git(t, wd, "push", "-q", "origin", "main")
	save(t, r, anna, "Los", "trigger sync\n", "", "sync")
	h, _ = r.History(ctx, "Verhuisd", wiki.HistoryQuery{})
	if len(h) != 5 || h[0].Author.Name != "Carla" || h[4].ID != v1 {
		t.Fatalf("history after git mv: %d entries", len(h))
	}
}

// TestMergesKeepAuthors: a push of "git pull" shape (the pusher's commits
// are the merge's first parent, the wiki's own the second) must credit
// every change to the commit that made it, not to the merge.
func TestMergesKeepAuthors(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	base := save(t, r, anna, "Web", "een\n", "", "create Web")
	save(t, r, anna, "Offline", "een\n", "", "create Offline")

	work := t.TempDir()
	git(t, work, "clone", "-q", dir, "w")
	wd := filepath.Join(work, "w")
	os.WriteFile(filepath.Join(wd, "Offline.md"), []byte("twee door Carla\n"), 0o644)
	git(t, wd, "-c", "user.name=Carla", "-c", "user.email=c@example.nl", "commit", "-qam", "offline edit")

	// Meanwhile, on the web.
	webEdit := save(t, r, bram, "Web", "twee door Bram\n", base, "web edit")

	git(t, wd, "-c", "user.name=Carla", "-c", "user.email=c@example.nl", "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
	git(t, wd, "push", "-q", "origin", "main")
	save(t, r, anna, "Los", "x\n", "", "sync") // the wiki notices the push

	web, _ := r.History(ctx, "Web", wiki.HistoryQuery{})
	if len(web) != 2 || web[0].ID != webEdit || web[0].Author != bram {
		t.Fatalf("history of Web: %+v", web)
	}
	off, _ := r.History(ctx, "Offline", wiki.HistoryQuery{})
	if len(off) != 2 || off[0].Author.Name != "Carla" || off[0].Message != "offline edit" {
		t.Fatalf("history of Offline: %+v", off)
	}
	// Each page's current revision is the commit that made its text.
	snap, _ := r.Snapshot(ctx)
	if pageRev(snap, "Web") != webEdit || pageRev(snap, "Offline") != off[0].ID {
		t.Fatalf("page revisions: %+v", slices.Collect(snap.Pages()))
	}
	// Reading at the pushed side commit gives that commit's text.
	p, err := r.ReadPage(ctx, "Web", off[0].ID)
	if err != nil || string(p.Content) != "een\n" || p.Revision.ID != base {
		t.Fatalf("Web at Carla's commit: %v %+v", err, p)
	}
	recent, _ := r.Recent(ctx, wiki.HistoryQuery{Limit: 10})
	var msgs []string
	for _, c := range recent {
		msgs = append(msgs, c.Summary())
	}
	if !reflect.DeepEqual(msgs[:2], []string{"sync", "Merge branch 'main' of " + dir}) && !strings.HasPrefix(msgs[1], "Merge") {
		t.Fatalf("recent: %q", msgs)
	}
	fsck(t, dir)

	// The same after a restart from the index file.
	r.Close()
	idx := filepath.Join(t.TempDir(), "h.idx")
	for range 2 {
		r2, err := storage.Open(dir, storage.Options{IndexPath: idx})
		if err != nil {
			t.Fatal(err)
		}
		web2, _ := r2.History(ctx, "Web", wiki.HistoryQuery{})
		snap2, _ := r2.Snapshot(ctx)
		if len(web2) != 2 || web2[0].ID != webEdit || snap2.PageCount() != 3 {
			t.Fatalf("after reopen: %+v, %d pages", web2, snap2.PageCount())
		}
		r2.Close()
	}
}
