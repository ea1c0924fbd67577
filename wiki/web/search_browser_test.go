package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserHeaderSearch drives the header's search field in Chromium as
// a keyboard user would: a few letters offer pages in a listbox (an ARIA
// combobox), the down arrow highlights one and Enter opens it; Escape
// closes the list; Enter on an exact title opens that page; a word that
// is no title searches, and the results show. It also filters the tree of
// all pages as one types. Like the other browser tests it needs chromium
// and is skipped without it, except in CI.
func TestBrowserHeaderSearch(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	browserCtx := startChromium(t, 2*time.Minute)
	b := newBrowserTab(t, browserCtx, "Anna")
	home := func() {
		b.do(chromedp.Navigate(b.langURL(nw.srv.URL + "/-/pages")))
		b.waitFor(`document.getElementById('wwSearch').getAttribute('role') === 'combobox'`, "search.js to set up the combobox")
	}
	home()
	combo := `document.getElementById('wwSearch')`
	if got := evalJS[string](b, combo+`.getAttribute('aria-controls')`); got != "wwSearchList" || evalJS[string](b, combo+`.getAttribute('aria-expanded')`) != "false" {
		t.Fatalf("combobox before typing: controls %q, expanded %s", got, evalJS[string](b, combo+`.getAttribute('aria-expanded')`))
	}

	// Type, see suggestions, arrow down, Enter.
	b.do(chromedp.SendKeys(chromedp.ID("wwSearch"), "klant"))
	b.waitFor(combo+`.getAttribute('aria-expanded') === 'true' && document.querySelectorAll('#wwSearchList [role=option]').length > 0`, "suggestions")
	if first := evalJS[string](b, `document.querySelector('#wwSearchList [role=option]').textContent`); !strings.Contains(first, "Klantreis") {
		t.Errorf("the first suggestion is %q", first)
	}
	b.waitFor(`/1 pagina gevonden/.test(document.querySelector('form.site-search [role=status]').textContent)`, "the live region to announce the suggestions")
	if role := evalJS[string](b, `document.getElementById('wwSearchList').getAttribute('role')`); role != "listbox" {
		t.Errorf("the list has role %q", role)
	}
	b.do(chromedp.KeyEvent(kb.ArrowDown))
	b.screenshot("wikiwerk-suggestions.png")
	if got := evalJS[string](b, combo+`.getAttribute('aria-activedescendant')`); got != "wwSearchOption0" ||
		evalJS[string](b, `document.getElementById('wwSearchOption0').getAttribute('aria-selected')`) != "true" {
		t.Errorf("after the down arrow: active descendant %q", got)
	}
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor(`location.pathname === '/WMO-loket/Klantreis' && document.readyState === 'complete'`, "Enter to open the highlighted page")

	// Escape closes the list.
	b.waitFor(combo+`.getAttribute('role') === 'combobox'`, "the combobox on the page")
	b.do(chromedp.SendKeys(chromedp.ID("wwSearch"), "ontw"))
	b.waitFor(combo+`.getAttribute('aria-expanded') === 'true'`, "suggestions for ontw")
	b.do(chromedp.KeyEvent(kb.Escape))
	if evalJS[string](b, combo+`.getAttribute('aria-expanded')`) != "false" || !evalJS[bool](b, `document.getElementById('wwSearchList').hidden`) {
		t.Error("Escape does not close the list")
	}

	// Enter on an exact title opens that page.
	home()
	b.do(chromedp.SendKeys(chromedp.ID("wwSearch"), "Los"))
	b.waitFor(`[...document.querySelectorAll('#wwSearchList [role=option]')].some(o => o.textContent === 'Los')`, "Los among the suggestions")
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor(`location.pathname === '/Los' && document.readyState === 'complete'`, "Enter on an exact title to open it")

	// A search submitted by keyboard.
	home()
	b.do(chromedp.SendKeys(chromedp.ID("wwSearch"), "keukentafelgesprek"))
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor(`location.pathname === '/-/search' && !!document.querySelector('ol.results a')`, "the search results")
	if got := evalJS[string](b, `document.querySelector('ol.results a').getAttribute('href')`); got != "/WMO-loket/Ontwerp" {
		t.Errorf("the first result links to %q", got)
	}
	if got := evalJS[string](b, `document.querySelector('ol.results .snippet mark').textContent`); !strings.EqualFold(got, "keukentafelgesprek") {
		t.Errorf("the snippet marks %q", got)
	}
	b.screenshot("wikiwerk-search.png")

	// The tree of all pages filters as one types.
	home()
	b.do(chromedp.SendKeys(chromedp.ID("wwFilter"), "klant"))
	b.waitFor(`[...document.querySelectorAll('#wwTree a')].filter(a => a.offsetParent !== null).length === 1`, "the filter to leave one page")
	if got := evalJS[string](b, `[...document.querySelectorAll('#wwTree a')].find(a => a.offsetParent !== null).getAttribute('href')`); got != "/WMO-loket/Klantreis" {
		t.Errorf("the filter leaves %q", got)
	}
	if got := evalJS[string](b, `document.getElementById('wwFilterCount').textContent`); got != "1 pagina past bij het filter." {
		t.Errorf("the count says %q", got)
	}
	b.screenshot("wikiwerk-allpages.png")
}
