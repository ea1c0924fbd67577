package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestXSSInCommentsRunsNoScript posts the XSS corpus as comments of page
// discussions and of a proposal, and as a proposal's summary, and loads the
// discussion, proposal and list pages in chromium with the detector of
// TestXSSPayloadsRunNoScriptInBrowser, with and without the CSP.
func TestXSSInCommentsRunsNoScript(t *testing.T) {
	browser := startChromium(t, 6*time.Minute)
	tw := newTestWiki(t)
	noCSP := httptest.NewServer(xssStripCSP(tw.srv.Config.Handler))
	t.Cleanup(noCSP.Close)
	payloads := xssPayloads()
	const perPage = 12
	var pages []wiki.Change
	for i := 0; i*perPage < len(payloads); i++ {
		pages = append(pages, wiki.Change{Name: wiki.MustParseName(fmt.Sprintf("XSS/T%02d", i)), Content: []byte("Overleg\n")})
	}
	if _, err := tw.repo.Commit(context.Background(), wiki.Commit{Author: wiki.Author{Name: "xss"}, Message: "pages", Changes: pages}); err != nil {
		t.Fatal(err)
	}
	code, body, _ := tw.do("POST", "/-/api/proposals", "application/json", jsonBody(map[string]any{
		"page": "XSS/T00", "content": "Voorstel\n", "base": tw.revision("XSS/T00"), "message": payloads[0], "author": map[string]string{"name": "X"}}))
	if code != http.StatusCreated {
		t.Fatalf("proposal: %d %s", code, body)
	}
	var p proposalView
	jsonInto(t, body, &p)
	var visits []xssVisit
	posted := 0
	for i, src := range payloads {
		page := fmt.Sprintf("XSS/T%02d", i/perPage)
		code, _, _ := tw.do("POST", "/-/api/talk/"+page, "application/json", jsonBody(map[string]any{"text": src, "author": map[string]string{"name": "X"}}))
		if code == http.StatusBadRequest || code == http.StatusRequestEntityTooLarge {
			continue // refused as input (control characters, empty): nothing stored
		}
		if code != http.StatusCreated {
			t.Fatalf("comment %d: %d", i, code)
		}
		posted++
		if code, _, _ := tw.do("POST", "/-/api/proposals/"+p.ID+"/comments", "application/json", jsonBody(map[string]any{"text": src})); code != http.StatusCreated {
			t.Fatalf("proposal comment %d: %d", i, code)
		}
		if i%perPage == perPage-1 || i == len(payloads)-1 {
			visits = append(visits, xssVisit{what: "discussion of " + page, payload: fmt.Sprintf("payloads %d to %d", i-i%perPage, i), url: "/-/talk/" + page, status: 200, both: true})
		}
	}
	if posted < len(payloads)/2 {
		t.Fatalf("only %d of %d payloads were taken as comments", posted, len(payloads))
	}
	for _, view := range []string{"", "?view=split", "?view=rendered"} {
		visits = append(visits, xssVisit{what: "proposal " + view, payload: "all payloads as its comments", url: "/-/proposals/" + p.ID + view, status: 200, both: true})
	}
	visits = append(visits, xssVisit{what: "proposals list", payload: payloads[0], url: "/-/proposals", status: 200, both: true},
		xssVisit{what: "recent changes", payload: "comments", url: "/-/recent", status: 200, both: true})
	origins := []string{tw.srv.URL, noCSP.URL}
	for _, srv := range []struct{ name, url string }{{"csp", tw.srv.URL}, {"nocsp", noCSP.URL}} {
		t.Run(srv.name, func(t *testing.T) {
			var jobs []xssVisit
			for _, v := range visits {
				v.url = srv.url + v.url
				jobs = append(jobs, v)
			}
			xssRun(t, browser, origins, jobs)
		})
	}
}
