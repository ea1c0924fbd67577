package web_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// diagramHook runs before every script of the page: it records CSP
// violations and gives content payloads a flag to set.
const diagramHook = `(() => {
	window.__csp = [];
	window.__pwned = 0;
	document.addEventListener('securitypolicyviolation', (e) => {
		window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
	}, true);
	for (const f of ['alert', 'confirm', 'prompt']) window[f] = () => { window.__pwned++; };
})();`

// openDiagramPage creates a page with content and opens it in a fresh tab
// with diagramHook, waiting until diagrams.js is done.
func openDiagramPage(t *testing.T, content string) *browserTab {
	t.Helper()
	browserCtx := startChromium(t, 2*time.Minute)
	tw := newTestWiki(t)
	body, _ := json.Marshal(map[string]string{"content": content, "base": ""})
	if code, out, _ := tw.do("PUT", "/-/api/pages/Diagram", "application/json", string(body)); code != 201 {
		t.Fatalf("create page: %d %s", code, out)
	}
	b := newBrowserTab(t, browserCtx, "Anna")
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: diagramHook})
		return err
	}))
	b.do(chromedp.Navigate(tw.srv.URL + "/-/lang/nl?back=/Diagram"))
	b.waitFor(`document.documentElement.dataset.diagrams === 'done'`, "diagrams.js to finish")
	return b
}

// checkClean fails t for any CSP violation, but those of the directives
// in allowed, or script run by the content.
func checkClean(t *testing.T, b *browserTab, allowed ...string) {
	t.Helper()
	var v []string
	for _, s := range evalJS[[]string](b, `window.__csp`) {
		if !slices.ContainsFunc(allowed, func(d string) bool { return strings.HasPrefix(s, d+" ") }) {
			v = append(v, s)
		}
	}
	if len(v) > 0 {
		t.Errorf("%d CSP violations: %q", len(v), v)
	}
	if n := evalJS[int](b, `window.__pwned`); n != 0 {
		t.Errorf("content ran script %d times", n)
	}
}

// TestFormulasRenderUnderCSP opens a page with formulas, one of them a
// script, under the CSP the server sends: KaTeX typesets them, the script
// stays text, and no CSP violation is reported.
func TestFormulasRenderUnderCSP(t *testing.T) {
	b := openDiagramPage(t, "Energie: $E = mc^2$ en $<script>window.__pwned++</script>$.\n\n"+
		"$$\n\\sum_{i=1}^n x_i\n$$\n")
	if n := evalJS[int](b, `document.querySelectorAll('.math-inline .katex').length`); n != 1 {
		t.Errorf("inline formulas typeset by KaTeX: %d, want 1", n)
	}
	// Not TeX: it stays as text, marked as an error.
	if got := evalJS[string](b, `(document.querySelector('.math-inline.math-error') || {}).textContent || ''`); got != "<script>window.__pwned++</script>" {
		t.Errorf("script in TeX shows as %q, want its text", got)
	}
	if n := evalJS[int](b, `document.querySelectorAll('.math-display .katex-display').length`); n != 1 {
		t.Errorf("display formulas typeset by KaTeX: %d, want 1", n)
	}
	if n := evalJS[int](b, `document.querySelectorAll('.katex math').length`); n != 2 {
		t.Errorf("formulas with MathML for screen readers: %d, want 2", n)
	}
	checkClean(t, b)
}

// TestDiagramsRenderUnderCSP opens a page with a mermaid flowchart and a
// hostile mermaid source under the CSP the server sends: both are drawn
// as images beside their source, nothing from the content runs, and no
// CSP violation is reported.
//
// Mermaid lays a diagram out in the page, with style attributes and a
// <style> element that style-src 'self' blocks: harmless (the SVG shown
// as an image keeps its own styles, and the page's policy is not weakened
// for it), so those two directives are the only violations allowed here.
func TestDiagramsRenderUnderCSP(t *testing.T) {
	b := openDiagramPage(t, "```mermaid\ngraph TD\n  Aanvraag --> Besluit\n```\n\n"+
		"```mermaid\ngraph TD\n  A[\"<img src=x onerror=window.__pwned++>\"] --> B[\"<script>window.__pwned++</script>\"]\n  click A \"javascript:window.__pwned++\"\n```\n")
	b.waitFor(`[...document.querySelectorAll('.mermaid-figure img')].every(i => i.complete)`, "the diagram images to load")
	if n := evalJS[int](b, `[...document.querySelectorAll('.mermaid-figure img')].filter(i => i.naturalWidth > 0).length`); n != 2 {
		t.Errorf("diagrams drawn as images: %d, want 2", n)
	}
	if alt := evalJS[string](b, `(document.querySelector('.mermaid-figure img') || {}).alt || ''`); alt == "" {
		t.Error("diagram image without alt text")
	}
	if src := evalJS[string](b, `(document.querySelector('.mermaid-figure details pre') || {}).textContent || ''`); !strings.Contains(src, "Aanvraag --> Besluit") {
		t.Errorf("diagram source not kept beside the image: %q", src)
	}
	// The image is the SVG mermaid drew, from a blob: URL: an <img> runs no
	// script, whatever the SVG holds.
	if src := evalJS[string](b, `(document.querySelector('.mermaid-figure img') || {}).src || ''`); !strings.HasPrefix(src, "blob:") {
		t.Errorf("diagram image source %q, want a blob: URL", src)
	}
	if n := evalJS[int](b, `document.querySelectorAll('main img[src="x"], main script:not([src])').length`); n != 0 {
		t.Errorf("%d elements from the diagram source in the page", n)
	}
	checkClean(t, b, "style-src-attr", "style-src-elem")
}
