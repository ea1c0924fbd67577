package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// mfaPerson is a person at the test's provider whose ID token says how
// they signed in (amr) and at what level (acr).
type mfaPerson struct {
	mockoidc.MockUser
	AMR []string
	ACR string
}

func (p *mfaPerson) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &struct {
		*mockoidc.IDTokenClaims
		Email             string   `json:"email,omitempty"`
		EmailVerified     bool     `json:"email_verified"`
		PreferredUsername string   `json:"preferred_username,omitempty"`
		AMR               []string `json:"amr,omitempty"`
		ACR               string   `json:"acr,omitempty"`
	}{base, p.Email, p.EmailVerified, p.PreferredUsername, p.AMR, p.ACR}, nil
}

// oidcSignIn follows the redirects of a single sign-on as a browser
// does, and returns the wiki's answer to the callback and the
// authorization request's parameters.
func oidcSignIn(t *testing.T, aw *authWiki, issuer string) (int, string, url.Values, *browser) {
	t.Helper()
	b := aw.browser()
	code, _, hdr := b.get("/-/login/oidc")
	if code != http.StatusFound || !strings.HasPrefix(hdr.Get("Location"), issuer) {
		t.Fatalf("start: %d to %q", code, hdr.Get("Location"))
	}
	auth, _ := url.Parse(hdr.Get("Location"))
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(auth.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, body, _ := b.get(strings.TrimPrefix(resp.Header.Get("Location"), aw.srv.URL))
	return code, body, auth.Query(), b
}

func TestOIDCRequireMFA(t *testing.T) {
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })
	cfg := idp.Config()
	aw := newAuthWiki(t, authOptions{
		oidc: func(base string) *web.OIDCConfig {
			return &web.OIDCConfig{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
				RedirectURL: base + "/-/oidc/callback", RequireMFA: true}
		},
		// An admin signed in through single sign-on is not sent to
		// enrol TOTP: the provider did the second step.
		configure: func(c *web.Config) { c.RequireTwoFactor = web.TwoFactorAll },
	})
	person := func(amr ...string) *mfaPerson {
		return &mfaPerson{MockUser: mockoidc.MockUser{Subject: "g-1", Email: "gert@gemeente.example.nl", EmailVerified: true, PreferredUsername: "gert"}, AMR: amr}
	}
	for _, tc := range []struct {
		amr  []string
		want int
	}{
		{nil, http.StatusForbidden},
		{[]string{"pwd"}, http.StatusForbidden},
		{[]string{"pwd", "kba"}, http.StatusForbidden},
		{[]string{"pwd", "otp"}, http.StatusSeeOther},
		{[]string{"mfa"}, http.StatusSeeOther},
		{[]string{"hwk"}, http.StatusSeeOther},
	} {
		idp.QueueUser(person(tc.amr...))
		code, body, q, b := oidcSignIn(t, aw, cfg.Issuer)
		if code != tc.want {
			t.Errorf("amr %v: %d, want %d\n%s", tc.amr, code, tc.want, body)
		}
		if code == http.StatusSeeOther {
			if code, _, hdr := b.get("/Home"); code != 200 {
				t.Errorf("after single sign-on with MFA, a page answers %d to %q", code, hdr.Get("Location"))
			}
		}
		if q.Has("acr_values") {
			t.Errorf("acr_values asked for without -oidc-acr: %v", q)
		}
		if tc.want == http.StatusForbidden && !strings.Contains(body, "amr") {
			t.Errorf("amr %v: the refusal does not say why:\n%s", tc.amr, body)
		}
	}
	page, err := aw.accounts.QueryAudit(context.Background(), wiki.AuditQuery{Action: "signin-failed", Result: wiki.AuditDenied})
	if err != nil || len(page.Events) != 3 || !strings.Contains(page.Events[0].Detail, "amr") {
		t.Errorf("sign-ins without MFA in the audit log: %+v %v", page.Events, err)
	}
}

func TestOIDCRequireACR(t *testing.T) {
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })
	cfg := idp.Config()
	const level = "http://eidas.europa.eu/LoA/substantial"
	aw := newAuthWiki(t, authOptions{
		policy: wiki.Policy{Edit: wiki.Editors},
		oidc: func(base string) *web.OIDCConfig {
			return &web.OIDCConfig{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
				RedirectURL: base + "/-/oidc/callback", ACR: level}
		},
	})
	p := &mfaPerson{MockUser: mockoidc.MockUser{Subject: "h-1", Email: "hanna@gemeente.example.nl", EmailVerified: true, PreferredUsername: "hanna"}}
	for _, tc := range []struct {
		acr  string
		want int
	}{
		{"", http.StatusForbidden},
		{"http://eidas.europa.eu/LoA/low", http.StatusForbidden},
		{level, http.StatusSeeOther},
	} {
		p.ACR = tc.acr
		idp.QueueUser(p)
		code, body, q, _ := oidcSignIn(t, aw, cfg.Issuer)
		if q.Get("acr_values") != level {
			t.Fatalf("the authorization request does not ask for the level: %v", q)
		}
		if code != tc.want {
			t.Errorf("acr %q: %d, want %d\n%s", tc.acr, code, tc.want, body)
		}
	}
}
