package web_test

import (
	"strings"
	"testing"
	"time"
)

// TestPrintedPagesAndDiffs: with print media emulated, a page prints
// without the site's menus, with the site name, the page's address and
// version above it and link targets after links; a diff keeps its marking
// without colour (+/− and underline or strike-through). Set
// WIKIWERK_SCREENSHOTS to look at them.
func TestPrintedPagesAndDiffs(t *testing.T) {
	browserCtx := startChromium(t, 2*time.Minute)
	sw := newSweepWiki(t)
	base := sw.srv.URL
	b := newBrowserTab(t, browserCtx, "print")
	visitPage(b, base, "/-/lang/nl?back=/Handleiding", `!!document.querySelector('main h1')`, "the page")
	emulateMedia(b, "print", "")
	if !evalJS[bool](b, `matchMedia('print').matches`) {
		t.Fatal("print media is not emulated")
	}
	if got := evalJS[string](b, `getComputedStyle(document.querySelector('header.site')).display + ' ' + getComputedStyle(document.querySelector('.page-actions')).display`); got != "none none" {
		t.Errorf("the menus print: %s", got)
	}
	src := evalJS[string](b, `(() => { const p = document.querySelector('.print-source'); return getComputedStyle(p).display + ' ' + p.innerText; })()`)
	if !strings.HasPrefix(src, "block wikiwerk · "+base+"/Handleiding") || !strings.Contains(src, "door Anna de Vries ("+sw.rev3[:8]+")") {
		t.Errorf("the printed page does not say where it is from: %q", src)
	}
	if after := evalJS[string](b, `getComputedStyle(document.querySelector('.markdown a.wikilink'), '::after').content`); !strings.Contains(after, "attr(href)") && !strings.Contains(after, "/WMO-loket/Ontwerp") {
		t.Errorf("a link prints without its target: %s", after)
	}
	b.screenshot("wikiwerk-print-page.png")

	visitPage(b, base, "/-/diff/Handleiding?from="+sw.rev1+"&to="+sw.rev3+"&view=unified", `!!document.querySelector('table.diff tr.ins')`, "the diff")
	ins := evalJS[string](b, `(() => { const td = document.querySelector('table.diff tr.ins td.text'); return getComputedStyle(td).textDecorationLine + ' ' + getComputedStyle(td, '::before').content; })()`)
	if ins != `underline "+ "` {
		t.Errorf("an added line prints as %q, want underline and a + sign", ins)
	}
	b.screenshot("wikiwerk-print-diff.png")
	visitPage(b, base, "/-/diff/Handleiding?from="+sw.rev3+"&to="+sw.rev1+"&view=split", `!!document.querySelector('table.diff td.text.del')`, "the reversed diff")
	del := evalJS[string](b, `(() => { const td = document.querySelector('table.diff td.text.del'); return getComputedStyle(td).textDecorationLine + ' ' + getComputedStyle(td, '::before').content; })()`)
	if del != `line-through "− "` {
		t.Errorf("a removed line prints as %q, want strike-through and a − sign", del)
	}
}
