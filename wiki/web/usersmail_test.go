package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// mailedLink finds the one-time link in a mail's text.
var mailedLink = regexp.MustCompile(`http://\S+/-/(invite|reset)/[A-Za-z0-9_-]{43}`)

// TestInviteMailed: with mail set up, an invitation goes through a real
// SMTP server in the recipient's language, as text and HTML, the page
// says where it went instead of showing it, and the link in the mail
// works.
func TestInviteMailed(t *testing.T) {
	ts := startSMTP(t)
	uw := newUsersWiki(t, usersOptions{smtp: ts})
	carla := uw.signedIn("carla")
	code, body, _ := carla.post("/-/admin/users", url.Values{"name": {"joost"}, "display_name": {"Joost"}, "email": {"joost@example.nl"}, "role": {"editor"}, "how": {"invite"}})
	if code != 200 || !strings.Contains(body, "De link is gemaild naar joost@example.nl.") || shownLink.MatchString(body) {
		t.Fatalf("invite with mail: %d\n%s", code, body)
	}
	m := ts.wait(t)
	subject, text, htm := m.parts(t)
	if m.To != "joost@example.nl" || subject != "Uitnodiging voor de wiki" || !strings.Contains(text, "Carla Smit heeft een account voor je gemaakt op de wiki, met gebruikersnaam joost.") {
		t.Fatalf("the invitation: to %s, %q\n%s", m.To, subject, text)
	}
	link := mailedLink.FindString(text)
	if link == "" || !strings.Contains(htm, `<a href="`+link+`">`) {
		t.Fatalf("no link in the mail, or not the same in HTML:\n%s\n%s", text, htm)
	}
	u, _ := url.Parse(link)
	if u.Host != strings.TrimPrefix(uw.srv.URL, "http://") {
		t.Fatalf("the link goes to %s", u.Host)
	}
	_, code, _, hdr := uw.choosePassword(u.Path, "joost kiest een wachtwoord", "Joost Peters")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/account?done=password-invite" {
		t.Fatalf("the mailed invitation: %d", code)
	}
	if _, code := uw.signIn("joost", "joost kiest een wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("joost signs in: %d", code)
	}

	// A reset through the API, to someone who reads English.
	if code, _, _ := uw.basic("carla", passwords["carla"], "PATCH", "/-/api/users/bram", `{"lang":"en"}`); code != 200 {
		t.Fatalf("bram's language: %d", code)
	}
	code, out, _ := uw.basic("carla", passwords["carla"], "POST", "/-/api/users/bram/reset", "{}")
	var answer struct {
		Link   string
		Mailed bool
	}
	if err := json.Unmarshal([]byte(out), &answer); code != 200 || err != nil || !answer.Mailed {
		t.Fatalf("reset through the API: %d %s", code, out)
	}
	m = ts.wait(t)
	subject, text, _ = m.parts(t)
	if m.To != "bram@example.nl" || subject != "New password for the wiki" || mailedLink.FindString(text) != answer.Link {
		t.Fatalf("the reset mail: to %s, %q\n%s", m.To, subject, text)
	}
	u, _ = url.Parse(answer.Link)
	if _, code, _, _ := uw.choosePassword(u.Path, "bram kiest een nieuw wachtwoord", ""); code != http.StatusSeeOther {
		t.Fatalf("the mailed reset link: %d", code)
	}
	if !uw.audited("password-reset", "bram", "from carla") {
		t.Error("the reset is not in the audit log")
	}
}

// TestPseudonymousCommitAddress: where the wiki records pseudonyms, a
// save from the form and from the API (even one that names an author)
// carry <login>@users.noreply.<domain>, never the account's address; a
// wiki without the setting keeps the real address.
func TestPseudonymousCommitAddress(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{commits: wiki.CommitAddresses{Pseudonymous: true, Domain: "wiki.gemeente.nl"}})
	anna := uw.signedIn("anna")
	want := wiki.Author{Name: "Anna de Vries", Email: "anna@users.noreply.wiki.gemeente.nl"}
	if code, body, _ := anna.post("/-/edit/Home", url.Values{"content": {"# Welkom\n\nVia het formulier.\n"}, "base": {uw.revision("Home")}}); code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", code, body)
	}
	if got := uw.lastAuthor(); got != want {
		t.Fatalf("a form save is authored %+v, want %+v", got, want)
	}
	if code, out, _ := anna.api("PUT", "/-/api/pages/Nieuw", jsonBody(map[string]string{"content": "Via de API.\n", "base": ""})); code != 201 {
		t.Fatalf("API save: %d %s", code, out)
	}
	if got := uw.lastAuthor(); got != want {
		t.Fatalf("an API save is authored %+v, want %+v", got, want)
	}
	if code, out, _ := uw.basic("anna", passwords["anna"], "PUT", "/-/api/pages/Nieuw2", jsonBody(map[string]any{"content": "Met een wachtwoord.\n", "base": "",
		"author": map[string]string{"name": "Iemand", "email": "anna@example.nl"}})); code != 201 {
		t.Fatalf("API save with an author given: %d %s", code, out)
	}
	if got := uw.lastAuthor(); got != want {
		t.Fatalf("an API save that names an author is authored %+v, want %+v", got, want)
	}
	if _, body, _ := anna.get("/-/account"); !strings.Contains(body, "anna@users.noreply.wiki.gemeente.nl") {
		t.Error("the account page does not say which address the history shows")
	}

	old := newUsersWiki(t, usersOptions{})
	bAnna := old.signedIn("anna")
	if code, _, _ := bAnna.post("/-/edit/Home", url.Values{"content": {"# Welkom\n\nOud.\n"}, "base": {old.revision("Home")}}); code != http.StatusSeeOther {
		t.Fatalf("save in the older wiki: %d", code)
	}
	if got := old.lastAuthor(); got.Email != "anna@example.nl" {
		t.Fatalf("the older wiki records %+v", got)
	}
}
