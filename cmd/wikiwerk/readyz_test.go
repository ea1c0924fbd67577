package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// gatedConsumer is a change-feed consumer whose every Apply waits for a
// token on gate: an index that is still catching up.
type gatedConsumer struct{ gate chan struct{} }

func (g *gatedConsumer) Name() string                               { return "search" }
func (g *gatedConsumer) Checkpoint(context.Context) (string, error) { return "", nil }
func (g *gatedConsumer) Apply(ctx context.Context, _ wiki.ChangeSet) error {
	select {
	case <-g.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func readyz(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/-/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyzWaitsForIndexes: /-/readyz answers 503 with the reason while
// the repository is empty or the search index has not caught up, and 200
// once it has; a lag of a commit or two after that stays ready.
func TestReadyzWaitsForIndexes(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	gitDir := filepath.Join(t.TempDir(), "none")
	gone := &readiness{gitDir: gitDir, repo: repo, history: repo}
	if code, body := readyz(t, gone); code != http.StatusServiceUnavailable || !strings.Contains(body, "repository: open "+gitDir+"/HEAD") {
		t.Errorf("repository folder gone: %d %q", code, body)
	}
	empty := &readiness{repo: repo, history: repo}
	if code, body := readyz(t, empty); code != http.StatusServiceUnavailable || !strings.Contains(body, "repository: no commits yet") {
		t.Errorf("empty repository: %d %q", code, body)
	}

	if _, err := repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Anna"}, Message: "Eerste",
		Changes: []wiki.Change{{Name: "Home", Content: []byte("# Home\n")}}}); err != nil {
		t.Fatal(err)
	}
	c := &gatedConsumer{gate: make(chan struct{})}
	sub, err := repo.Subscribe(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	rd := &readiness{gitDir: dir, repo: repo, history: repo, consumers: []*readyConsumer{{name: "search", sub: sub}}}
	code, body := readyz(t, rd)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "search index: catching up (1 commits behind)") {
		t.Fatalf("search index catching up: %d %q", code, body)
	}
	c.gate <- struct{}{}
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body = readyz(t, rd)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after the index caught up: %d %q", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.TrimSpace(body) != "ready" {
		t.Errorf("ready body %q", body)
	}
	// A save the index has not applied yet: behind by one, still ready.
	if _, err := repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Bram"}, Message: "Tweede",
		Changes: []wiki.Change{{Name: "Tweede", Content: []byte("# Tweede\n")}}}); err != nil {
		t.Fatal(err)
	}
	if lag := sub.Lag(); lag != 1 {
		t.Fatalf("lag %d, want 1", lag)
	}
	if code, body := readyz(t, rd); code != http.StatusOK {
		t.Errorf("one commit behind after catching up: %d %q", code, body)
	}
	c.gate <- struct{}{}
}
