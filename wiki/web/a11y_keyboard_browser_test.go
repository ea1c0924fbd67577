package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focusJS describes the focused element and whether its focus can be
// seen: an outline of 2 px or more, or a box shadow (the theme's two-tone
// ring is both). "" means the focus is lost (on the body, or nowhere).
const focusJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body || el === document.documentElement) return '';
	const s = getComputedStyle(el);
	const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
	return (ring ? 'ring ' : 'no-ring ') + el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40);
})()`

// keyboard drives a browser tab by key presses only, and checks after
// each that the focus is on something and visibly so.
type keyboard struct {
	t *testing.T
	b *browserTab
}

// press sends keys to the focused element and checks the focus after.
// A key that loads a new page leaves the focus on the new page's body,
// as browsers do; such keys go through submit.
func (k keyboard) press(keys string) {
	k.t.Helper()
	k.b.do(chromedp.KeyEvent(keys))
	k.checkFocus(keys)
}

func (k keyboard) checkFocus(after string) {
	k.t.Helper()
	f := evalJS[string](k.b, focusJS)
	if f == "" {
		k.t.Fatalf("after %q the focus is lost (on the body)", after)
	}
	if strings.HasPrefix(f, "no-ring") {
		k.t.Errorf("after %q the focused element shows no focus ring: %s", after, f)
	}
}

// tabTo presses Tab until the focused element matches the CSS selector,
// checking the focus at every stop; at most 80 presses.
func (k keyboard) tabTo(css string) {
	k.t.Helper()
	for range 80 {
		k.press(kb.Tab)
		if evalJS[bool](k.b, `document.activeElement.matches(`+jsString(css)+`)`) {
			return
		}
	}
	k.t.Fatalf("80 presses of Tab did not reach %s; the focus is on %s", css, evalJS[string](k.b, focusJS))
}

// submit presses keys that load another page and waits until ready holds
// there.
func (k keyboard) submit(keys, ready, what string) {
	k.t.Helper()
	k.b.do(chromedp.Evaluate[chromedp.Void](`window.__wwOld = true`))
	k.b.do(chromedp.KeyEvent(keys))
	k.b.waitFor(`!window.__wwOld && document.readyState === 'complete' && (`+ready+`)`, what)
}

// TestKeyboardOnlyTasks does the core tasks by keyboard alone (Tab,
// Enter, arrows, typing): sign in, find a page through the header's
// search, edit and save it, compare two versions from its history and
// restore an old one. After every key the focus is on an element and
// shows the focus ring.
func TestKeyboardOnlyTasks(t *testing.T) {
	browserCtx := startChromium(t, 4*time.Minute)
	sw := newSweepWiki(t)
	base := sw.srv.URL
	b := newBrowserTab(t, browserCtx, "Anna")
	k := keyboard{t: t, b: b}
	b.do(chromedp.Navigate(base + "/-/lang/nl?back=/-/login"))
	b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwLogin')`, "the sign-in page")

	// The first Tab reaches the skip link, which shows itself.
	k.press(kb.Tab)
	if !evalJS[bool](b, `document.activeElement.classList.contains('skip') && document.activeElement.getBoundingClientRect().left >= 0`) {
		t.Errorf("the first Tab does not show the skip link: %s", evalJS[string](b, focusJS))
	}

	// Sign in.
	k.tabTo("#wwLogin")
	k.press("anna")
	k.tabTo("#wwPassword")
	k.press(passwords["anna"])
	k.submit(kb.Enter, `!!document.querySelector('nav.account form[action="/-/logout"]')`, "signed in")

	// Find a page: type in the header's search, choose the suggestion
	// with the arrow key, Enter.
	k.tabTo("#wwSearch")
	k.press("Handlei")
	b.waitFor(`[...document.querySelectorAll('.suggestions li')].some(li => li.textContent.includes('Handleiding'))`, "the suggestion")
	k.press(kb.ArrowDown)
	if got := evalJS[string](b, `(document.querySelector('.suggestions li[aria-selected=true]') || {}).textContent || ''`); !strings.Contains(got, "Handleiding") {
		t.Fatalf("the arrow key selected %q", got)
	}
	k.submit(kb.Enter, `location.pathname === '/Handleiding'`, "the page chosen")

	// Edit and save: the Edit tab, the text, the Save button.
	k.tabTo(`.page-actions a[href="/-/edit/Handleiding"]`)
	k.submit(kb.Enter, `document.querySelector('form.editor') && document.querySelector('form.editor').dataset.editorReady === 'true'`, "the editor")
	k.tabTo("#wwText")
	k.press(kb.End)
	k.press("Met het toetsenbord geschreven.")
	k.tabTo(`form.editor button[value="save"]`)
	k.submit(kb.Enter, `location.search === '?saved'`, "the saved page")
	if got := sw.content("Handleiding"); !strings.Contains(got, "Met het toetsenbord geschreven.") {
		t.Fatalf("the page holds %q after saving", got)
	}

	// Compare: in the history, choose the oldest version as "from" with
	// the arrow keys in its radio group, then Compare.
	k.tabTo(`.page-actions a[href="/-/history/Handleiding"]`)
	k.submit(kb.Enter, `!!document.querySelector('input[name=from]')`, "the history")
	k.tabTo(`input[name=from]`)
	checked := `document.querySelector('input[name=from]:checked').value`
	for n := evalJS[int](b, `document.querySelectorAll('input[name=from]').length`); n > 0 && evalJS[string](b, checked) != sw.rev1; n-- {
		k.press(kb.ArrowDown)
	}
	from := evalJS[string](b, checked)
	if from != sw.rev1 {
		t.Fatalf("the arrow keys chose %q as from, want the first version %q", from, sw.rev1)
	}
	k.tabTo(`form[action="/-/diff/Handleiding"] button[type=submit]`)
	k.submit(kb.Enter, `location.pathname === '/-/diff/Handleiding'`, "the comparison")
	if !strings.Contains(evalJS[string](b, `location.search`), "from="+sw.rev1) {
		t.Fatalf("the comparison is %s", evalJS[string](b, `location.search`))
	}

	// Restore: back to the history, open the first version, restore it.
	k.tabTo(`.page-actions a[href="/-/history/Handleiding"]`)
	k.submit(kb.Enter, `!!document.querySelector('input[name=from]')`, "the history")
	k.tabTo(`a[href="/Handleiding?rev=` + sw.rev1 + `"]`)
	k.submit(kb.Enter, `!!document.querySelector('form[action="/-/revert/Handleiding"]')`, "the old version")
	k.tabTo(`form[action="/-/revert/Handleiding"] button[type=submit]`)
	k.submit(kb.Enter, `!!document.getElementById('wwMessage')`, "the question before restoring")
	k.tabTo(`#wwMessage`)
	k.press("Terug naar het begin")
	k.tabTo(`form[action="/-/revert/Handleiding"][method=post] button[type=submit]`)
	k.submit(kb.Enter, `!document.querySelector('form[action="/-/revert/Handleiding"]')`, "the restored page")
	if got := sw.content("Handleiding"); got != sweepContent {
		t.Fatalf("after restoring, the page holds %q", got)
	}
}
