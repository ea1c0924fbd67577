package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestOwnPassword: a user changes their password with the current one;
// a wrong current one changes nothing; afterwards the old password fails,
// the new one works, and their other sessions are ended but not this one.
func TestOwnPassword(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	anna, other := uw.signedIn("anna"), uw.signedIn("anna")
	code, body, _ := anna.post("/-/account/password", url.Values{"current": {"niet mijn wachtwoord"},
		"password": {"anna kiest een nieuw wachtwoord"}, "password2": {"anna kiest een nieuw wachtwoord"}})
	if code != 400 || !strings.Contains(body, "Je huidige wachtwoord klopt niet. Er is niets gewijzigd.") {
		t.Fatalf("a wrong current password: %d\n%s", code, body)
	}
	if _, code := uw.signIn("anna", passwords["anna"]); code != http.StatusSeeOther {
		t.Fatalf("the old password after a refused change: %d", code)
	}
	if code, _, _ := anna.post("/-/account/password", url.Values{"current": {passwords["anna"]},
		"password": {"te kort"}, "password2": {"te kort"}}); code != 400 {
		t.Fatalf("a short new password: %d", code)
	}
	code, _, hdr := anna.post("/-/account/password", url.Values{"current": {passwords["anna"]},
		"password": {"anna kiest een nieuw wachtwoord"}, "password2": {"anna kiest een nieuw wachtwoord"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/account?done=password" {
		t.Fatalf("change the password: %d %v", code, hdr)
	}
	if code, body, _ := anna.get("/-/account?done=password"); code != 200 || !strings.Contains(body, "Je wachtwoord is gewijzigd.") {
		t.Fatalf("this browser after the change: %d", code)
	}
	if code, _, _ := other.get("/-/account"); code != 401 {
		t.Fatalf("the other session after the change: %d", code)
	}
	if _, code := uw.signIn("anna", passwords["anna"]); code != 401 {
		t.Fatalf("the old password: %d", code)
	}
	if _, code := uw.signIn("anna", "anna kiest een nieuw wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("the new password: %d", code)
	}
	if !uw.audited("password", "anna", "password set") || !uw.audited("password-change-failed", "anna", "wrong current password") {
		t.Error("the password change is not in the audit log")
	}
}

// TestOwnPasswordWithoutOne: an account without a password (single
// sign-on) sets one without being asked for a current one.
func TestOwnPasswordWithoutOne(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	ctx := context.Background()
	if _, err := uw.accounts.UpsertExternal(ctx, "https://idp.example.nl", "sub-1", "ilse", wiki.User{DisplayName: "Ilse", Role: wiki.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	id, err := uw.accounts.NewSession(ctx, "ilse", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b := uw.browser()
	srv, _ := url.Parse(uw.srv.URL)
	b.client.Jar.SetCookies(srv, []*http.Cookie{{Name: "wikiwerk_session", Value: id, Path: "/"}})
	code, body, _ := b.get("/-/account")
	if code != 200 || strings.Contains(body, `id="wwCurrent"`) || !strings.Contains(body, "single sign-on") {
		t.Fatalf("ilse's account page: %d\n%s", code, body)
	}
	if code, _, _ := b.post("/-/account/password", url.Values{"password": {"ilse kiest een wachtwoord"}, "password2": {"ilse kiest een wachtwoord"}}); code != http.StatusSeeOther {
		t.Fatalf("ilse sets a password: %d", code)
	}
	if _, code := uw.signIn("ilse", "ilse kiest een wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("ilse signs in with it: %d", code)
	}
}

// TestOwnProfile: a user changes their name, address and language; a bad
// address is refused with what was typed, and nothing changes.
func TestOwnProfile(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	anna := uw.signedIn("anna")
	code, body, _ := anna.post("/-/account/profile", url.Values{"display_name": {"Anna Smit"}, "email": {"geen adres"}, "lang": {"en"}})
	if code != 400 || !strings.Contains(body, `value="geen adres"`) || !strings.Contains(body, "does not look like an e-mail address") {
		t.Fatalf("a bad address: %d\n%s", code, body)
	}
	if u, _ := uw.accounts.User(context.Background(), "anna"); u.DisplayName != "Anna de Vries" || u.Lang != "" {
		t.Fatalf("a refused change changed anna: %+v", u)
	}
	code, _, hdr := anna.post("/-/account/profile", url.Values{"display_name": {"Anna Smit"}, "email": {"anna.smit@example.nl"}, "lang": {"en"}})
	if code != http.StatusSeeOther {
		t.Fatalf("change the profile: %d", code)
	}
	u, _ := uw.accounts.User(context.Background(), "anna")
	if u.DisplayName != "Anna Smit" || u.Email != "anna.smit@example.nl" || u.Lang != "en" {
		t.Fatalf("anna: %+v", u)
	}
	if code, body, _ := anna.get(hdr.Get("Location")); code != 200 || !strings.Contains(body, "Your details were saved.") || !strings.Contains(body, `value="anna.smit@example.nl"`) {
		t.Fatalf("the account page after the change, in English: %d\n%s", code, body)
	}
	if !uw.audited("profile", "anna", "e-mail address changed") || uw.audited("profile", "anna", "anna.smit@example.nl") {
		t.Error("the audit log should say the address changed, and not what it is")
	}
}

// sessionIDs finds the session IDs of the ending forms on the account
// page.
var sessionIDs = regexp.MustCompile(`action="/-/account/sessions/end" class="inline">\s*<input type="hidden" name="csrf_token" value="[^"]*">\s*<input type="hidden" name="id" value="([0-9a-f]{16})">\s*<button type="submit" class="danger" aria-label="([^"]*)"`)

// TestOwnSessions: a user sees where they are signed in, ends one other
// session, then all others; this browser stays signed in.
func TestOwnSessions(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	laptop := uw.browser()
	laptop.header.Set("User-Agent", "Laptop-browser/1.0")
	laptop.get("/-/login")
	laptop.post("/-/login", url.Values{"name": {"anna"}, "password": {passwords["anna"]}})
	uw.clock.Advance(time.Minute)
	phone := uw.browser()
	phone.header.Set("User-Agent", "Phone-browser/2.0")
	phone.get("/-/login")
	phone.post("/-/login", url.Values{"name": {"anna"}, "password": {passwords["anna"]}})
	uw.clock.Advance(time.Minute)
	tablet := uw.signedIn("anna")
	uw.signedIn("bram")

	_, body, _ := tablet.get("/-/account")
	if !strings.Contains(body, "Laptop-browser/1.0") || !strings.Contains(body, "Phone-browser/2.0") || strings.Count(body, "deze browser") != 1 {
		t.Fatalf("the sessions:\n%s", body)
	}
	found := sessionIDs.FindAllStringSubmatch(body, -1)
	if len(found) != 3 {
		t.Fatalf("%d sessions listed, want anna's 3:\n%s", len(found), body)
	}
	// Newest first: the tablet (this one), the phone, the laptop.
	if !strings.Contains(found[0][2], "afmelden") {
		t.Fatalf("the first session is not this one: %q", found[0][2])
	}
	if code, _, _ := tablet.post("/-/account/sessions/end", url.Values{"id": {found[1][1]}}); code != http.StatusSeeOther {
		t.Fatalf("end the phone's session: %d", code)
	}
	if code, _, _ := phone.get("/-/account"); code != 401 {
		t.Fatalf("the phone after its session ended: %d", code)
	}
	if code, _, _ := laptop.get("/-/account"); code != 200 {
		t.Fatalf("the laptop after the phone's session ended: %d", code)
	}
	// Somebody else's session is not anna's to end.
	if code, _, _ := tablet.post("/-/account/sessions/end", url.Values{"id": {"0123456789abcdef"}}); code != 404 {
		t.Fatalf("end an unknown session: %d", code)
	}
	if code, _, _ := tablet.post("/-/account/sessions/others", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign out everywhere else: %d", code)
	}
	if code, _, _ := laptop.get("/-/account"); code != 401 {
		t.Fatalf("the laptop after signing out everywhere else: %d", code)
	}
	_, body, _ = tablet.get("/-/account")
	if n := len(sessionIDs.FindAllStringSubmatch(body, -1)); n != 1 {
		t.Fatalf("%d sessions left, want 1", n)
	}
	// Ending this very session signs out.
	found = sessionIDs.FindAllStringSubmatch(body, -1)
	if code, _, hdr := tablet.post("/-/account/sessions/end", url.Values{"id": {found[0][1]}}); code != http.StatusSeeOther || hdr.Get("Location") != "/" {
		t.Fatalf("end this session: %d %v", code, hdr)
	}
	if code, _, _ := tablet.get("/-/account"); code != 401 {
		t.Fatalf("the tablet after ending its own session: %d", code)
	}
	if !uw.audited("session-ended", "anna", "session "+found[0][1]) || !uw.audited("sessions-ended", "anna", "1 other sessions ended") {
		t.Error("ending sessions is not in the audit log")
	}
}
