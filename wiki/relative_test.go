package wiki_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestRelativeLinksResolveAsInAClone(t *testing.T) {
	ctx := context.Background()
	w, repo := newFileWiki(t, wiki.Options{})
	for _, p := range []wiki.Name{"Beleid", "WMO-loket/Ontwerp"} {
		if _, err := w.Save(ctx, wiki.Save{Name: p, Content: []byte("tekst\n")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "WMO-loket/Ontwerp/klant reis.png", Content: []byte("png")}); err != nil {
		t.Fatal(err)
	}
	src := "![](Ontwerp/klant%20reis.png) [b](../Beleid.md#kop) [n](Nieuw.md) [f](Ontwerp/later.pdf) [o](../../../x)\n"
	pg, err := w.Page(ctx, "WMO-loket/Ontwerp", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Save(ctx, wiki.Save{Name: "WMO-loket/Ontwerp", Content: []byte(src), Base: pg.Revision.ID}); err != nil {
		t.Fatal(err)
	}
	view := func() string {
		t.Helper()
		rp, err := w.View(ctx, "WMO-loket/Ontwerp", "")
		if err != nil {
			t.Fatal(err)
		}
		return string(rp.Doc.HTML)
	}
	h := view()
	for _, want := range []string{
		`<img src="/-/files/WMO-loket/Ontwerp/klant%20reis.png" alt="" loading="lazy"`,
		`<a href="/Beleid#kop">b</a>`,
		`<a href="/-/edit/WMO-loket/Nieuw" class="wikilink-missing"`,
		`<a href="/-/files/WMO-loket/Ontwerp/later.pdf" class="wikilink-missing"`,
		`<a href="../../../x">o</a>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %s in\n%s", want, h)
		}
	}

	// The same text in another folder resolves against that folder.
	if _, err := w.Save(ctx, wiki.Save{Name: "Kopie", Content: []byte(src)}); err != nil {
		t.Fatal(err)
	}
	rp, err := w.View(ctx, "Kopie", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rp.Doc.HTML), `href="/-/files/Ontwerp/later.pdf" class="wikilink-missing"`) {
		t.Errorf("in Kopie: %s", rp.Doc.HTML)
	}

	// Adding the missing file changes the rendering (the cache is not stale);
	// a new version of an existing file changes the names version not.
	snap, _ := repo.Snapshot(ctx)
	v := snap.NamesVersion
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "WMO-loket/Ontwerp/later.pdf", Content: []byte("pdf")}); err != nil {
		t.Fatal(err)
	}
	snap, _ = repo.Snapshot(ctx)
	if snap.NamesVersion == v {
		t.Error("a new file leaves NamesVersion")
	}
	if h := view(); !strings.Contains(h, `<a href="/-/files/WMO-loket/Ontwerp/later.pdf">f</a>`) {
		t.Errorf("after upload: %s", h)
	}
	v = snap.NamesVersion
	_, err = w.PutFile(ctx, wiki.PutFileRequest{Path: "WMO-loket/Ontwerp/later.pdf", Content: []byte("pdf2"), Base: snap.Head})
	if err != nil {
		t.Fatal(err)
	}
	if snap, _ = repo.Snapshot(ctx); snap.NamesVersion != v {
		t.Error("a new version of a file moves NamesVersion")
	}
	if _, err := w.DeleteFile(ctx, wiki.DeleteFileRequest{Path: "WMO-loket/Ontwerp/later.pdf", Base: snap.Head}); err != nil {
		t.Fatal(err)
	}
	if snap, _ = repo.Snapshot(ctx); snap.NamesVersion == v {
		t.Error("deleting a file leaves NamesVersion")
	}

	// The preview resolves against the page being edited.
	doc, err := w.PreviewPage(ctx, "WMO-loket/Ontwerp", []byte("[b](../Beleid.md)\n"))
	if err != nil || !strings.Contains(string(doc.HTML), `<a href="/Beleid">b</a>`) {
		t.Errorf("preview: %s %v", doc.HTML, err)
	}
}
