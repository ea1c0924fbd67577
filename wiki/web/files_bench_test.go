package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// benchFileSize is the attachment served by BenchmarkFileServing: a 5 MB
// file of random (incompressible) bytes, as a scan or a photo would be.
const benchFileSize = 5 << 20

// BenchmarkFileServing measures serving a 5 MB attachment through
// /-/files/{path} over real HTTP, and beside it, in the same run,
// net/http.FileServer serving the same bytes from disk: a full GET and a
// Range request of 1 MB from the middle. The file is uploaded through the
// wiki's API (PUT /-/api/files/) into a real repository. Compare the MB/s:
//
//	go test -run '^$' -bench FileServing -benchtime 3s ./wiki/web
func BenchmarkFileServing(b *testing.B) {
	content := make([]byte, benchFileSize)
	rng := rand.New(rand.NewPCG(12, 2026))
	for i := range content {
		content[i] = byte(rng.Uint32())
	}
	wikiURL := benchWikiServer(b, content, storage.Options{})
	// A blob cache too small for the file: every request reads the blob
	// from the repository, as for a file larger than a quarter of the
	// cache or one pushed out of it.
	uncachedURL := benchWikiServer(b, content, storage.Options{BlobCacheBytes: 1 << 20})
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plattegrond.pdf"), content, 0o644); err != nil {
		b.Fatal(err)
	}
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	servers := []struct{ name, url string }{
		{"wiki", wikiURL + "/-/files/WMO-loket/Ontwerp/plattegrond.pdf"},
		{"wiki-uncached", uncachedURL + "/-/files/WMO-loket/Ontwerp/plattegrond.pdf"},
		{"fileserver", static.URL + "/plattegrond.pdf"},
	}
	requests := []struct {
		name, rng string
		size      int
	}{
		{"full", "", benchFileSize},
		{"range", fmt.Sprintf("bytes=%d-%d", 2<<20, 3<<20-1), 1 << 20},
	}
	mbps := map[string]float64{} // "full/wiki" -> MB/s of the last run
	for _, rq := range requests {
		want := content
		if rq.rng != "" {
			want = content[2<<20 : 3<<20]
		}
		for _, srv := range servers {
			// The same bytes from both, before anything is measured.
			if got := getFile(b, client, srv.url, rq.rng); string(got) != string(want) {
				b.Fatalf("%s %s: %d bytes, not the file's %d", srv.name, rq.name, len(got), len(want))
			}
			key := rq.name + "/" + srv.name
			b.Run(key, func(b *testing.B) {
				b.SetBytes(int64(rq.size))
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						getFile(b, client, srv.url, rq.rng)
					}
				})
				mbps[key] = float64(rq.size) * float64(b.N) / 1e6 / b.Elapsed().Seconds()
			})
		}
	}
	printFileTable(mbps, requests[0].name, requests[1].name)
}

// printFileTable prints the MB/s of the wiki and the file server and their
// ratio, as a Markdown table ready for BENCHMARKS.md (rows of a -bench
// pattern that left out the file server are left out).
func printFileTable(mbps map[string]float64, names ...string) {
	var t strings.Builder
	t.WriteString("\n| 5 MB attachment | server | MB/s | / FileServer |\n| --- | --- | ---: | ---: |\n")
	for _, n := range names {
		f := mbps[n+"/fileserver"]
		for _, srv := range []string{"wiki", "wiki-uncached", "fileserver"} {
			if m := mbps[n+"/"+srv]; m > 0 && f > 0 {
				fmt.Fprintf(&t, "| %s | %s | %.0f | %.2fx |\n", n, srv, m, m/f)
			}
		}
	}
	fmt.Print(t.String())
}

// benchWikiServer starts the wiki over a real repository in a temporary
// directory, uploads content as WMO-loket/Ontwerp/plattegrond.pdf through
// the API and returns the server's URL.
func benchWikiServer(b *testing.B, content []byte, opt storage.Options) string {
	b.Helper()
	repo, err := storage.Init(filepath.Join(b.TempDir(), "content.git"), opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { repo.Close() })
	theme, err := themes.Open("")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := web.New(web.Config{
		Wiki:  wiki.New(repo, wiki.Options{MaxFileBytes: 2 * benchFileSize}),
		Theme: theme, AnonymousEdits: true, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	req, err := http.NewRequest(http.MethodPut, ts.URL+"/-/api/files/WMO-loket/Ontwerp/plattegrond.pdf", strings.NewReader(string(content)))
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	return ts.URL
}

// getFile GETs url, with a Range header when rng is set, and returns the
// body after checking the status.
func getFile(b *testing.B, c *http.Client, url, rng string) []byte {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	want := http.StatusOK
	if rng != "" {
		req.Header.Set("Range", rng)
		want = http.StatusPartialContent
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != want {
		b.Fatalf("GET %s (%s): %d %v", url, rng, resp.StatusCode, err)
	}
	return body
}
