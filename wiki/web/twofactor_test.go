package web_test

import (
	"context"
	"encoding/json"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

var (
	secretOnPage   = regexp.MustCompile(`id="wwTfSecret"[^>]*>([A-Z2-7 ]+)<`)
	recoveryOnPage = regexp.MustCompile(`<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>`)
)

// totpAt is the code an authenticator app shows at t.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolOnWeb sets up TOTP through the account page as a person would:
// start, read the secret off the page, confirm with a code. It returns
// the secret and the recovery codes the page shows.
func enrolOnWeb(t *testing.T, b *browser) (string, []string) {
	t.Helper()
	if code, body, _ := b.get("/-/account/2fa"); code != 200 || !strings.Contains(body, `id="wwTfStart"`) {
		t.Fatalf("2fa page before enrolment: %d\n%s", code, body)
	}
	if code, _, hdr := b.post("/-/account/2fa/start", url.Values{}); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/-/account/2fa") {
		t.Fatalf("start: %d to %q", code, hdr.Get("Location"))
	}
	_, body, _ := b.get("/-/account/2fa")
	m := secretOnPage.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	if !strings.Contains(body, `<img src="/-/account/2fa/qr.png"`) {
		t.Fatal("no QR code on the page")
	}
	code, body, _ := b.post("/-/account/2fa/confirm", url.Values{"code": {totpAt(t, secret, time.Now())}})
	if code != 200 {
		t.Fatalf("confirm: %d\n%s", code, body)
	}
	var codes []string
	for _, m := range recoveryOnPage.FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes on the page, want 10:\n%s", len(codes), body)
	}
	return secret, codes
}

// passwordStep signs in with a password and expects the code step.
func passwordStep(t *testing.T, aw *authWiki, name string) *browser {
	t.Helper()
	b := aw.browser()
	b.get("/-/login")
	code, _, hdr := b.post("/-/login", url.Values{"name": {name}, "password": {passwords[name]}, "next": {"/WMO-loket/Ontwerp"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/login/2fa" {
		t.Fatalf("password of %s: %d to %q, want the code step", name, code, hdr.Get("Location"))
	}
	if code, _, _ := b.get("/-/account"); code != http.StatusUnauthorized {
		t.Fatalf("before the code, the account page answers %d: a session was started", code)
	}
	if code, _, _ := b.get("/-/login/2fa"); code != 200 {
		t.Fatalf("code step: %d", code)
	}
	return b
}

func TestTwoFactorEnrolmentAndSignIn(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	b := aw.signedIn("anna")
	secret, codes := enrolOnWeb(t, b)
	if u, _ := aw.accounts.User(context.Background(), "anna"); !u.TwoFactor {
		t.Fatal("anna has no second factor after confirming")
	}
	if !aw.audited("2fa-enrolled", "anna", "") {
		t.Error("the enrolment is not in the audit log")
	}
	// The codes are shown once: not on the page any more.
	if _, body, _ := b.get("/-/account/2fa"); recoveryOnPage.MatchString(body) || secretOnPage.MatchString(body) || !strings.Contains(body, `id="wwTfStatus"`) {
		t.Fatalf("the page after enrolment shows secrets again, or no status:\n%s", body)
	}
	b.post("/-/logout", url.Values{})

	// Password, then a wrong code: no session.
	b = passwordStep(t, aw, "anna")
	code, body, _ := b.post("/-/login/2fa", url.Values{"code": {totpAt(t, secret, time.Now().Add(10*time.Minute))}})
	if code != http.StatusUnauthorized || !strings.Contains(body, `id="wwCodeError"`) {
		t.Fatalf("wrong code: %d\n%s", code, body)
	}
	if !aw.audited("signin-failed", "anna", "second step") {
		t.Error("the wrong code is not in the audit log")
	}
	// The next step's code (the enrolment used this one).
	next := totpAt(t, secret, time.Now().Add(30*time.Second))
	code, _, hdr := b.post("/-/login/2fa", url.Values{"code": {next}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/WMO-loket/Ontwerp" {
		t.Fatalf("right code: %d to %q", code, hdr.Get("Location"))
	}
	if code, _, _ := b.get("/-/account"); code != 200 {
		t.Fatalf("signed in with two steps, the account page answers %d", code)
	}
	if !aw.audited("signin", "anna", "password and totp") {
		t.Error("the two-step sign-in is not in the audit log")
	}

	// The same code once more, in another browser: refused.
	b2 := passwordStep(t, aw, "anna")
	if code, _, _ := b2.post("/-/login/2fa", url.Values{"code": {next}}); code != http.StatusUnauthorized {
		t.Fatalf("a reused code: %d", code)
	}
	// A recovery code works, once.
	code, _, hdr = b2.post("/-/login/2fa", url.Values{"code": {codes[0]}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/account/2fa" {
		t.Fatalf("recovery code: %d to %q", code, hdr.Get("Location"))
	}
	if _, body, _ := b2.get("/-/account/2fa"); !strings.Contains(body, "9.") {
		t.Fatalf("the 2fa page does not say 9 codes are left:\n%s", body)
	}
	b3 := passwordStep(t, aw, "anna")
	if code, _, _ := b3.post("/-/login/2fa", url.Values{"code": {codes[0]}}); code != http.StatusUnauthorized {
		t.Fatalf("a recovery code used twice: %d", code)
	}
	if !aw.audited("2fa-recovery-used", "anna", "9 recovery codes left") {
		t.Error("the recovery code's use is not in the audit log")
	}

	// Without the cookie of a right password, the code form is refused.
	if code, _, _ := aw.browser().post("/-/login/2fa", url.Values{"code": {codes[1]}}); code != http.StatusUnauthorized {
		t.Fatalf("code step without a password: %d", code)
	}

	// New recovery codes replace the old ones.
	code, body, _ = b2.post("/-/account/2fa/recovery", url.Values{})
	if code != 200 || len(recoveryOnPage.FindAllString(body, -1)) != 10 {
		t.Fatalf("new recovery codes: %d\n%s", code, body)
	}
	fresh := recoveryOnPage.FindStringSubmatch(body)[1]
	b4 := passwordStep(t, aw, "anna")
	if code, _, _ := b4.post("/-/login/2fa", url.Values{"code": {codes[2]}}); code != http.StatusUnauthorized {
		t.Fatalf("an old recovery code after new ones were made: %d", code)
	}
	if code, _, _ := b4.post("/-/login/2fa", url.Values{"code": {fresh}}); code != http.StatusSeeOther {
		t.Fatalf("a new recovery code: %d", code)
	}

	// Switching it off needs proof: a wrong password changes nothing.
	if code, _, _ := b4.post("/-/account/2fa/disable", url.Values{"proof": {"niet het wachtwoord"}}); code != http.StatusBadRequest {
		t.Fatalf("disable with a wrong password: %d", code)
	}
	if u, _ := aw.accounts.User(context.Background(), "anna"); !u.TwoFactor {
		t.Fatal("switched off with a wrong password")
	}
	if code, _, hdr := b4.post("/-/account/2fa/disable", url.Values{"proof": {passwords["anna"]}}); code != http.StatusSeeOther || hdr.Get("Location") != "/-/account/2fa?done=disabled" {
		t.Fatalf("disable with the password: %d to %q", code, hdr.Get("Location"))
	}
	if u, _ := aw.accounts.User(context.Background(), "anna"); u.TwoFactor {
		t.Fatal("still on after switching off")
	}
	aw.signedIn("anna") // a password alone again
	if !aw.audited("2fa-disabled", "anna", "") || !aw.audited("2fa-disable-failed", "anna", "") {
		t.Error("switching off (and the failed try) is not in the audit log")
	}
}

func TestTwoFactorQRCode(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	b := aw.signedIn("anna")
	if code, _, _ := b.get("/-/account/2fa/qr.png"); code != http.StatusNotFound {
		t.Fatalf("QR code before an enrolment was started: %d", code)
	}
	b.post("/-/account/2fa/start", url.Values{})
	req, _ := http.NewRequest(http.MethodGet, aw.srv.URL+"/-/account/2fa/qr.png", nil)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("QR code: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	img, err := png.Decode(resp.Body)
	if err != nil || img.Bounds().Dx() != 256 {
		t.Fatalf("QR code image: %v %v", img, err)
	}
	if code, _, _ := aw.browser().get("/-/account/2fa/qr.png"); code != http.StatusUnauthorized {
		t.Fatalf("QR code without signing in: %d", code)
	}
	// A wrong first code keeps the enrolment pending.
	code, body, _ := b.post("/-/account/2fa/confirm", url.Values{"code": {"000000"}})
	if code != http.StatusBadRequest || !strings.Contains(body, `id="wwTfError"`) || !secretOnPage.MatchString(body) {
		t.Fatalf("wrong first code: %d\n%s", code, body)
	}
	if u, _ := aw.accounts.User(context.Background(), "anna"); u.TwoFactor {
		t.Fatal("enrolled by a wrong code")
	}
}

func TestTwoFactorCodesAreRateLimited(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	aw := newAuthWiki(t, authOptions{now: func() time.Time { return now }})
	b := aw.signedIn("anna")
	secret, _ := enrolOnWeb(t, b)
	b = passwordStep(t, aw, "anna")
	wrong := totpAt(t, secret, time.Now().Add(time.Hour))
	var last int
	var hdr http.Header
	for range 8 {
		last, _, hdr = b.post("/-/login/2fa", url.Values{"code": {wrong}})
	}
	if last != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Fatalf("after 8 wrong codes: %d (Retry-After %q)", last, hdr.Get("Retry-After"))
	}
	// Even the right code waits now.
	if code, _, _ := b.post("/-/login/2fa", url.Values{"code": {totpAt(t, secret, time.Now().Add(30*time.Second))}}); code != http.StatusTooManyRequests {
		t.Fatalf("right code during the back-off: %d", code)
	}
}

func TestTwoFactorBasicAuth(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	b := aw.signedIn("anna")
	// A token made before or after enrolment keeps working.
	_, body, _ := b.post("/-/account/tokens", url.Values{"label": {"laptop git"}})
	token := regexp.MustCompile(`id="wwSecret">([^<]+)<`).FindStringSubmatch(body)
	if token == nil {
		t.Fatalf("no token on the page:\n%s", body)
	}
	enrolOnWeb(t, b)
	code, body, _ := aw.basic("anna", passwords["anna"], http.MethodGet, "/-/api/pages", "")
	if code != http.StatusUnauthorized || !strings.Contains(body, "personal access token") {
		t.Fatalf("Basic with the password of an enrolled user: %d %s", code, body)
	}
	if !aw.audited("signin-failed", "anna", "HTTP Basic with a password") {
		t.Error("the refused password is not in the audit log")
	}
	if code, body, _ := aw.basic("anna", html.UnescapeString(token[1]), http.MethodGet, "/-/api/pages", ""); code != 200 {
		t.Fatalf("Basic with a token: %d %s", code, body)
	}
	// Someone without a second factor still may use their password.
	if code, _, _ := aw.basic("dirk", passwords["dirk"], http.MethodGet, "/-/api/pages", ""); code != 200 {
		t.Fatalf("Basic with the password of a user without 2fa: %d", code)
	}
}

func TestRequireTwoFactorAdmins(t *testing.T) {
	aw := newAuthWiki(t, authOptions{configure: func(c *web.Config) { c.RequireTwoFactor = web.TwoFactorAdmins }})
	carla := aw.signedIn("carla")
	for _, p := range []string{"/Home", "/-/admin", "/-/account", "/-/recent"} {
		code, _, hdr := carla.get(p)
		if code != http.StatusSeeOther || hdr.Get("Location") != "/-/account/2fa" {
			t.Fatalf("an admin without 2fa opens %s: %d to %q", p, code, hdr.Get("Location"))
		}
	}
	code, body, _ := carla.get("/-/account/2fa")
	if code != 200 || !strings.Contains(body, `id="wwTfRequired"`) {
		t.Fatalf("the 2fa page does not say why: %d\n%s", code, body)
	}
	if code, _, _ := carla.get("/-/static/wikiwerk.css"); code != 200 {
		t.Fatalf("static files during enrolment: %d", code)
	}
	code, body, _ = carla.api(http.MethodGet, "/-/api/pages", "")
	if code != http.StatusForbidden || !strings.Contains(body, "/-/account/2fa") {
		t.Fatalf("API with the session of an admin without 2fa: %d %s", code, body)
	}
	if code, _, _ := aw.basic("carla", passwords["carla"], http.MethodGet, "/-/api/pages", ""); code != http.StatusUnauthorized {
		t.Fatalf("Basic with the password of an admin without 2fa: %d", code)
	}
	secret, _, err := aw.accounts.NewToken(context.Background(), "carla", "script")
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := aw.basic("carla", secret, http.MethodGet, "/-/api/pages", ""); code != 200 {
		t.Fatalf("a token of an admin without 2fa: %d", code)
	}
	// Editors are not asked.
	anna := aw.signedIn("anna")
	if code, _, _ := anna.get("/Home"); code != 200 {
		t.Fatalf("an editor without 2fa opens a page: %d", code)
	}
	if code, _, _ := anna.api(http.MethodGet, "/-/api/pages", ""); code != 200 {
		t.Fatalf("an editor without 2fa uses the API: %d", code)
	}
	// Once enrolled, the admin carries on; they cannot switch it off.
	enrolOnWeb(t, carla)
	if code, _, _ := carla.get("/-/admin"); code != 200 {
		t.Fatalf("an enrolled admin opens admin: %d", code)
	}
	if code, _, _ := carla.post("/-/account/2fa/disable", url.Values{"proof": {passwords["carla"]}}); code != http.StatusForbidden {
		t.Fatalf("an admin who must have 2fa switches it off: %d", code)
	}
	// Sign-out works during enrolment too.
	dirk := aw.signedIn("dirk")
	if err := aw.accounts.SetRole(context.Background(), wiki.Actor{Name: "carla", IP: "192.0.2.1"}, "dirk", wiki.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if code, _, hdr := dirk.get("/Home"); code != http.StatusSeeOther || hdr.Get("Location") != "/-/account/2fa" {
		t.Fatalf("a new admin is not sent to enrol: %d %q", code, hdr.Get("Location"))
	}
	if code, _, hdr := dirk.post("/-/logout", url.Values{}); code != http.StatusSeeOther || hdr.Get("Location") != "/" {
		t.Fatalf("sign-out of an admin without 2fa: %d to %q", code, hdr.Get("Location"))
	}
}

func TestTwoFactorAdminReset(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	enrolOnWeb(t, aw.signedIn("anna"))
	carla := aw.signedIn("carla")
	if code, _, _ := aw.signedIn("dirk").api(http.MethodPost, "/-/api/users/anna/2fa/reset", "{}"); code != http.StatusForbidden {
		t.Fatalf("an editor resets 2fa: %d", code)
	}
	if code, _, _ := carla.api(http.MethodPost, "/-/api/users/carla/2fa/reset", "{}"); code != http.StatusForbidden {
		t.Fatalf("an admin resets their own 2fa: %d", code)
	}
	code, body, _ := carla.api(http.MethodPost, "/-/api/users/anna/2fa/reset", "{}")
	var got struct {
		Name      string `json:"name"`
		TwoFactor bool   `json:"two_factor"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || got.Name != "anna" || got.TwoFactor {
		t.Fatalf("reset: %d %s", code, body)
	}
	aw.signedIn("anna") // the password alone again
	if code, _, _ := carla.api(http.MethodPost, "/-/api/users/anna/2fa/reset", "{}"); code != http.StatusNotFound {
		t.Fatalf("reset of a user without 2fa: %d", code)
	}
	if code, _, _ := carla.api(http.MethodPost, "/-/api/users/niemand/2fa/reset", "{}"); code != http.StatusNotFound {
		t.Fatalf("reset of an unknown user: %d", code)
	}
	// The form on the admin pages does the same and shows the log.
	enrolOnWeb(t, aw.signedIn("anna"))
	code, _, hdr := carla.post("/-/admin/users/anna/2fa/reset", url.Values{})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/admin/audit?object=anna" {
		t.Fatalf("reset form: %d to %q", code, hdr.Get("Location"))
	}
	_, body, _ = carla.get(hdr.Get("Location"))
	if !strings.Contains(body, `<code class="audit-code">2fa-reset</code>`) {
		t.Fatalf("the audit page does not show the reset:\n%s", body)
	}
}

func TestAuditLogPage(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	ctx := context.Background()
	for i := range 60 {
		e := wiki.AuditEvent{Kind: "signin", Actor: "anna", Subject: "anna", IP: "192.0.2.1", Detail: "nummer " + string(rune('A'+i%26))}
		if i%10 == 0 {
			e = wiki.AuditEvent{Kind: "signin-failed", Subject: "bram", IP: "192.0.2.66", Detail: "password"}
		}
		if err := aw.accounts.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, _ := aw.signedIn("anna").get("/-/admin/audit"); code != http.StatusForbidden {
		t.Fatalf("an editor opens the audit log: %d", code)
	}
	if code, _, _ := aw.browser().get("/-/admin/audit"); code != http.StatusUnauthorized {
		t.Fatalf("anonymous opens the audit log: %d", code)
	}
	carla := aw.signedIn("carla")
	rows := regexp.MustCompile(`<tr class="result-`)
	code, body, _ := carla.get("/-/admin/audit")
	// 60 recorded, plus sign-ins of anna and carla and the denial.
	if code != 200 || len(rows.FindAllString(body, -1)) != 50 {
		t.Fatalf("first page: %d, %d rows", code, len(rows.FindAllString(body, -1)))
	}
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no link to older entries")
	}
	_, body, _ = carla.get(html.UnescapeString(next[1]))
	if n := len(rows.FindAllString(body, -1)); n == 0 || n >= 50 {
		t.Fatalf("second page: %d rows", n)
	}
	_, body, _ = carla.get("/-/admin/audit?result=failure")
	if n := len(rows.FindAllString(body, -1)); n != 6 || !strings.Contains(body, "192.0.2.66") || strings.Contains(body, "<td>signin</td>") {
		t.Fatalf("failures only: %d rows\n%s", n, body)
	}
	_, body, _ = carla.get("/-/admin/audit?action=denied&actor=anna")
	if n := len(rows.FindAllString(body, -1)); n != 1 || !strings.Contains(body, "/-/admin/audit") {
		t.Fatalf("anna's denial: %d rows\n%s", n, body)
	}
	today := time.Now().UTC().Format("2006-01-02")
	_, body, _ = carla.get("/-/admin/audit?object=bram&result=failure&since=" + today + "&until=" + today)
	if n := len(rows.FindAllString(body, -1)); n != 6 {
		t.Fatalf("bram today: %d rows", n)
	}
	_, body, _ = carla.get("/-/admin/audit?until=2000-01-01")
	if n := len(rows.FindAllString(body, -1)); n != 0 {
		t.Fatalf("before 2000: %d rows", n)
	}
	if code, _, _ := carla.get("/-/admin/audit?since=gisteren"); code != http.StatusBadRequest {
		t.Fatalf("a bad date: %d", code)
	}
	if code, _, _ := carla.get("/-/admin/audit?before=zz"); code != http.StatusBadRequest {
		t.Fatalf("a bad cursor: %d", code)
	}
}

// TestAuditEventsCarryAllFields does each kind of audited thing once and
// checks that its record has action, object, result, origin, actor and
// time.
func TestAuditEventsCarryAllFields(t *testing.T) {
	aw := newAuthWiki(t, authOptions{policy: wiki.Policy{Edit: wiki.Editors, Protected: []wiki.Protected{{Prefix: "Beleid"}}}})
	ctx := context.Background()
	admin := wiki.Actor{Name: "carla", IP: "192.0.2.1"}

	// Sign-in, failures of both steps, sign-out.
	b := aw.browser()
	b.get("/-/login")
	b.post("/-/login", url.Values{"name": {"anna"}, "password": {"fout wachtwoord hier"}})
	anna := aw.signedIn("anna")
	_, codes := enrolOnWeb(t, anna)
	b = passwordStep(t, aw, "anna")
	b.post("/-/login/2fa", url.Values{"code": {"000000"}})
	b.post("/-/login/2fa", url.Values{"code": {codes[0]}})
	anna.post("/-/logout", url.Values{})
	// Tokens (b is anna now, signed in with a recovery code).
	b.post("/-/account/tokens", url.Values{"label": {"git"}})
	tokens, _ := aw.accounts.Tokens(ctx, "anna")
	if len(tokens) != 1 {
		t.Fatalf("tokens: %v", tokens)
	}
	tokenSecret, _, _ := aw.accounts.NewToken(ctx, "anna", "push")
	b.post("/-/account/tokens/revoke", url.Values{"id": {tokens[0].ID}})
	// Accounts, role, groups, disabling: the store records them.
	if _, err := aw.accounts.CreateBy(ctx, admin, wiki.User{Name: "erik"}, "erik heeft een lang wachtwoord"); err != nil {
		t.Fatal(err)
	}
	aw.accounts.SetRole(ctx, admin, "erik", wiki.RoleEditor)
	aw.accounts.SetGroups(ctx, admin, "erik", []string{"beleidsteam"})
	aw.accounts.SetDisabled(ctx, admin, "erik", true)
	// A denial.
	aw.signedIn("bram").post("/-/edit/Home", url.Values{"content": {"x"}, "base": {aw.revision("Home")}})
	aw.accounts.SetPassword(ctx, admin, "bram", "bram heeft een nieuw wachtwoord")
	// A push with a token, and one refused by a protected folder.
	push := httptest.NewRequest(http.MethodPost, "/wiki.git/git-receive-pack", nil)
	push.RemoteAddr = "192.0.2.44:5555"
	push.SetBasicAuth("anna", tokenSecret)
	u, err := aw.server.GitUser(push)
	if err != nil {
		t.Fatal(err)
	}
	if err := aw.server.AuthorizePush(push, u, []string{"WMO-loket/Ontwerp.md"}); err != nil {
		t.Fatal(err)
	}
	if err := aw.server.AuthorizePush(push, u, []string{"Beleid/Visie.md"}); err == nil {
		t.Fatal("a push into a protected folder was let through")
	}
	// 2FA reset by an admin.
	carla := aw.signedIn("carla")
	carla.api(http.MethodPost, "/-/api/users/anna/2fa/reset", "{}")
	// Disabling it oneself.
	dirk := aw.signedIn("dirk")
	enrolOnWeb(t, dirk)
	dirk.post("/-/account/2fa/disable", url.Values{"proof": {passwords["dirk"]}})
	// Settings at start.
	aw.accounts.RecordSettings(ctx, map[string]string{"require-2fa": "admins"})

	page, err := aw.accounts.QueryAudit(ctx, wiki.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind, detail, object, result, actor string
	}{
		{"signin", "password and recovery code", "anna", wiki.AuditSuccess, "anna"},
		{"signin-failed", "password", "anna", wiki.AuditFailure, "anonymous"},
		{"signin-failed", "second step", "anna", wiki.AuditFailure, "anonymous"},
		{"signout", "", "anna", wiki.AuditSuccess, "anna"},
		{"2fa-enrolled", "", "anna", wiki.AuditSuccess, "anna"},
		{"2fa-recovery-used", "", "anna", wiki.AuditSuccess, "anna"},
		{"2fa-reset", "", "anna", wiki.AuditSuccess, "carla"},
		{"2fa-disabled", "", "dirk", wiki.AuditSuccess, "dirk"},
		{"token-created", "git", "anna", wiki.AuditSuccess, "anna"},
		{"token-revoked", "", "anna", wiki.AuditSuccess, "anna"},
		{"user-created", "", "erik", wiki.AuditSuccess, "carla"},
		{"role", "editor", "erik", wiki.AuditSuccess, "carla"},
		{"groups", "beleidsteam", "erik", wiki.AuditSuccess, "carla"},
		{"disable", "", "erik", wiki.AuditSuccess, "carla"},
		{"password", "", "bram", wiki.AuditSuccess, "carla"},
		{"denied", "POST /-/edit/Home", "Home", wiki.AuditDenied, "bram"},
		{"push", "personal access token", "WMO-loket/Ontwerp.md", wiki.AuditSuccess, "anna"},
		{"denied", "", "Beleid/Visie", wiki.AuditDenied, "anna"},
		{"settings", "admins", "require-2fa", wiki.AuditSuccess, "wikiwerk"},
	} {
		t.Run(tc.kind+" "+tc.detail, func(t *testing.T) {
			for _, e := range page.Events {
				if e.Kind != tc.kind || !strings.Contains(e.Detail, tc.detail) || e.Subject != tc.object {
					continue
				}
				if e.Time.IsZero() || e.IP == "" || e.Actor == "" || e.Result == "" {
					t.Fatalf("incomplete: %+v", e)
				}
				if e.Result != tc.result || e.Actor != tc.actor {
					t.Fatalf("%+v: want result %s, actor %s", e, tc.result, tc.actor)
				}
				if strings.Contains(e.Detail, tokenSecret) || strings.Contains(e.Detail, codes[0]) || strings.Contains(e.Detail, "wachtwoord") {
					t.Fatalf("a secret in the record: %+v", e)
				}
				if tc.kind == "push" && e.IP != "192.0.2.44" {
					t.Fatalf("push origin %q", e.IP)
				}
				return
			}
			t.Fatalf("no %s event with %q about %s", tc.kind, tc.detail, tc.object)
		})
	}
}
