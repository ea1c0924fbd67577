package wiki_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

func newFileWiki(t *testing.T, opt wiki.Options) (*wiki.Wiki, *storage.Repo) {
	t.Helper()
	repo, err := storage.Init(filepath.Join(t.TempDir(), "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	return wiki.New(repo, opt), repo
}

func head(t *testing.T, repo *storage.Repo) string {
	t.Helper()
	s, err := repo.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s.Head
}

func TestFilesOfAPage(t *testing.T) {
	ctx := context.Background()
	w, repo := newFileWiki(t, wiki.Options{MaxFileBytes: 100, FileTypes: []string{"png", ".TXT"}})
	if _, err := w.Save(ctx, wiki.Save{Name: "Loket/Ontwerp", Content: []byte("tekst\n")}); err != nil {
		t.Fatal(err)
	}
	anna := wiki.Author{Name: "Anna", Email: "anna@example.nl"}
	res, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/Ontwerp/reis.png", Content: []byte("png-1"), Author: anna})
	if err != nil || !res.Created || !res.Committed || res.Size != 5 || res.ContentType != "image/png" {
		t.Fatalf("create: %+v %v", res, err)
	}
	res2, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/Ontwerp/reis.png", Content: []byte("png-two"), Base: res.Revision, Author: anna})
	if err != nil || res2.Created || res2.Revision == res.Revision {
		t.Fatalf("new version: %+v %v", res2, err)
	}
	// A stale base is a conflict and writes nothing.
	before := head(t, repo)
	_, err = w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/Ontwerp/reis.png", Content: []byte("png-3"), Base: res.Revision})
	if !errors.Is(err, wiki.ErrConflict) || head(t, repo) != before {
		t.Fatalf("stale base: %v", err)
	}
	_, err = w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/Ontwerp/nieuw.png", Content: []byte("x"), Base: ""})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/Ontwerp/nieuw.png", Content: []byte("y"), Base: ""})
	if !errors.Is(err, wiki.ErrConflict) {
		t.Fatalf("creating an existing file: %v", err)
	}
	// Limits.
	before = head(t, repo)
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/Ontwerp/groot.png", Content: make([]byte, 101)}); !errors.Is(err, wiki.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/Ontwerp/x.exe", Content: []byte("x")}); !errors.Is(err, wiki.ErrUnsupportedType) {
		t.Fatalf("type: %v", err)
	}
	for _, p := range []string{"Loket/Ontwerp/pagina.md", "los.png", "Loket/../x.png", "Loket/.git/x.png"} {
		if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: p, Content: []byte("x")}); err == nil {
			t.Errorf("%s was accepted", p)
		}
	}
	if head(t, repo) != before {
		t.Fatal("a refused file changed main")
	}
	// Listing: only the files in the page's own folder.
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Loket/Ontwerp/sub/diep.txt", Content: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	files, err := w.Files(ctx, "Loket/Ontwerp")
	if err != nil || len(files) != 2 {
		t.Fatalf("files: %+v %v", files, err)
	}
	f := files[1]
	if f.Path != "Loket/Ontwerp/reis.png" || f.Size != 7 || f.Revision != res2.Revision || f.Author.Name != "Anna" || f.Time.IsZero() || f.URL() != "/-/files/Loket/Ontwerp/reis.png" {
		t.Fatalf("file info: %+v", f)
	}
	// Reading at head and at an old revision.
	got, err := w.ReadFile(ctx, "Loket/Ontwerp/reis.png", "")
	if err != nil || string(got.Content) != "png-two" || got.Revision.ID != res2.Revision {
		t.Fatalf("read head: %+v %v", got, err)
	}
	got, err = w.ReadFile(ctx, "Loket/Ontwerp/reis.png", res.Revision)
	if err != nil || string(got.Content) != "png-1" || got.Revision.ID != res.Revision {
		t.Fatalf("read old: %+v %v", got, err)
	}
	if _, err := w.ReadFile(ctx, "Loket/Ontwerp/geen.png", ""); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	// The page view lists its files, and its version changes with them.
	v1, err := w.View(ctx, "Loket/Ontwerp", "")
	if err != nil || len(v1.Files) != 2 {
		t.Fatalf("view: %+v %v", v1, err)
	}
	// Deleting.
	if _, err := w.DeleteFile(ctx, wiki.DeleteFileRequest{Path: "Loket/Ontwerp/reis.png", Base: res.Revision}); !errors.Is(err, wiki.ErrConflict) {
		t.Fatalf("stale delete: %v", err)
	}
	if _, err := w.DeleteFile(ctx, wiki.DeleteFileRequest{Path: "Loket/Ontwerp/reis.png", Base: res2.Revision}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadFile(ctx, "Loket/Ontwerp/reis.png", ""); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("deleted file: %v", err)
	}
	v2, _ := w.View(ctx, "Loket/Ontwerp", "")
	if len(v2.Files) != 1 || v2.Version == v1.Version {
		t.Fatalf("view after delete: %d files, version %q", len(v2.Files), v2.Version)
	}
}

func TestFilesFollowTheFolderRule(t *testing.T) {
	ctx := context.Background()
	policy := &wiki.Policy{Read: wiki.Anyone, Edit: wiki.Editors, Protected: []wiki.Protected{{Prefix: "Beleid", Groups: []string{"team"}}}}
	w, _ := newFileWiki(t, wiki.Options{Policy: policy})
	editor := &wiki.User{Name: "anna", Role: wiki.RoleEditor}
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Beleid/Visie/logo.png", Content: []byte("x"), Actor: editor}); !errors.Is(err, wiki.ErrForbidden) {
		t.Fatalf("protected folder: %v", err)
	}
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Open/Pagina/logo.png", Content: []byte("x"), Actor: editor, Author: wiki.Author{Name: "Anna"}}); err != nil {
		t.Fatalf("open folder: %v", err)
	}
	if _, err := w.PutFile(ctx, wiki.PutFileRequest{Path: "Open/Pagina/logo2.png", Content: []byte("x")}); !errors.Is(err, wiki.ErrForbidden) {
		t.Fatalf("anonymous: %v", err)
	}
}
