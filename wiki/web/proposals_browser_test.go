package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// signIn signs a browser in with a password, through the form.
func (b *browserTab) signIn(base, user string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base + "/-/lang/nl?back=/-/login"))
	b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwLogin')`, "the sign-in form")
	b.set("wwLogin", user)
	b.set("wwPassword", passwords[user])
	b.press(`form.login button[type=submit]`)
	b.waitFor(`document.readyState === 'complete' && location.pathname !== '/-/login'`, "signing in")
}

// press clicks with a DOM click, which does not depend on where the button
// is drawn at that moment.
func (b *browserTab) press(css string) {
	b.t.Helper()
	evalJS[bool](b, `(() => { document.querySelector(`+jsString(css)+`).click(); return true; })()`)
}

// TestBrowserProposeReviewPublish: Anna, who may not publish in Beleid,
// changes a page there in the editor, which tells her first that it
// becomes a proposal; Dirk, a reviewer, reads the change, approves it with
// a comment and publishes it. The page then holds Anna's text, her commit
// is hers and the merge names Dirk as approver.
func TestBrowserProposeReviewPublish(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	browserCtx := startChromium(t, 2*time.Minute)
	anna := newBrowserTab(t, browserCtx, "Anna")
	dirk := newBrowserTab(t, browserCtx, "Dirk")
	anna.signIn(aw.srv.URL, "anna")
	dirk.signIn(aw.srv.URL, "dirk")
	head := aw.head()

	anna.open(aw.srv.URL + "/-/edit/Beleid/Visie")
	if text := evalJS[string](anna, `document.getElementById('wwReviewNotice').innerText`); !strings.Contains(text, "Uw wijziging wordt een voorstel") {
		t.Fatalf("the editor says: %q", text)
	}
	if evalJS[bool](anna, `!!document.querySelector('form.editor button[value="save"]')`) {
		t.Fatal("the editor offers Save in a review folder")
	}
	text := "# Visie\n\nEen\n\nTwee, door Anna verbeterd\n\nDrie\n"
	anna.set("wwText", text)
	anna.set("wwMessage", "Twee verbeterd")
	anna.press(`form.editor button[value="propose"]`)
	anna.waitFor(`document.readyState === 'complete' && location.pathname.startsWith('/-/proposals/') && location.search === '?done=proposed'`, "the new proposal")
	id := strings.TrimPrefix(evalJS[string](anna, `location.pathname`), "/-/proposals/")
	if aw.head() != head {
		t.Fatal("proposing moved main")
	}
	if evalJS[bool](anna, `!!document.querySelector('button[value="approve"]')`) {
		t.Fatal("Anna may approve her own proposal")
	}

	dirk.do(chromedp.Navigate(aw.srv.URL + "/-/proposals"))
	dirk.waitFor(`document.readyState === 'complete' && !!document.querySelector('a[href="/-/proposals/`+id+`"]')`, "the proposal in the list")
	dirk.press(`a[href="/-/proposals/` + id + `"]`)
	dirk.waitFor(`document.readyState === 'complete' && document.querySelector('table.diff').innerText.includes('door Anna verbeterd')`, "the change")
	dirk.set("wwReviewComment", "Helder, akkoord.")
	dirk.press(`form.review button[value="approve"]`)
	dirk.waitFor(`document.readyState === 'complete' && location.search === '?done=approve'`, "the approval")
	if got := evalJS[string](dirk, `document.querySelector('ol.reviews').innerText`); !strings.Contains(got, "Goedgekeurd") || !strings.Contains(got, "Helder, akkoord.") {
		t.Fatalf("the reviews: %q", got)
	}
	dirk.press(`form[action$="/publish"] button`)
	dirk.waitFor(`document.readyState === 'complete' && location.search === '?done=published'`, "publishing")
	if got := aw.pageText("Beleid/Visie"); got != text {
		t.Fatalf("the page holds %q", got)
	}
	hist, err := aw.repo.History(context.Background(), "Beleid/Visie", wiki.HistoryQuery{Limit: 2})
	if err != nil || len(hist) != 2 {
		t.Fatalf("history: %v %v", hist, err)
	}
	if hist[0].Author.Name != "Dirk Bakker" || !strings.Contains(hist[0].Message, "Approved-by: Dirk Bakker") || hist[1].Author.Name != "Anna de Vries" || hist[1].Summary() != "Twee verbeterd" {
		t.Fatalf("history: %+v", hist)
	}
	// Anna reads the page's history: both are in it.
	anna.do(chromedp.Navigate(aw.srv.URL + "/-/history/Beleid/Visie"))
	anna.waitFor(`document.readyState === 'complete' && document.querySelector('main').innerText.includes('Publish proposal `+id+`') && document.querySelector('main').innerText.includes('Twee verbeterd')`, "the history")
}

// TestProposalPagesHaveNoAxeViolations runs axe-core on the list of
// proposals, a proposal with its review and discussion forms (in each diff
// view), and a page's discussion, in Dutch and English.
func TestProposalPagesHaveNoAxeViolations(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	browserCtx := startChromium(t, 3*time.Minute)
	anna := aw.signedIn("anna")
	id := proposeByEditor(t, aw, anna, "# Visie\n\nEen\n\nTwee *anders*\n\nDrie\n", "Anders")
	anna.api("POST", "/-/api/proposals/"+id+"/comments", `{"text":"Zie **hier**."}`)
	anna.api("POST", "/-/api/talk/Beleid/Visie", `{"text":"Een *vraag*."}`)
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowserTab(t, browserCtx, "Dirk")
			b.signIn(aw.srv.URL, "dirk")
			b.do(chromedp.Navigate(aw.srv.URL + "/-/lang/" + lang + "?back=/-/proposals"))
			for _, path := range []string{"/-/proposals", "/-/proposals/" + id, "/-/proposals/" + id + "?view=split", "/-/proposals/" + id + "?view=rendered", "/-/talk/Beleid/Visie"} {
				b.do(chromedp.Navigate(aw.srv.URL + path))
				b.waitFor(`document.readyState === 'complete' && !!document.querySelector('main h1')`, path)
				if strings.HasPrefix(path, "/-/proposals/") && !evalJS[bool](b, `!!document.querySelector('form.review')`) {
					t.Fatalf("%s: no review form for Dirk", path)
				}
				b.screenshot("proposal-" + lang + strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(path) + ".png")
				for _, v := range runAxe(t, b) {
					t.Errorf("%s (%s): %s: %s\n    %s", path, lang, v.ID, v.Help, strings.Join(v.Targets, "\n    "))
				}
			}
		})
	}
}
