package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// sweepWiki is a wiki with accounts, search, links and content of every kind a page can
// show: headings, a task list, a table, code, tags, a link to a page
// not yet written, a file, three versions of one page and a deleted page.
type sweepWiki struct {
	*navWiki
	// rev1 is the first version of Handleiding, rev3 its newest.
	rev1, rev3 string
	// secret is anna's TOTP secret once she has enrolled (see enrolAnna).
	secret string
	// proposal is the id of an open change proposal of Handleiding.
	proposal string
}

// sweepContent is the first version of the page the sweep looks at most.
const sweepContent = `---
tags: [handleiding, wmo]
---
# Handleiding

Zie ook [[WMO-loket/Ontwerp]] en [[Nog te schrijven]].

## Stappen

- [x] Aanvraag ontvangen
- [ ] Huisbezoek plannen

## Tabel

| Wie | Wat |
| --- | --- |
| Anna | Intake |

` + "```go\nfunc main() {}\n```\n"

func newSweepWiki(t *testing.T) *sweepWiki {
	t.Helper()
	nw := newNavWiki(t, navOptions{accounts: true})
	aw := nw.authWiki
	sw := &sweepWiki{navWiki: nw}
	commit := func(author, msg string, changes ...wiki.Change) {
		t.Helper()
		if _, err := aw.repo.Commit(context.Background(), wiki.Commit{Author: wiki.Author{Name: author, Email: strings.ToLower(strings.Fields(author)[0]) + "@example.nl"}, Message: msg, Changes: changes}); err != nil {
			t.Fatal(err)
		}
	}
	commit("Anna de Vries", "Handleiding begonnen", wiki.Change{Name: "Handleiding", Content: []byte(sweepContent)},
		wiki.Change{Name: "Oud/Weg", Content: []byte("Deze pagina gaat weg.\n")},
		wiki.Change{File: "Handleiding/schets.txt", Content: []byte("schets")})
	sw.rev1 = aw.revision("Handleiding")
	commit("Dirk Bakker", "Tabel uitgebreid", wiki.Change{Name: "Handleiding", Base: sw.rev1, Content: []byte(strings.Replace(sweepContent, "| Anna | Intake |", "| Anna | Intake |\n| Dirk | Besluit |", 1))})
	commit("Anna de Vries", "Stap toegevoegd", wiki.Change{Name: "Handleiding", Base: aw.revision("Handleiding"), Content: []byte(strings.Replace(sweepContent, "- [ ] Huisbezoek plannen", "- [ ] Huisbezoek plannen\n- [ ] Besluit sturen", 1))})
	sw.rev3 = aw.revision("Handleiding")
	commit("Anna de Vries", "Weg ermee", wiki.Change{Name: "Oud/Weg", Base: aw.revision("Oud/Weg"), Delete: true})
	// A proposal with a comment, and a discussion, for their pages.
	anna := aw.signedIn("anna")
	code, body, _ := anna.api(http.MethodPost, "/-/api/proposals", jsonBody(map[string]string{"page": "Handleiding",
		"content": strings.Replace(sweepContent, "## Tabel", "## Tabel\n\nWie doet wat.", 1), "base": sw.rev3, "message": "Uitleg bij de tabel"}))
	var prop struct{ ID string }
	if err := json.Unmarshal([]byte(body), &prop); code != http.StatusCreated || err != nil || prop.ID == "" {
		t.Fatalf("propose: %d %s %v", code, body, err)
	}
	sw.proposal = prop.ID
	if code, body, _ := anna.api(http.MethodPost, "/-/api/proposals/"+prop.ID+"/comments", `{"text":"Graag **kritisch** lezen."}`); code != http.StatusCreated {
		t.Fatalf("proposal comment: %d %s", code, body)
	}
	if code, body, _ := anna.api(http.MethodPost, "/-/api/talk/Handleiding", `{"text":"Klopt stap *twee*?"}`); code != http.StatusCreated {
		t.Fatalf("page comment: %d %s", code, body)
	}
	nw.sync()
	return sw
}

// sweepPage is one page of the sweep: where, what it must show before
// it is checked, and whether only a signed-in person sees it.
type sweepPage struct {
	what, path, ready string
	signedInOnly      bool
}

// sweepPages are the page types reached by address alone; the editor's
// preview, the conflict form, the 409 and the code step need steps of
// their own (see sweepSteps).
func (sw *sweepWiki) sweepPages() []sweepPage {
	h1 := `!!document.querySelector('main h1')`
	return []sweepPage{
		{what: "view", path: "/Handleiding", ready: `!!document.querySelector('main .markdown h2')`},
		{what: "old revision", path: "/Handleiding?rev=" + sw.rev1, ready: h1},
		{what: "history", path: "/-/history/Handleiding", ready: `!!document.querySelector('main table, main ol')`},
		{what: "diff, unified", path: "/-/diff/Handleiding?from=" + sw.rev1 + "&to=" + sw.rev3 + "&view=unified", ready: h1},
		{what: "diff, split", path: "/-/diff/Handleiding?from=" + sw.rev1 + "&to=" + sw.rev3 + "&view=split", ready: h1},
		{what: "diff, rendered", path: "/-/diff/Handleiding?from=" + sw.rev1 + "&to=" + sw.rev3 + "&view=rendered", ready: h1},
		{what: "blame", path: "/-/blame/Handleiding", ready: h1},
		{what: "recent", path: "/-/recent", ready: h1},
		{what: "contributions", path: "/-/contributions/Anna%20de%20Vries", ready: h1},
		{what: "all pages", path: "/-/pages", ready: h1},
		{what: "search, results", path: "/-/search?q=huisbezoek", ready: h1},
		{what: "search, none", path: "/-/search?q=zzzgeenresultaat", ready: h1},
		{what: "files", path: "/-/files", ready: h1},
		{what: "file history", path: "/-/files-history/Handleiding/schets.txt", ready: h1},
		{what: "deleted page", path: "/Oud/Weg", ready: h1},
		{what: "missing page", path: "/Nog%20te%20schrijven", ready: h1},
		{what: "tags", path: "/-/tags", ready: h1},
		{what: "tag", path: "/-/tags/wmo", ready: h1},
		{what: "links here", path: "/-/links/WMO-loket/Ontwerp", ready: h1},
		{what: "wanted", path: "/-/wanted", ready: h1},
		{what: "orphans", path: "/-/orphans", ready: h1},
		{what: "proposals", path: "/-/proposals", ready: h1},
		{what: "proposal, unified", path: "/-/proposals/" + sw.proposal, ready: h1},
		{what: "proposal, split", path: "/-/proposals/" + sw.proposal + "?view=split", ready: h1},
		{what: "proposal, rendered", path: "/-/proposals/" + sw.proposal + "?view=rendered", ready: h1},
		{what: "discussion", path: "/-/talk/Handleiding", ready: h1},
		{what: "login", path: "/-/login", ready: `!!document.getElementById('wwLogin')`},
		{what: "accessibility", path: "/-/accessibility", ready: h1},
		{what: "400", path: "/-/diff/Handleiding?from=nietbestaand&to=" + sw.rev3, ready: h1},
		{what: "404", path: "/-/history/Bestaat/Niet", ready: h1},
		{what: "editor, text mode", path: "/-/edit/Handleiding", ready: `document.querySelector('form.editor') && document.querySelector('form.editor').dataset.editorReady === 'true'`, signedInOnly: true},
		{what: "rename", path: "/-/rename/Handleiding", ready: h1, signedInOnly: true},
		{what: "delete", path: "/-/delete/Handleiding", ready: h1, signedInOnly: true},
		{what: "restore, asking first", path: "/-/revert/Handleiding?revision=" + sw.rev1 + "&base=" + sw.rev3, ready: `!!document.getElementById('wwMessage')`, signedInOnly: true},
		{what: "account", path: "/-/account", ready: `!!document.getElementById('wwOwnDisplay')`, signedInOnly: true},
		{what: "account/2fa", path: "/-/account/2fa", ready: h1, signedInOnly: true},
		{what: "admin", path: "/-/admin", ready: h1, signedInOnly: true},
		{what: "admin users", path: "/-/admin/users", ready: h1, signedInOnly: true},
		{what: "admin user", path: "/-/admin/users/bram", ready: h1, signedInOnly: true},
		{what: "admin audit", path: "/-/admin/audit", ready: h1, signedInOnly: true},
		{what: "watchlist", path: "/-/watchlist", ready: h1, signedInOnly: true},
	}
}

// sweepCheck runs axe on the page open in b and reports each violation.
func sweepCheck(t *testing.T, b *browserTab, what string) {
	t.Helper()
	for _, v := range runAxe(t, b) {
		t.Errorf("%s: %s: %s\n    %s", what, v.ID, v.Help, strings.Join(v.Targets, "\n    "))
	}
	// WCAG 2.5.3 (label in name): axe's rule for it is experimental and
	// off by default, so it is asked for by name. runAxe loaded axe.
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: 'rule', values: ['label-content-name-mismatch']}}).then(r =>
		r.violations.map(v => ({id: v.id, help: v.help, targets: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	for _, v := range out {
		t.Errorf("%s: %s: %s\n    %s", what, v.ID, v.Help, strings.Join(v.Targets, "\n    "))
	}
}

// visitPage opens path and waits for ready.
func visitPage(b *browserTab, base, path, ready, what string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base + path))
	b.waitFor(`document.readyState === 'complete' && (`+ready+`)`, what)
}

// signInAs signs b in with a password and waits for the front page.
func signInAs(b *browserTab, base, name string) {
	b.t.Helper()
	signInWithPassword(b, base, name)
	b.waitFor(`document.readyState === 'complete' && !location.pathname.startsWith('/-/login') && !!document.querySelector('nav.account form[action="/-/logout"]')`, "signed in")
}

// TestEveryPageTypeHasNoAxeViolations is the accessibility sweep: axe-core
// (WCAG 2.1 A and AA) on every page type of a wiki with accounts, in Dutch
// and English, signed out and signed in as an admin, and in the dark
// colour scheme as well. It also checks the pages reached by steps: the
// preview, the conflict form, a 409, a 403 and the code step of two-step
// sign-in.
func TestEveryPageTypeHasNoAxeViolations(t *testing.T) {
	browserCtx := startChromium(t, 12*time.Minute)
	sw := newSweepWiki(t)
	base := sw.srv.URL
	for _, lang := range []string{"nl", "en"} {
		for _, who := range []string{"anonymous", "carla"} {
			t.Run(lang+"/"+who, func(t *testing.T) {
				b := newBrowserTab(t, browserCtx, who)
				b.do(chromedp.Navigate(base + "/-/lang/" + lang + "?back=/-/pages"))
				b.waitFor(`document.documentElement.lang === '`+lang+`'`, "the language")
				if who != "anonymous" {
					signInAs(b, base, who)
				}
				for _, p := range sw.sweepPages() {
					if p.signedInOnly && who == "anonymous" {
						continue
					}
					visitPage(b, base, p.path, p.ready, p.what)
					sweepCheck(t, b, p.what)
				}
				if who == "anonymous" {
					// Anonymous editing is off: the editor sends to the
					// sign-in page.
					visitPage(b, base, "/-/edit/Handleiding", `!!document.querySelector('main h1')`, "editor, signed out")
					sweepCheck(t, b, "editor, signed out")
					return
				}
				sw.sweepSteps(t, b, lang)
			})
		}
	}
	t.Run("dark", func(t *testing.T) {
		b := newBrowserTab(t, browserCtx, "dark")
		emulateMedia(b, "", "dark")
		b.do(chromedp.Navigate(base + "/-/lang/nl?back=/-/pages"))
		b.waitFor(`document.documentElement.lang === 'nl'`, "the language")
		signInAs(b, base, "carla")
		if !evalJS[bool](b, `matchMedia('(prefers-color-scheme: dark)').matches`) {
			t.Fatal("the dark scheme is not emulated")
		}
		for _, p := range sw.sweepPages() {
			visitPage(b, base, p.path, p.ready, p.what)
			sweepCheck(t, b, "dark: "+p.what)
		}
	})
	t.Run("setup", func(t *testing.T) {
		fresh := newAuthWiki(t, authOptions{noUsers: true})
		for _, lang := range []string{"nl", "en"} {
			b := newBrowserTab(t, browserCtx, "setup-"+lang)
			b.do(chromedp.Navigate(fresh.srv.URL + "/-/lang/" + lang + "?back=" + fresh.server.SetupPath()))
			b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwPassword2')`, "the setup form")
			sweepCheck(t, b, lang+": setup")
		}
	})
	t.Run("two-step", func(t *testing.T) {
		for _, lang := range []string{"nl", "en"} {
			b := newBrowserTab(t, browserCtx, "anna-"+lang)
			b.do(chromedp.Navigate(base + "/-/lang/" + lang + "?back=/-/login"))
			b.waitFor(`document.documentElement.lang === '`+lang+`'`, "the language")
			if sw.secret == "" {
				signInAs(b, base, "anna")
				sw.secret = browserEnrol(t, b, base, func(what string) { sweepCheck(t, b, lang+": "+what) })
				press(b, `nav.account form[action="/-/logout"] button`)
				b.waitFor(`document.readyState === 'complete' && !document.querySelector('nav.account form[action="/-/logout"]')`, "signed out")
			}
			signInWithPassword(b, base, "anna")
			b.waitFor(`location.pathname === '/-/login/2fa' && !!document.getElementById('wwCode')`, "the code step")
			sweepCheck(t, b, lang+": code step")
		}
	})
}

// sweepSteps checks the pages that only steps reach: the preview, the
// conflict form, a 409 from renaming onto a page that exists, and the
// account page with a token just made. b is signed in as an admin.
func (sw *sweepWiki) sweepSteps(t *testing.T, b *browserTab, lang string) {
	t.Helper()
	base := sw.srv.URL
	edit := `document.querySelector('form.editor') && document.querySelector('form.editor').dataset.editorReady === 'true'`

	visitPage(b, base, "/-/edit/Handleiding", edit, "the editor")
	b.set("wwText", "# Handleiding\n\n## Voorbeeld\n\nTekst.\n")
	press(b, `form.editor button[value="preview"]`)
	b.waitFor(`document.readyState === 'complete' && !!document.querySelector('section.preview')`, "the preview")
	sweepCheck(t, b, "preview")

	// Someone else saves while this editor is open: saving gives the
	// conflict form.
	visitPage(b, base, "/-/edit/WMO-loket/Ontwerp", edit, "the editor")
	if _, err := sw.repo.Commit(context.Background(), wiki.Commit{Author: wiki.Author{Name: "Bram Jansen"}, Message: "Regel twee",
		Changes: []wiki.Change{{Name: "WMO-loket/Ontwerp", Base: sw.revision("WMO-loket/Ontwerp"), Content: []byte("Regel een\nRegel twee van Bram " + lang + "\nRegel drie\n")}}}); err != nil {
		t.Fatal(err)
	}
	b.set("wwText", "Regel een\nRegel twee van Carla "+lang+"\nRegel drie\n")
	b.save(`!!document.querySelector('form.resolve')`)
	sweepCheck(t, b, "conflict")

	// Renaming onto a page that exists: 409.
	visitPage(b, base, "/-/rename/Beleid/Visie", `!!document.querySelector('main form')`, "the rename form")
	b.set("wwTo", "Home")
	press(b, `main form button[type=submit]`)
	b.waitFor(`document.readyState === 'complete' && performance.getEntriesByType('navigation')[0].responseStatus === 409`, "the 409")
	sweepCheck(t, b, "409")

	// A reader may not edit: 403.
	rb := newBrowserTab(t, b.ctx, "bram")
	rb.do(chromedp.Navigate(base + "/-/lang/" + lang + "?back=/-/login"))
	signInAs(rb, base, "bram")
	visitPage(rb, base, "/-/edit/Handleiding", `!!document.querySelector('main h1')`, "the 403")
	if status := evalJS[int](rb, `performance.getEntriesByType('navigation')[0].responseStatus`); status != 403 {
		t.Errorf("a reader's editor answered %d, want 403", status)
	}
	sweepCheck(t, rb, "403")

	visitPage(b, base, "/-/account", `!!document.getElementById('wwTokenLabel')`, "account")
	b.set("wwTokenLabel", fmt.Sprintf("Rapportage %s", lang))
	press(b, `form.token button[type=submit]`)
	b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwSecret')`, "the new token")
	sweepCheck(t, b, "account with a token")
}

// emulateMedia makes b's pages see a media type ("print", or "" for the
// screen) and colour scheme ("dark", "light", or "" for none).
func emulateMedia(b *browserTab, media, scheme string) {
	b.t.Helper()
	params := emulation.SetEmulatedMediaParams{Media: media}
	if scheme != "" {
		params.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, params)
		return err
	}))
}
