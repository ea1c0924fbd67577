package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestXSSPayloadsRunNoScriptInBrowser proves invariant 4 in a real browser:
// pages built from a list of XSS payloads (the OWASP filter evasion cheat
// sheet, SVG and MathML, javascript: variants, attribute breakouts,
// Markdown link and image tricks, wikilinks, front matter, hostile page
// names, author names and commit messages) are loaded in headless Chromium
// and no script of theirs runs.
//
// Before any script of a page runs, a hook counts every call of alert,
// confirm, prompt and print, every write to window.__xss, and every
// Content-Security-Policy violation other than img-src. The test also
// counts JavaScript dialogs, pop-ups, frames and navigations to
// javascript:, data: or other sites. On each page it fires every event for
// which an inline handler could exist, clicks links, opens <details> and
// focuses what can be focused, then checks that nothing was counted and
// that no markup able to run script (on* attributes, javascript: URLs,
// <script>, <iframe>, ...) is in the document.
//
// Pages are loaded from the wiki with the Content-Security-Policy header
// removed, so that the renderer and the sanitiser are the only defence
// (subtest nocsp: every payload on a page of its own, and every view), and
// from the wiki as it ships (subtest csp: every payload, in pages of
// xssChunk, through view, preview and rendered diffs). The subtest
// "detector" proves that the detector sees script that does run.
//
// It needs chromium; without it the test is skipped, except in CI.
func TestXSSPayloadsRunNoScriptInBrowser(t *testing.T) {
	// Generous: each page load has its own limit of 20 s, and a busy
	// machine can make the whole run several times slower.
	browser := startChromium(t, 8*time.Minute)
	start := time.Now()
	tw := newTestWiki(t)
	noCSP := httptest.NewServer(xssStripCSP(tw.srv.Config.Handler))
	t.Cleanup(noCSP.Close)
	raw := httptest.NewServer(http.HandlerFunc(xssRawPages))
	t.Cleanup(raw.Close)
	xssCheckHeaders(t, tw.srv.URL, noCSP.URL)

	origins := []string{tw.srv.URL, noCSP.URL, raw.URL}

	t.Run("detector", func(t *testing.T) {
		tab := newXSSTab(t, browser, origins)
		for _, c := range xssRawCases {
			r := tab.visit(xssVisit{what: "raw page " + c.path, url: raw.URL + c.path})
			switch {
			case c.clean && len(r.problems) > 0:
				t.Errorf("%s: the detector reports a clean page: %v", c.path, r.problems)
			case !c.clean && len(r.problems) == 0:
				t.Errorf("%s: script ran or unsafe markup is there, but the detector saw nothing", c.path)
			case !c.clean && c.script && !r.scriptRan:
				t.Errorf("%s: the detector saw only %v, not the script that ran", c.path, r.problems)
			default:
				t.Logf("%s: %v", c.path, r.problems)
			}
		}
	})
	if t.Failed() {
		return
	}

	payloads := xssPayloads()
	if len(payloads) < 80 {
		t.Fatalf("only %d payloads", len(payloads))
	}
	visits := xssCreatePages(t, tw, payloads)
	t.Logf("%d payloads and %d hostile page names; %d page loads to do; setup took %v", len(payloads), len(xssNames), len(visits), time.Since(start).Round(time.Millisecond))

	for _, srv := range []struct {
		name, url string
		all       bool
	}{{"csp", tw.srv.URL, false}, {"nocsp", noCSP.URL, true}} {
		t.Run(srv.name, func(t *testing.T) {
			began := time.Now()
			var jobs []xssVisit
			for _, v := range visits {
				if !srv.all && !v.both {
					continue
				}
				v.url = srv.url + v.url
				jobs = append(jobs, v)
			}
			xssRun(t, browser, origins, jobs)
			t.Logf("%d page loads in %v", len(jobs), time.Since(began).Round(time.Millisecond))
		})
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// xssTabs is how many tabs load pages at the same time.
const xssTabs = 4

// xssRun loads every page in xssTabs tabs and reports each failure with
// its payload and the HTML of <main>.
func xssRun(t *testing.T, browser context.Context, origins []string, visits []xssVisit) {
	t.Helper()
	jobs := make(chan xssVisit)
	var wg sync.WaitGroup
	tabs := make([]*xssTab, xssTabs)
	for i := range tabs {
		tabs[i] = newXSSTab(t, browser, origins)
	}
	for _, tab := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range jobs {
				r := tab.visit(v)
				if len(r.problems) > 0 {
					t.Errorf("%s\n  url: %s\n  payload: %q\n  problems:\n    %s\n  <main>:\n%s",
						v.what, v.url, v.payload, strings.Join(r.problems, "\n    "), r.main)
				}
			}
		}()
	}
	for _, v := range visits {
		jobs <- v
	}
	close(jobs)
	wg.Wait()
}

// xssVisit is one page load.
type xssVisit struct {
	what    string // for the failure message
	payload string // the hostile input behind the page
	url     string
	// preview opens the editor at url and presses Preview, so that the
	// page checked is the answer to that POST.
	preview bool
	// status is the expected HTTP status; 0 accepts any.
	status int64
	// both loads the page also from the server with CSP; every page is
	// loaded from the one without. Where the CSP blocks script, the hook
	// still reports the violation, so a payload that got past the
	// sanitiser fails there too.
	both bool
}

type xssResult struct {
	problems  []string
	scriptRan bool // the hook or a dialog saw script run
	main      string
}

// xssTab is a browser tab with the detector installed.
type xssTab struct {
	t       *testing.T
	ctx     context.Context
	origins []string

	mu     sync.Mutex
	events []xssEvent
}

type xssEvent struct {
	script bool // script ran, as opposed to an unexpected navigation
	what   string
}

func newXSSTab(t *testing.T, browser context.Context, origins []string) *xssTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	tab := &xssTab{t: t, ctx: ctx, origins: origins}
	if err := chromedp.Listen(ctx, tab.onEvent); err != nil {
		t.Fatalf("listen: %v", err)
	}
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, runtime.AddBinding, runtime.AddBindingParams{Name: xssBinding}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: xssHook}); err != nil {
			return err
		}
		// The test needs only the Page and Runtime domains; the events of
		// the others (every DOM and CSS change, every request) would only
		// keep the test binary busy.
		for _, method := range []string{dom.CommandDisable, css.CommandDisable, network.CommandDisable, log.CommandDisable} {
			if err := t.Call(ctx, method, cdp.Empty{}, nil); err != nil {
				return fmt.Errorf("%s: %w", method, err)
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatalf("install the hook: %v", err)
	}
	return tab
}

func (tab *xssTab) record(script bool, format string, args ...any) {
	tab.mu.Lock()
	tab.events = append(tab.events, xssEvent{script, fmt.Sprintf(format, args...)})
	tab.mu.Unlock()
}

// onEvent runs on the tab's reading goroutine: it must not block or call
// the browser itself.
func (tab *xssTab) onEvent(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventBindingCalled:
		switch {
		case ev.Name != xssBinding:
		case strings.HasPrefix(ev.Payload, "CSP blocked"):
			tab.record(true, "script tried to run: %s", ev.Payload)
		default:
			tab.record(true, "script ran: %s", ev.Payload)
		}
	case *page.EventJavascriptDialogOpening:
		tab.record(true, "a %s dialog opened: %q", ev.Type, ev.Message)
		go func() {
			ctx, cancel := context.WithTimeout(tab.ctx, 5*time.Second)
			defer cancel()
			_ = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
				return err
			}))
		}()
	case *page.EventWindowOpen:
		tab.record(false, "a window opened: %s", ev.URL)
	case *page.EventFrameRequestedNavigation:
		tab.checkNavigation("requested", ev.URL)
	case *page.EventFrameStartedNavigating:
		tab.checkNavigation("started", ev.URL)
	case *page.EventFrameNavigated:
		if ev.Frame != nil && ev.Frame.ParentID != "" {
			tab.record(false, "a frame loaded %q", ev.Frame.URL+ev.Frame.URLFragment)
		}
	}
}

// checkNavigation flags navigations to script or data URLs and to other
// sites.
func (tab *xssTab) checkNavigation(how, u string) {
	if u == "about:blank" {
		return
	}
	for _, o := range tab.origins {
		if strings.HasPrefix(u, o+"/") || u == o {
			return
		}
	}
	tab.record(false, "navigation %s to %q", how, u)
}

func (tab *xssTab) mark() int {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return len(tab.events)
}

func (tab *xssTab) since(mark int) []xssEvent {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]xssEvent(nil), tab.events[mark:]...)
}

// waitLoaded polls until cond holds in the page; it survives navigations,
// during which evaluation fails.
func (tab *xssTab) waitLoaded(ctx context.Context, cond string) error {
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last error: %v)", cond, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// visit loads the page, exercises it and returns what the detector saw.
func (tab *xssTab) visit(v xssVisit) xssResult {
	var res xssResult
	ctx, cancel := context.WithTimeout(tab.ctx, 20*time.Second)
	defer cancel()
	mark := tab.mark()
	err := chromedp.Do(ctx, chromedp.Navigate(v.url))
	if err == nil && v.preview {
		// The mark is gone once the answer to the POST is loaded.
		err = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__xssEditor = true; document.querySelector('form.editor button[value="preview"]').click()`))
		if err == nil {
			err = tab.waitLoaded(ctx, `!window.__xssEditor && document.readyState === 'complete'`)
		}
	}
	if err != nil {
		res.problems = append(res.problems, fmt.Sprintf("load: %v", err))
	}
	var probe xssProbeResult
	if err == nil {
		probe, err = chromedp.Run(ctx, chromedp.Evaluate[xssProbeResult](xssProbe, chromedp.EvalAwaitPromise))
		switch {
		case err != nil:
			// Evaluation fails when the page navigated away or script
			// broke it; either is worth a look.
			res.problems = append(res.problems, fmt.Sprintf("probe: %v", err))
		case !probe.Hook:
			res.problems = append(res.problems, "the detector's hook is not installed in this page")
		case v.status != 0 && probe.Status != v.status:
			res.problems = append(res.problems, fmt.Sprintf("HTTP status %d, want %d", probe.Status, v.status))
		}
	}
	if probe.Hits > 0 {
		res.scriptRan = true
		res.problems = append(res.problems, fmt.Sprintf("the hook counted %d call(s)", probe.Hits))
	}
	for _, f := range probe.Findings {
		res.problems = append(res.problems, "unsafe markup: "+f)
	}
	for _, e := range tab.since(mark) {
		res.scriptRan = res.scriptRan || e.script
		res.problems = append(res.problems, e.what)
	}
	if len(res.problems) > 0 {
		ctx, cancel := context.WithTimeout(tab.ctx, 5*time.Second)
		defer cancel()
		res.main, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const m = document.querySelector('main') || document.documentElement;
			const h = m ? m.outerHTML : '';
			return h.length > 6000 ? h.slice(0, 6000) + '…' : h;
		})()`))
	}
	return res
}

// xssProbeResult is what xssProbe returns.
type xssProbeResult struct {
	Status   int64    `json:"status"`
	Hook     bool     `json:"hook"`
	Hits     int      `json:"hits"`
	Findings []string `json:"findings"`
}

// xssBinding is the name of the function through which the hook reports
// to the test; it exists in every frame of the tab.
const xssBinding = "__xssReport"

// xssHook runs before any script of every document and frame. It counts
// calls of the dialog functions, writes to window.__xss and CSP violations
// (other than img-src: Markdown may show images from http: addresses) and
// reports each to the test.
const xssHook = `(() => {
	if (window.__xssHook) return;
	Object.defineProperty(window, '__xssHook', {value: true});
	let hits = 0, value;
	const report = (what) => {
		hits++;
		try { window.` + xssBinding + `(String(what).slice(0, 300) + ' in ' + location.href.slice(0, 200)); } catch (e) {}
	};
	Object.defineProperty(window, '__xssHits', {get: () => hits});
	for (const f of ['alert', 'confirm', 'prompt', 'print']) {
		Object.defineProperty(window, f, {configurable: true, writable: true, value: function () {
			report(f + '(' + Array.from(arguments).join(', ') + ')');
			return f === 'prompt' ? null : f === 'confirm' ? false : undefined;
		}});
	}
	Object.defineProperty(window, '__xss', {configurable: true, get: () => value, set: (v) => { value = v; report('window.__xss = ' + v); }});
	document.addEventListener('securitypolicyviolation', (e) => {
		if (!/^img-src/.test(e.violatedDirective)) {
			report('CSP blocked ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
		}
	}, true);
})();`

// xssProbe exercises a loaded page as a curious reader would, then looks
// for markup that could run script. Links to web and mail addresses are
// not followed (their default action is cancelled); any other link is.
const xssProbe = `(async () => {
	const safeURL = (v) => {
		try { return ['http:', 'https:', 'mailto:'].includes(new URL(v, location.href).protocol); } catch (e) { return true; }
	};
	const hrefOf = (el) => el.getAttribute('href') ?? el.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
	addEventListener('click', (e) => {
		const a = e.composedPath().find((n) => n instanceof Element && (n.localName === 'a' || n.localName === 'area'));
		if (a) {
			const h = hrefOf(a);
			if (h === null || safeURL(h)) e.preventDefault();
		}
	}, true);
	addEventListener('submit', (e) => {
		const act = (e.submitter && e.submitter.getAttribute('formaction')) ?? e.target.getAttribute('action') ?? '';
		if (safeURL(act)) e.preventDefault();
	}, true);

	const root = document.querySelector('main') || document.body || document.documentElement;
	const all = [root, ...root.querySelectorAll('*')];
	const user = (el) => !!el.closest('.markdown, .preview');
	// Every inline handler that survived gets its own event; the rest is
	// what a reader does with a mouse.
	const events = ['mouseover', 'mousemove', 'click', 'focus'];
	for (const el of all) {
		const own = Array.from(el.attributes).filter((a) => /^on/i.test(a.name)).map((a) => a.name.slice(2).toLowerCase());
		for (const type of new Set([...events, ...own])) {
			// The wiki's own buttons would save or revert.
			if (type === 'click' && !user(el) && el.matches('button, input, select, textarea, option')) continue;
			try {
				el.dispatchEvent(type === 'click' || type.startsWith('mouse')
					? new MouseEvent(type, {bubbles: true, cancelable: true, view: window})
					: new Event(type, {bubbles: true, cancelable: true}));
			} catch (e) {}
		}
	}
	for (const d of root.querySelectorAll('details')) d.open = !d.open;
	for (const f of root.querySelectorAll('form')) {
		if (user(f)) try { f.requestSubmit(); } catch (e) {}
	}
	for (const el of root.querySelectorAll('a, area, [tabindex], input, textarea, select, button, [contenteditable], iframe, object, embed, svg, math')) {
		try { el.focus(); } catch (e) {}
	}
	await new Promise((r) => setTimeout(r, 10));
	await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

	const findings = [];
	const show = (el) => el.outerHTML.slice(0, 160);
	const urlAttrs = ['href', 'xlink:href', 'src', 'action', 'formaction', 'data', 'poster', 'background', 'codebase',
		'dynsrc', 'lowsrc', 'ping', 'cite', 'longdesc', 'usemap', 'manifest', 'icon', 'classid', 'archive', 'to',
		'values', 'from', 'by'];
	for (const el of document.querySelectorAll('*')) {
		for (const a of el.attributes) {
			const n = a.name.toLowerCase();
			if (n.startsWith('on')) findings.push('event handler attribute ' + n + ' on ' + show(el));
			else if (n === 'srcdoc') findings.push('srcdoc on ' + show(el));
			else if (urlAttrs.includes(n) && a.value.trim() !== '' && !safeURL(a.value)) findings.push('script-capable URL in ' + n + ' of ' + show(el));
			else if ((n === 'srcset' || n === 'imagesrcset') && a.value.split(',').some((s) => !safeURL(s.trim().split(/\s+/)[0]))) findings.push('bad srcset on ' + show(el));
			else if (n === 'style' && user(el)) findings.push('style attribute on ' + show(el));
		}
	}
	for (const s of document.querySelectorAll('script')) {
		const src = s.getAttribute('src');
		if (src === null || new URL(src, location.href).origin !== location.origin || !new URL(src, location.href).pathname.startsWith('/-/static/')) {
			findings.push('script element ' + show(s));
		}
	}
	for (const el of document.querySelectorAll('iframe, frame, frameset, object, embed, applet, portal, fencedframe, body base, body meta, body link, style, [http-equiv]')) {
		findings.push('element ' + show(el));
	}
	for (const el of document.querySelectorAll('.markdown *, .preview *')) {
		if (el.matches('svg, math, form, button, select, textarea, video, audio, source, track, template, noscript, xmp, marquee, isindex, keygen, input:not([type="checkbox"][disabled])')) {
			findings.push('element in page content ' + show(el));
		}
	}
	const nav = performance.getEntriesByType('navigation')[0];
	return {status: nav ? nav.responseStatus : 0, hook: !!window.__xssHook, hits: window.__xssHits || 0, findings};
})()`

// xssStripCSP serves h without its Content-Security-Policy, so that the
// renderer and the sanitiser are the only defence.
func xssStripCSP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&xssNoCSPWriter{ResponseWriter: w}, r)
	})
}

type xssNoCSPWriter struct{ http.ResponseWriter }

func (w *xssNoCSPWriter) WriteHeader(code int) {
	w.Header().Del("Content-Security-Policy")
	w.ResponseWriter.WriteHeader(code)
}

func (w *xssNoCSPWriter) Write(b []byte) (int, error) {
	w.Header().Del("Content-Security-Policy")
	return w.ResponseWriter.Write(b)
}

func (w *xssNoCSPWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// xssCheckHeaders makes sure the two servers differ as intended.
func xssCheckHeaders(t *testing.T, withCSP, withoutCSP string) {
	t.Helper()
	for _, c := range []struct {
		url  string
		want bool
	}{{withCSP, true}, {withoutCSP, false}} {
		resp, err := http.Get(c.url + "/Home")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Security-Policy") != ""; got != c.want || resp.StatusCode != 200 {
			t.Fatalf("%s/Home: status %d, CSP %q", c.url, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
	}
}

// xssRawCases are pages served without any sanitiser or CSP, to prove
// the detector: each hostile one must be seen, the clean one must not.
var xssRawCases = []struct {
	path   string
	html   string
	clean  bool
	script bool // the detector must see script run, not only the markup
}{
	{path: "/clean", clean: true, html: `<main><p>Gewoon <a href="/x">een link</a>, <a href="https://example.com/">een andere</a>, <a href="#top">een anker</a> en <a href="mailto:a@example.com">mail</a>.</p>
<details><summary>meer</summary>tekst</details><form action="/zoek"><input name="q"><button>zoek</button></form></main>`},
	{path: "/img-onerror", script: true, html: `<main><img src=x onerror="window.__xss=1"></main>`},
	{path: "/script", script: true, html: `<main><script>alert(1)</script></main>`},
	{path: "/javascript-link", script: true, html: `<main><a href="javascript:alert(1)">klik</a></main>`},
	{path: "/svg-javascript-link", script: true, html: `<main><svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">klik</text></a></svg></main>`},
	{path: "/mouseover", script: true, html: `<main><p onmouseover="confirm(1)">beweeg</p></main>`},
	{path: "/focus", script: true, html: `<main><input onfocus="prompt(1)"></main>`},
	{path: "/toggle", script: true, html: `<main><details ontoggle="alert(1)"><summary>x</summary>y</details></main>`},
	{path: "/later", script: true, html: `<main><img src=x onerror="setTimeout(() => window.__xss = (window.__xss || 0) + 1, 0)"></main>`},
	{path: "/iframe", script: true, html: `<main><iframe srcdoc="<script>alert(1)</script>"></iframe></main>`},
	{path: "/form-javascript", script: true, html: `<main><div class="markdown"><form action="javascript:alert(1)"><button>x</button></form></div></main>`},
	{path: "/dialog-from-fresh-frame", script: true, html: `<main><script>
		const f = document.createElement('iframe');
		document.body.appendChild(f);
		f.contentWindow.alert.call(window, 'dialog');
	</script></main>`},
	{path: "/inert-handler", html: `<main><p onclick="void 0">x</p></main>`},
	{path: "/meta-refresh", html: `<main><meta http-equiv="refresh" content="0;url=data:text/html,x"></main>`},
}

func xssRawPages(w http.ResponseWriter, r *http.Request) {
	for _, c := range xssRawCases {
		if c.path == r.URL.Path {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<!DOCTYPE html><html><head><title>t</title></head><body>"+c.html+"</body></html>")
			return
		}
	}
	http.NotFound(w, r)
}

// xssNames are page names made of the characters that a name may hold
// and that matter in HTML, URLs and JavaScript. The layout prints names in
// titles, headings, breadcrumbs, links and form fields.
var xssNames = []string{
	`XSS/Naam's & co=1`,
	`XSS/a&#39;b&amp;c&lt;img src=x onerror=alert(1)&gt;`,
	`XSS/x onmouseover=alert(1) y=1`,
	`XSS/';alert(1);'`,
	`XSS/%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
	"XSS/{{.}} ${alert(1)} `x`",
	`XSS/x' onmouseover='alert(1)/kind`,
	`XSS/&quot;&gt;&lt;svg onload=alert(1)&gt;`,
	`XSS/javascript;alert(1)`,
	`XSS/#x=1&y=2;z`,
}

// xssAuthors are commit author names (which may not hold <, > or line
// breaks) shown in history, blame, diffs and recent changes.
var xssAuthors = []string{
	`" onmouseover="alert(1)`,
	`' onmouseover='alert(1)`,
	`&lt;img src=x onerror=alert(1)&gt;`,
	`javascript:alert(1)`,
	`&#34; onmouseover=&#34;alert(1)`,
	`'-alert(1)-'`,
	"`${alert(1)}`",
	`Anna`,
}

// xssPayloads are the hostile page texts. Each would, if any of it ran,
// call alert, confirm or prompt, or write to window.__xss.
func xssPayloads() []string {
	return []string{
		// OWASP XSS filter evasion cheat sheet, and the usual suspects.
		`<script>alert(1)</script>`,
		`<SCRIPT>alert(1)</SCRIPT>`,
		`<ScRiPt>alert(1)</sCrIpT>`,
		`<script>window.__xss=(window.__xss||0)+1</script>`,
		`<SCRIPT SRC=data:text/javascript,alert(1)></SCRIPT>`,
		`<SCRIPT/XSS SRC="data:,alert(1)"></SCRIPT>`,
		`<<SCRIPT>alert("XSS");//\<</SCRIPT>`,
		`<SCRIPT SRC=data:,alert(1)?< B >`,
		`</TITLE><SCRIPT>alert("XSS");</SCRIPT>`,
		`<SCRIPT>alert(String.fromCharCode(88,83,83))</SCRIPT>`,
		`<IMG SRC="javascript:alert('XSS');">`,
		`<IMG SRC=javascript:alert('XSS')>`,
		`<IMG SRC=JaVaScRiPt:alert('XSS')>`,
		"<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
		`<IMG """><SCRIPT>alert("XSS")</SCRIPT>">`,
		`<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>`,
		`<IMG SRC=# onmouseover="alert('xxs')">`,
		`<IMG SRC= onmouseover="alert('xxs')">`,
		`<IMG onmouseover="alert('xxs')">`,
		`<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>`,
		`<img src=x onerror=window.__xss=(window.__xss||0)+1>`,
		`<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">`,
		`<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>`,
		`<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>`,
		`<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>`,
		"<IMG SRC=\"jav\tascript:alert('XSS');\">",
		`<IMG SRC="jav&#x09;ascript:alert('XSS');">`,
		`<IMG SRC="jav&#x0A;ascript:alert('XSS');">`,
		`<IMG SRC="jav&#x0D;ascript:alert('XSS');">`,
		`<IMG SRC=" &#14;  javascript:alert('XSS');">`,
		`<a href="jav&#x00;ascript:alert(1)">x</a>`,
		`<a href="  javascript:alert(1)">x</a>`,
		`<a href="javascript&colon;alert(1)">x</a>`,
		`<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>`,
		`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
		`<a href="vbscript:msgbox(1)">x</a>`,
		`<a href="javascript:void(0)" onclick="alert(1)">x</a>`,
		"<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
		`<body onload=alert(1)>`,
		`<INPUT TYPE="IMAGE" SRC="javascript:alert('XSS');">`,
		`<input autofocus onfocus=alert(1)>`,
		`<select autofocus onfocus=alert(1)></select>`,
		`<textarea autofocus onfocus=alert(1)></textarea>`,
		`<div contenteditable autofocus onfocus=alert(1)>x</div>`,
		`<BODY BACKGROUND="javascript:alert('XSS')">`,
		`<table background="javascript:alert(1)"><tr><td>x</td></tr></table>`,
		`<IMG DYNSRC="javascript:alert('XSS')">`,
		`<IMG LOWSRC="javascript:alert('XSS')">`,
		`<img src=x:alert(alt) onerror=eval(src) alt=0>`,
		`<svg/onload=alert('XSS')>`,
		`<svg onload=alert(1)>`,
		`<svg><script>alert(1)</script></svg>`,
		`<svg><script href="data:,alert(1)"/></svg>`,
		`<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>`,
		`<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text x="20" y="20">klik</text></a></svg>`,
		`<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
		`<svg><foreignObject><iframe srcdoc="<script>alert(1)</script>"></iframe></foreignObject></svg>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">`,
		`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
		`<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style><img onerror=alert(1) src>">`,
		`<iframe srcdoc="<script>parent.alert(1)</script>"></iframe>`,
		`<iframe srcdoc="&lt;img src=x onerror=alert(1)&gt;"></iframe>`,
		`<iframe src="javascript:alert(1)"></iframe>`,
		`<iframe src="data:text/html,<script>alert(1)</script>"></iframe>`,
		`<object data="javascript:alert(1)"></object>`,
		`<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>`,
		`<object type="text/x-scriptlet" data="data:text/html,<script>alert(1)</script>"></object>`,
		`<embed src="javascript:alert(1)">`,
		`<embed src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=" type="image/svg+xml">`,
		`<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert('XSS');">`,
		`<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">`,
		"<BASE HREF=\"javascript:alert('XSS');//\">\n\n[relatief](x)",
		`<LINK REL="import" HREF="data:text/html,<script>alert(1)</script>">`,
		`<LINK REL="stylesheet" HREF="javascript:alert('XSS');">`,
		`<form action="javascript:alert(1)"><button>x</button></form>`,
		`<form><button formaction="javascript:alert(1)">x</button></form>`,
		`<isindex type=image src=1 onerror=alert(1)>`,
		`<details open ontoggle=alert(1)>`,
		`<details ontoggle="window.__xss=1"><summary>klik</summary>x</details>`,
		`<video><source onerror="alert(1)"></video>`,
		`<audio src=x onerror=alert(1)>`,
		`<marquee onstart=alert(1)>x</marquee>`,
		`<button onclick=alert(1)>x</button>`,
		`<x onclick=alert(1)>klik</x>`,
		`<div style="animation-name:x" onanimationstart="alert(1)"></div><style>@keyframes x{}</style>`,
		`<STYLE>@import 'javascript:alert("XSS")';</STYLE>`,
		`<STYLE>li {list-style-image: url("javascript:alert('XSS')");}</STYLE><UL><LI>XSS</br>`,
		`<DIV STYLE="width: expression(alert('XSS'));">`,
		`<IMG STYLE="xss:expr/*XSS*/ession(alert('XSS'))">`,
		`<p style="background:url(javascript:alert(1))">x</p>`,
		`<template><img src=x onerror=alert(1)></template>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<xmp><p title="</xmp><img src=x onerror=alert(1)>">`,
		`<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>`,
		`<textarea><img title="</textarea><img src=x onerror=alert(1)>">`,
		`<title><img title="</title><img src=x onerror=alert(1)>">`,
		`<!--<img src="--><img src=x onerror=alert(1)//">`,
		`<!-- --><script>alert(1)</script> -->`,
		`<![CDATA[<]]><script>alert(1)</script>`,
		`<svg><![CDATA[><img src=x onerror=alert(1)>]]></svg>`,
		`"><script>alert(1)</script>`,
		`'><img src=x onerror=alert(1)>`,
		`<img src="x" onerror="alert(1)"`,
		"<a\nhref=\"java\nscript:alert(1)\">x</a>",
		"\x00<script>alert(1)</script>\x00",

		// Markdown links, images and autolinks.
		`[x](javascript:alert(1))`,
		`[x](JAVASCRIPT:alert(1))`,
		`[x](JaVaScRiPt:alert(1))`,
		`[x](&#106;avascript:alert(1))`,
		`[x](&#x6a;avascript&#x3a;alert(1))`,
		`[x](javascript&#58;alert(1))`,
		`[x](javascript&colon;alert(1))`,
		`[x](java&#09;script:alert(1))`,
		`[x](javascript\:alert(1))`,
		`[x](%6Aavascript:alert(1))`,
		`[x](<javascript:alert(1)>)`,
		`[x]( javascript:alert(1))`,
		`[x](vbscript:msgbox(1))`,
		`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
		"[x][1]\n\n[1]: javascript:alert(1)",
		"[x][r]\n\n[r]: <javascript:alert(1)> \"t\"",
		"[x]\n\n[x]: JAVASCRIPT:alert(1)",
		`![x](javascript:alert(1))`,
		`![x](x" onerror="alert(1))`,
		`![" onerror="alert(1)](x)`,
		`![x](x "a\" onerror=\"alert(1)")`,
		`![x](data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=)`,
		`[x](http://a "a\" onmouseover=\"alert(1)")`,
		`[x](http://a 'a\' onmouseover=\'alert(1)')`,
		"[x][r]\n\n[r]: http://a \"\\\" onmouseover=\\\"alert(1)\"",
		`[<img src=x onerror=alert(1)>](http://a)`,
		`[x](http://a/" onmouseover="alert(1))`,
		`<javascript:alert(1)>`,
		`<JaVaScRiPt:alert(1)>`,
		`<data:text/html,<script>alert(1)</script>>`,
		`www.example.com/"onmouseover="alert(1)`,
		`https://example.com/<script>alert(1)</script>`,
		`*<img src=x onerror=alert(1)>*`,
		"<div>\n\n[x](javascript:alert(1))\n\n</div>",
		"> <details open ontoggle=alert(1)>",

		// Wikilinks.
		`[[javascript:alert(1)]]`,
		`[[ JavaScript:alert(1) |klik]]`,
		`[[data:text/html,<script>alert(1)</script>]]`,
		`[[x|<img src=x onerror=alert(1)>]]`,
		`[[" onmouseover="alert(1)]]`,
		`[[x#" onmouseover="alert(1)]]`,
		`[[x|" onmouseover="alert(1) x="]]`,
		`[[#"><script>alert(1)</script>]]`,
		`[[XSS/Naam's & co=1]] [[XSS/x' onmouseover='alert(1)/kind|naam]]`,

		// Tables, footnotes, headings, table of contents, task lists.
		"| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |\n|---|---|\n| <script>alert(1)</script> | [[x|<svg onload=alert(1)>]] |",
		"tekst[^1]\n\n[^1]: <img src=x onerror=alert(1)> [x](javascript:alert(1))",
		"tekst[^\" onmouseover=\"alert(1)]\n\n[^\" onmouseover=\"alert(1)]: voetnoot",
		"# <img src=x onerror=alert(1)>\n\ntekst",
		"## \" onmouseover=\"alert(1)\n\n## javascript:alert(1)",
		"## Kop {onclick=\"alert(1)\" #id .c}\n\n## Kop {#\" onmouseover=\"alert(1)}",
		"[TOC]\n\n## <img src=x onerror=alert(1)>\n\n## \"><script>alert(1)</script>\n\n## ' onmouseover='alert(1)",
		"[[_TOC_]]\n\n## <svg onload=alert(1)>\n\n### [x](javascript:alert(1))",
		"- [x] <img src=x onerror=alert(1)>\n- [ ] [x](javascript:alert(1))",

		// Front matter: the title goes into <title> and <h1>, the tags
		// into the page.
		"---\ntitle: \"<img src=x onerror=alert(1)>\"\ntags: [\"<script>alert(1)</script>\", \"\\\" onmouseover=\\\"alert(1)\"]\n---\ntekst",
		"---\ntitle: </title><script>alert(1)</script>\ntags: <svg onload=alert(1)>, ' onmouseover='alert(1)\n---\ntekst",
		"---\ntitle: [<script>alert(1)</script>\n---\ntekst",
		"---\nredirect: XSS/Naam's & co=1\ntitle: \" onmouseover=\"alert(1)\n---\ntekst",

		// Code: fence info strings and highlighter options.
		"```\"><script>alert(1)</script>\ncode\n```",
		"```<img src=x onerror=alert(1)>\ncode\n```",
		"```go {style=\"><script>alert(1)</script>\" linenos=table}\nfunc main() {}\n```",
		"```go {hl_lines=[\"1\\\"><img src=x onerror=alert(1)>\"]}\nfunc main() {}\n```",
		"```html\n<script>alert(1)</script>\n```",
		"`<script>alert(1)</script>`",
	}
}

// xssChunk is how many payloads share a page for the views that print a
// page's text or history rather than its rendering.
const xssChunk = 15

// xssCreatePages makes the pages to load and returns the visits, without
// the server's address.
//
// Each payload gets a page of its own, so that a failure names it. They
// arrive in one commit straight in the repository, as a git push would
// bring them (that also skips the checks of the web editor, such as the
// refusal of NUL characters), because a save per payload through the API
// costs a second or more under -race for every dozen payloads.
//
// The payloads are then saved again through the API in pages of xssChunk
// each, in two revisions by hostile authors with hostile commit messages,
// for the editor's preview, the history, the diffs (unified, split and
// rendered both ways) and blame. The pages with hostile names are saved
// the same way.
func xssCreatePages(t *testing.T, tw *testWiki, payloads []string) []xssVisit {
	t.Helper()
	var visits []xssVisit
	add := func(v xssVisit) { visits = append(visits, v) }

	var changes []wiki.Change
	for i, src := range payloads {
		name := fmt.Sprintf("XSS/P%03d", i)
		changes = append(changes, wiki.Change{Name: wiki.MustParseName(name), Content: []byte(src)})
		// Front matter works only at the top of a page, so these are
		// loaded from both servers; the others reach the server with CSP
		// in the pages of xssChunk payloads.
		add(xssVisit{what: fmt.Sprintf("payload %d, view", i), payload: src, url: "/" + name, status: 200, both: strings.HasPrefix(src, "---\n")})
	}
	if _, err := tw.repo.Commit(context.Background(), wiki.Commit{
		Author: wiki.Author{Name: xssAuthors[0], Email: "xss@example.com"}, Message: "xss <script>alert(1)</script>", Changes: changes,
	}); err != nil {
		t.Fatal(err)
	}

	n := 0
	save := func(name, content, base, message string) string {
		author := xssAuthors[n%len(xssAuthors)]
		n++
		code, rev, msg := xssPut(t, tw, name, content, base, message, author)
		if code != 200 && code != 201 {
			t.Fatalf("saving %s: %d %s\n%s", name, code, msg, content)
		}
		return rev
	}
	pageViews := func(name, payload string, rendered bool) {
		p := wiki.MustParseName(name).EscapedPath()
		rev1, rev2 := tw.xssRevisions(name)
		diff := "/-/diff/" + p + "?" + url.Values{"from": {rev1}, "to": {rev2}}.Encode()
		what := fmt.Sprintf("page %q, ", name)
		add(xssVisit{what: what + "view", payload: payload, url: "/" + p, status: 200, both: true})
		add(xssVisit{what: what + "history", payload: payload, url: "/-/history/" + p, status: 200})
		add(xssVisit{what: what + "diff", payload: payload, url: diff, status: 200})
		add(xssVisit{what: what + "blame", payload: payload, url: "/-/blame/" + p, status: 200})
		if rendered {
			back := "/-/diff/" + p + "?" + url.Values{"from": {rev2}, "to": {rev1}, "view": {"rendered"}}.Encode()
			add(xssVisit{what: what + "old revision", payload: payload, url: "/" + p + "?rev=" + rev1, status: 200})
			add(xssVisit{what: what + "preview in the editor", payload: payload, url: "/-/edit/" + p, preview: true, status: 200, both: true})
			add(xssVisit{what: what + "split diff", payload: payload, url: diff + "&view=split", status: 200})
			add(xssVisit{what: what + "rendered diff", payload: payload, url: diff + "&view=rendered", status: 200, both: true})
			add(xssVisit{what: what + "rendered diff backwards", payload: payload, url: back, status: 200, both: true})
		}
	}
	for i := 0; i < len(payloads); i += xssChunk {
		chunk := payloads[i:min(i+xssChunk, len(payloads))]
		var list []string
		for j, src := range chunk {
			list = append(list, fmt.Sprintf("%d: %q", i+j, src))
		}
		name := fmt.Sprintf("XSS/Samen/%03d-%03d", i, i+len(chunk)-1)
		// NUL characters are refused by the editor; the single pages
		// cover them.
		text := strings.ReplaceAll(strings.Join(chunk, "\n\n"), "\x00", "")
		rev1 := save(name, "Eerste versie.\n\n"+chunk[len(chunk)-1]+"\n", "", "begin "+summaryText(chunk[0]))
		save(name, text, rev1, "xss "+summaryText(chunk[0]))
		pageViews(name, strings.Join(list, "\n  "), true)
	}
	for _, name := range xssNames {
		rev1 := save(name, "Eerste versie.\n", "", name)
		save(name, "Pagina met een vijandige naam. [["+name+"]]\n", rev1, name)
		pageViews(name, name, false)
		p := wiki.MustParseName(name).EscapedPath()
		add(xssVisit{what: fmt.Sprintf("page %q, rename form", name), payload: name, url: "/-/rename/" + p, status: 200})
		add(xssVisit{what: fmt.Sprintf("page %q, as renamed-from notice", name), payload: name, url: "/Home?" + url.Values{"renamed-from": {name}, "links": {"2"}}.Encode(), status: 200})
	}

	// Listings that print every name, author and message, and query
	// parameters that pages reflect.
	const h = `"><img src=x onerror=alert(1)>`
	for _, v := range []xssVisit{
		{what: "recent changes", url: "/-/recent?limit=1000", status: 200, both: true},
		{what: "all pages", url: "/-/pages", status: 200, both: true},
		{what: "recent changes filtered", url: "/-/recent?" + url.Values{"author": {h}, "folder": {"XSS"}, "since": {"2000-01-01"}}.Encode(), status: 200},
		{what: "recent changes with a bad filter", url: "/-/recent?" + url.Values{"author": {h}, "folder": {h}, "since": {h}}.Encode()},
		{what: "contributions", url: "/-/contributions/" + url.PathEscape(xssAuthors[0]), status: 200},
		{what: "contributions of markup", url: "/-/contributions/" + url.PathEscape(h)},
		{what: "a bad revision", url: "/XSS/P000?" + url.Values{"rev": {h}}.Encode()},
		{what: "a bad diff", url: "/-/diff/XSS/P000?" + url.Values{"from": {h}, "to": {"<script>alert(1)</script>"}}.Encode()},
		{what: "a bad history page", url: "/-/history/XSS/P000?" + url.Values{"before": {h}, "limit": {h}}.Encode()},
		{what: "an invalid name", url: "/" + url.PathEscape(`<svg onload=alert(1)>`)},
		{what: "a missing page", url: "/XSS/" + url.PathEscape(`Nog niet' onmouseover='alert(1)`), status: 404},
		{what: "the editor of a new page", url: "/-/edit/XSS/" + url.PathEscape(`Nieuw' onmouseover='alert(1)`), status: 200},
		{what: "a redirect from a hostile name", url: "/Home?" + url.Values{"redirected-from": {xssNames[0]}}.Encode(), status: 200},
		{what: "merged notice with a bad revision", url: "/XSS/P000?" + url.Values{"merged": {h}, "saved": {""}}.Encode(), status: 200},
		{what: "the language switch", url: "/-/lang/en?" + url.Values{"back": {"javascript:alert(1)"}}.Encode(), status: 200},
	} {
		v.payload = v.url
		add(v)
	}
	return visits
}

// xssRevisions returns the first and the last revision of a page.
func (tw *testWiki) xssRevisions(name string) (first, last string) {
	tw.t.Helper()
	_, body := tw.get("/-/api/pages/" + wiki.MustParseName(name).EscapedPath() + "/history?limit=500")
	var h struct{ Revisions []struct{ Revision string } }
	if err := json.Unmarshal([]byte(body), &h); err != nil || len(h.Revisions) == 0 {
		tw.t.Fatalf("history of %s: %v\n%s", name, err, body)
	}
	return h.Revisions[len(h.Revisions)-1].Revision, h.Revisions[0].Revision
}

// xssPut saves a page through the API with a commit message and author.
func xssPut(t *testing.T, tw *testWiki, name, content, base, message, author string) (int, string, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"content": content, "base": base, "message": message,
		"author": map[string]string{"name": author, "email": "xss@example.com"}})
	req, err := http.NewRequest("PUT", tw.srv.URL+"/-/api/pages/"+wiki.MustParseName(name).EscapedPath(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Revision, Error string }
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out.Revision, out.Error
}

// summaryText drops what the wiki refuses in a summary (control and
// bidirectional characters; a test elsewhere proves the refusal), so that
// the rest of a payload can be tried as a summary.
func summaryText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, s)
}
