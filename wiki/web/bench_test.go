package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/wikiwerk/wikiwerk/content"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// BenchmarkPageView measures the throughput of viewing a cached page (the
// seed WMO-loket design page) over real HTTP, and beside it, in the same
// run, a plain static file server (net/http.FileServer) serving the very
// same HTML from disk. Compare the req/s of the two sub-benchmarks:
//
//	go test -run '^$' -bench PageView -benchtime 5s ./wiki/web
func BenchmarkPageView(b *testing.B) {
	repo, err := storage.Init(filepath.Join(b.TempDir(), "content.git"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer repo.Close()
	pages, err := content.Pages()
	if err != nil {
		b.Fatal(err)
	}
	seed := wiki.Commit{Author: wiki.Author{Name: "bench"}, Message: "seed"}
	for p, text := range pages {
		name, _ := wiki.ParsePath(p)
		seed.Changes = append(seed.Changes, wiki.Change{Name: name, Content: text})
	}
	if _, err := repo.Commit(context.Background(), seed); err != nil {
		b.Fatal(err)
	}
	theme, _ := themes.Open("")
	srv, err := web.New(web.Config{Wiki: wiki.New(repo, wiki.Options{}), Theme: theme, AnonymousEdits: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	wikiServer := httptest.NewServer(srv)
	defer wikiServer.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const path = "/WMO-loket/Ontwerp"
	html := fetch(b, client, wikiServer.URL+path)

	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "page.html"), html, 0o644); err != nil {
		b.Fatal(err)
	}
	staticServer := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer staticServer.Close()

	run := func(b *testing.B, url string) {
		b.SetBytes(int64(len(html)))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				fetch(b, client, url)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}
	b.Run("wikiwerk", func(b *testing.B) { run(b, wikiServer.URL+path) })
	b.Run("static", func(b *testing.B) { run(b, staticServer.URL+"/page.html") })
}

func fetch(b *testing.B, c *http.Client, url string) []byte {
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body
}
