package wiki_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

func newWiki(t *testing.T) *wiki.Wiki {
	t.Helper()
	repo, err := storage.Init(filepath.Join(t.TempDir(), "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	return wiki.New(repo, wiki.Options{MaxPageBytes: 1000})
}

func TestSaveDefaultsAndConflict(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	res, err := w.Save(ctx, wiki.Save{Name: "Pagina", Content: []byte("een\r\ntwee\r\n")})
	if err != nil || !res.Created || !res.Committed {
		t.Fatalf("create: %+v %v", res, err)
	}
	p, _ := w.Page(ctx, "Pagina", "")
	if string(p.Content) != "een\ntwee\n" || p.Revision.Author.Name != wiki.AnonymousName || p.Revision.Message != "Create Pagina" {
		t.Fatalf("saved page: %q by %q: %q", p.Content, p.Revision.Author.Name, p.Revision.Message)
	}
	res2, err := w.Save(ctx, wiki.Save{Name: "Pagina", Content: []byte("een\ndrie\n"), Base: res.Revision, Author: wiki.Author{Name: "Anna"}})
	if err != nil || res2.Created {
		t.Fatalf("update: %+v %v", res2, err)
	}
	if r, _ := w.Revision(ctx, res2.Revision); r.Message != "Update Pagina" || r.Author.Name != "Anna" {
		t.Fatalf("update commit: %+v", r)
	}

	_, err = w.Save(ctx, wiki.Save{Name: "Pagina", Content: []byte("mijn tekst\n"), Base: res.Revision})
	var ce *wiki.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, wiki.ErrConflict) {
		t.Fatalf("stale save: %v", err)
	}
	if ce.Yours != "mijn tekst\n" || ce.Current == nil || string(ce.Current.Content) != "een\ndrie\n" || ce.Current.Revision.ID != res2.Revision {
		t.Fatalf("conflict: %+v", ce)
	}
}

func TestSaveRefusesBadText(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	if _, err := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("\xff")}); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if _, err := w.Save(ctx, wiki.Save{Name: "P", Content: []byte(strings.Repeat("x", 1001))}); !errors.Is(err, wiki.ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	if pages, _ := w.Pages(ctx); len(pages) != 0 {
		t.Errorf("refused saves created %v", pages)
	}
}

// TestRenderFollowsNewPages checks that the render cache does not keep a
// "create this page" link once the page exists.
func TestRenderFollowsNewPages(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	w.Save(ctx, wiki.Save{Name: "Home", Content: []byte("Zie [[Later]].\n")})
	v, err := w.View(ctx, "Home", "")
	if err != nil || !strings.Contains(string(v.Doc.HTML), "wikilink-missing") {
		t.Fatalf("before: %v\n%s", err, v.Doc.HTML)
	}
	w.Save(ctx, wiki.Save{Name: "Later", Content: []byte("Nu wel.\n")})
	v, _ = w.View(ctx, "Home", "")
	if strings.Contains(string(v.Doc.HTML), "wikilink-missing") || !strings.Contains(string(v.Doc.HTML), `href="/Later"`) {
		t.Fatalf("after creating the page, the link still says missing:\n%s", v.Doc.HTML)
	}
}

func TestCompareDefaultsToPreviousVersion(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	r1, _ := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("a\nb\n")})
	w.Save(ctx, wiki.Save{Name: "Q", Content: []byte("other\n")})
	r2, _ := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("a\nc\n"), Base: r1.Revision})

	c, err := w.Compare(ctx, "P", "", r2.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if c.From == nil || c.From.Revision.ID != r1.Revision || c.Diff.Added != 1 || c.Diff.Removed != 1 {
		t.Fatalf("compare with previous: from %+v, +%d -%d", c.From, c.Diff.Added, c.Diff.Removed)
	}
	if !strings.Contains(c.Unified, "-b\n+c\n") {
		t.Fatalf("unified:\n%s", c.Unified)
	}
	// The first version compares with nothing.
	c, err = w.Compare(ctx, "P", "", r1.Revision)
	if err != nil || c.From != nil || c.Diff.Added != 2 {
		t.Fatalf("compare first version: %+v %v", c, err)
	}
	if _, err := w.Compare(ctx, "P", strings.Repeat("1", 40), r2.Revision); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("unknown from: %v", err)
	}
}

func TestSaveMergesNonOverlappingEdits(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	base, _ := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("een\ntwee\ndrie\n")})
	anna, _ := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("EEN\ntwee\ndrie\n"), Base: base.Revision, Author: wiki.Author{Name: "Anna"}})
	res, err := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("een\ntwee\nDRIE\n"), Base: base.Revision, Author: wiki.Author{Name: "Bram"}})
	if err != nil || !res.Merged || !res.Committed {
		t.Fatalf("merge: %+v %v", res, err)
	}
	if len(res.MergedWith) != 1 || res.MergedWith[0].ID != anna.Revision || res.MergedWith[0].Author.Name != "Anna" {
		t.Fatalf("merged with %+v, want Anna's revision", res.MergedWith)
	}
	p, _ := w.Page(ctx, "P", "")
	if string(p.Content) != "EEN\ntwee\nDRIE\n" || p.Revision.Author.Name != "Bram" {
		t.Fatalf("merged page %q by %s", p.Content, p.Revision.Author.Name)
	}
}

func TestSaveConflictCarriesRegions(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	base, _ := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("een\ntwee\ndrie\n")})
	w.Save(ctx, wiki.Save{Name: "P", Content: []byte("een\nTWEE (Anna)\ndrie\n"), Base: base.Revision, Author: wiki.Author{Name: "Anna"}})
	_, err := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("een\nTWEE (Bram)\ndrie\n"), Base: base.Revision})
	var ce *wiki.ConflictError
	if !errors.As(err, &ce) || ce.Merge == nil || ce.Merge.Conflicts != 1 {
		t.Fatalf("overlapping edit: %v", err)
	}
	if ce.Current.Revision.Author.Name != "Anna" || ce.Yours != "een\nTWEE (Bram)\ndrie\n" {
		t.Fatalf("conflict: current by %q, yours %q", ce.Current.Revision.Author.Name, ce.Yours)
	}
	// Creating a page someone else created meanwhile is a conflict too.
	_, err = w.Save(ctx, wiki.Save{Name: "P", Content: []byte("nieuw\n")})
	if !errors.As(err, &ce) {
		t.Fatalf("create over existing page: %v", err)
	}
	// A page deleted meanwhile: a conflict without current text.
	cur, _ := w.Page(ctx, "P", "")
	w.Delete(ctx, wiki.DeleteRequest{Name: "P", Base: cur.Revision.ID})
	_, err = w.Save(ctx, wiki.Save{Name: "P", Content: []byte("nog eens\n"), Base: cur.Revision.ID})
	if !errors.As(err, &ce) || ce.Current != nil || ce.Yours != "nog eens\n" {
		t.Fatalf("save over deleted page: %v", err)
	}
}

func TestDefaultMessageNamesSections(t *testing.T) {
	ctx := context.Background()
	w := newWiki(t)
	text := "# Ontwerp\n\nIntro\n\n## Aanvraag\n\nEen aanvraag.\n\n## Beschikking\n\nBinnen twee weken.\n"
	r1, _ := w.Save(ctx, wiki.Save{Name: "WMO/Ontwerp", Content: []byte(text)})
	r2, _ := w.Save(ctx, wiki.Save{Name: "WMO/Ontwerp", Base: r1.Revision, Content: []byte(strings.Replace(text, "Een aanvraag.", "Een aanvraag, schriftelijk.", 1))})
	r3, _ := w.Save(ctx, wiki.Save{Name: "WMO/Ontwerp", Base: r2.Revision, Content: []byte("# Ontwerp\n\nIntro\n\n## Aanvraag\n\nAnders.\n\n## Beschikking\n\nBinnen zes weken.\n")})
	for _, c := range []struct{ rev, want string }{
		{r1.Revision, "Create WMO/Ontwerp"},
		{r2.Revision, "Update WMO/Ontwerp: section Aanvraag"},
		{r3.Revision, "Update WMO/Ontwerp: sections Aanvraag, Beschikking"},
	} {
		if r, _ := w.Revision(ctx, c.rev); r.Message != c.want {
			t.Errorf("message %q, want %q", r.Message, c.want)
		}
	}
}
