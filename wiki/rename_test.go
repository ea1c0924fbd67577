package wiki_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestRenameMovesPageLeavesRedirectAndUpdatesLinks(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	page, _ := w.Save(ctx, wiki.Save{Name: "WMO/Ontwerp", Content: []byte("# Ontwerp\n")})
	w.Save(ctx, wiki.Save{Name: "Home", Content: []byte("Zie [[WMO/Ontwerp]], [[wmo/ontwerp|het ontwerp]] en [[WMO/Ontwerp#Doel]].\n\n`[[WMO/Ontwerp]]` blijft.\n")})
	w.Save(ctx, wiki.Save{Name: "Los", Content: []byte("Geen link hier, alleen Ontwerp.\n")})

	res, err := w.Rename(ctx, wiki.Rename{From: "WMO/Ontwerp", To: "WMO-loket/Ontwerp", Base: page.Revision, UpdateLinks: true, Author: wiki.Author{Name: "Anna"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 1 || res.Updated[0] != "Home" {
		t.Fatalf("updated %v, want [Home]", res.Updated)
	}
	moved, err := w.Page(ctx, "WMO-loket/Ontwerp", "")
	if err != nil || string(moved.Content) != "# Ontwerp\n" || moved.Revision.ID != res.Revision {
		t.Fatalf("moved page: %v %+v", err, moved)
	}
	old, _ := w.Page(ctx, "WMO/Ontwerp", "")
	if to, ok := wiki.RedirectTarget(old.Content); !ok || to != "WMO-loket/Ontwerp" {
		t.Fatalf("old name holds %q, not a redirect", old.Content)
	}
	home, _ := w.Page(ctx, "Home", "")
	want := "Zie [[WMO-loket/Ontwerp]], [[WMO-loket/Ontwerp|het ontwerp]] en [[WMO-loket/Ontwerp#Doel]].\n\n`[[WMO/Ontwerp]]` blijft.\n"
	if string(home.Content) != want {
		t.Fatalf("links not rewritten:\n%s", home.Content)
	}
	if home.Revision.ID != res.Revision {
		t.Fatal("link update is not in the rename commit")
	}
	r, _ := w.Revision(ctx, res.Revision)
	if r.Message != "Rename WMO/Ontwerp to WMO-loket/Ontwerp and update links in 1 page(s)" || r.Author.Name != "Anna" {
		t.Fatalf("commit: %q by %s", r.Message, r.Author.Name)
	}
}

func TestRenameRefusals(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	a, _ := w.Save(ctx, wiki.Save{Name: "A", Content: []byte("a\n")})
	w.Save(ctx, wiki.Save{Name: "B", Content: []byte("b\n")})
	if _, err := w.Rename(ctx, wiki.Rename{From: "A", To: "b", Base: a.Revision}); !errors.Is(err, wiki.ErrNameTaken) {
		t.Errorf("rename onto existing page: %v", err)
	}
	if _, err := w.Rename(ctx, wiki.Rename{From: "A", To: "C", Base: strings.Repeat("1", 40)}); !errors.Is(err, wiki.ErrConflict) {
		t.Errorf("stale rename: %v", err)
	}
	if _, err := w.Rename(ctx, wiki.Rename{From: "Nope", To: "C"}); !errors.Is(err, wiki.ErrNotFound) {
		t.Errorf("rename missing page: %v", err)
	}
	if _, err := w.Rename(ctx, wiki.Rename{From: "A", To: "A/Sub", Base: a.Revision}); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Errorf("rename into own folder: %v", err)
	}
	if !w.Exists(ctx, "A") || w.Exists(ctx, "C") {
		t.Error("a refused rename changed pages")
	}
}

func TestDeleteRestoreRevert(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	v1, _ := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("een\n")})
	v2, _ := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("twee\n"), Base: v1.Revision})

	// Revert to v1: a new commit with v1's text.
	rv, err := w.Revert(ctx, wiki.RevertRequest{Name: "P", To: v1.Revision, Base: v2.Revision, Author: wiki.Author{Name: "Anna"}})
	if err != nil || !rv.Committed {
		t.Fatalf("revert: %+v %v", rv, err)
	}
	p, _ := w.Page(ctx, "P", "")
	if string(p.Content) != "een\n" || !strings.HasPrefix(p.Revision.Message, "Revert P to ") {
		t.Fatalf("after revert: %q %q", p.Content, p.Revision.Message)
	}
	if _, err := w.Revert(ctx, wiki.RevertRequest{Name: "P", To: v2.Revision, Base: v2.Revision}); !errors.Is(err, wiki.ErrConflict) {
		t.Fatalf("revert with stale base: %v", err)
	}

	// Delete, then restore the last version.
	del, err := w.Delete(ctx, wiki.DeleteRequest{Name: "P", Base: rv.Revision, Author: wiki.Author{Name: "Bram"}, Message: "weg"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := w.DeletedPage(ctx, "P")
	if err != nil || info.Deleted.ID != del || info.Deleted.Author.Name != "Bram" || info.LastVersion.ID != rv.Revision {
		t.Fatalf("deleted page info: %+v %v", info, err)
	}
	res, err := w.Revert(ctx, wiki.RevertRequest{Name: "P", To: info.LastVersion.ID})
	if err != nil || !res.Created {
		t.Fatalf("restore: %+v %v", res, err)
	}
	p, _ = w.Page(ctx, "P", "")
	if string(p.Content) != "een\n" || !strings.HasPrefix(p.Revision.Message, "Restore P from ") {
		t.Fatalf("restored: %q %q", p.Content, p.Revision.Message)
	}
	h, _ := w.History(ctx, "P", wiki.HistoryQuery{})
	if len(h) != 5 {
		t.Fatalf("history has %d entries, want 5 (create, edit, revert, delete, restore)", len(h))
	}
	if _, err := w.DeletedPage(ctx, "Nooit"); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("never existed: %v", err)
	}
}

func TestBlame(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	a := wiki.Author{Name: "Anna"}
	b := wiki.Author{Name: "Bram"}
	c := wiki.Author{Name: "Carla"}
	r1, _ := w.Save(ctx, wiki.Save{Name: "Oud", Content: []byte("een\ntwee\ndrie\n"), Author: a})
	r2, _ := w.Save(ctx, wiki.Save{Name: "Oud", Content: []byte("een\nTWEE\ndrie\nvier\n"), Base: r1.Revision, Author: b})
	ren, err := w.Rename(ctx, wiki.Rename{From: "Oud", To: "Nieuw", Base: r2.Revision, Author: c})
	if err != nil {
		t.Fatal(err)
	}
	r4, _ := w.Save(ctx, wiki.Save{Name: "Nieuw", Content: []byte("nul\neen\nTWEE\nvier\n"), Base: ren.Revision, Author: c})

	lines, err := w.Blame(ctx, "Nieuw")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ text, rev string }{
		{"nul", r4.Revision}, {"een", r1.Revision}, {"TWEE", r2.Revision}, {"vier", r2.Revision},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		if l.Number != i+1 || l.Text != want[i].text || l.Revision.ID != want[i].rev {
			t.Errorf("line %d: %q by %s (%s), want %q from %s", l.Number, l.Text, l.Revision.Author.Name, l.Revision.ID[:7], want[i].text, want[i].rev[:7])
		}
	}
	// Line stats in the history, across the rename.
	h, _ := w.History(ctx, "Nieuw", wiki.HistoryQuery{})
	stats := [][2]int{}
	for _, r := range h {
		stats = append(stats, [2]int{r.Added, r.Removed})
	}
	if want := [][2]int{{1, 1}, {0, 0}, {2, 1}, {3, 0}}; !reflect.DeepEqual(stats, want) {
		t.Errorf("line stats %v, want %v", stats, want)
	}
}
