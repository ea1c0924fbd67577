package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// shownLink finds the one-time link an admin page shows to pass on.
var shownLink = regexp.MustCompile(`<p class="secret" id="wwLink">(http://[^<]+)</p>`)

// linkOn returns the path of the link shown on an admin page.
func linkOn(t *testing.T, body string) string {
	t.Helper()
	m := shownLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link shown:\n%s", body)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// signIn signs a fresh browser in with a password; it reports the status.
func (aw *authWiki) signIn(name, password string) (*browser, int) {
	b := aw.browser()
	b.get("/-/login")
	code, _, _ := b.post("/-/login", url.Values{"name": {name}, "password": {password}})
	return b, code
}

// choosePassword uses a one-time link in a fresh browser.
func (aw *authWiki) choosePassword(path, password, display string) (*browser, int, string, http.Header) {
	b := aw.browser()
	if code, body, _ := b.get(path); code != 200 {
		return b, code, body, nil
	}
	form := url.Values{"password": {password}, "password2": {password}}
	if display != "" {
		form.Set("display_name", display)
	}
	code, body, hdr := b.post(path, form)
	return b, code, body, hdr
}

// TestAdminInvitesOnTheWeb: an admin creates an account by invitation;
// the link (shown, as mail is not set up) lets the person choose a
// password and name once, and signs them in.
func TestAdminInvitesOnTheWeb(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	carla := uw.signedIn("carla")
	code, body, _ := carla.get("/-/admin/users")
	if code != 200 || !strings.Contains(body, "Bram Jansen") || !strings.Contains(body, `<label for="wwNewLogin">Gebruikersnaam</label>`) {
		t.Fatalf("accounts page: %d\n%s", code, body)
	}
	if _, body, _ := carla.get("/-/admin/users?role=admin"); strings.Contains(body, "Bram Jansen") || !strings.Contains(body, "Carla Smit") {
		t.Fatalf("the role filter does not filter:\n%s", body)
	}
	if _, body, _ := carla.get("/-/admin/users?q=JANSEN"); !strings.Contains(body, "Bram Jansen") || strings.Contains(body, "Anna de Vries") {
		t.Fatalf("the name filter does not filter:\n%s", body)
	}
	form := url.Values{"name": {"eva"}, "display_name": {"Eva"}, "email": {"eva@example.nl"}, "role": {"editor"}, "groups": {"beleidsteam, wmo"}, "how": {"invite"}}
	code, body, _ = carla.post("/-/admin/users", form)
	if code != 200 || !strings.Contains(body, "De wiki kan geen mail versturen") {
		t.Fatalf("invite: %d\n%s", code, body)
	}
	link := linkOn(t, body)
	if !strings.HasPrefix(link, "/-/invite/") {
		t.Fatalf("invitation link %q", link)
	}
	if u, _ := uw.accounts.User(context.Background(), "eva"); u == nil || u.Role != wiki.RoleEditor || len(u.Groups) != 2 {
		t.Fatalf("eva: %+v", u)
	}
	if _, body, _ := carla.get("/-/admin/users?q=eva"); !strings.Contains(body, "uitgenodigd, tot 9 maart 2026 09:00") {
		t.Fatalf("the list does not show the pending invitation:\n%s", body)
	}
	if _, code := uw.signIn("eva", ""); code != 401 {
		t.Fatalf("an invited account without a password signs in: %d", code)
	}
	// A taken name is refused on the form, with what was typed.
	if code, body, _ := carla.post("/-/admin/users", form); code != 409 || !strings.Contains(body, `value="eva@example.nl"`) {
		t.Fatalf("taken name: %d\n%s", code, body)
	}

	eva := uw.browser()
	code, body, hdr := eva.get(link)
	if code != 200 || !strings.Contains(body, "Je gebruikersnaam is eva.") || !strings.Contains(body, `<label for="wwPassword2">Herhaal het wachtwoord</label>`) {
		t.Fatalf("invitation form: %d\n%s", code, body)
	}
	// The secret in the address goes to no other site: no Referer leaves
	// the site, the page links and loads nothing elsewhere, and it is not
	// cached.
	if hdr.Get("Referrer-Policy") != "same-origin" || hdr.Get("Cache-Control") != "no-store" ||
		regexp.MustCompile(`(href|src|action)="(https?:)?//`).MatchString(body) {
		t.Fatalf("the invitation page may leak its link: %v\n%s", hdr, body)
	}
	if code, body, _ := eva.post(link, url.Values{"password": {"kort"}, "password2": {"kort"}}); code != 400 || !strings.Contains(body, "at least 12") {
		t.Fatalf("a short password: %d\n%s", code, body)
	}
	if code, _, _ := eva.post(link, url.Values{"password": {"eva kiest een wachtwoord"}, "password2": {"eva kiest iets anders"}}); code != 400 {
		t.Fatalf("mismatched passwords: %d", code)
	}
	code, _, hdr = eva.post(link, url.Values{"password": {"eva kiest een wachtwoord"}, "password2": {"eva kiest een wachtwoord"}, "display_name": {"Eva Jansen"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/account?done=password-invite" {
		t.Fatalf("accept the invitation: %d %v", code, hdr)
	}
	if code, body, _ := eva.get(hdr.Get("Location")); code != 200 || !strings.Contains(body, "Welkom! Je wachtwoord is ingesteld") || !strings.Contains(body, "Eva Jansen") {
		t.Fatalf("eva's account after the invitation: %d\n%s", code, body)
	}
	if _, body, _ := carla.get("/-/admin/users?q=eva"); strings.Contains(body, "uitgenodigd") {
		t.Fatalf("the list shows an accepted invitation as pending:\n%s", body)
	}
	// Once only.
	code, body, _ = uw.browser().get(link)
	if code != 404 || !strings.Contains(body, "Deze uitnodiging werkt niet (meer)") {
		t.Fatalf("the invitation a second time: %d\n%s", code, body)
	}
	if code, _, _ := uw.browser().post(link, url.Values{"password": {"iemand anders kiest"}, "password2": {"iemand anders kiest"}}); code != 404 {
		t.Fatalf("the used invitation posted again: %d", code)
	}
	if _, code := uw.signIn("eva", "eva kiest een wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("eva signs in with her password: %d", code)
	}
	if !uw.audited("invite-link", "eva", "valid until") || !uw.audited("invite-accepted", "eva", "from carla") || !uw.audited("user-created", "eva", "to be invited") {
		t.Error("the invitation is not in the audit log")
	}
}

// TestAdminResetsAndDisablesOnTheWeb: a reset link sets a new password
// once, signs the person out everywhere, and a newer link replaces an
// older one; disabling and enabling work from the account's page.
func TestAdminResetsAndDisablesOnTheWeb(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	carla := uw.signedIn("carla")
	anna := uw.signedIn("anna")
	code, body, _ := carla.get("/-/admin/users/anna")
	if code != 200 || !strings.Contains(body, `value="Anna de Vries"`) || !strings.Contains(body, "Link voor nieuw wachtwoord") {
		t.Fatalf("anna's page: %d\n%s", code, body)
	}
	_, body, _ = carla.post("/-/admin/users/anna", url.Values{"action": {"reset"}})
	first := linkOn(t, body)
	_, body, _ = carla.post("/-/admin/users/anna", url.Values{"action": {"reset"}})
	second := linkOn(t, body)
	if !strings.HasPrefix(second, "/-/reset/") || first == second {
		t.Fatalf("reset links %q %q", first, second)
	}
	if code, _, _ := uw.browser().get(first); code != 404 {
		t.Fatalf("the replaced reset link: %d", code)
	}
	if !uw.audited("reset-link", "anna", "replaces the earlier link") {
		t.Error("the replacement is not in the audit log")
	}
	_, code, _, hdr := uw.choosePassword(second, "anna heeft nu een nieuw wachtwoord", "")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/account?done=password-reset" {
		t.Fatalf("reset: %d %v", code, hdr)
	}
	if code, _, _ := anna.get("/-/account"); code != 401 {
		t.Fatalf("anna's old session after the reset: %d", code)
	}
	if _, code := uw.signIn("anna", passwords["anna"]); code != 401 {
		t.Fatalf("the old password after the reset: %d", code)
	}
	if _, code := uw.signIn("anna", "anna heeft nu een nieuw wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("the new password: %d", code)
	}
	if _, code, _, _ := uw.choosePassword(second, "nog een ander wachtwoord", ""); code != 404 {
		t.Fatalf("the reset link a second time: %d", code)
	}
	if !uw.audited("password-reset", "anna", "1 sessions ended") {
		t.Error("the reset is not in the audit log")
	}

	// Profile fields by the admin; a bad address changes nothing.
	save := url.Values{"action": {"save"}, "display_name": {"Anna Bakker"}, "email": {"anna.bakker@example.nl"}, "role": {"admin"}, "groups": {"wmo"}, "lang": {"en"}}
	if code, _, hdr := carla.post("/-/admin/users/anna", save); code != http.StatusSeeOther || hdr.Get("Location") != "/-/admin/users/anna?done=saved" {
		t.Fatalf("save anna: %d %v", code, hdr)
	}
	u, _ := uw.accounts.User(context.Background(), "anna")
	if u.DisplayName != "Anna Bakker" || u.Email != "anna.bakker@example.nl" || u.Role != wiki.RoleAdmin || u.Lang != "en" || len(u.Groups) != 1 {
		t.Fatalf("anna after saving: %+v", u)
	}
	save.Set("email", "geen adres")
	save.Set("display_name", "Anna Anders")
	if code, body, _ := carla.post("/-/admin/users/anna", save); code != 400 || !strings.Contains(body, "does not look like an e-mail address") {
		t.Fatalf("a bad address: %d\n%s", code, body)
	}
	if u, _ := uw.accounts.User(context.Background(), "anna"); u.DisplayName != "Anna Bakker" {
		t.Fatalf("a refused save changed the name: %+v", u)
	}
	// An admin does not change her own role or disable herself.
	if code, _, _ := carla.post("/-/admin/users/carla", url.Values{"action": {"save"}, "display_name": {"Carla"}, "role": {"reader"}}); code != 403 {
		t.Fatalf("carla demotes herself: %d", code)
	}
	if code, _, _ := carla.post("/-/admin/users/carla", url.Values{"action": {"save"}, "display_name": {"Carla S."}, "role": {"admin"}}); code != http.StatusSeeOther {
		t.Fatalf("carla renames herself: %d", code)
	}

	bram := uw.signedIn("bram")
	if code, _, hdr := carla.post("/-/admin/users/bram", url.Values{"action": {"disable"}, "back": {"user"}}); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/-/admin/users/bram?") {
		t.Fatalf("disable bram: %d %v", code, hdr)
	}
	if code, _, _ := bram.get("/-/account"); code != 401 {
		t.Fatalf("disabled bram's session: %d", code)
	}
	if _, code := uw.signIn("bram", passwords["bram"]); code != 401 {
		t.Fatalf("disabled bram signs in: %d", code)
	}
	if code, body, _ := carla.post("/-/admin/users/bram", url.Values{"action": {"reset"}}); code != 400 || !strings.Contains(body, "disabled") {
		t.Fatalf("a reset link for a disabled account: %d", code)
	}
	if code, _, _ := carla.post("/-/admin/users/bram", url.Values{"action": {"enable"}}); code != http.StatusSeeOther {
		t.Fatalf("enable bram: %d", code)
	}
	if _, code := uw.signIn("bram", passwords["bram"]); code != http.StatusSeeOther {
		t.Fatalf("enabled bram signs in: %d", code)
	}

	// An account with a password made on the spot.
	if code, _, hdr := carla.post("/-/admin/users", url.Values{"name": {"femke"}, "role": {"reader"}, "how": {"password"},
		"password": {"femke krijgt dit wachtwoord"}, "password2": {"femke krijgt dit wachtwoord"}}); code != http.StatusSeeOther || hdr.Get("Location") != "/-/admin/users/femke?done=created" {
		t.Fatalf("create femke: %d %v", code, hdr)
	}
	if _, code := uw.signIn("femke", "femke krijgt dit wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("femke signs in: %d", code)
	}
}

// TestOneTimeLinksExpire: an invitation works for 7 days, a reset link
// for an hour, on the store's clock.
func TestOneTimeLinksExpire(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	carla := uw.signedIn("carla")
	_, body, _ := carla.post("/-/admin/users", url.Values{"name": {"gert"}, "email": {"gert@example.nl"}, "how": {"invite"}})
	invite := linkOn(t, body)
	_, body, _ = carla.post("/-/admin/users/bram", url.Values{"action": {"reset"}})
	reset := linkOn(t, body)

	uw.clock.Advance(59 * time.Minute)
	if code, _, _ := uw.browser().get(reset); code != 200 {
		t.Fatalf("the reset link after 59 minutes: %d", code)
	}
	uw.clock.Advance(2 * time.Minute)
	code, body, _ := uw.browser().get(reset)
	if code != 404 || !strings.Contains(body, "verlopen (na een uur)") {
		t.Fatalf("the reset link after 61 minutes: %d\n%s", code, body)
	}
	if _, code, _, _ := uw.choosePassword(reset, "bram wil een nieuw wachtwoord", ""); code != 404 {
		t.Fatalf("the expired reset link posted: %d", code)
	}
	uw.clock.Advance(6 * 24 * time.Hour)
	if code, _, _ := uw.browser().get(invite); code != 200 {
		t.Fatalf("the invitation after 6 days: %d", code)
	}
	uw.clock.Advance(24 * time.Hour)
	b := uw.browser()
	b.header.Set("Accept-Language", "en")
	code, body, _ = b.get(invite)
	if code != 404 || !strings.Contains(body, "This invitation does not work (any more)") {
		t.Fatalf("the invitation after 7 days: %d\n%s", code, body)
	}
	if _, code := uw.signIn("bram", passwords["bram"]); code != http.StatusSeeOther {
		t.Fatalf("an expired link changed bram's password: %d", code)
	}
}

// TestUsersAPI: the same through the JSON API, for admins only.
func TestUsersAPI(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	admin := func(method, path, body string) (int, string) {
		code, out, _ := uw.basic("carla", passwords["carla"], method, path, body)
		return code, out
	}
	code, out := admin("GET", "/-/api/users", "")
	if code != 200 || !strings.Contains(out, `"name":"bram","display_name":"Bram Jansen"`) {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out := admin("GET", "/-/api/users?role=admin", ""); code != 200 || strings.Contains(out, `"bram"`) || !strings.Contains(out, `"carla"`) {
		t.Fatalf("list admins: %d %s", code, out)
	}
	code, out = admin("POST", "/-/api/users", jsonBody(map[string]any{"name": "gijs", "display_name": "Gijs", "email": "gijs@example.nl", "role": "editor"}))
	var created struct {
		User   struct{ Name, Role string }
		Link   string
		Mailed bool
	}
	if err := json.Unmarshal([]byte(out), &created); code != 201 || err != nil || created.User.Name != "gijs" || created.Mailed || !strings.Contains(created.Link, "/-/invite/") {
		t.Fatalf("create by invitation: %d %s", code, out)
	}
	link, _ := url.Parse(created.Link)
	if _, code, _, _ := uw.choosePassword(link.Path, "gijs kiest zijn wachtwoord", ""); code != http.StatusSeeOther {
		t.Fatalf("gijs accepts: %d", code)
	}
	code, out = admin("PATCH", "/-/api/users/gijs", jsonBody(map[string]any{"display_name": "Gijs de Boer", "role": "admin", "groups": []string{"ict"}, "lang": "en"}))
	if code != 200 || !strings.Contains(out, `"display_name":"Gijs de Boer"`) || !strings.Contains(out, `"role":"admin"`) || !strings.Contains(out, `"lang":"en"`) {
		t.Fatalf("patch: %d %s", code, out)
	}
	// A bad field refuses the whole change.
	if code, out := admin("PATCH", "/-/api/users/gijs", jsonBody(map[string]any{"display_name": "Gijs X", "role": "keizer"})); code != 400 || !strings.Contains(out, `"error"`) {
		t.Fatalf("patch with a bad role: %d %s", code, out)
	}
	if code, _ := admin("PATCH", "/-/api/users/gijs", jsonBody(map[string]any{"name": "gijsbert"})); code != 400 {
		t.Fatalf("a rename: %d", code)
	}
	if u, _ := uw.accounts.User(context.Background(), "gijs"); u.DisplayName != "Gijs de Boer" || u.Role != wiki.RoleAdmin || u.Groups[0] != "ict" {
		t.Fatalf("gijs: %+v", u)
	}
	if code, _ := admin("PATCH", "/-/api/users/gijs", `{"disabled":true}`); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	if _, code := uw.signIn("gijs", "gijs kiest zijn wachtwoord"); code != 401 {
		t.Fatalf("disabled gijs signs in: %d", code)
	}
	if code, _ := admin("PATCH", "/-/api/users/gijs", `{"disabled":false}`); code != 200 {
		t.Fatalf("enable: %d", code)
	}
	code, out = admin("POST", "/-/api/users/gijs/reset", "{}")
	var reset struct{ Link string }
	if err := json.Unmarshal([]byte(out), &reset); code != 200 || err != nil || !strings.Contains(reset.Link, "/-/reset/") {
		t.Fatalf("reset: %d %s", code, out)
	}
	link, _ = url.Parse(reset.Link)
	if _, code, _, _ := uw.choosePassword(link.Path, "gijs heeft een nieuw wachtwoord", ""); code != http.StatusSeeOther {
		t.Fatalf("gijs resets: %d", code)
	}
	if _, code, _, _ := uw.choosePassword(link.Path, "gijs probeert het nog eens", ""); code != 404 {
		t.Fatalf("the reset link twice: %d", code)
	}
	if code, out := admin("POST", "/-/api/users/gijs/invite", "{}"); code != 200 || !strings.Contains(out, "/-/invite/") {
		t.Fatalf("invite again: %d %s", code, out)
	}
	if code, _ := admin("POST", "/-/api/users", jsonBody(map[string]any{"name": "hanna", "password": "hanna heeft een wachtwoord", "lang": "fr"})); code != 400 {
		t.Fatalf("create with a language the wiki does not speak: %d", code)
	}
	code, out = admin("POST", "/-/api/users", jsonBody(map[string]any{"name": "hanna", "password": "hanna heeft een wachtwoord", "lang": "en"}))
	if code != 201 || strings.Contains(out, `"link"`) || !strings.Contains(out, `"role":"reader"`) || !strings.Contains(out, `"lang":"en"`) {
		t.Fatalf("create with a password: %d %s", code, out)
	}
	if _, code := uw.signIn("hanna", "hanna heeft een wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("hanna signs in: %d", code)
	}
	if code, _ := admin("PATCH", "/-/api/users/carla", `{"role":"editor"}`); code != 403 {
		t.Fatalf("carla demotes herself: %d", code)
	}
	if code, _ := admin("PATCH", "/-/api/users/nobody", `{"role":"editor"}`); code != 404 {
		t.Fatalf("patch an unknown user: %d", code)
	}
	// The browser's way in, with the session cookie and CSRF header.
	if code, out, _ := uw.signedIn("carla").api("GET", "/-/api/users/anna", ""); code != 200 || !strings.Contains(out, `"email":"anna@example.nl"`) {
		t.Fatalf("get one user from the browser: %d %s", code, out)
	}
}

// TestNonAdminsRefused: every admin page and API call answers 403 to a
// signed-in non-admin and 401 to an anonymous visitor, and changes
// nothing.
func TestNonAdminsRefused(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	anna := uw.signedIn("anna")
	anon := uw.browser()
	pages := []struct{ method, path string }{
		{"GET", "/-/admin"}, {"GET", "/-/admin/users"}, {"GET", "/-/admin/users/bram"},
		{"POST", "/-/admin/users"}, {"POST", "/-/admin/users/bram"},
	}
	for _, p := range pages {
		for who, b := range map[string]*browser{"anna": anna, "anonymous": anon} {
			want := 403
			if who == "anonymous" {
				want = 401
			}
			var code int
			if p.method == "GET" {
				code, _, _ = b.get(p.path)
			} else {
				code, _, _ = b.post(p.path, url.Values{"name": {"mallory"}, "action": {"disable"}, "how": {"invite"}})
			}
			if code != want {
				t.Errorf("%s %s by %s: %d, want %d", p.method, p.path, who, code, want)
			}
		}
	}
	calls := []struct{ method, path, body string }{
		{"GET", "/-/api/users", ""}, {"POST", "/-/api/users", `{"name":"mallory"}`},
		{"GET", "/-/api/users/bram", ""}, {"PATCH", "/-/api/users/bram", `{"role":"admin"}`},
		{"POST", "/-/api/users/bram/invite", "{}"}, {"POST", "/-/api/users/bram/reset", "{}"},
	}
	for _, c := range calls {
		if code, out, _ := uw.basic("anna", passwords["anna"], c.method, c.path, c.body); code != 403 || !strings.Contains(out, `"error"`) {
			t.Errorf("%s %s by anna: %d %s", c.method, c.path, code, out)
		}
		if code, _, _ := anna.api(c.method, c.path, c.body); code != 403 {
			t.Errorf("%s %s by anna's browser: %d", c.method, c.path, code)
		}
		if code, _, _ := uw.basic("", "", c.method, c.path, c.body); code != 401 {
			t.Errorf("%s %s anonymously: %d", c.method, c.path, code)
		}
	}
	if _, err := uw.accounts.User(context.Background(), "mallory"); err == nil {
		t.Error("a non-admin created an account")
	}
	if u, _ := uw.accounts.User(context.Background(), "bram"); u.Disabled || u.Role != wiki.RoleReader {
		t.Errorf("a non-admin changed bram: %+v", u)
	}
}

// TestLinkPageInTheAccountsLanguage: a link opened in a browser that has
// not chosen a language is in the language the admin set for the
// account.
func TestLinkPageInTheAccountsLanguage(t *testing.T) {
	uw := newUsersWiki(t, usersOptions{})
	carla := uw.signedIn("carla")
	_, body, _ := carla.post("/-/admin/users", url.Values{"name": {"kees"}, "lang": {"en"}, "how": {"invite"}})
	link := linkOn(t, body)
	if code, body, _ := uw.browser().get(link); code != 200 || !strings.Contains(body, "Your user name is kees.") {
		t.Fatalf("the invitation for an English reader: %d\n%s", code, body)
	}
	b := uw.browser()
	b.get("/-/lang/nl?back=/")
	if _, body, _ := b.get(link); !strings.Contains(body, "Je gebruikersnaam is kees.") {
		t.Fatal("the browser's own choice does not win")
	}
}
