package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestFollowButtons: signed-in people follow a page and a folder with a
// plain form (no JavaScript), see and change it on the watchlist, and do
// the same through the API; anonymous visitors get no button; bad input
// is a 400 in the reader's language and changes nothing.
func TestFollowButtons(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	if _, body, _ := aw.browser().get("/WMO-loket/Ontwerp"); strings.Contains(body, "/-/watch/") {
		t.Error("an anonymous visitor sees a follow button")
	}
	if code, _, _ := aw.browser().get("/-/watchlist"); code != http.StatusUnauthorized {
		t.Errorf("anonymous watchlist: %d", code)
	}
	anna := aw.signedIn("anna")
	_, body, _ := anna.get("/WMO-loket/Ontwerp")
	if !strings.Contains(body, `<form method="post" action="/-/watch/WMO-loket/Ontwerp">`) || !strings.Contains(body, ">Volg deze pagina</button>") {
		t.Fatalf("no follow button on the page:\n%s", body)
	}
	code, _, hdr := anna.post("/-/watch/WMO-loket/Ontwerp", url.Values{"action": {"follow"}, "next": {"/WMO-loket/Ontwerp"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/WMO-loket/Ontwerp?watch=on" {
		t.Fatalf("follow: %d %s", code, hdr.Get("Location"))
	}
	_, body, _ = anna.get("/WMO-loket/Ontwerp?watch=on")
	if !strings.Contains(body, "Je volgt deze pagina — stoppen") || !strings.Contains(body, `role="status">Je volgt dit nu.`) {
		t.Errorf("after following:\n%s", body)
	}
	// The plain view (cached) shows the new state too.
	if _, body, _ = anna.get("/WMO-loket/Ontwerp"); !strings.Contains(body, "Je volgt deze pagina — stoppen") {
		t.Error("the cached view still offers to follow")
	}
	// A folder without a page of its own: the missing page offers the
	// folder.
	_, body, _ = anna.get("/WMO-loket")
	if !strings.Contains(body, `action="/-/watch/WMO-loket/"`) || !strings.Contains(body, "Volg de map WMO-loket/") {
		t.Fatalf("no folder button on the folder:\n%s", body)
	}
	anna.post("/-/watch/WMO-loket/", url.Values{"action": {"follow"}, "next": {"/WMO-loket"}})
	if _, body, _ = anna.get("/WMO-loket/Ontwerp"); !strings.Contains(body, "Je volgt deze pagina") {
		t.Error("lost the page follow")
	}

	_, body, _ = anna.get("/-/watchlist")
	for _, want := range []string{`<a href="/WMO-loket/Ontwerp">WMO-loket/Ontwerp</a>`, `<a href="/WMO-loket">WMO-loket/</a> <span class="meta">(map)</span>`,
		`<option value="immediately" selected>`, "Niet meer volgen<span class=\"visually-hidden\">: WMO-loket/</span>", "door wikiwerk"} {
		if !strings.Contains(body, want) {
			t.Errorf("watchlist lacks %q:\n%s", want, body)
		}
	}
	code, _, hdr = anna.post("/-/watch/WMO-loket/", url.Values{"action": {"follow"}, "mode": {"daily"}, "next": {"/-/watchlist"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/watchlist?done=on" {
		t.Fatalf("change mode: %d %s", code, hdr.Get("Location"))
	}
	follows, err := aw.accounts.Follows(context.Background(), "anna")
	if err != nil || len(follows) != 2 || follows[0].Target != "WMO-loket/" || follows[0].Mode != wiki.FollowDaily || follows[1].Mode != wiki.FollowImmediately {
		t.Fatalf("follows = %+v, %v", follows, err)
	}

	// The API.
	code, body, _ = anna.api("GET", "/-/api/watch", "")
	var got struct{ Watching []string }
	if json.Unmarshal([]byte(body), &got); code != 200 || strings.Join(got.Watching, ",") != "WMO-loket/,WMO-loket/Ontwerp" {
		t.Errorf("GET /-/api/watch: %d %s", code, body)
	}
	code, body, _ = anna.api("POST", "/-/api/watch", `{"target": "WMO-loket/Ontwerp", "watch": false}`)
	if json.Unmarshal([]byte(body), &got); code != 200 || strings.Join(got.Watching, ",") != "WMO-loket/" {
		t.Errorf("unwatch through the API: %d %s", code, body)
	}
	code, body, _ = anna.api("POST", "/-/api/watch", `{"target": "Beleid/", "watch": true, "mode": "daily"}`)
	if json.Unmarshal([]byte(body), &got); code != 200 || strings.Join(got.Watching, ",") != "Beleid/,WMO-loket/" {
		t.Errorf("watch through the API: %d %s", code, body)
	}
	for _, bad := range []string{`{"target": "../x", "watch": true}`, `{"target": "X", "watch": true, "mode": "weekly"}`, `{"target": "X"}`} {
		if code, body, _ := anna.api("POST", "/-/api/watch", bad); code != http.StatusBadRequest {
			t.Errorf("POST %s: %d %s", bad, code, body)
		}
	}
	if code, _, _ := aw.browser().do("POST", "/-/api/watch", "application/json", `{"target": "X", "watch": true}`); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("anonymous API watch: %d", code)
	}
	// A form post without the CSRF token is refused.
	if code, _, _ := anna.post("/-/watch/Home", url.Values{"action": {"follow"}, "csrf_token": {"fout"}}); code != http.StatusForbidden {
		t.Errorf("follow without the CSRF token: %d", code)
	}
	code, body, _ = anna.post("/-/watch/Home", url.Values{"action": {"follow"}, "mode": {"wekelijks"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "Kies hoe vaak je mail wilt") {
		t.Errorf("a bad mode: %d\n%s", code, body)
	}
	if follows, _ := aw.accounts.Follows(context.Background(), "anna"); len(follows) != 2 {
		t.Errorf("bad requests changed the follows: %+v", follows)
	}
}

// TestChangedSinceLastVisit: a page changed since the signed-in person
// last opened it shows a notice with a link to exactly that difference,
// once; recent changes marks the changes they have not seen, in text.
func TestChangedSinceLastVisit(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	anna := aw.signedIn("anna")
	ctx := context.Background()
	page := wiki.MustParseName("WMO-loket/Ontwerp")
	before, err := aw.repo.ReadPage(ctx, page, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, body, _ := anna.get("/WMO-loket/Ontwerp"); strings.Contains(body, "gewijzigd sinds je laatste bezoek") {
		t.Error("a first visit says the page changed")
	}
	if _, body, _ := anna.get("/-/recent"); strings.Contains(body, "nieuw voor jou</span>") {
		t.Error("recent changes marks something before anything changed")
	}
	res, err := aw.repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Carla Smit", Email: "carla@example.nl"}, Message: "Regel twee anders",
		Changes: []wiki.Change{{Name: page, Base: before.Revision.ID, Content: []byte("Regel een\nRegel 2\nRegel drie\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := anna.get("/-/recent")
	if strings.Count(body, `<span class="unseen-mark">nieuw voor jou</span>`) != 1 || !strings.Contains(body, `<li class="unseen"><a href="/WMO-loket/Ontwerp">`) {
		t.Errorf("recent changes does not mark the one unseen change:\n%s", body)
	}
	_, body, _ = anna.get("/WMO-loket/Ontwerp")
	link := `/-/diff/WMO-loket/Ontwerp?from=` + before.Revision.ID + `&amp;to=` + res.Revision
	if !strings.Contains(body, "Deze pagina is gewijzigd sinds je laatste bezoek.") || !strings.Contains(body, `<a href="`+link+`">Bekijk wat er veranderd is</a>`) {
		t.Fatalf("no changed-since notice with %s:\n%s", link, body)
	}
	if _, body, _ = anna.get("/WMO-loket/Ontwerp"); strings.Contains(body, "gewijzigd sinds je laatste bezoek") {
		t.Error("the notice stays after the visit")
	}
	if _, body, _ = anna.get("/-/recent"); strings.Contains(body, "nieuw voor jou</span>") {
		t.Error("recent changes still marks the change after the visit")
	}
	// In English too.
	anna.header.Set("Accept-Language", "en")
	aw.repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Carla Smit", Email: "carla@example.nl"}, Message: "Weer",
		Changes: []wiki.Change{{Name: page, Base: res.Revision, Content: []byte("Regel een\n")}}})
	if _, body, _ = anna.get("/WMO-loket/Ontwerp"); !strings.Contains(body, "This page changed since your last visit.") || !strings.Contains(body, "Following this page") && !strings.Contains(body, "Follow this page") {
		t.Errorf("English notice:\n%s", body)
	}
}
