package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// browserSignIn signs anna's browser in, in lang, through the form.
func browserSignIn(t *testing.T, aw *authWiki, b *browserTab, lang, name string) {
	t.Helper()
	b.do(chromedp.Navigate(aw.srv.URL + "/-/lang/" + lang + "?back=/-/login"))
	b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwLogin')`, "the sign-in form")
	b.set("wwLogin", name)
	b.set("wwPassword", passwords[name])
	evalJS[bool](b, `(() => { document.querySelector('form.login button[type=submit]').click(); return true; })()`)
	b.waitFor(`location.pathname === '/Home' && document.readyState === 'complete'`, "the front page after signing in")
}

// tabTo presses Tab until the element css has the focus (at most 80
// times), as a keyboard user reaches it.
func tabTo(t *testing.T, b *browserTab, css string) {
	t.Helper()
	for range 80 {
		b.do(chromedp.KeyEvent(kb.Tab))
		if evalJS[bool](b, `document.activeElement === document.querySelector(`+jsString(css)+`)`) {
			return
		}
	}
	t.Fatalf("Tab never reaches %s", css)
}

// TestBrowserFollowByKeyboard: signed in, anna reaches the follow button
// with Tab and presses Enter; the page says she follows it (in text),
// and the watchlist, reached from the header, lists the page.
func TestBrowserFollowByKeyboard(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	browserCtx := startChromium(t, 2*time.Minute)
	anna := newBrowserTab(t, browserCtx, "Anna")
	browserSignIn(t, aw, anna, "nl", "anna")
	anna.do(chromedp.Navigate(aw.srv.URL + "/WMO-loket/Ontwerp"))
	anna.waitFor(`document.readyState === 'complete' && !!document.querySelector('.follow form')`, "the follow button")
	button := `.follow form[action="/-/watch/WMO-loket/Ontwerp"] button`
	if got := evalJS[string](anna, `document.querySelector(`+jsString(button)+`).textContent`); got != "Volg deze pagina" {
		t.Fatalf("the button says %q", got)
	}
	tabTo(t, anna, button)
	anna.do(chromedp.KeyEvent(kb.Enter))
	anna.waitFor(`location.search === '?watch=on' && document.readyState === 'complete'`, "the page after following")
	if got := evalJS[string](anna, `document.querySelector(`+jsString(button)+`).textContent`); got != "Je volgt deze pagina — stoppen" {
		t.Errorf("after following the button says %q", got)
	}
	if got := evalJS[string](anna, `document.querySelector('p.notice[role=status]').textContent`); !strings.HasPrefix(got, "Je volgt dit nu.") {
		t.Errorf("the status says %q", got)
	}
	tabTo(t, anna, `header nav.account a[href="/-/watchlist"]`)
	anna.do(chromedp.KeyEvent(kb.Enter))
	anna.waitFor(`location.pathname === '/-/watchlist' && document.readyState === 'complete'`, "the watchlist")
	if got := evalJS[string](anna, `document.querySelector('table.watchlist tbody th').textContent`); got != "WMO-loket/Ontwerp" {
		t.Errorf("the watchlist lists %q", got)
	}
	follows, err := aw.accounts.Follows(context.Background(), "anna")
	if err != nil || len(follows) != 1 || follows[0].Target != "WMO-loket/Ontwerp" || follows[0].Mode != wiki.FollowImmediately {
		t.Errorf("anna follows %+v, %v", follows, err)
	}
}

// TestFollowPagesHaveNoAxeViolations runs axe-core on the watchlist, a
// page with the follow buttons and the changed-since notice, a folder
// without a page, recent changes with unseen changes, and the
// unsubscribe page of a bad link, in Dutch and English.
func TestFollowPagesHaveNoAxeViolations(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	browserCtx := startChromium(t, 3*time.Minute)
	ctx := context.Background()
	for _, target := range []string{"WMO-loket/Ontwerp", "Beleid/"} {
		if err := aw.accounts.Follow(ctx, "anna", target, wiki.FollowDaily); err != nil {
			t.Fatal(err)
		}
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
			browserSignIn(t, aw, b, lang, "anna")
			b.do(chromedp.Navigate(aw.srv.URL + "/WMO-loket/Ontwerp"))
			b.waitFor(`!!document.querySelector('main h1') && !!document.querySelector('.follow')`, "the page")
			p, err := aw.repo.ReadPage(ctx, "WMO-loket/Ontwerp", "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = aw.repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Carla Smit", Email: "carla@example.nl"}, Message: "Anders (" + lang + ")",
				Changes: []wiki.Change{{Name: "WMO-loket/Ontwerp", Base: p.Revision.ID, Content: []byte("Regel een\nRegel " + lang + "\n")}}})
			if err != nil {
				t.Fatal(err)
			}
			b.do(chromedp.Navigate(aw.srv.URL + "/-/recent"))
			b.waitFor(`!!document.querySelector('.unseen-mark')`, "an unseen change in recent changes")
			check("recent changes")
			b.screenshot("wikiwerk-recent-unseen-" + lang + ".png")
			b.do(chromedp.Navigate(aw.srv.URL + "/WMO-loket/Ontwerp"))
			b.waitFor(`!!document.querySelector('.notice.changed a') && !!document.querySelector('.follow')`, "the changed-since notice")
			check("page with the follow button and the changed-since notice")
			b.screenshot("wikiwerk-follow-page-" + lang + ".png")
			b.do(chromedp.Navigate(aw.srv.URL + "/WMO-loket"))
			b.waitFor(`!!document.querySelector('main h1') && !!document.querySelector('.follow form')`, "the folder")
			check("folder without a page")
			b.do(chromedp.Navigate(aw.srv.URL + "/-/watchlist"))
			b.waitFor(`!!document.querySelector('table.watchlist')`, "the watchlist")
			check("watchlist")
			b.screenshot("wikiwerk-watchlist-" + lang + ".png")
			b.do(chromedp.Navigate(aw.srv.URL + "/-/unsubscribe?t=bad"))
			b.waitFor(`!!document.querySelector('main h1')`, "the unsubscribe page")
			check("unsubscribe, bad link")
		})
	}
}
