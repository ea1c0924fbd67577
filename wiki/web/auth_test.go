package web_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// writeRoute is one way to change the wiki, as a browser or a script
// sends it.
type writeRoute struct {
	name string
	// form posts an HTML form (with a valid CSRF token); else api sends
	// JSON to the API.
	form         bool
	method, path string
	values       url.Values
	body         string
}

// writeRoutes lists every route that changes something, aimed at pages
// the editor anna may change.
func writeRoutes(aw *authWiki) []writeRoute {
	rev := aw.revision("WMO-loket/Ontwerp")
	home := aw.revision("Home")
	return []writeRoute{
		{name: "edit form save", form: true, method: "POST", path: "/-/edit/WMO-loket/Ontwerp", values: url.Values{"content": {"gewijzigd\n"}, "base": {rev}}},
		{name: "edit form preview", form: true, method: "POST", path: "/-/edit/WMO-loket/Ontwerp", values: url.Values{"content": {"x"}, "base": {rev}, "action": {"preview"}}},
		{name: "edit form create", form: true, method: "POST", path: "/-/edit/Nieuw", values: url.Values{"content": {"nieuw\n"}}},
		{name: "conflict resolution", form: true, method: "POST", path: "/-/edit/WMO-loket/Ontwerp", values: url.Values{"action": {"resolve"}, "parts": {"1"}, "part-0": {"x\n"}, "base": {rev}}},
		{name: "preview", form: true, method: "POST", path: "/-/preview", values: url.Values{"content": {"x"}}},
		{name: "rename", form: true, method: "POST", path: "/-/rename/WMO-loket/Ontwerp", values: url.Values{"to": {"Ontwerp"}, "base": {rev}}},
		{name: "delete", form: true, method: "POST", path: "/-/delete/WMO-loket/Ontwerp", values: url.Values{"base": {rev}}},
		{name: "revert", form: true, method: "POST", path: "/-/revert/WMO-loket/Ontwerp", values: url.Values{"revision": {home}, "base": {rev}}},
		{name: "restore", form: true, method: "POST", path: "/-/revert/Weg", values: url.Values{"revision": {home}, "base": {""}}},
		{name: "API save", method: "PUT", path: "/-/api/pages/WMO-loket/Ontwerp", body: `{"content":"gewijzigd\n","base":"` + rev + `"}`},
		{name: "API create", method: "PUT", path: "/-/api/pages/Nieuw", body: `{"content":"nieuw\n","base":""}`},
		{name: "API delete", method: "DELETE", path: "/-/api/pages/WMO-loket/Ontwerp?base=" + rev},
		{name: "API rename", method: "POST", path: "/-/api/pages/WMO-loket/Ontwerp/rename", body: `{"to":"Ontwerp","base":"` + rev + `"}`},
		{name: "API revert", method: "POST", path: "/-/api/pages/WMO-loket/Ontwerp/revert", body: `{"revision":"` + home + `"}`},
		{name: "presence heartbeat", method: "POST", path: "/-/api/presence/WMO-loket/Ontwerp", body: `{"session":"abcdefgh12","name":"x","base":"` + rev + `"}`},
		{name: "presence leave", method: "DELETE", path: "/-/api/presence/WMO-loket/Ontwerp?session=abcdefgh12"},
	}
}

// TestWritesNeedEditRights sends every write as an anonymous visitor, as a
// reader signed in with a browser, and as a reader with a token, and
// expects each to be refused with nothing changed; then as an editor,
// and expects each to work.
func TestWritesNeedEditRights(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	head := aw.head()
	secret, _, err := aw.accounts.NewToken(context.Background(), "bram", "script")
	if err != nil {
		t.Fatal(err)
	}
	anon := aw.browser()
	reader := aw.signedIn("bram")
	for _, who := range []struct {
		name string
		want int
		send func(writeRoute) (int, string, http.Header)
	}{
		{"anonymous browser", 401, func(w writeRoute) (int, string, http.Header) {
			if w.form {
				return anon.post(w.path, w.values)
			}
			return anon.api(w.method, w.path, w.body)
		}},
		{"anonymous script", 401, func(w writeRoute) (int, string, http.Header) {
			ctype := ""
			if w.body != "" {
				ctype = "application/json"
			}
			if w.form {
				// No cookies, so no CSRF token either: refused by the
				// CSRF check, which is fine too, but let it be 401 or
				// 403 below.
				return aw.do(w.method, w.path, "application/x-www-form-urlencoded", w.values.Encode())
			}
			return aw.do(w.method, w.path, ctype, w.body)
		}},
		{"reader's browser", 403, func(w writeRoute) (int, string, http.Header) {
			if w.form {
				return reader.post(w.path, w.values)
			}
			return reader.api(w.method, w.path, w.body)
		}},
		{"reader's token", 403, func(w writeRoute) (int, string, http.Header) {
			if w.form {
				return aw.basic("bram", secret, w.method, w.path, w.values.Encode(), "Content-Type", "application/x-www-form-urlencoded")
			}
			return aw.basic("bram", secret, w.method, w.path, w.body)
		}},
	} {
		for _, w := range writeRoutes(aw) {
			code, body, _ := who.send(w)
			ok := code == who.want
			if who.name == "anonymous script" && w.form {
				ok = code == 401 || code == 403
			}
			if !ok {
				t.Errorf("%s, %s: %d, want %d\n%.300s", who.name, w.name, code, who.want, body)
			}
		}
		if aw.head() != head {
			t.Fatalf("%s changed the wiki", who.name)
		}
	}
	// The forms themselves are refused too, and no page offers them.
	for _, path := range []string{"/-/edit/WMO-loket/Ontwerp", "/-/rename/WMO-loket/Ontwerp", "/-/delete/WMO-loket/Ontwerp"} {
		if code, _, _ := reader.get(path); code != 403 {
			t.Errorf("reader gets %s: %d", path, code)
		}
		if code, _, _ := anon.get(path); code != 401 {
			t.Errorf("anonymous gets %s: %d", path, code)
		}
	}
	for _, b := range []*browser{anon, reader} {
		_, body, _ := b.get("/WMO-loket/Ontwerp")
		if strings.Contains(body, `href="/-/edit/`) || strings.Contains(body, `href="/-/rename/`) || strings.Contains(body, `href="/-/delete/`) {
			t.Error("a page offers edit links to someone who may not edit")
		}
	}
	if !aw.audited("denied", "WMO-loket/Ontwerp", "bram") && !aw.audited("denied", "WMO-loket/Ontwerp", "") {
		t.Error("denials are not in the audit log")
	}

	// An editor may do each of them (a fresh wiki per route, since some
	// of them move or delete the page).
	for i := range writeRoutes(aw) {
		ew := newAuthWiki(t, authOptions{})
		anna := ew.signedIn("anna")
		w := writeRoutes(ew)[i]
		var code int
		var body string
		if w.form {
			code, body, _ = anna.post(w.path, w.values)
		} else {
			code, body, _ = anna.api(w.method, w.path, w.body)
		}
		if code >= 400 && !(w.name == "restore" && code == 404) {
			t.Errorf("editor, %s: %d\n%.300s", w.name, code, body)
		}
	}
}

// TestProtectedFolders: editors cannot change protected pages, admins
// can, and members of the groups named for a folder can change that one.
func TestProtectedFolders(t *testing.T) {
	aw := newAuthWiki(t, authOptions{policy: wiki.Policy{Edit: wiki.Editors, Protected: []wiki.Protected{
		{Prefix: "Beleid"}, {Prefix: "Intern", Groups: []string{"beleidsteam", "ict"}},
	}}})
	anna, carla, dirk := aw.signedIn("anna"), aw.signedIn("carla"), aw.signedIn("dirk")
	save := func(b *browser, name, text string) (int, string) {
		t.Helper()
		code, body, _ := b.post("/-/edit/"+name, url.Values{"content": {text}, "base": {aw.revision(name)}})
		return code, body
	}
	head := aw.head()
	code, body := save(anna, "Beleid/Visie", "Nieuwe visie\n")
	if code != 403 || !strings.Contains(body, "Beleid/ mag alleen door beheerders worden gewijzigd. Vraag een beheerder.") {
		t.Fatalf("editor saves Beleid/Visie: %d\n%s", code, body)
	}
	if !strings.Contains(body, "Nieuwe visie") {
		t.Error("the refused save lost the text")
	}
	if code, body := save(anna, "Beleid", "x\n"); code != 403 {
		t.Errorf("editor creates the page Beleid itself: %d %.200s", code, body)
	}
	if code, _ := save(anna, "Intern/Team", "x\n"); code != 403 {
		t.Errorf("editor outside the groups saves Intern/Team: %d", code)
	}
	if code, _ := save(dirk, "Beleid/Visie", "x\n"); code != 403 {
		t.Errorf("beleidsteam member saves Beleid/Visie: %d", code)
	}
	// Into, out of and around protected folders.
	for _, c := range []struct {
		from, to string
		links    bool
	}{
		{"WMO-loket/Ontwerp", "Beleid/Ontwerp", false},
		{"Beleid/Visie", "Visie", false},
		{"WMO-loket/Ontwerp", "Ontwerp", true}, // Beleid/Visie links to it
	} {
		form := url.Values{"to": {c.to}, "base": {aw.revision(c.from)}}
		if c.links {
			form.Set("update_links", "1")
		}
		if code, body, _ := anna.post("/-/rename/"+c.from, form); code != 403 {
			t.Errorf("editor renames %s to %s (links %v): %d\n%.300s", c.from, c.to, c.links, code, body)
		}
	}
	if code, _, _ := anna.api("PUT", "/-/api/pages/Beleid/Nieuw", `{"content":"x"}`); code != 403 {
		t.Errorf("editor creates Beleid/Nieuw through the API: %d", code)
	}
	if aw.head() != head {
		t.Fatal("refused writes changed the wiki")
	}
	// The editor can still rename without updating links.
	if code, body, _ := anna.post("/-/rename/WMO-loket/Ontwerp", url.Values{"to": {"Ontwerp"}, "base": {aw.revision("WMO-loket/Ontwerp")}}); code != http.StatusSeeOther {
		t.Errorf("editor renames without links: %d %.300s", code, body)
	}
	if code, _ := save(dirk, "Intern/Team", "Het team, door Dirk\n"); code != http.StatusSeeOther {
		t.Errorf("beleidsteam member saves Intern/Team: %d", code)
	}
	if code, _ := save(carla, "Beleid/Visie", "Visie van Carla\n"); code != http.StatusSeeOther {
		t.Errorf("admin saves Beleid/Visie: %d", code)
	}
	if got := aw.content("Beleid/Visie"); got != "Visie van Carla\n" {
		t.Fatalf("Beleid/Visie = %q", got)
	}
	if a := aw.lastAuthor(); a.Name != "Carla Smit" || a.Email != "carla@example.nl" {
		t.Fatalf("the admin's commit is by %+v", a)
	}
	// The edit link follows the page's rule.
	if _, body, _ := anna.get("/Beleid/Visie"); strings.Contains(body, `href="/-/edit/Beleid/Visie"`) {
		t.Error("Beleid/Visie offers an editor the edit link")
	}
	if _, body, _ := anna.get("/Home"); !strings.Contains(body, `href="/-/edit/Home"`) {
		t.Error("Home does not offer an editor the edit link")
	}
	if _, body, _ := carla.get("/Beleid/Visie"); !strings.Contains(body, `href="/-/edit/Beleid/Visie"`) {
		t.Error("Beleid/Visie does not offer the admin the edit link")
	}
}

// TestCommitAuthorIsTheSignedInUser: what the form or the API says about
// the author is ignored once someone is signed in.
func TestCommitAuthorIsTheSignedInUser(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	anna := aw.signedIn("anna")
	name := "WMO-loket/Ontwerp"
	code, _, _ := anna.post("/-/edit/"+name, url.Values{"content": {"door Anna\n"}, "base": {aw.revision(name)},
		"author_name": {"Iemand Anders"}, "author_email": {"anders@example.nl"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save: %d", code)
	}
	if a := aw.lastAuthor(); a != (wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"}) {
		t.Fatalf("form save authored by %+v", a)
	}
	_, body, _ := anna.get("/-/edit/" + name)
	if strings.Contains(body, `name="author_name"`) || !strings.Contains(body, "Je wijziging wordt vastgelegd op naam van Anna de Vries.") {
		t.Error("the editor asks a signed-in user for a name")
	}
	secret, _, err := aw.accounts.NewToken(context.Background(), "anna", "curl")
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ = aw.basic("anna", secret, "PUT", "/-/api/pages/"+name,
		jsonBody(map[string]any{"content": "via de API\n", "base": aw.revision(name), "author": map[string]string{"name": "Iemand Anders"}}))
	if code != 200 {
		t.Fatalf("API save: %d %s", code, body)
	}
	if a := aw.lastAuthor(); a.Name != "Anna de Vries" {
		t.Fatalf("API save authored by %+v", a)
	}
}

// TestCSRF: a form or a cookie-authenticated API call without a valid
// token is refused and changes nothing; Basic-authenticated calls need
// none.
func TestCSRF(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	anna := aw.signedIn("anna")
	other := aw.browser()
	other.get("/-/pages")
	name := "WMO-loket/Ontwerp"
	head := aw.head()
	form := url.Values{"content": {"gekaapt\n"}, "base": {aw.revision(name)}}
	for _, c := range []struct {
		what  string
		token string
		hdr   []string
	}{
		{"no token", "", nil},
		{"a made-up token", "AAAA" + strings.Repeat("x", 84), nil},
		{"another browser's token", other.token, nil},
		{"the right token from another site", anna.token, []string{"Origin", "https://evil.example"}},
	} {
		f := cloneValues(form)
		f.Set("csrf_token", c.token)
		code, body, _ := anna.do("POST", "/-/edit/"+name, "application/x-www-form-urlencoded", f.Encode(), c.hdr...)
		if code != 403 || !strings.Contains(body, "Dit formulier kon niet worden gecontroleerd") {
			t.Errorf("%s: %d\n%.300s", c.what, code, body)
		}
	}
	for _, path := range []string{"/-/logout", "/-/account/tokens", "/-/preview", "/-/revert/" + name} {
		if code, _, _ := anna.do("POST", path, "application/x-www-form-urlencoded", "label=x&content=x"); code != 403 {
			t.Errorf("POST %s without a token: %d", path, code)
		}
	}
	// editor.js's calls carry the token in a header; the session alone
	// is not enough.
	if code, _, _ := anna.do("PUT", "/-/api/pages/"+name, "application/json", `{"content":"gekaapt\n","base":"`+aw.revision(name)+`"}`); code != 403 {
		t.Errorf("API save with the session cookie and no token: %d", code)
	}
	if code, _, _ := anna.do("POST", "/-/api/presence/"+name, "application/json", `{"session":"abcdefgh12","base":""}`); code != 403 {
		t.Errorf("presence with the session cookie and no token: %d", code)
	}
	// A cross-site form cannot send JSON; the API refuses anything else.
	if code, _, _ := aw.do("PUT", "/-/api/pages/"+name, "text/plain", `{"content":"x"}`); code != http.StatusUnsupportedMediaType {
		t.Errorf("API save as text/plain: %d", code)
	}
	if aw.head() != head {
		t.Fatal("a refused request changed the wiki")
	}
	if !aw.audited("denied", "/-/edit/"+name, "CSRF") {
		t.Error("CSRF refusals are not in the audit log")
	}
	if _, body, _ := anna.get("/-/account"); !strings.Contains(body, "Anna de Vries") {
		t.Fatal("the refused logout signed Anna out")
	}
	// With the token it works, from the form and from editor.js.
	if code, _, _ := anna.post("/-/edit/"+name, form); code != http.StatusSeeOther {
		t.Fatalf("save with the token: %d", code)
	}
	if code, body, _ := anna.api("POST", "/-/api/presence/"+name, `{"session":"abcdefgh12","base":""}`); code != 200 {
		t.Fatalf("presence with the token: %d %s", code, body)
	}
	secret, _, _ := aw.accounts.NewToken(context.Background(), "anna", "script")
	if code, body, _ := aw.basic("anna", secret, "PUT", "/-/api/pages/"+name, `{"content":"script\n","base":"`+aw.revision(name)+`"}`); code != 200 {
		t.Fatalf("API save with a token and no CSRF token: %d %s", code, body)
	}
}

// TestTokens: made on the account page, shown once, usable with HTTP
// Basic, and dead the moment they are revoked.
func TestTokens(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	anna := aw.signedIn("anna")
	code, body, hdr := anna.post("/-/account/tokens", url.Values{"label": {"laptop git"}})
	m := regexp.MustCompile(`id="wwSecret">(wwt_[A-Za-z0-9_-]+)<`).FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("create token: %d\n%s", code, body)
	}
	if hdr.Get("Cache-Control") != "no-store" {
		t.Error("the page with the secret may be cached")
	}
	secret := m[1]
	if _, body, _ := anna.get("/-/account"); strings.Contains(body, secret) || !strings.Contains(body, "laptop git") {
		t.Fatal("the account page shows the secret again, or not the token")
	}
	name := "WMO-loket/Ontwerp"
	put := func(user, secret, text string) int {
		code, _, _ := aw.basic(user, secret, "PUT", "/-/api/pages/"+name, jsonBody(map[string]string{"content": text, "base": aw.revision(name)}))
		return code
	}
	for _, user := range []string{"anna", "ANNA", ""} {
		if code := put(user, secret, "met sleutel "+user+"\n"); code != 200 {
			t.Fatalf("token with user %q: %d", user, code)
		}
	}
	if code := put("bram", secret, "x\n"); code != 401 {
		t.Errorf("anna's token with user bram: %d", code)
	}
	if code := put("anna", passwords["anna"], "met wachtwoord\n"); code != 200 {
		t.Errorf("password over Basic: %d", code)
	}
	if code := put("anna", "wwt_"+strings.Repeat("A", 43), "x\n"); code != 401 {
		t.Errorf("a made-up token: %d", code)
	}
	code, body, hdr = aw.basic("anna", "fout wachtwoord", "GET", "/-/api/pages", "")
	if code != 401 || hdr.Get("WWW-Authenticate") == "" || !strings.Contains(body, `"error"`) {
		t.Errorf("wrong password: %d %v %s", code, hdr, body)
	}
	tokens, _ := aw.accounts.Tokens(context.Background(), "anna")
	if len(tokens) != 1 {
		t.Fatalf("tokens: %+v", tokens)
	}
	if code, _, _ := anna.post("/-/account/tokens/revoke", url.Values{"id": {tokens[0].ID}}); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if code := put("anna", secret, "na intrekken\n"); code != 401 {
		t.Fatalf("a revoked token still works: %d", code)
	}
	if code, _, _ := aw.basic("anna", secret, "GET", "/-/api/pages", ""); code != 401 {
		t.Fatalf("a revoked token still reads: %d", code)
	}
	if !aw.audited("token-created", "anna", "laptop git") || !aw.audited("token-revoked", "anna", tokens[0].ID) {
		t.Error("token events are not in the audit log")
	}
}

// TestDisabledUserStopsAtOnce: an admin disables a signed-in user, whose
// very next request is anonymous, and whose token stops working.
func TestDisabledUserStopsAtOnce(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	anna, carla := aw.signedIn("anna"), aw.signedIn("carla")
	secret, _, _ := aw.accounts.NewToken(context.Background(), "anna", "script")
	if code, _, _ := anna.get("/-/edit/Home"); code != 200 {
		t.Fatalf("anna's editor: %d", code)
	}
	if code, body, _ := carla.post("/-/admin/users/anna", url.Values{"action": {"disable"}}); code != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", code, body)
	}
	if code, _, _ := anna.get("/-/edit/Home"); code != 401 {
		t.Fatalf("disabled anna's editor: %d", code)
	}
	if code, _, _ := anna.post("/-/edit/Home", url.Values{"content": {"x"}, "base": {aw.revision("Home")}}); code != 401 {
		t.Fatalf("disabled anna saves: %d", code)
	}
	if code, _, _ := aw.basic("anna", secret, "GET", "/-/api/pages", ""); code != 401 {
		t.Fatalf("disabled anna's token: %d", code)
	}
	if code, body, _ := aw.browser().post("/-/login", url.Values{"name": {"anna"}, "password": {passwords["anna"]}}); code != 401 {
		t.Fatalf("disabled anna signs in: %d %s", code, body)
	}
	if !aw.audited("disable", "anna", "") {
		t.Error("disabling is not in the audit log")
	}
	// Enabled again, the token works (sessions were ended).
	if code, _, _ := carla.post("/-/admin/users/anna", url.Values{"action": {"enable"}}); code != http.StatusSeeOther {
		t.Fatalf("enable: %d", code)
	}
	if code, _, _ := aw.basic("anna", secret, "GET", "/-/api/pages", ""); code != 200 {
		t.Fatalf("enabled anna's token: %d", code)
	}
}

// TestSignInAndOut covers the sign-in form, the return address, the
// session cookie's flags and signing out (which ends the session on the
// server, not just in the browser).
func TestSignInAndOut(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	b := aw.browser()
	_, body, _ := b.get("/-/login?next=/-/edit/Home")
	for _, want := range []string{`<label for="wwLogin">Gebruikersnaam</label>`, `<label for="wwPassword">Wachtwoord</label>`, `name="next" value="/-/edit/Home"`, `autocomplete="current-password"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the sign-in form lacks %s", want)
		}
	}
	code, _, hdr := b.post("/-/login", url.Values{"name": {"anna"}, "password": {passwords["anna"]}, "next": {"/-/edit/Home"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/edit/Home" {
		t.Fatalf("sign in: %d to %q", code, hdr.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == "wikiwerk_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Secure {
		t.Fatalf("session cookie %+v", session)
	}
	if _, body, _ := b.get("/Home"); !strings.Contains(body, "Ingelogd als Anna de Vries") {
		t.Fatal("the page does not say who is signed in")
	}
	// Another site's address is not a return address.
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		_, _, hdr := aw.browser().post("/-/login", url.Values{"name": {"bram"}, "password": {passwords["bram"]}, "next": {next}})
		if hdr.Get("Location") != "/" {
			t.Errorf("next=%q leads to %q", next, hdr.Get("Location"))
		}
	}
	if code, _, _ := b.post("/-/logout", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", code)
	}
	if _, body, _ := b.get("/Home"); strings.Contains(body, "Ingelogd als") {
		t.Fatal("still signed in after signing out")
	}
	// The old cookie, replayed, is worthless.
	replay := aw.browser()
	replay.header.Set("Cookie", "wikiwerk_session="+session.Value)
	if code, _, _ := replay.get("/-/account"); code != 401 {
		t.Fatalf("a signed-out session still works: %d", code)
	}
	if !aw.audited("signin", "anna", "password") || !aw.audited("signout", "anna", "") {
		t.Error("sign-in and sign-out are not in the audit log")
	}
	if _, body, _ := aw.browser().post("/-/login", url.Values{"name": {"anna"}, "password": {"fout"}}); !strings.Contains(body, "Inloggen is niet gelukt") {
		t.Error("a failed sign-in does not say so")
	}
	if !aw.audited("signin-failed", "anna", "password") {
		t.Error("a failed sign-in is not in the audit log")
	}
}

// TestSecureCookiesBehindTLSProxy: behind a trusted proxy that says
// https, cookies are Secure and HSTS is sent; an untrusted header is
// ignored.
func TestSecureCookiesBehindTLSProxy(t *testing.T) {
	for _, trust := range []bool{false, true} {
		aw := newAuthWiki(t, authOptions{trustProxy: trust})
		host := strings.TrimPrefix(aw.srv.URL, "http://")
		// The browser talks https to the proxy, which passes the Host on
		// and says https. (Cookies are handled by hand: a cookie jar
		// would not send Secure cookies to the test's http URL.)
		send := func(method, path, body string, cookies []*http.Cookie) *http.Response {
			req, _ := http.NewRequest(method, aw.srv.URL+path, strings.NewReader(body))
			req.Header.Set("X-Forwarded-Proto", "https")
			if body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", "https://"+host)
				req.Header.Set("Referer", "https://"+host+"/-/login")
			}
			for _, c := range cookies {
				req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		resp := send("GET", "/-/login", "", nil)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		hdr := resp.Header
		if got := hdr.Get("Strict-Transport-Security") != ""; got != trust {
			t.Errorf("trust %v: HSTS %v", trust, got)
		}
		if hdr.Get("Permissions-Policy") == "" || !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("security headers: %v", hdr)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "wikiwerk_csrf" && c.Secure != trust {
				t.Errorf("trust %v: CSRF cookie Secure %v", trust, c.Secure)
			}
		}
		token := html.UnescapeString(string(csrfMeta.FindSubmatch(page)[1]))
		resp = send("POST", "/-/login", url.Values{"name": {"anna"}, "password": {passwords["anna"]}, "csrf_token": {token}}.Encode(), resp.Cookies())
		resp.Body.Close()
		if !trust {
			// Without -trust-proxy the wiki believes it serves http, and
			// an https origin is another site.
			if resp.StatusCode != 403 {
				t.Errorf("untrusted proxy: sign-in with an https origin: %d", resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in behind the proxy: %d", resp.StatusCode)
		}
		secure := false
		for _, c := range resp.Cookies() {
			if c.Name == "wikiwerk_session" {
				secure = c.Secure && c.HttpOnly
			}
		}
		if !secure {
			t.Error("the session cookie is not Secure and HttpOnly behind a TLS proxy")
		}
	}
}

// TestLoginRateLimit: after five failures the client, and the name, must
// wait, 1 s then 2 s, ...; even the right password waits; HTTP Basic
// counts too.
func TestLoginRateLimit(t *testing.T) {
	// The limiter's clock, moved by the test instead of sleeping.
	var clockMu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return now
	}
	wait := func(d time.Duration) {
		clockMu.Lock()
		now = now.Add(d)
		clockMu.Unlock()
	}
	aw := newAuthWiki(t, authOptions{trustProxy: true, now: clock})
	from := func(ip string) *browser {
		b := aw.browser()
		b.header.Set("X-Forwarded-For", ip)
		return b
	}
	attacker := from("203.0.113.1")
	for i := range 5 {
		if code, _, _ := attacker.post("/-/login", url.Values{"name": {"anna"}, "password": {"gok " + strconv.Itoa(i)}}); code != 401 {
			t.Fatalf("attempt %d: %d", i+1, code)
		}
	}
	code, body, hdr := attacker.post("/-/login", url.Values{"name": {"anna"}, "password": {passwords["anna"]}})
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" || !strings.Contains(body, "Te veel mislukte inlogpogingen") {
		t.Fatalf("sixth attempt: %d Retry-After %q\n%.500s", code, hdr.Get("Retry-After"), body)
	}
	// The name is protected from other addresses too (an attacker with
	// many addresses), and the address for other names.
	if code, _, _ := from("198.51.100.7").post("/-/login", url.Values{"name": {"anna"}, "password": {passwords["anna"]}}); code != http.StatusTooManyRequests {
		t.Errorf("anna from another address: %d", code)
	}
	if code, _, _ := attacker.post("/-/login", url.Values{"name": {"bram"}, "password": {"gok"}}); code != http.StatusTooManyRequests {
		t.Errorf("the attacker tries bram: %d", code)
	}
	if code, _, _ := aw.basic("anna", passwords["anna"], "GET", "/-/api/pages", "", "X-Forwarded-For", "192.0.2.99"); code != http.StatusTooManyRequests {
		t.Errorf("anna over Basic while her name waits: %d", code)
	}
	wait(1100 * time.Millisecond)
	// One more failure doubles the wait.
	attacker.post("/-/login", url.Values{"name": {"anna"}, "password": {"gok"}})
	if _, _, hdr := attacker.post("/-/login", url.Values{"name": {"anna"}, "password": {"gok"}}); hdr.Get("Retry-After") != "2" {
		t.Errorf("after the seventh failure Retry-After is %q", hdr.Get("Retry-After"))
	}
	wait(2100 * time.Millisecond)
	if code, _, _ := from("198.51.100.7").post("/-/login", url.Values{"name": {"anna"}, "password": {passwords["anna"]}}); code != http.StatusSeeOther {
		t.Fatalf("anna after waiting: %d", code)
	}
	// Basic failures count like form failures.
	for range 5 {
		aw.basic("bram", "gok", "GET", "/-/api/pages", "", "X-Forwarded-For", "192.0.2.50")
	}
	code, body, hdr = aw.basic("bram", passwords["bram"], "GET", "/-/api/pages", "", "X-Forwarded-For", "192.0.2.51")
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed sign-in attempts") {
		t.Fatalf("Basic after five failures: %d %q %s", code, hdr.Get("Retry-After"), body)
	}
}

// Test401And403Pages: not signed in is 401 with a way to sign in that
// comes back; signed in but not allowed is 403 saying whom to ask.
func Test401And403Pages(t *testing.T) {
	aw := newAuthWiki(t, authOptions{policy: wiki.Policy{Read: wiki.SignedIn, Edit: wiki.Editors}})
	anon := aw.browser()
	code, body, _ := anon.get("/WMO-loket/Ontwerp?rev=abc")
	if code != 401 || !strings.Contains(body, "Log in om deze wiki te lezen.") ||
		!strings.Contains(body, `href="/-/login?next=%2FWMO-loket%2FOntwerp%3Frev%3Dabc"`) {
		t.Fatalf("anonymous read of a closed wiki: %d\n%s", code, body)
	}
	if strings.Contains(body, "Regel een") {
		t.Fatal("the 401 page shows the content")
	}
	for _, path := range []string{"/-/recent", "/-/recent.atom", "/-/pages", "/-/history/Home", "/-/raw/Home", "/-/blame/Home", "/-/diff/Home", "/-/contributions/wikiwerk", "/-/history.atom/Home", "/-/search?q=x"} {
		if code, _, _ := anon.get(path); code != 401 {
			t.Errorf("anonymous GET %s on a closed wiki: %d", path, code)
		}
	}
	code, body, hdr := aw.do("GET", "/-/api/pages/Home", "", "")
	if code != 401 || hdr.Get("WWW-Authenticate") != `Basic realm="wikiwerk", charset="UTF-8"` || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("anonymous API read: %d %v %s", code, hdr, body)
	}
	for _, path := range []string{"/-/login", "/-/static/wikiwerk.css", "/-/healthz"} {
		if code, _, _ := anon.get(path); code != 200 {
			t.Errorf("anonymous GET %s: %d", path, code)
		}
	}
	bram := aw.signedIn("bram")
	if code, _, _ := bram.get("/WMO-loket/Ontwerp"); code != 200 {
		t.Fatalf("reader reads: %d", code)
	}
	code, body, _ = bram.get("/-/edit/WMO-loket/Ontwerp")
	if code != 403 || !strings.Contains(body, "Vraag een beheerder om de rol schrijver.") || strings.Contains(body, `class="button" href="/-/login`) {
		t.Fatalf("reader opens the editor: %d\n%s", code, body)
	}
	code, body, _ = bram.get("/-/admin")
	if code != 403 || !strings.Contains(body, "Alleen beheerders mogen accounts beheren.") {
		t.Fatalf("reader opens admin: %d", code)
	}
	// In English too.
	bram.header.Set("Accept-Language", "en")
	if _, body, _ := bram.get("/-/edit/Home"); !strings.Contains(body, "Ask an admin for the editor role.") {
		t.Error("the 403 page is not in English")
	}
}

// TestSetupLink: a fresh install without anonymous edits makes a one-time
// link that creates the first admin.
func TestSetupLink(t *testing.T) {
	aw := newAuthWiki(t, authOptions{noUsers: true})
	path := aw.server.SetupPath()
	if !strings.HasPrefix(path, "/-/setup?token=") {
		t.Fatalf("setup path %q", path)
	}
	b := aw.browser()
	if code, _, _ := b.get("/-/setup?token=wrong"); code != 404 {
		t.Fatalf("a wrong setup token: %d", code)
	}
	code, body, _ := b.get(path)
	if code != 200 || !strings.Contains(body, `<label for="wwPassword2">Herhaal het wachtwoord</label>`) {
		t.Fatalf("setup form: %d\n%s", code, body)
	}
	token := strings.TrimPrefix(path, "/-/setup?token=")
	form := url.Values{"token": {token}, "name": {"eva"}, "display_name": {"Eva Admin"}, "email": {"eva@example.nl"},
		"password": {"een lang wachtwoord"}, "password2": {"een ander wachtwoord"}}
	if code, body, _ := b.post("/-/setup", form); code != 400 || !strings.Contains(body, "niet gelijk") || !strings.Contains(body, `value="Eva Admin"`) {
		t.Fatalf("mismatched passwords: %d\n%s", code, body)
	}
	form.Set("password2", "een lang wachtwoord")
	code, _, hdr := b.post("/-/setup", form)
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/account" {
		t.Fatalf("setup: %d %v", code, hdr)
	}
	if _, body, _ := b.get("/-/admin"); !strings.Contains(body, "Eva Admin") {
		t.Fatal("the first admin is not signed in as admin")
	}
	if aw.server.SetupPath() != "" {
		t.Fatal("the setup link still exists")
	}
	if code, _, _ := aw.browser().post("/-/setup", form); code != 404 {
		t.Fatalf("the setup link works twice: %d", code)
	}
	if u, err := aw.accounts.User(context.Background(), "eva"); err != nil || u.Role != wiki.RoleAdmin {
		t.Fatalf("eva: %+v %v", u, err)
	}
	// Where anonymous edits are on, there is no setup link.
	if aw := newAuthWiki(t, authOptions{noUsers: true, policy: wiki.Policy{Edit: wiki.Anyone}}); aw.server.SetupPath() != "" {
		t.Fatal("setup link with anonymous edits")
	}
}

// TestAdminPage: an admin lists accounts, changes a role, and sees it in
// the audit log; nobody changes their own account there.
func TestAdminPage(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	carla := aw.signedIn("carla")
	code, body, _ := carla.get("/-/admin/users")
	if code != 200 || !strings.Contains(body, "Bram Jansen") || !strings.Contains(body, `<label for="wwRole-bram" class="visually-hidden">Rol van bram</label>`) {
		t.Fatalf("admin page: %d\n%s", code, body)
	}
	if code, _, _ := carla.post("/-/admin/users/bram", url.Values{"action": {"role"}, "role": {"editor"}}); code != http.StatusSeeOther {
		t.Fatalf("role change: %d", code)
	}
	if u, _ := aw.accounts.User(context.Background(), "bram"); u.Role != wiki.RoleEditor {
		t.Fatalf("bram is %s", u.Role)
	}
	_, body, _ = carla.get("/-/admin")
	if !regexp.MustCompile(`<td>Rol gewijzigd <code class="audit-code">role</code></td>\s*<td>gelukt</td>\s*<td>carla</td>\s*<td>bram</td>\s*<td>reader -&gt; editor</td>`).MatchString(body) {
		t.Errorf("the audit log does not show the role change:\n%s", body)
	}
	if code, _, _ := carla.post("/-/admin/users/carla", url.Values{"action": {"role"}, "role": {"reader"}}); code != 403 {
		t.Errorf("admin demotes herself: %d", code)
	}
	anna := aw.signedIn("anna")
	if code, _, _ := anna.post("/-/admin/users/bram", url.Values{"action": {"disable"}}); code != 403 {
		t.Errorf("editor disables bram: %d", code)
	}
	if u, _ := aw.accounts.User(context.Background(), "bram"); u.Disabled {
		t.Fatal("an editor disabled bram")
	}
}

// TestViewCacheKeepsPeopleApart: the cached page view of one person is
// never served to another (the header names who is signed in, and the
// CSRF token belongs to the browser).
func TestViewCacheKeepsPeopleApart(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	anon, anna, bram := aw.browser(), aw.signedIn("anna"), aw.signedIn("bram")
	for range 2 {
		for _, c := range []struct {
			b    *browser
			want string
		}{{anon, "Inloggen"}, {anna, "Ingelogd als Anna de Vries"}, {bram, "Ingelogd als Bram Jansen"}} {
			_, body, _ := c.b.get("/Home")
			if !strings.Contains(body, c.want) {
				t.Fatalf("view lacks %q", c.want)
			}
			if strings.Contains(body, "wikiwerk-csrf-placeholder") {
				t.Fatal("the view has the token placeholder")
			}
		}
	}
	// The token on a cached page is the browser's own: signing out works.
	anna.get("/Home")
	if code, _, _ := anna.post("/-/logout", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign out with the token of a cached page: %d", code)
	}
}

// TestGitAuthorization: git follows the same policy: pushing needs the
// right to edit, and the files a push changes are then checked page by
// page against the protected folders (AuthorizePush).
func TestGitAuthorization(t *testing.T) {
	aw := newAuthWiki(t, authOptions{policy: wiki.Policy{Read: wiki.SignedIn, Edit: wiki.Editors,
		Protected: []wiki.Protected{{Prefix: "Beleid"}, {Prefix: "Intern", Groups: []string{"beleidsteam"}}}}})
	user := func(name string) *wiki.User {
		if name == "" {
			return nil
		}
		u, err := aw.accounts.User(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	r, _ := http.NewRequest("GET", aw.srv.URL+"/wiki.git/info/refs?service=git-receive-pack", nil)
	for _, c := range []struct {
		who        string
		push       bool
		wantStatus int // 0: allowed
	}{
		{"", false, 401}, {"", true, 401},
		{"bram", false, 0}, {"bram", true, 403},
		{"anna", false, 0}, {"anna", true, 0}, // an editor: her pushes are checked page by page
		{"dirk", true, 0},
		{"carla", true, 0},
	} {
		err := aw.server.AuthorizeGit(r, user(c.who), c.push)
		switch {
		case c.wantStatus == 0 && err != nil:
			t.Errorf("%q push %v: %v", c.who, c.push, err)
		case c.wantStatus == 401 && !errors.Is(err, wiki.ErrUnauthenticated):
			t.Errorf("%q push %v: %v, want sign-in", c.who, c.push, err)
		case c.wantStatus == 403 && (!errors.Is(err, wiki.ErrForbidden) || errors.Is(err, wiki.ErrUnauthenticated)):
			t.Errorf("%q push %v: %v, want forbidden", c.who, c.push, err)
		}
	}
	// Page by page, as the git handler checks a push's files.
	if err := aw.server.AuthorizePush(r, user("anna"), []string{"Beleid/Visie.md"}); !errors.Is(err, wiki.ErrForbidden) {
		t.Errorf("an editor pushes into Beleid/: %v", err)
	}
	if err := aw.server.AuthorizePush(r, user("dirk"), []string{"Intern/Team.md", "Intern/plaatje.png", "WMO-loket/Ontwerp.md"}); err != nil {
		t.Errorf("dirk pushes Intern/: %v", err)
	}
	if err := aw.server.AuthorizePush(r, user("dirk"), []string{"WMO-loket/Ontwerp.md", "Beleid/logo.png"}); !errors.Is(err, wiki.ErrForbidden) || !strings.Contains(err.Error(), "Beleid/ may only be changed by admins") {
		t.Errorf("dirk pushes an attachment in Beleid/: %v", err)
	}
	// Basic credentials for git: a token, a wrong one, none.
	secret, _, _ := aw.accounts.NewToken(context.Background(), "anna", "git")
	r.SetBasicAuth("anna", secret)
	if u, err := aw.server.GitUser(r); err != nil || u.Name != "anna" {
		t.Errorf("git with a token: %v %v", u, err)
	}
	r.SetBasicAuth("anna", "wwt_fout")
	if _, err := aw.server.GitUser(r); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Errorf("git with a wrong token: %v", err)
	}
	r.Header.Del("Authorization")
	if u, err := aw.server.GitUser(r); u != nil || err != nil {
		t.Errorf("git without credentials: %v %v", u, err)
	}
}

// TestNoPasswordDialogForPageScripts: a 401 to editor.js's calls carries
// no Basic challenge, which would make the browser ask for a password.
func TestNoPasswordDialogForPageScripts(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	body := `{"session":"abcdefgh12","base":""}`
	_, _, hdr := aw.do("POST", "/-/api/presence/Home", "application/json", body)
	if hdr.Get("WWW-Authenticate") == "" {
		t.Error("a script without a browser gets no challenge")
	}
	for _, h := range [][]string{{"X-CSRF-Token", "x"}, {"Sec-Fetch-Dest", "empty"}} {
		code, _, hdr := aw.do("POST", "/-/api/presence/Home", "application/json", body, h...)
		if code != 401 || hdr.Get("WWW-Authenticate") != "" {
			t.Errorf("with %s: %d, challenge %q", h[0], code, hdr.Get("WWW-Authenticate"))
		}
	}
}
