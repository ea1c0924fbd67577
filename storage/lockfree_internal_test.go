package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestPageViewsDoNotTakeTheLock: reading a page whose text is not cached
// works while the repository lock is held (by a clone being planned, a
// push being checked, the history index being built).
func TestPageViewsDoNotTakeTheLock(t *testing.T) {
	r, err := Init(filepath.Join(t.TempDir(), "content.git"), Options{BlobCacheBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if _, err := r.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Anna"}, Message: "x",
		Changes: []wiki.Change{{Name: "Pagina", Content: []byte("tekst die niet in de cache past\n")}}}); err != nil {
		t.Fatal(err)
	}
	r.blobs = newBlobCache(1) // nothing cached
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	done := make(chan error, 1)
	go func() {
		p, err := r.ReadPage(ctx, "Pagina", "")
		if err == nil && string(p.Content) != "tekst die niet in de cache past\n" {
			err = context.Canceled
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ReadPage waited for the repository lock")
	}
}
