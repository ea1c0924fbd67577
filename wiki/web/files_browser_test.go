package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Attachments that would run script if a browser rendered them: an SVG
// with a script element and an onload handler, and an HTML page with a
// script and an onerror handler. Each calls alert, which the detector of
// xss_browser_test.go sees wherever it runs.
const (
	hostileSVG  = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="alert('svg onload')"><script>alert('svg script'); window.__xss = 1</script><rect width="40" height="40" fill="teal"/></svg>`
	hostileHTML = `<!DOCTYPE html><html><head><title>x</title></head><body><p>bijlage</p><script>alert('html script'); window.__xss = 1</script><img src="x" onerror="alert('html onerror')"></body></html>`
)

// TestHostileAttachmentsRunNoScriptInBrowser uploads the hostile SVG and
// HTML files and loads, in chromium, a page that shows the SVG as an image
// and tries to frame both, and each file opened directly: no script of
// theirs runs. The same files served as a careless server would (inline,
// without the headers) do run script in the same tab, which proves the
// detector sees it.
func TestHostileAttachmentsRunNoScriptInBrowser(t *testing.T) {
	ctx := startChromium(t, 3*time.Minute)
	tw := newTestWiki(t)
	for _, f := range []struct{ path, typ, body string }{
		{"WMO-loket/Aanval/schets.svg", "image/svg+xml", hostileSVG},
		{"WMO-loket/Aanval/bijlage.html", "text/html", hostileHTML},
	} {
		if code, body, _ := tw.do("PUT", "/-/api/files/"+f.path, f.typ, f.body); code != http.StatusCreated {
			t.Fatalf("upload %s: %d %s", f.path, code, body)
		}
	}
	page := "# Aanval\n\n![Een schets](Aanval/schets.svg)\n\n[De bijlage](Aanval/bijlage.html)\n\n" +
		`<iframe src="/-/files/WMO-loket/Aanval/bijlage.html"></iframe>` + "\n\n" +
		`<object data="/-/files/WMO-loket/Aanval/schets.svg"></object>` + "\n\n" +
		`<embed src="/-/files/WMO-loket/Aanval/schets.svg">` + "\n"
	if code, body, _ := tw.do("PUT", "/-/api/pages/WMO-loket/Aanval", "application/json", `{"content": `+jsString(page)+`}`); code != http.StatusCreated {
		t.Fatalf("save the page: %d %s", code, body)
	}

	careless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/schets.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write([]byte(hostileSVG))
		case "/bijlage.html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(hostileHTML))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(careless.Close)

	tab := newXSSTab(t, ctx, []string{tw.srv.URL, careless.URL})

	// openDirectly opens a file as a user clicking its link would, and
	// returns what script of it ran.
	openDirectly := func(t *testing.T, u string) []string {
		mark := tab.mark()
		nav, cancel := context.WithTimeout(tab.ctx, 20*time.Second)
		// Opening an attachment starts a download, which headless chromium
		// refuses: the navigation is aborted and the tab stays where it was.
		err := chromedp.Do(nav, chromedp.Navigate(u))
		cancel()
		if err != nil && !strings.Contains(err.Error(), "ERR_ABORTED") {
			t.Errorf("open %s: %v", u, err)
		}
		// Load a page after it, so that anything the file started has had
		// its turn before the events are read.
		tab.visit(xssVisit{what: "after " + u, url: tw.srv.URL + "/WMO-loket/Aanval"})
		var ran []string
		for _, e := range tab.since(mark) {
			if e.script {
				ran = append(ran, e.what)
			}
		}
		return ran
	}

	t.Run("detector", func(t *testing.T) {
		for _, p := range []string{"/schets.svg", "/bijlage.html"} {
			if ran := openDirectly(t, careless.URL+p); len(ran) == 0 {
				t.Errorf("%s served inline: the detector saw no script", p)
			}
		}
	})
	if t.Failed() {
		return
	}

	t.Run("page", func(t *testing.T) {
		r := tab.visit(xssVisit{what: "page", url: tw.srv.URL + "/WMO-loket/Aanval", status: 200})
		for _, p := range r.problems {
			t.Errorf("the page that shows the files: %s", p)
		}
		if t.Failed() {
			t.Logf("<main>:\n%s", r.main)
		}
		// The SVG is on the page, as an image, where it cannot run script.
		loaded, err := chromedp.Run(tab.ctx, chromedp.Evaluate[bool](`(() => {
			const img = document.querySelector('main img[alt="Een schets"]');
			return !!img && img.complete && img.naturalWidth === 40 && new URL(img.src).pathname === '/-/files/WMO-loket/Aanval/schets.svg';
		})()`))
		if err != nil || !loaded {
			t.Errorf("the SVG is not shown as an image on the page (%v)", err)
		}
	})

	t.Run("direct", func(t *testing.T) {
		for _, p := range []string{"/-/files/WMO-loket/Aanval/schets.svg", "/-/files/WMO-loket/Aanval/bijlage.html"} {
			for _, what := range openDirectly(t, tw.srv.URL+p) {
				t.Errorf("opening %s: %s", p, what)
			}
		}
	})
}
