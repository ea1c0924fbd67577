package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// OIDCConfig configures single sign-on with an OpenID Connect provider
// (Keycloak, Microsoft Entra ID, ...), using the authorization code flow
// with PKCE, state and nonce.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// at the first sign-in.
	Issuer string
	// ClientID and ClientSecret identify the wiki at the provider.
	ClientID, ClientSecret string
	// RedirectURL is this wiki's callback as registered at the provider,
	// e.g. https://wiki.example.nl/-/oidc/callback.
	RedirectURL string
	// Scopes are requested besides "openid"; default "profile", "email".
	Scopes []string
	// RoleClaim names the claim whose values decide the role, e.g.
	// "groups", "roles" or "realm_access.roles" (a dot descends into an
	// object); default "groups".
	RoleClaim string
	// AdminValues and EditorValues are the values of RoleClaim that make
	// someone an admin or an editor; anyone else is a reader. The provider
	// decides: the role is set again at every sign-in.
	AdminValues, EditorValues []string
	// HTTPClient talks to the provider; default a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// RequireMFA refuses a sign-in whose ID token does not say, in its
	// amr claim, that the provider used a second factor (oidc_mfa.go).
	RequireMFA bool
	// ACR, when set, is asked for (acr_values) and required: the ID
	// token's acr claim must equal it.
	ACR string
}

// oidcCookie keeps state, nonce and PKCE verifier between the redirect to
// the provider and the callback, encrypted and signed.
const (
	oidcCookie    = "wikiwerk_oidc"
	oidcCookieAge = 10 * time.Minute
)

// oidcClient is the wiki's side of the provider. Discovery happens at the
// first sign-in, and is retried at the next one when the provider was not
// reachable, so that the wiki starts without it.
type oidcClient struct {
	cfg    OIDCConfig
	client *http.Client

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDCClient(cfg OIDCConfig) *oidcClient {
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "groups"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"profile", "email"}
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcClient{cfg: cfg, client: client}
}

// context carries the HTTP client to go-oidc and oauth2, which take it
// from there.
func (c *oidcClient) context(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, c.client)
}

// setup discovers the provider once.
func (c *oidcClient) setup(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.oauth != nil {
		return c.oauth, c.verifier, nil
	}
	provider, err := oidc.NewProvider(c.context(ctx), c.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("single sign-on provider %s: %w", c.cfg.Issuer, err)
	}
	scopes := []string{oidc.ScopeOpenID}
	for _, sc := range c.cfg.Scopes {
		if sc != oidc.ScopeOpenID && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	c.oauth = &oauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		RedirectURL:  c.cfg.RedirectURL,
		Endpoint:     provider.Endpoint(),
		Scopes:       scopes,
	}
	c.verifier = provider.Verifier(&oidc.Config{ClientID: c.cfg.ClientID})
	return c.oauth, c.verifier, nil
}

// oidcState is what the oidc cookie holds.
type oidcState struct {
	State, Nonce, Verifier, Next string
}

// handleOIDCStart sends the browser to the provider.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return fmt.Errorf("%w: single sign-on is not set up on this wiki", wiki.ErrNotFound)
	}
	oauth, _, err := s.oidc.setup(r.Context())
	if err != nil {
		return err
	}
	st := oidcState{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		Next: localPath(r.URL.Query().Get("next"))}
	v, err := s.cookies.encode(oidcCookie, st)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: v, Path: "/-/oidc/", MaxAge: int(oidcCookieAge / time.Second),
		HttpOnly: true, Secure: s.isHTTPS(r), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, oauth.AuthCodeURL(st.State, s.oidc.authOptions(st)...), http.StatusFound)
	return nil
}

// handleOIDCCallback finishes the sign-in: it checks state, exchanges the
// code with the PKCE verifier, verifies the ID token and its nonce, maps
// the claims onto the account and starts a session.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return fmt.Errorf("%w: single sign-on is not set up on this wiki", wiki.ErrNotFound)
	}
	w.Header().Set("Cache-Control", "no-store")
	u, next, err := s.oidcSignIn(w, r)
	if err != nil {
		e := wiki.AuditEvent{Kind: "signin-failed", Detail: "single sign-on: " + err.Error()}
		var de *deniedError
		if errors.As(err, &de) && de.status == http.StatusForbidden {
			// Signed in at the provider, but not allowed in (no MFA,
			// a disabled account).
			e.Result = wiki.AuditDenied
		}
		s.audit(r, e)
		if !errors.As(err, &de) {
			s.log.Warn("single sign-on failed", "err", err)
			err = &deniedError{status: http.StatusUnauthorized, key: "oidc-failed"}
		}
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.audit(r, wiki.AuditEvent{Kind: "signin", Actor: u.Name, Subject: u.Name, Detail: "single sign-on, role " + string(u.Role)})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) oidcSignIn(w http.ResponseWriter, r *http.Request) (*wiki.User, string, error) {
	q := r.URL.Query()
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return nil, "", &deniedError{status: http.StatusUnauthorized, key: "oidc-expired"}
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/-/oidc/", MaxAge: -1,
		HttpOnly: true, Secure: s.isHTTPS(r), SameSite: http.SameSiteLaxMode})
	var st oidcState
	if err := s.cookies.decode(oidcCookie, c.Value, &st); err != nil {
		return nil, "", &deniedError{status: http.StatusUnauthorized, key: "oidc-expired"}
	}
	if !equalSecret(q.Get("state"), st.State) {
		return nil, "", &deniedError{status: http.StatusUnauthorized, key: "oidc-expired"}
	}
	if e := q.Get("error"); e != "" {
		return nil, "", fmt.Errorf("the provider refused: %.200q %.200q", e, q.Get("error_description"))
	}
	oauth, verifier, err := s.oidc.setup(r.Context())
	if err != nil {
		return nil, "", err
	}
	ctx := s.oidc.context(r.Context())
	tok, err := oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return nil, "", fmt.Errorf("exchange the code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, "", errors.New("the provider sent no ID token")
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return nil, "", fmt.Errorf("verify the ID token: %w", err)
	}
	if !equalSecret(idt.Nonce, st.Nonce) {
		return nil, "", errors.New("the ID token's nonce does not match")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, "", fmt.Errorf("read the ID token's claims: %w", err)
	}
	if err := s.oidc.checkMFA(claims); err != nil {
		return nil, "", err
	}
	mapped, preferred := s.oidc.mapClaims(claims)
	u, err := s.accounts.UpsertExternal(wiki.WithOrigin(r.Context(), s.clientIP(r)), idt.Issuer, idt.Subject, preferred, mapped)
	if errors.Is(err, wiki.ErrUnauthenticated) {
		return nil, "", &deniedError{status: http.StatusForbidden, key: "oidc-disabled"}
	}
	if err != nil {
		return nil, "", err
	}
	return u, st.Next, nil
}

// mapClaims turns ID token claims into the account's display name, e-mail,
// role and groups, and the preferred login name for a new account.
func (c *oidcClient) mapClaims(claims map[string]any) (u wiki.User, preferred string) {
	str := func(k string) string { v, _ := claims[k].(string); return strings.TrimSpace(v) }
	u.DisplayName = str("name")
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(str("given_name") + " " + str("family_name"))
	}
	if u.DisplayName == "" {
		u.DisplayName = str("preferred_username")
	}
	u.Email = str("email")
	if verified, ok := claims["email_verified"].(bool); ok && !verified {
		// An address the provider has not checked must not become a
		// commit's author.
		u.Email = ""
	}
	preferred = str("preferred_username")
	if preferred == "" {
		preferred = u.Email
	}
	u.Role = wiki.RoleReader
	values := claimValues(claims, c.cfg.RoleClaim)
	switch {
	case anyIn(values, c.cfg.AdminValues):
		u.Role = wiki.RoleAdmin
	case anyIn(values, c.cfg.EditorValues):
		u.Role = wiki.RoleEditor
	}
	if _, ok := claims["groups"]; ok {
		u.Groups = []string{}
		for _, g := range claimValues(claims, "groups") {
			if len(u.Groups) < 100 && usableGroup(g) {
				u.Groups = append(u.Groups, g)
			}
		}
	}
	return u, preferred
}

// claimValues reads a claim that is a string or a list of strings; a dot
// in the name descends into objects ("realm_access.roles").
func claimValues(claims map[string]any, name string) []string {
	var v any = claims
	for part := range strings.SplitSeq(name, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

// usableGroup drops group values the account store would refuse.
func usableGroup(g string) bool {
	return g != "" && len(g) <= 200 && utf8.ValidString(g) &&
		strings.IndexFunc(g, func(r rune) bool { return r == '<' || r == '>' || unicode.IsControl(r) }) < 0
}

// randomString is 32 random bytes, base64url: for state, nonce and the
// setup link.
func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieCodec signs and encrypts values kept in cookies.
type cookieCodec struct {
	sc *securecookie.SecureCookie
}

func newCookieCodec(key []byte) *cookieCodec {
	sc := securecookie.New(subkey(key, "cookie hash"), subkey(key, "cookie block"))
	sc.MaxAge(int(oidcCookieAge / time.Second))
	sc.SetSerializer(securecookie.JSONEncoder{})
	return &cookieCodec{sc: sc}
}

func (c *cookieCodec) encode(name string, v any) (string, error) {
	s, err := c.sc.Encode(name, v)
	if err != nil {
		return "", fmt.Errorf("encode cookie %s: %w", name, err)
	}
	return s, nil
}

func (c *cookieCodec) decode(name, value string, v any) error {
	return c.sc.Decode(name, value, v)
}
