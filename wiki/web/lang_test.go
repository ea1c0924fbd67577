package web_test

import (
	"strings"
	"testing"
)

// TestContentLang: the page's text carries the language of its front
// matter lang:, else the wiki's (WCAG 3.1.2).
func TestContentLang(t *testing.T) {
	tw := newTestWiki(t)
	tw.do("PUT", "/-/api/pages/Engels", "application/json", `{"content":"---\nlang: en\n---\nHello there.\n"}`)
	tw.do("PUT", "/-/api/pages/Nederlands", "application/json", `{"content":"Hallo daar.\n"}`)
	tw.do("PUT", "/-/api/pages/Vreemd", "application/json", `{"content":"---\nlang: \"><script>\n---\nTekst.\n"}`)
	for page, want := range map[string]string{"Engels": `<div class="markdown" lang="en">`, "Nederlands": `<div class="markdown" lang="nl">`, "Vreemd": `<div class="markdown" lang="nl">`} {
		code, body := tw.get("/" + page)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %s in the page", page, code, want)
		}
	}
}
