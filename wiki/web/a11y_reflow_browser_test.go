package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// setViewport makes b's window width × height CSS pixels, as a phone's or
// a desktop browser's at 400 % zoom (1280 / 4 = 320).
func setViewport(b *browserTab, width, height int64) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: width, Height: height, DeviceScaleFactor: 1})
		return err
	}))
}

// overflowJS finds the outermost elements that stick out to the right of
// the window, for the failure message.
const overflowJS = `(() => {
	const w = window.innerWidth, out = [];
	for (const el of document.body.querySelectorAll('*')) {
		const r = el.getBoundingClientRect();
		if (r.right > w + 1 && !el.closest(".table-scroll, pre") && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1)) {
			out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : '') + ' (' + Math.round(r.right) + ' px)');
		}
	}
	return out.slice(0, 8);
})()`

// TestEveryPageTypeReflowsAt320Pixels: WCAG 1.4.10. At 320 CSS pixels
// wide no page type scrolls sideways as a whole; wide content (tables,
// code, blame) scrolls inside its own container, which takes the keyboard
// focus and has a name.
func TestEveryPageTypeReflowsAt320Pixels(t *testing.T) {
	browserCtx := startChromium(t, 6*time.Minute)
	sw := newSweepWiki(t)
	base := sw.srv.URL
	for _, who := range []string{"anonymous", "carla"} {
		t.Run(who, func(t *testing.T) {
			b := newBrowserTab(t, browserCtx, who)
			b.do(chromedp.Navigate(base + "/-/lang/nl?back=/-/pages"))
			b.waitFor(`document.documentElement.lang === 'nl'`, "the language")
			if who != "anonymous" {
				signInAs(b, base, who)
				// The account page with an access token has the widest
				// table of the account pages.
				visitPage(b, base, "/-/account", `!!document.getElementById('wwTokenLabel')`, "account")
				b.set("wwTokenLabel", "Rapportage met een lange naam voor de koppeling")
				press(b, `form.token button[type=submit]`)
				b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwSecret')`, "the new token")
			}
			setViewport(b, 320, 800)
			if w := evalJS[int](b, `window.innerWidth`); w != 320 {
				t.Fatalf("the window is %d px wide, want 320", w)
			}
			for _, p := range sw.sweepPages() {
				if p.signedInOnly && who == "anonymous" {
					continue
				}
				visitPage(b, base, p.path, p.ready, p.what)
				if sw, w := evalJS[int](b, `document.documentElement.scrollWidth`), evalJS[int](b, `window.innerWidth`); sw > w {
					t.Errorf("%s: the page is %d px wide in a window of %d: %v", p.what, sw, w, evalJS[[]string](b, overflowJS))
				}
				// Whatever scrolls on its own can be reached and scrolled
				// by keyboard, and says what it is.
				bad := evalJS[[]string](b, `[...document.querySelectorAll('main *')].filter(el => {
					const s = getComputedStyle(el);
					return (s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1 &&
						!(el.tabIndex >= 0 && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))) &&
						!['TEXTAREA', 'PRE'].includes(el.tagName) && !el.closest('pre');
				}).map(el => el.tagName.toLowerCase() + '.' + el.className)`)
				if len(bad) > 0 {
					t.Errorf("%s: these scroll sideways but cannot be focused or have no name: %v", p.what, bad)
				}
			}
		})
	}
}
