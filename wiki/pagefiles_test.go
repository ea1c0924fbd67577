package wiki_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestPageFilesGoAndComeBackWithThePage: deleting a page deletes its
// files (but not those of a subpage), restoring it brings them back as
// they were, and renaming it moves exactly its own files.
func TestPageFilesGoAndComeBackWithThePage(t *testing.T) {
	ctx := context.Background()
	w, repo := newFileWiki(t, wiki.Options{})
	save := func(name, text string) string {
		t.Helper()
		res, err := w.Save(ctx, wiki.Save{Name: wiki.MustParseName(name), Content: []byte(text)})
		if err != nil {
			t.Fatal(err)
		}
		return res.Revision
	}
	put := func(path, content string) {
		t.Helper()
		if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: path, Content: []byte(content), Author: wiki.Author{Name: "Anna"}}); err != nil {
			t.Fatal(err)
		}
	}
	files := func() map[string]string {
		t.Helper()
		snap, err := repo.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return maps.Collect(snap.Files())
	}
	save("Loket", "Het loket. ![reis](Loket/reis.png)\n")
	save("Loket/Route", "De route.\n")
	put("Loket/reis.png", "png-reis")
	put("Loket/stukken/beleid.pdf", "pdf-beleid")
	put("Loket/Route/kaart.png", "png-kaart")
	put("Ander/los.txt", "los")
	before := files()

	snap, err := repo.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Collect(maps.Keys(maps.Collect(snap.OwnFiles("Loket")))); !sameSet(got, []string{"Loket/reis.png", "Loket/stukken/beleid.pdf"}) {
		t.Fatalf("own files of Loket: %v", got)
	}

	page, err := w.Page(ctx, "Loket", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Delete(ctx, wiki.DeleteRequest{Name: "Loket", Base: page.Revision.ID, Author: wiki.Author{Name: "Bram"}}); err != nil {
		t.Fatal(err)
	}
	after := files()
	if _, ok := after["Loket/reis.png"]; ok {
		t.Error("the page's picture stayed after the page was deleted")
	}
	if _, ok := after["Loket/stukken/beleid.pdf"]; ok {
		t.Error("the page's document in a subfolder stayed after the page was deleted")
	}
	if after["Loket/Route/kaart.png"] != before["Loket/Route/kaart.png"] || after["Ander/los.txt"] != before["Ander/los.txt"] {
		t.Errorf("deleting Loket touched files of other pages: %v", after)
	}
	if !w.Exists(ctx, "Loket/Route") {
		t.Error("the subpage went with the page")
	}

	del, err := w.DeletedPage(ctx, "Loket")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Revert(ctx, wiki.RevertRequest{Name: "Loket", To: del.LastVersion.ID, Author: wiki.Author{Name: "Bram"}}); err != nil {
		t.Fatal(err)
	}
	if restored := files(); !maps.Equal(restored, before) {
		t.Fatalf("after restoring, files are\n%v\nwant\n%v", restored, before)
	}

	page, err = w.Page(ctx, "Loket", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Rename(ctx, wiki.Rename{From: "Loket", To: "Balie", Base: page.Revision.ID})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attachments != 2 {
		t.Errorf("rename moved %d files, want 2", res.Attachments)
	}
	moved := files()
	for path, want := range map[string]string{
		"Balie/reis.png":           before["Loket/reis.png"],
		"Balie/stukken/beleid.pdf": before["Loket/stukken/beleid.pdf"],
		"Loket/Route/kaart.png":    before["Loket/Route/kaart.png"],
	} {
		if moved[path] != want {
			t.Errorf("after the rename %s is %q, want blob %q", path, moved[path], want)
		}
	}
	if _, ok := moved["Balie/Route/kaart.png"]; ok {
		t.Error("the subpage's file moved with the page")
	}
}

// TestRestoreKeepsNewerFiles: a file uploaded again after the page was
// deleted is not overwritten by restoring the page.
func TestRestoreKeepsNewerFiles(t *testing.T) {
	ctx := context.Background()
	w, repo := newFileWiki(t, wiki.Options{})
	if _, err := w.Save(ctx, wiki.Save{Name: "P", Content: []byte("tekst\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "P/a.png", Content: []byte("oud")}); err != nil {
		t.Fatal(err)
	}
	page, err := w.Page(ctx, "P", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Delete(ctx, wiki.DeleteRequest{Name: "P", Base: page.Revision.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "P/a.png", Content: []byte("nieuw")}); err != nil {
		t.Fatal(err)
	}
	del, err := w.DeletedPage(ctx, "P")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Revert(ctx, wiki.RevertRequest{Name: "P", To: del.LastVersion.ID}); err != nil {
		t.Fatal(err)
	}
	f, err := repo.ReadFile(ctx, "P/a.png", "")
	if err != nil || string(f.Content) != "nieuw" {
		t.Fatalf("P/a.png after the restore: %q %v", f.Content, err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
