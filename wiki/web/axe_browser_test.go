package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeTags are the rule sets of WCAG 2.1 level AA.
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']`

// axeViolation is one rule axe-core found broken, with where.
type axeViolation struct {
	ID      string   `json:"id"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// runAxe runs the vendored axe-core (wiki/web/testdata/axe, see
// themes/vendor.d/axe.sh) on the page open in b and returns the
// violations of WCAG 2.1 AA. The script is evaluated through DevTools,
// which the page's Content-Security-Policy does not govern.
func runAxe(t *testing.T, b *browserTab) []axeViolation {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core: %v (run npm ci && npm run vendor)", err)
	}
	b.do(chromedp.Evaluate[chromedp.Void](string(src)))
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: 'tag', values: `+axeTags+`}}).then(r =>
		r.violations.map(v => ({id: v.id, help: v.help, targets: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	return out
}

// TestEditorAndFilePagesHaveNoAxeViolations runs axe-core on the editor in text and
// visual mode, its upload dialog, the new-page form, a page view, and the
// pages for a file's history, renaming and deleting it and deleting a page
// with files, in Dutch and English.
func TestEditorAndFilePagesHaveNoAxeViolations(t *testing.T) {
	browserCtx := startChromium(t, 3*time.Minute)
	tw := newTestWiki(t)
	if code, body, _ := tw.do("PUT", "/-/api/files/WMO-loket/Ontwerp/schets.txt", "text/plain", "schets"); code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowserTab(t, browserCtx, "Anna")
			check := func(what string) {
				t.Helper()
				for _, v := range runAxe(t, b) {
					t.Errorf("%s (%s): %s: %s\n    %s", what, lang, v.ID, v.Help, strings.Join(v.Targets, "\n    "))
				}
			}
			b.do(chromedp.Navigate(tw.srv.URL + "/-/lang/" + lang + "?back=/-/edit/WMO-loket/Ontwerp"))
			b.waitFor(`document.querySelector('form.editor') && document.querySelector('form.editor').dataset.editorReady === 'true' && document.querySelector('.ww-mode-visual')`, "the editor")
			check("editor, text mode")

			b.do(chromedp.Click(chromedp.CSS(`.ww-toolbar button[data-cmd="upload"]`)))
			b.waitFor(`!!document.querySelector('dialog[open]')`, "the upload dialog")
			check("editor, upload dialog")
			b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('dialog[open]').close()`))

			b.do(chromedp.Click(chromedp.CSS(".ww-mode-visual")))
			b.waitFor(`document.querySelector('form.editor').dataset.mode === 'visual' && !!document.querySelector('.ww-visual .ProseMirror')`, "the visual editor")
			check("editor, visual mode")

			b.do(chromedp.Navigate(tw.srv.URL + "/-/new?folder=WMO-loket"))
			b.waitFor(`!!document.getElementById('wwNewTitle')`, "the new-page form")
			check("new page")

			b.do(chromedp.Navigate(tw.srv.URL + "/WMO-loket/Ontwerp"))
			b.waitFor(`!!document.querySelector('main h1') && !!document.getElementById('attachments')`, "the page")
			check("page view")

			for _, path := range []string{"/-/files-history/WMO-loket/Ontwerp/schets.txt", "/-/file-rename/WMO-loket/Ontwerp/schets.txt", "/-/file-delete/WMO-loket/Ontwerp/schets.txt", "/-/delete/WMO-loket/Ontwerp"} {
				b.do(chromedp.Navigate(tw.srv.URL + path))
				b.waitFor(`!!document.querySelector('main h1')`, path)
				check(path)
			}
		})
	}
}
