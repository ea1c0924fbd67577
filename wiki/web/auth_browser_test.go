package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestBrowserSignInEditSignOut drives Chromium through accounts on a wiki
// where only editors may edit:
//
//	a) the editor refuses an anonymous visitor (401) and offers to sign
//	   in, and signing in comes back to the editor;
//	b) a save is recorded under the signed-in user's name, whatever the
//	   browser could send, and editor.js's presence calls pass the CSRF
//	   check;
//	c) signed out meanwhile (another tab), pressing Save is refused, the
//	   typed text stays in the form and a sign-in link is offered;
//	d) signing out with the header's button works from a cached page,
//	   after which the editor is refused again.
//
// Like TestBrowserEditTogether it needs chromium, and is skipped without
// it except in CI.
func TestBrowserSignInEditSignOut(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	browserCtx := startChromium(t, 2*time.Minute)
	anna := newBrowserTab(t, browserCtx, "Anna")
	const name = "WMO-loket/Ontwerp"
	edit := aw.srv.URL + "/-/edit/" + name
	// press clicks with a DOM click, which does not depend on where the
	// button is drawn at that moment.
	press := func(css string) {
		t.Helper()
		evalJS[bool](anna, `(() => { document.querySelector(`+jsString(css)+`).click(); return true; })()`)
	}
	status := func() int {
		return evalJS[int](anna, `performance.getEntriesByType('navigation')[0].responseStatus`)
	}

	// a) Refused, then signed in and back in the editor.
	anna.do(chromedp.Navigate(anna.langURL(edit)))
	anna.waitFor(`document.readyState === 'complete' && !!document.querySelector('main a.button')`, "the sign-in offer")
	if got := status(); got != 401 {
		t.Fatalf("the anonymous editor answered %d, want 401", got)
	}
	if text := evalJS[string](anna, `document.querySelector('main').innerText`); !strings.Contains(text, "Log in om pagina's te wijzigen.") {
		t.Fatalf("the 401 page says:\n%s", text)
	}
	press(`main a.button`)
	anna.waitFor(`location.pathname === '/-/login' && document.readyState === 'complete'`, "the sign-in form")
	if next := evalJS[string](anna, `document.querySelector('input[name=next]').value`); next != "/-/edit/"+name {
		t.Fatalf("the sign-in form returns to %q", next)
	}
	anna.set("wwLogin", "anna")
	anna.set("wwPassword", passwords["anna"])
	press(`form.login button[type=submit]`)
	anna.waitFor(`location.pathname === '/-/edit/`+name+`' && !!document.querySelector('form.editor') && document.querySelector('form.editor').dataset.editorReady === 'true'`, "the editor after signing in")
	if !evalJS[bool](anna, `document.querySelector('header nav.account').innerText.includes('Ingelogd als Anna de Vries')`) {
		t.Error("the header does not say Anna is signed in")
	}
	if evalJS[bool](anna, `!!document.getElementById('wwAuthorName')`) {
		t.Error("the editor asks a signed-in user for a name")
	}

	// b) Save; the commit is Anna's.
	anna.set("wwText", "Regel een\nRegel twee door Anna\nRegel drie\n")
	press(`form.editor button[value="save"]`)
	anna.waitFor(`document.readyState === 'complete' && location.search === '?saved'`, "the answer to saving")
	if a := aw.lastAuthor(); a != (wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"}) {
		t.Fatalf("the commit is by %+v", a)
	}
	if aw.audited("denied", "", "CSRF") {
		t.Fatal("a request of the browser failed the CSRF check (editor.js's presence calls?)")
	}
	if !aw.audited("signin", "anna", "password") {
		t.Error("the sign-in is not in the audit log")
	}

	// c) Signed out elsewhere while editing: Save is refused, the text
	// stays.
	anna.open(edit)
	typed := "Regel een\nRegel twee door Anna, na het uitloggen\nRegel drie\n"
	anna.set("wwText", typed)
	evalJS[bool](anna, `(() => {
		const token = document.querySelector('meta[name="csrf-token"]').content;
		fetch('/-/logout', {method: 'POST', headers: {'X-CSRF-Token': token}, credentials: 'same-origin', redirect: 'manual'})
			.then(() => { window.wwSignedOut = true; });
		return true;
	})()`)
	anna.waitFor(`window.wwSignedOut === true`, "signing out in the background")
	head := aw.head()
	press(`form.editor button[value="save"]`)
	anna.waitFor(`document.readyState === 'complete' && !!document.querySelector('p.notice.error')`, "the answer to saving")
	if got := status(); got != 401 {
		t.Errorf("saving after signing out answered %d, want 401", got)
	}
	if got := evalJS[string](anna, `document.getElementById('wwText').value`); got != typed {
		t.Fatalf("the refused save lost the text: %q", got)
	}
	if !evalJS[bool](anna, `!!document.querySelector('p.notice.error a[href="/-/login"][target="_blank"]')`) {
		t.Error("the refused save offers no sign-in link")
	}
	if aw.head() != head {
		t.Fatal("a refused save changed the wiki")
	}
	anna.screenshot("wikiwerk-signed-out-save.png")

	// d) Sign in again, sign out with the header's button on a page
	// view (served from the cache), and be refused the editor.
	anna.do(chromedp.Navigate(aw.srv.URL + "/-/login?next=/" + name))
	anna.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwLogin')`, "the sign-in form")
	anna.set("wwLogin", "anna")
	anna.set("wwPassword", passwords["anna"])
	press(`form.login button[type=submit]`)
	anna.waitFor(`location.pathname === '/`+name+`' && document.readyState === 'complete'`, "the page after signing in")
	anna.do(chromedp.Reload())
	anna.waitFor(`document.readyState === 'complete' && !!document.querySelector('header form[action="/-/logout"] button')`, "the sign-out button")
	press(`header form[action="/-/logout"] button`)
	anna.waitFor(`document.readyState === 'complete' && document.querySelector('header nav.account').innerText.includes('Inloggen')`, "the header after signing out")
	if !aw.audited("signout", "anna", "") {
		t.Error("the sign-out is not in the audit log")
	}
	anna.do(chromedp.Navigate(aw.srv.URL + "/" + name))
	anna.waitFor(`document.readyState === 'complete' && !!document.querySelector('article.page')`, "the page")
	if evalJS[bool](anna, `!!document.querySelector('a[href^="/-/edit/"]')`) {
		t.Error("the signed-out page offers the editor")
	}
	anna.do(chromedp.Navigate(edit))
	anna.waitFor(`document.readyState === 'complete' && !!document.querySelector('main a.button')`, "the refusal")
	if got := status(); got != 401 {
		t.Fatalf("the editor after signing out answered %d, want 401", got)
	}
}
