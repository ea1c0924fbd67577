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

// TestAccessRulesInTheDomain: the Wiki refuses a write the policy does
// not allow whatever adapter asks, including case twins and look-alikes
// of a protected folder, and refuses control characters in summaries and
// author names before anything is committed.
func TestAccessRulesInTheDomain(t *testing.T) {
	ctx := context.Background()
	repo, err := storage.Init(filepath.Join(t.TempDir(), "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	policy := &wiki.Policy{Read: wiki.Anyone, Edit: wiki.Editors, Protected: []wiki.Protected{{Prefix: "Beleid"}}}
	w := wiki.New(repo, wiki.Options{Policy: policy})
	admin := &wiki.User{Name: "admin", DisplayName: "Admin", Role: wiki.RoleAdmin}
	editor := &wiki.User{Name: "eva", DisplayName: "Eva", Role: wiki.RoleEditor}
	res, err := w.Save(ctx, wiki.Save{Name: "Beleid/Visie", Content: []byte("visie\n"), Author: admin.Author(), Actor: admin})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []wiki.Name{"Beleid/Visie", "beleid/Shadow", "BELEID/X", "Bele\u0456d/X"} {
		_, err := w.Save(ctx, wiki.Save{Name: name, Content: []byte("nep\n"), Author: editor.Author(), Actor: editor})
		if !errors.Is(err, wiki.ErrForbidden) {
			t.Errorf("editor saving %s: %v, want ErrForbidden", name, err)
		}
	}
	if _, err := w.Save(ctx, wiki.Save{Name: "Open", Content: []byte("x\n"), Author: wiki.Author{Name: "Anoniem"}}); !errors.Is(err, wiki.ErrForbidden) {
		t.Errorf("anonymous save without anonymous edits: %v", err)
	}
	if _, err := w.Rename(ctx, wiki.Rename{From: "Beleid/Visie", To: "Open/Visie", Base: res.Revision, Author: editor.Author(), Actor: editor}); !errors.Is(err, wiki.ErrForbidden) {
		t.Errorf("editor renaming out of a protected folder: %v", err)
	}
	if _, err := w.Delete(ctx, wiki.DeleteRequest{Name: "Beleid/Visie", Base: res.Revision, Author: editor.Author(), Actor: editor}); !errors.Is(err, wiki.ErrForbidden) {
		t.Errorf("editor deleting in a protected folder: %v", err)
	}
	if err := w.AuthorizeChange(editor, []string{"Open/Pagina.md", "beleid/logo.png"}); !errors.Is(err, wiki.ErrForbidden) {
		t.Errorf("a push changing beleid/logo.png: %v", err)
	}
	if err := w.AuthorizeChange(editor, []string{"Open/Pagina.md"}); err != nil {
		t.Errorf("a push changing an open page: %v", err)
	}
	for _, bad := range []struct{ field, msg, name string }{
		{"summary", "weg\x00ermee", "Eva"},
		{"summary", "kleur \x1b[31mrood\x1b[0m", "Eva"},
		{"summary", "omgekeerd \u202e", "Eva"},
		{"author", "ok", "Eva\x00"},
		{"author", "ok", "Eva \x1b]0;titel\x07"},
	} {
		_, err := w.Save(ctx, wiki.Save{Name: "Open/Tekst", Content: []byte("x\n"), Message: bad.msg, Author: wiki.Author{Name: bad.name}, Actor: editor})
		if !errors.Is(err, wiki.ErrInvalidInput) || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("save with %s %q / %q: %v, want ErrInvalidInput about the %s", bad.field, bad.msg, bad.name, err, bad.field)
		}
	}
	snap, _ := repo.Snapshot(ctx)
	if snap.HasPage("Open/Tekst") || snap.PageCount() != 1 {
		t.Fatalf("refused writes changed the wiki: %d pages", snap.PageCount())
	}
	if _, err := w.Save(ctx, wiki.Save{Name: "Open/Tekst", Content: []byte("x\n"), Message: "twee regels\n\nmet een\ttab", Author: editor.Author(), Actor: editor}); err != nil {
		t.Fatalf("newline and tab in a summary: %v", err)
	}
}
