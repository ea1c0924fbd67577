package wiki_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestRenameFile(t *testing.T) {
	ctx := context.Background()
	w, repo := newFileWiki(t, wiki.Options{})
	for _, name := range []string{"Loket", "Balie"} {
		if _, err := w.Save(ctx, wiki.Save{Name: wiki.Name(name), Content: []byte("tekst\n")}); err != nil {
			t.Fatal(err)
		}
	}
	anna := wiki.Author{Name: "Anna"}
	for _, p := range []string{"Loket/reis.png", "Loket/kaart.png"} {
		if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: p, Content: []byte("inhoud van " + p), Author: anna}); err != nil {
			t.Fatal(err)
		}
	}
	base, err := w.FileRevision(ctx, "Loket/reis.png")
	if err != nil {
		t.Fatal(err)
	}
	// Refused, and nothing written: the target exists, the base is stale,
	// the name is not a file's.
	before := head(t, repo)
	for _, tt := range []struct {
		req  wiki.RenameFileRequest
		want error
	}{
		{wiki.RenameFileRequest{From: "Loket/reis.png", To: "Loket/kaart.png", Base: base}, wiki.ErrNameTaken},
		{wiki.RenameFileRequest{From: "Loket/reis.png", To: "Loket/klantreis.png", Base: before[:len(before)-1] + "0"}, wiki.ErrConflict},
		{wiki.RenameFileRequest{From: "Loket/reis.png", To: "Loket/reis.md", Base: base}, wiki.ErrInvalidInput},
		{wiki.RenameFileRequest{From: "Loket/reis.png", To: "reis.png", Base: base}, wiki.ErrInvalidInput},
		{wiki.RenameFileRequest{From: "Loket/weg.png", To: "Loket/x.png", Base: base}, wiki.ErrNotFound},
	} {
		if _, err := w.RenameFile(ctx, tt.req); !errors.Is(err, tt.want) {
			t.Errorf("%s -> %s: %v, want %v", tt.req.From, tt.req.To, err, tt.want)
		}
	}
	if head(t, repo) != before {
		t.Fatal("a refused rename wrote a commit")
	}

	if _, err := w.RenameFile(ctx, wiki.RenameFileRequest{From: "Loket/reis.png", To: "Loket/klantreis.png", Base: base, Author: anna}); err != nil {
		t.Fatal(err)
	}
	f, err := w.ReadFile(ctx, "Loket/klantreis.png", "")
	if err != nil || string(f.Content) != "inhoud van Loket/reis.png" {
		t.Fatalf("renamed file: %q %v", f.Content, err)
	}
	if rev, err := w.FileRevision(ctx, "Loket/reis.png"); !errors.Is(err, wiki.ErrNotFound) {
		t.Errorf("the old name still has revision %s (%v)", rev, err)
	}
	rev, err := w.FileRevision(ctx, "Loket/klantreis.png")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := repo.Revision(ctx, rev); err != nil || r.Summary() != "Rename Loket/reis.png to klantreis.png" || r.Author.Name != "Anna" {
		t.Errorf("rename commit: %+v %v", r, err)
	}
	// Into the folder of another page.
	if _, err := w.RenameFile(ctx, wiki.RenameFileRequest{From: "Loket/klantreis.png", To: "Balie/klantreis.png", Base: rev}); err != nil {
		t.Fatal(err)
	}
	files, err := w.Files(ctx, "Balie")
	if err != nil || len(files) != 1 || files[0].Path != "Balie/klantreis.png" {
		t.Fatalf("Balie's files: %+v %v", files, err)
	}
}

// TestRenameFileRespectsProtectedFolders: moving a file into or out of a
// protected folder needs the right to edit there.
func TestRenameFileRespectsProtectedFolders(t *testing.T) {
	ctx := context.Background()
	w, repo := newFileWiki(t, wiki.Options{Policy: &wiki.Policy{Read: wiki.Anyone, Edit: wiki.Editors, Protected: []wiki.Protected{{Prefix: "Beleid"}}}})
	admin := &wiki.User{Name: "admin", Role: wiki.RoleAdmin}
	editor := &wiki.User{Name: "bram", Role: wiki.RoleEditor}
	for _, name := range []string{"Beleid/Visie", "Loket"} {
		if _, err := w.Save(ctx, wiki.Save{Name: wiki.Name(name), Content: []byte("tekst\n"), Actor: admin, Author: admin.Author()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/a.png", Content: []byte("a"), Actor: editor, Author: editor.Author()}); err != nil {
		t.Fatal(err)
	}
	base, err := w.FileRevision(ctx, "Loket/a.png")
	if err != nil {
		t.Fatal(err)
	}
	before := head(t, repo)
	if _, err := w.RenameFile(ctx, wiki.RenameFileRequest{From: "Loket/a.png", To: "Beleid/Visie/a.png", Base: base, Actor: editor, Author: editor.Author()}); !errors.Is(err, wiki.ErrForbidden) {
		t.Fatalf("an editor moved a file into a protected folder: %v", err)
	}
	if head(t, repo) != before {
		t.Fatal("the refused move wrote a commit")
	}
	if _, err := w.RenameFile(ctx, wiki.RenameFileRequest{From: "Loket/a.png", To: "Beleid/Visie/a.png", Base: base, Actor: admin, Author: admin.Author()}); err != nil {
		t.Fatalf("an admin: %v", err)
	}
}
