package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// commentAnchor finds the comment a post leads to.
var commentAnchor = regexp.MustCompile(`#c-([0-9a-f]+)$`)

// TestTalk: comments and replies through the form and the API, edited by
// their author only, rendered safely, kept in git on a branch of their own
// that a clone holds and a push to main leaves alone, and listed in
// recent changes as comments.
func TestTalk(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	anna, dirk := aw.signedIn("anna"), aw.signedIn("dirk")
	head := aw.head()
	code, _, hdr := anna.post("/-/talk/Beleid/Visie", url.Values{"text": {"Klopt **dit** wel?\n\n<script>alert(1)</script> [klik](javascript:alert(2))"}})
	m := commentAnchor.FindStringSubmatch(hdr.Get("Location"))
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("comment: %d %q", code, hdr.Get("Location"))
	}
	first := m[1]
	if aw.head() != head {
		t.Fatal("a comment moved main")
	}
	code, _, _ = dirk.post("/-/talk/Beleid/Visie", url.Values{"text": {"Ja, zie de nota."}, "reply_to": {first}})
	if code != http.StatusSeeOther {
		t.Fatalf("reply: %d", code)
	}
	code, body, _ := anna.get("/-/talk/Beleid/Visie")
	if code != http.StatusOK || !strings.Contains(body, "<strong>dit</strong>") || !strings.Contains(body, "Ja, zie de nota.") {
		t.Fatalf("talk page: %d\n%s", code, body)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, `href="javascript`) {
		t.Fatalf("the comment's script reached the page:\n%s", body)
	}
	if !strings.Contains(body, `name="id" value="`+first+`"`) {
		t.Fatal("anna is not offered to edit her comment")
	}
	if _, dbody, _ := dirk.get("/-/talk/Beleid/Visie"); strings.Contains(dbody, `name="id" value="`+first+`"`) {
		t.Fatal("dirk is offered to edit anna's comment")
	}
	// Edits: the author's own only.
	if code, _, _ := dirk.api("POST", "/-/api/talk/Beleid/Visie", jsonBody(map[string]any{"id": first, "text": "Overschreven"})); code != http.StatusForbidden {
		t.Fatalf("dirk edited anna's comment: %d", code)
	}
	code, body, _ = anna.api("POST", "/-/api/talk/Beleid/Visie", jsonBody(map[string]any{"id": first, "text": "Klopt **dit** wel? (aangepast)"}))
	if code != http.StatusOK {
		t.Fatalf("edit: %d %s", code, body)
	}
	var talk struct {
		Comments []struct {
			ID, Text, HTML string
			ReplyTo        string `json:"reply_to"`
			Author         struct{ Name string }
			Edited         *string
		} `json:"comments"`
	}
	code, body, _ = aw.browser().api("GET", "/-/api/talk/Beleid/Visie", "")
	if err := json.Unmarshal([]byte(body), &talk); code != http.StatusOK || err != nil || len(talk.Comments) != 2 {
		t.Fatalf("API: %d %v %s", code, err, body)
	}
	if c := talk.Comments[0]; c.Text != "Klopt **dit** wel? (aangepast)" || c.Edited == nil || !strings.Contains(c.HTML, "<strong>dit</strong>") || c.Author.Name != "Anna de Vries" {
		t.Fatalf("first comment: %+v", c)
	}
	if c := talk.Comments[1]; c.ReplyTo != first || c.Author.Name != "Dirk Bakker" {
		t.Fatalf("reply: %+v", c)
	}
	// Anonymous visitors read but do not comment; bad input changes nothing.
	if code, _, _ := aw.browser().api("POST", "/-/api/talk/Beleid/Visie", `{"text":"anoniem"}`); code != http.StatusUnauthorized {
		t.Fatalf("anonymous comment: %d", code)
	}
	if code, _, _ := anna.api("POST", "/-/api/talk/Beleid/Visie", `{"text":"  "}`); code != http.StatusBadRequest {
		t.Fatalf("empty comment: %d", code)
	}
	if code, _, _ := anna.api("POST", "/-/api/talk/Beleid/Visie", `{"text":"x","reply_to":"ffffffff"}`); code != http.StatusBadRequest {
		t.Fatalf("reply to nothing: %d", code)
	}
	if code, _, _ := anna.get("/-/talk/Bestaat/Niet"); code != http.StatusNotFound {
		t.Fatalf("talk of a missing page: %d", code)
	}
	if _, body, _ := anna.get("/-/recent"); !strings.Contains(body, "opmerking bij Beleid/Visie") {
		t.Fatal("recent changes do not list the comment")
	}
	feed := aw.feed("/-/recent.atom")
	comments := 0
	for _, e := range feed.Entries {
		if strings.HasSuffix(e.Link.Href, "/-/talk/Beleid/Visie") && strings.Contains(e.Title, "Beleid/Visie") {
			comments++
		}
	}
	if comments != 3 { // two comments and an edit
		t.Fatalf("the feed has %d comment entries: %+v", comments, feed.Entries)
	}
	if f := aw.feed("/-/recent.atom?folder=WMO-loket"); len(f.Entries) != 1 {
		t.Fatalf("the feed of WMO-loket lists %d entries", len(f.Entries))
	}

	// In git: a clone holds the discussion; a push to main leaves it.
	work := filepath.Join(t.TempDir(), "work")
	mustGitIn(t, filepath.Dir(work), "clone", "-q", aw.cloneURLAs("anna"), work)
	if got := mustGitIn(t, work, "show", "origin/wikiwerk/overleg:Beleid/Visie.json"); !strings.Contains(got, "Ja, zie de nota.") {
		t.Fatalf("the clone's discussion:\n%s", got)
	}
	writeWork(t, work, "WMO-loket/Ontwerp.md", "Via git\n")
	mustGitIn(t, work, "commit", "-qam", "Ontwerp via git")
	mustGitIn(t, work, "push", "-q", "origin", "main")
	mustGitIn(t, work, "checkout", "-q", "-b", "overleg", "origin/wikiwerk/overleg")
	writeWork(t, work, "Beleid/Visie.json", "{}\n")
	mustGitIn(t, work, "commit", "-qam", "Weg ermee")
	if out, err := gitIn(t, work, "push", "origin", "HEAD:wikiwerk/overleg"); err == nil || !strings.Contains(out, "cannot be pushed") {
		t.Fatalf("a push to the discussions branch was taken: %v\n%s", err, out)
	}
	code, body, _ = anna.api("GET", "/-/api/talk/Beleid/Visie", "")
	if code != http.StatusOK || strings.Count(body, `"id":`) != 2 {
		t.Fatalf("after the push: %d %s", code, body)
	}
	aw.fsck()
}
