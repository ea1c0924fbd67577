package links_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/links"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

var (
	_ links.Source  = (*storage.Repo)(nil)
	_ wiki.Consumer = (*links.Graph)(nil)
)

var anna = wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"}

// fixture is a repository with a graph subscribed to it.
type fixture struct {
	t    *testing.T
	repo *storage.Repo
	dir  string
	g    *links.Graph
	sub  wiki.Subscription
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	repo, err := storage.Init(filepath.Join(root, "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	f := &fixture{t: t, repo: repo, dir: filepath.Join(root, "links")}
	f.open()
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	g, err := links.Open(f.dir, links.Options{Source: f.repo})
	if err != nil {
		f.t.Fatal(err)
	}
	sub, err := f.repo.Subscribe(context.Background(), g)
	if err != nil {
		f.t.Fatal(err)
	}
	f.g, f.sub = g, sub
	f.t.Cleanup(f.close)
}

func (f *fixture) close() {
	if f.sub != nil {
		f.sub.Close()
		f.g.Close()
		f.sub = nil
	}
}

func (f *fixture) sync() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.sub.Sync(ctx); err != nil {
		f.t.Fatalf("sync: %v (last apply: %v)", err, f.sub.Err())
	}
	if err := f.sub.Err(); err != nil {
		f.t.Fatalf("apply: %v", err)
	}
}

// commit writes pages (a nil content deletes) as one commit and waits for
// the graph.
func (f *fixture) commit(pages map[string]*string) {
	f.t.Helper()
	ctx := context.Background()
	snap, err := f.repo.Snapshot(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	c := wiki.Commit{Author: anna, Message: "test"}
	for name, content := range pages {
		n := wiki.MustParseName(name)
		info, _ := snap.Page(n)
		ch := wiki.Change{Name: n, Base: info.Revision}
		if content == nil {
			ch.Delete = true
		} else {
			ch.Content = []byte(*content)
		}
		c.Changes = append(c.Changes, ch)
	}
	if _, err := f.repo.Commit(ctx, c); err != nil {
		f.t.Fatal(err)
	}
	f.sync()
}

func text(s string) *string { return &s }

func names(ns ...string) []wiki.Name {
	out := []wiki.Name{}
	for _, n := range ns {
		out = append(out, wiki.Name(n))
	}
	return out
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestGraph(t *testing.T) {
	f := newFixture(t)
	f.commit(map[string]*string{
		"Home": text("# Welkom\n\nZie [[WMO-loket/Ontwerp]], [[Nog niet]] en [[wmo-loket/ontwerp|nog eens]].\n\n" +
			"`[[In code]]` telt niet.\n"),
		"WMO-loket/Ontwerp": text("---\ntitle: Het ontwerp\ntags: [wmo, Ontwerp]\n---\n" +
			"Zie [de visie](../Beleid/Visie.md), [het loket](/WMO-loket), [extern](https://example.org/x.md), " +
			"[een bijlage](Ontwerp/schets.png), [[Nog niet]] en [[Ook niet]].\n"),
		"WMO-loket":    text("# Het loket\n\nOver het loket. [[Home]]\n"),
		"Beleid/Visie": text("---\ntags: WMO\n---\nOnze visie. [[Beleid/Visie]] linkt naar zichzelf.\n"),
		"Los":          text("Niemand linkt hierheen. [[Ook niet]]\n"),
	})
	g := f.g
	p, ok := g.Page("WMO-loket/Ontwerp")
	if !ok || p.Title != "Het ontwerp" || p.Author != anna.Name || p.Time.IsZero() || len(p.Revision) != 40 {
		t.Fatalf("page = %+v, %v", p, ok)
	}
	equal(t, "links of Ontwerp", g.Links("WMO-loket/Ontwerp"), []links.Link{
		{Name: "Beleid/Visie", Exists: true}, {Name: "Nog niet"}, {Name: "Ook niet"}, {Name: "WMO-loket", Exists: true},
	})
	equal(t, "links of Home", g.Links("Home"), []links.Link{{Name: "Nog niet"}, {Name: "WMO-loket/Ontwerp", Exists: true}})
	equal(t, "backlinks of Ontwerp", g.Backlinks("WMO-loket/Ontwerp"), names("Home"))
	equal(t, "backlinks of Visie (not itself)", g.Backlinks("Beleid/Visie"), names("WMO-loket/Ontwerp"))
	equal(t, "backlinks of a missing page", g.Backlinks("Nog niet"), names("Home", "WMO-loket/Ontwerp"))
	equal(t, "wanted", g.Wanted(), []links.Wanted{
		{Name: "Nog niet", From: names("Home", "WMO-loket/Ontwerp")},
		{Name: "Ook niet", From: names("Los", "WMO-loket/Ontwerp")},
	})
	equal(t, "orphans", g.Orphans(), names("Los"))
	equal(t, "tags", g.Tags(), []links.Tag{{Name: "Ontwerp", Count: 1}, {Name: "WMO", Count: 2}})
	tag, tagged := g.Tagged("WMO")
	equal(t, "tagged wmo", tagged, names("Beleid/Visie", "WMO-loket/Ontwerp"))
	if tag != "WMO" {
		t.Errorf("tag spelled %q, want the first of the equally common spellings", tag)
	}

	// Creating a wanted page takes it off the list; deleting a page
	// makes the pages it linked to orphans, and its links wanted no more.
	f.commit(map[string]*string{"Nog niet": text("Nu wel.\n"), "Los": nil})
	equal(t, "wanted after create and delete", g.Wanted(), []links.Wanted{{Name: "Ook niet", From: names("WMO-loket/Ontwerp")}})
	equal(t, "orphans after delete", g.Orphans(), []wiki.Name{})
	if _, ok := g.Page("Los"); ok {
		t.Error("a deleted page is still in the graph")
	}

	// A rename with link updates: the links follow, the stub at the old
	// name is no orphan, and its link does not keep the new page from
	// being one.
	w := wiki.New(f.repo, wiki.Options{})
	if _, err := w.Rename(context.Background(), wiki.Rename{From: "WMO-loket/Ontwerp", To: "WMO-loket/Ontwerp 2", Base: p.Revision, UpdateLinks: true, Author: anna}); err != nil {
		t.Fatal(err)
	}
	f.sync()
	equal(t, "backlinks after rename", g.Backlinks("WMO-loket/Ontwerp 2"), names("Home", "WMO-loket/Ontwerp"))
	if stub, _ := g.Page("WMO-loket/Ontwerp"); stub.Redirect != "WMO-loket/Ontwerp 2" {
		t.Errorf("the old name is no redirect stub: %+v", stub)
	}
	equal(t, "backlinks of Visie after rename", g.Backlinks("Beleid/Visie"), names("WMO-loket/Ontwerp 2"))
	// Ontwerp 2 still links to Nog niet, WMO-loket and Beleid/Visie.
	f.commit(map[string]*string{"Home": text("Niets meer.\n")})
	equal(t, "orphans after Home stops linking", g.Orphans(), names("WMO-loket/Ontwerp 2"))

	// The graph survives a restart without a reset, and stays in step.
	f.close()
	f.open()
	f.sync()
	equal(t, "orphans after restart", f.g.Orphans(), names("WMO-loket/Ontwerp 2"))
	equal(t, "tags after restart", f.g.Tags(), []links.Tag{{Name: "Ontwerp", Count: 1}, {Name: "WMO", Count: 2}})
	if f.g.Rebuilt() != nil {
		t.Errorf("rebuilt at restart: %v", f.g.Rebuilt())
	}
}

// TestDamagedFileIsRebuilt: the file is only derived state; garbage in it
// starts it afresh and the feed fills it again.
func TestDamagedFileIsRebuilt(t *testing.T) {
	f := newFixture(t)
	f.commit(map[string]*string{"Home": text("[[Elders]]\n")})
	f.close()
	if err := os.WriteFile(filepath.Join(f.dir, "links.db"), []byte("geen bbolt"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.open()
	f.sync()
	if f.g.Rebuilt() == nil {
		t.Error("Rebuilt is nil after the file was damaged")
	}
	equal(t, "wanted after rebuild", f.g.Wanted(), []links.Wanted{{Name: "Elders", From: names("Home")}})
	if f.g.Building() {
		t.Error("still building after the reset")
	}
}
