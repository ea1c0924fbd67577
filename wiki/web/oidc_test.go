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

// oidcPerson is a person at the test's identity provider, with the claims
// a real one sends (mockoidc's own user has no "name").
type oidcPerson struct {
	mockoidc.MockUser
	Name string
}

func (p *oidcPerson) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &struct {
		*mockoidc.IDTokenClaims
		Name              string   `json:"name,omitempty"`
		Email             string   `json:"email,omitempty"`
		EmailVerified     bool     `json:"email_verified"`
		PreferredUsername string   `json:"preferred_username,omitempty"`
		Groups            []string `json:"groups,omitempty"`
	}{base, p.Name, p.Email, p.EmailVerified, p.PreferredUsername, p.Groups}, nil
}

// TestOIDCEndToEnd signs in through a real OpenID Connect provider
// started in the test (mockoidc: real HTTP, RSA-signed ID tokens, PKCE),
// then saves a page and checks that the commit's author is that person.
func TestOIDCEndToEnd(t *testing.T) {
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })
	cfg := idp.Config()
	aw := newAuthWiki(t, authOptions{
		policy: wiki.Policy{Edit: wiki.Editors, Protected: []wiki.Protected{{Prefix: "Beleid", Groups: []string{"beleidsteam"}}}},
		oidc: func(base string) *web.OIDCConfig {
			return &web.OIDCConfig{
				Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
				RedirectURL: base + "/-/oidc/callback",
				Scopes:      []string{"profile", "email", "groups"},
				RoleClaim:   "groups", AdminValues: []string{"wiki-admins"}, EditorValues: []string{"wiki-editors"},
			}
		},
	})
	fatima := &oidcPerson{Name: "Fatima el Amrani", MockUser: mockoidc.MockUser{Subject: "f-1234", Email: "fatima@gemeente.example.nl",
		EmailVerified: true, PreferredUsername: "fatima.elamrani", Groups: []string{"wiki-editors", "beleidsteam"}}}

	// signIn follows the redirects a browser would: wiki -> provider ->
	// wiki's callback, the wiki's cookies in b's jar.
	signIn := func(b *browser, next string) (int, string, http.Header) {
		t.Helper()
		code, _, hdr := b.get("/-/login/oidc?next=" + url.QueryEscape(next))
		if code != http.StatusFound || !strings.HasPrefix(hdr.Get("Location"), cfg.Issuer) {
			t.Fatalf("start: %d to %q", code, hdr.Get("Location"))
		}
		auth, _ := url.Parse(hdr.Get("Location"))
		q := auth.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") {
			t.Fatalf("authorization request lacks PKCE, nonce, state or scope: %v", q)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(auth.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		callback := resp.Header.Get("Location")
		if !strings.HasPrefix(callback, aw.srv.URL+"/-/oidc/callback?") {
			t.Fatalf("the provider answers %d to %q", resp.StatusCode, callback)
		}
		return b.get(strings.TrimPrefix(callback, aw.srv.URL))
	}

	b := aw.browser()
	idp.QueueUser(fatima)
	code, body, hdr := signIn(b, "/WMO-loket/Ontwerp")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/WMO-loket/Ontwerp" {
		t.Fatalf("callback: %d to %q\n%s", code, hdr.Get("Location"), body)
	}
	u, err := aw.accounts.User(context.Background(), "fatima.elamrani")
	if err != nil || u.Role != wiki.RoleEditor || u.DisplayName != "Fatima el Amrani" || u.Email != "fatima@gemeente.example.nl" || !u.InGroup("beleidsteam") {
		t.Fatalf("account after single sign-on: %+v %v", u, err)
	}
	if _, body, _ := b.get("/WMO-loket/Ontwerp"); !strings.Contains(body, "Ingelogd als Fatima el Amrani") {
		t.Fatal("the page does not show Fatima signed in")
	}
	name := "WMO-loket/Ontwerp"
	code, body, _ = b.post("/-/edit/"+name, url.Values{"content": {"Door Fatima\n"}, "base": {aw.revision(name)}, "author_name": {"Niet Fatima"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save after single sign-on: %d\n%s", code, body)
	}
	if a := aw.lastAuthor(); a != (wiki.Author{Name: "Fatima el Amrani", Email: "fatima@gemeente.example.nl"}) {
		t.Fatalf("commit author %+v", a)
	}
	hist, err := aw.repo.History(context.Background(), wiki.Name(name), wiki.HistoryQuery{Limit: 1})
	if err != nil || len(hist) != 1 || hist[0].Author.Name != "Fatima el Amrani" {
		t.Fatalf("the page's history: %+v %v", hist, err)
	}
	// Her group opens Beleid/.
	if code, _, _ := b.post("/-/edit/Beleid/Visie", url.Values{"content": {"Visie door Fatima\n"}, "base": {aw.revision("Beleid/Visie")}}); code != http.StatusSeeOther {
		t.Fatalf("beleidsteam member saves Beleid/Visie: %d", code)
	}
	if !aw.audited("signin", "fatima.elamrani", "single sign-on") {
		t.Error("the sign-in is not in the audit log")
	}

	// The provider decides the role at every sign-in: without the editor
	// group she comes back as a reader.
	fatima.Groups = []string{"iedereen"}
	idp.QueueUser(fatima)
	b2 := aw.browser()
	if code, _, _ := signIn(b2, "/"); code != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", code)
	}
	if code, _, _ := b2.get("/-/edit/" + name); code != 403 {
		t.Fatalf("a reader by claims opens the editor: %d", code)
	}
	// An admin value makes an admin, on the same account.
	fatima.Groups = []string{"wiki-admins"}
	idp.QueueUser(fatima)
	b3 := aw.browser()
	signIn(b3, "/")
	if code, _, _ := b3.get("/-/admin"); code != 200 {
		t.Fatalf("an admin by claims opens admin: %d", code)
	}
	if users, _ := aw.accounts.List(context.Background()); len(users) != 5 {
		t.Fatalf("single sign-on made %d accounts, want one more than the 4", len(users))
	}

	// A callback whose state is not the one the browser started with is
	// refused, as is one without the browser's cookie.
	idp.QueueUser(fatima)
	b4 := aw.browser()
	code, _, hdr = b4.get("/-/login/oidc")
	if code != http.StatusFound && code != http.StatusSeeOther {
		t.Fatalf("start of the OIDC sign-in: %d", code)
	}
	auth, _ := url.Parse(hdr.Get("Location"))
	q := auth.Query()
	q.Set("state", "forged")
	auth.RawQuery = q.Encode()
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(auth.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, _, _ := b4.get(strings.TrimPrefix(resp.Header.Get("Location"), aw.srv.URL)); code != 401 {
		t.Fatalf("a callback with a forged state: %d", code)
	}
	if code, _, _ := aw.browser().get("/-/oidc/callback?code=x&state=y"); code != 401 {
		t.Fatalf("a callback without the cookie: %d", code)
	}
	if !aw.audited("signin-failed", "", "single sign-on") {
		t.Error("failed single sign-on is not in the audit log")
	}
}

func TestOIDCLoginPageOffersSingleSignOn(t *testing.T) {
	aw := newAuthWiki(t, authOptions{oidc: func(base string) *web.OIDCConfig {
		return &web.OIDCConfig{Issuer: "http://127.0.0.1:1/nowhere", ClientID: "wiki", RedirectURL: base + "/-/oidc/callback"}
	}})
	_, body, _ := aw.browser().get("/-/login?next=/Home")
	if !strings.Contains(body, `href="/-/login/oidc?next=%2FHome"`) {
		t.Fatalf("no single sign-on link:\n%s", body)
	}
	// An unreachable provider is an error page, not a crash, and the
	// next attempt tries again.
	if code, _, _ := aw.browser().get("/-/login/oidc"); code != 500 {
		t.Fatalf("unreachable provider: %d", code)
	}
}
