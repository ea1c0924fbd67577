package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowserEditTogether drives two real browsers (Chromium) through the
// editor of one page, as two people editing at the same time:
//
//	a) edits of different lines merge, and the second saver is told so;
//	b) edits of the same line give the conflict form with both versions
//	   and the second saver's text intact;
//	c) typed text survives a reload as a draft that can be restored;
//	d) each sees that the other is editing, and that the other saved.
//
// It needs chromium; without it the test is skipped, except in CI. Set
// WIKIWERK_SCREENSHOTS to a folder to keep screenshots of the editor with
// its banners and of the conflict form.
func TestBrowserEditTogether(t *testing.T) {
	tw := newTestWiki(t)
	browserCtx := startChromium(t, 2*time.Minute)
	// Each person gets a browser context of their own: separate cookies,
	// localStorage and sessionStorage, as two people on two computers.
	anna := newBrowserTab(t, browserCtx, "Anna")
	bram := newBrowserTab(t, browserCtx, "Bram")

	const name = "WMO-loket/Ontwerp"
	edit := tw.srv.URL + "/-/edit/" + name
	draftKey := "wikiwerk:draft:" + name
	rev0 := tw.revision(name)

	// a) and d): both open the editor and see each other.
	anna.open(edit)
	bram.open(edit)
	anna.set("wwAuthorName", "Anna")
	bram.set("wwAuthorName", "Bram")
	anna.waitFor(`document.querySelector('.ww-editors').textContent === 'Ook bezig met deze pagina: Bram'`, "Anna sees that Bram is editing")
	bram.waitFor(`document.querySelector('.ww-editors').textContent === 'Ook bezig met deze pagina: Anna'`, "Bram sees that Anna is editing")

	annaText := "Regel een van Anna\nRegel twee\nRegel drie\n"
	anna.set("wwText", annaText)
	anna.waitFor(fmt.Sprintf(`(JSON.parse(localStorage.getItem(%s)) || {}).text === %s`, jsString(draftKey), jsString(annaText)), "Anna's draft in localStorage")
	if !evalJS[bool](bram, fmt.Sprintf(`localStorage.getItem(%s) === null`, jsString(draftKey))) {
		t.Fatal("Bram's browser sees Anna's draft: the two sessions share storage")
	}
	anna.save(`location.search === '?saved'`)
	if got := tw.content(name); got != annaText {
		t.Fatalf("after Anna's save the page holds %q", got)
	}
	rev1 := tw.revision(name)

	// d) Bram, still in the editor, is told that Anna saved, with a link
	// to exactly what changed since he started.
	bram.waitFor(`(() => {
		const w = document.querySelector('.ww-changed');
		return !!w && !w.hidden && /^Anna heeft .+ geleden een wijziging opgeslagen: bekijk/.test(w.textContent);
	})()`, "Bram is told that Anna saved")
	wantDiff := "/-/diff/WMO-loket/Ontwerp?from=" + rev0 + "&to=" + rev1
	if href := evalJS[string](bram, `document.querySelector('.ww-changed a').getAttribute('href')`); href != wantDiff {
		t.Errorf("the warning links to %q, want %q", href, wantDiff)
	}
	bram.screenshot("wikiwerk-editor-presence.png")

	bramText := "Regel een\nRegel twee\nRegel drie van Bram\n"
	bram.set("wwText", bramText)
	bram.save(`location.search.startsWith('?merged=')`)
	merged := "Regel een van Anna\nRegel twee\nRegel drie van Bram\n"
	if got := tw.content(name); got != merged {
		t.Fatalf("after Bram's save the page holds %q, want both edits", got)
	}
	body := evalJS[string](bram, `document.querySelector('main').innerText`)
	for _, want := range []string{"Opgeslagen en samengevoegd met de wijziging van Anna", "Regel een van Anna", "Regel drie van Bram"} {
		if !strings.Contains(body, want) {
			t.Errorf("Bram's page after the merge lacks %q:\n%s", want, body)
		}
	}

	// A draft that was saved is gone: opening the editor again offers
	// nothing.
	anna.open(edit)
	if evalJS[bool](anna, `!!document.querySelector('.ww-draft')`) {
		t.Error("the editor offers a draft that was saved")
	}
	if !evalJS[bool](anna, fmt.Sprintf(`localStorage.getItem(%s) === null`, jsString(draftKey))) {
		t.Error("a saved draft is still in localStorage")
	}

	// b) Both change line 2: the second save gets the conflict form.
	bram.open(edit)
	anna.set("wwText", "Regel een van Anna\nRegel twee van Anna\nRegel drie van Bram\n")
	anna.save(`location.search === '?saved'`)
	bramText = "Regel een van Anna\nRegel twee van Bram\nRegel drie van Bram\n"
	bram.set("wwText", bramText)
	bram.save(`!!document.querySelector('form.resolve')`)
	if status := evalJS[int](bram, `performance.getEntriesByType('navigation')[0].responseStatus`); status != 409 {
		t.Errorf("the conflict answered %d, want 409", status)
	}
	resolve := evalJS[string](bram, `document.querySelector('form.resolve').innerText`)
	if !strings.Contains(resolve, "Regel twee van Anna") || !strings.Contains(resolve, "Regel twee van Bram") {
		t.Errorf("the conflict form does not show both versions of line 2:\n%s", resolve)
	}
	if got := evalJS[string](bram, `document.getElementById('wwText').value`); got != bramText {
		t.Errorf("the conflict form holds %q, want Bram's text %q", got, bramText)
	}
	if evalJS[bool](bram, `!!document.querySelector('.ww-draft')`) {
		t.Error("the conflict form offers a draft over the text it kept")
	}
	bram.screenshot("wikiwerk-conflict.png")
	// Typing in "combine them myself" chooses that option.
	bram.do(chromedp.SendKeys(chromedp.CSS("textarea.custom"), "!"))
	if !evalJS[bool](bram, `document.querySelector('form.resolve input[type=radio][value=custom]').checked`) {
		t.Error("typing a combined text does not select it")
	}

	// c) Typed text survives a reload, also when someone saved the page
	// in between: the draft keeps the revision it was typed against, so
	// saving it merges instead of undoing the other change.
	anna.open(edit)
	rev3 := tw.revision(name)
	evalJS[bool](anna, `document.getElementById('wwText').setSelectionRange(0, 0), true`)
	anna.do(chromedp.SendKeys(chromedp.ID("wwText"), "Nieuwe zin. "))
	typed := evalJS[string](anna, `document.getElementById('wwText').value`)
	if typed != "Nieuwe zin. Regel een van Anna\nRegel twee van Anna\nRegel drie van Bram\n" {
		t.Fatalf("typing did not reach the editor: %q", typed)
	}
	anna.waitFor(fmt.Sprintf(`(JSON.parse(localStorage.getItem(%s)) || {}).text === %s`, jsString(draftKey), jsString(typed)), "the typed text in the draft")
	if res, err := tw.put(name, "Regel een van Anna\nRegel twee van Anna\nRegel drie van Carla\n", rev3, "Carla"); err != nil || res.code != 200 {
		t.Fatalf("Carla's save: %+v %v", res, err)
	}
	anna.do(chromedp.Reload())
	anna.waitFor(`!!document.querySelector('.ww-draft button.ww-restore')`, "the restore banner after a reload")
	if banner := evalJS[string](anna, `document.querySelector('.ww-draft').textContent`); !regexp.MustCompile(`Herstel concept van \d\d:\d\d`).MatchString(banner) {
		t.Errorf("the banner says %q", banner)
	}
	anna.screenshot("wikiwerk-editor-draft.png")
	anna.do(chromedp.Click(chromedp.CSS(".ww-draft button.ww-restore")))
	if got := evalJS[string](anna, `document.getElementById('wwText').value`); got != typed {
		t.Fatalf("after restoring, the editor holds %q, want %q", got, typed)
	}
	if base := evalJS[string](anna, `document.querySelector('form.editor input[name=base]').value`); base != rev3 {
		t.Fatalf("the restored draft is saved from %q, want the revision it was typed against %q", base, rev3)
	}
	anna.waitFor(`/^Carla heeft/.test(document.querySelector('.ww-changed').textContent)`, "Anna is told that Carla saved since her draft")
	anna.save(`location.search.startsWith('?merged=')`)
	if got, want := tw.content(name), "Nieuwe zin. Regel een van Anna\nRegel twee van Anna\nRegel drie van Carla\n"; got != want {
		t.Fatalf("saving the restored draft gave %q, want %q", got, want)
	}
}

// browserTab is one person's browser, with its own storage.
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	name string
}

func newBrowserTab(t *testing.T, browser context.Context, name string) *browserTab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run opens the tab and ties it to the context it gets, so
	// it gets one without a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open %s's browser: %v", name, err)
	}
	b := &browserTab{t: t, ctx: ctx, name: name}
	// The editor asks before leaving unsaved text; the person in these
	// tests answers "leave" (the text is kept as a draft).
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*page.EventJavascriptDialogOpening); ok && e.Type == page.DialogTypeBeforeunload {
			go chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				return err
			}))
		}
	})
	if err != nil {
		t.Fatalf("listen to %s's browser: %v", name, err)
	}
	// The editor's heartbeat is every 15 s; the test cannot wait that
	// long. This runs before the page's scripts and shortens it.
	const shortHeartbeat = `new MutationObserver(function (_, obs) {
		var f = document.querySelector('form.editor');
		if (f) { f.dataset.heartbeatMs = '300'; obs.disconnect(); }
	}).observe(document, {childList: true, subtree: true});`
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: shortHeartbeat})
		return err
	}))
	return b
}

// do runs steps, each call bounded in time.
func (b *browserTab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s's browser: %v", b.name, err)
	}
}

func evalJS[T any](b *browserTab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s's browser: %s: %v", b.name, expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds, for at most 20 s.
// It survives navigations, during which evaluation fails.
func (b *browserTab) waitFor(cond, what string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + '\n' + document.body.innerText`))
			cancel()
			b.t.Fatalf("%s's browser: waited 20 s for %s (last error: %v); the page:\n%s", b.name, what, err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// open loads a page with the editor and waits until editor.js has set up.
func (b *browserTab) open(url string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.langURL(url)))
	b.waitFor(`document.querySelector('form.editor') && document.querySelector('form.editor').dataset.editorReady === 'true'`, "the editor")
}

// langURL makes the first visit go through the language switch, so that
// the interface is Dutch whatever language Chromium asks for.
func (b *browserTab) langURL(url string) string {
	i := strings.Index(url, "/-/")
	return url[:i] + "/-/lang/nl?back=" + url[i:]
}

// set sets a field's value as typing would, with an input event.
func (b *browserTab) set(id, value string) {
	b.t.Helper()
	evalJS[bool](b, fmt.Sprintf(`(() => {
		const f = document.getElementById(%s);
		f.value = %s;
		f.dispatchEvent(new Event('input', {bubbles: true}));
		return true;
	})()`, jsString(id), jsString(value)))
}

// save presses Save and waits for the page that answers to satisfy done.
func (b *browserTab) save(done string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`form.editor button[value="save"]`)))
	b.waitFor(`document.readyState === 'complete' && `+done, "the answer to saving")
}

func (b *browserTab) screenshot(file string) {
	b.t.Helper()
	dir := os.Getenv("WIKIWERK_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// jsString quotes a Go string as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// startChromium starts Debian's headless chromium for a test and returns
// its browser context, closed when the test ends. Without chromium the
// test is skipped, except in CI (CI set), where it fails: CI installs it.
func startChromium(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if testing.Short() {
		// The fast loop (go test -short ./...) leaves the browser out;
		// CI runs everything.
		t.Skip("browser test: skipped with -short")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is needed in CI: %v", err)
		}
		t.Skipf("no chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		// This machine reaches no network: chromium's own connections
		// would only fail, many at a time.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Pages may point at other hosts; nothing may leave the machine.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 1000),
	)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browserCtx
}
