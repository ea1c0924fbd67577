package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds signing in and out, the first-admin setup link and the
// account page with its personal access tokens.

func (s *Server) registerAccountRoutes(r *mux.Router) {
	r.Handle("/-/login", s.html(s.handleLoginForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/login", s.html(s.handleLogin)).Methods(http.MethodPost)
	r.Handle("/-/login/oidc", s.html(s.handleOIDCStart)).Methods(http.MethodGet)
	r.Handle("/-/oidc/callback", s.html(s.handleOIDCCallback)).Methods(http.MethodGet)
	r.Handle("/-/logout", s.html(s.handleLogout)).Methods(http.MethodPost)
	r.Handle("/-/setup", s.html(s.handleSetupForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/setup", s.html(s.handleSetup)).Methods(http.MethodPost)
	r.Handle("/-/account", s.html(s.handleAccount)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/account/tokens", s.html(s.handleTokenCreate)).Methods(http.MethodPost)
	r.Handle("/-/account/tokens/revoke", s.html(s.handleTokenRevoke)).Methods(http.MethodPost)
	r.Handle("/-/admin", s.html(s.handleAdmin)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/admin/users/{user}", s.html(s.handleAdminUser)).Methods(http.MethodPost)
}

// errNoAccounts answers the account pages of a wiki without accounts.
var errNoAccounts = fmt.Errorf("%w: this wiki has no accounts", wiki.ErrNotFound)

type loginData struct {
	base
	// Next is where to go after signing in.
	Next string
	// Login is the name typed, kept after a failed attempt.
	Login string
	// OIDC offers single sign-on.
	OIDC bool
	// OIDCURL starts single sign-on and comes back to Next.
	OIDCURL string
	Error   string
}

func (s *Server) loginData(r *http.Request, next string) loginData {
	next = localPath(next)
	d := loginData{base: s.base(r, "", ""), Next: next, OIDC: s.oidc != nil}
	d.OIDCURL = "/-/login/oidc"
	if next != "/" {
		d.OIDCURL += "?" + url.Values{"next": {next}}.Encode()
	}
	d.Title = d.T("signin")
	return d
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	if s.accounts == nil {
		return errNoAccounts
	}
	return s.render(w, http.StatusOK, "login", s.loginData(r, r.URL.Query().Get("next")))
}

// handleLogin checks a name and password. Failures count towards the
// back-off of the client's address and of the name; while it runs, the
// form answers 429 without checking anything.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if s.accounts == nil {
		return errNoAccounts
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	password := r.PostForm.Get("password")
	d := s.loginData(r, r.PostForm.Get("next"))
	d.Login = name
	w.Header().Set("Cache-Control", "no-store")
	ip := s.clientIP(r)
	if wait := s.limiter.wait(ip, name); wait > 0 {
		re := &retryError{wait: wait}
		setErrorHeaders(w, r, re, http.StatusTooManyRequests, false)
		d.Error = re.message(d.Lang)
		return s.render(w, http.StatusTooManyRequests, "login", d)
	}
	u, err := s.accounts.Authenticate(r.Context(), name, password)
	if err != nil {
		if !errors.Is(err, wiki.ErrUnauthenticated) && !errors.Is(err, wiki.ErrNotFound) && !errors.Is(err, wiki.ErrInvalidInput) {
			return err
		}
		s.limiter.fail(ip, name)
		s.audit(r, wiki.AuditEvent{Kind: "signin-failed", Subject: name, Detail: "password"})
		d.Error = d.T("signin-failed")
		return s.render(w, http.StatusUnauthorized, "login", d)
	}
	if u.TwoFactor {
		// The password was right; the session waits for the code. The
		// back-off is cleared only then, so that a known password does
		// not buy unlimited guesses at the code.
		return s.startSecondStep(w, r, u, d.Next)
	}
	s.limiter.succeed(ip, name)
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.audit(r, wiki.AuditEvent{Kind: "signin", Actor: u.Name, Subject: u.Name, Detail: "password"})
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
	return nil
}

// handleLogout ends the session on the server, so that the cookie is
// worthless even if it was copied.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if id := identityOf(r); id.via == authSession {
		if err := s.accounts.EndSession(r.Context(), id.session); err != nil && !errors.Is(err, wiki.ErrUnauthenticated) && !errors.Is(err, wiki.ErrNotFound) {
			return err
		}
		s.audit(r, wiki.AuditEvent{Kind: "signout", Subject: id.user.Name})
	}
	s.clearSessionCookie(w, r)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// prepareSetup makes the one-time link for the first admin: on a wiki
// without accounts where nobody can edit anonymously, it is the only way
// in besides the wikiwerk user command.
func (s *Server) prepareSetup(ctx context.Context) error {
	if s.accounts == nil || s.policy.Edit == wiki.Anyone {
		return nil
	}
	n, err := s.accounts.Count(ctx)
	if err != nil {
		return fmt.Errorf("count accounts: %w", err)
	}
	if n == 0 {
		s.setupToken = randomString()
	}
	return nil
}

// SetupPath returns the path with the one-time secret that creates the
// first admin ("/-/setup?token=..."), or "" when the wiki needs none. The
// secret lives in memory only and is good for one admin.
func (s *Server) SetupPath() string {
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	if s.setupToken == "" {
		return ""
	}
	return "/-/setup?token=" + s.setupToken
}

type setupData struct {
	base
	Token                     string
	Login, DisplayName, Email string
	Error                     string
}

// checkSetup validates a setup secret; the caller holds setupMu.
func (s *Server) checkSetup(token string) error {
	if s.setupToken == "" || !equalSecret(token, s.setupToken) {
		return fmt.Errorf("%w: this setup link is not valid (any more); an admin can be made with: wikiwerk user add -role admin NAME", wiki.ErrNotFound)
	}
	return nil
}

func (s *Server) handleSetupForm(w http.ResponseWriter, r *http.Request) error {
	s.setupMu.Lock()
	err := s.checkSetup(r.URL.Query().Get("token"))
	s.setupMu.Unlock()
	if err != nil {
		return err
	}
	d := setupData{base: s.base(r, "", ""), Token: r.URL.Query().Get("token")}
	d.Title = d.T("setup-title")
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "setup", d)
}

// handleSetup creates the first admin and signs them in. The lock makes
// the link good for exactly one account, however many tabs submit it.
func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	token := r.PostForm.Get("token")
	if err := s.checkSetup(token); err != nil {
		return err
	}
	d := setupData{base: s.base(r, "", ""), Token: token,
		Login:       strings.TrimSpace(r.PostForm.Get("name")),
		DisplayName: strings.TrimSpace(r.PostForm.Get("display_name")),
		Email:       strings.TrimSpace(r.PostForm.Get("email"))}
	d.Title = d.T("setup-title")
	w.Header().Set("Cache-Control", "no-store")
	if n, err := s.accounts.Count(r.Context()); err != nil {
		return err
	} else if n > 0 {
		s.setupToken = ""
		return fmt.Errorf("%w: the wiki has accounts already; sign in, or ask an admin", wiki.ErrForbidden)
	}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("password2") {
		d.Error = d.T("password-mismatch")
		return s.render(w, http.StatusBadRequest, "setup", d)
	}
	u, err := s.accounts.Create(r.Context(), wiki.User{Name: d.Login, DisplayName: d.DisplayName, Email: d.Email, Role: wiki.RoleAdmin}, password)
	if err != nil {
		status := statusOf(err)
		if status >= 500 {
			return err
		}
		d.Error = publicMessage(err, status)
		return s.render(w, status, "setup", d)
	}
	s.setupToken = ""
	s.audit(r, wiki.AuditEvent{Kind: "signin", Actor: u.Name, Subject: u.Name, Detail: "first admin, through the setup link"})
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/-/account", http.StatusSeeOther)
	return nil
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	d, err := s.accountData(r, u)
	if err != nil {
		return err
	}
	d.Revoked = r.URL.Query().Has("revoked")
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "account", d)
}

// handleTokenCreate makes a personal access token and shows its secret in
// the answer itself (never in a URL), once.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	label := strings.TrimSpace(r.PostForm.Get("label"))
	w.Header().Set("Cache-Control", "no-store")
	if label == "" {
		d, err := s.accountData(r, u)
		if err != nil {
			return err
		}
		d.Error = d.T("token-label-needed")
		return s.render(w, http.StatusBadRequest, "account", d)
	}
	secret, tok, err := s.accounts.NewToken(r.Context(), u.Name, label)
	if err != nil {
		return err
	}
	s.audit(r, wiki.AuditEvent{Kind: "token-created", Subject: u.Name, Detail: tok.ID + " " + tok.Label})
	d, err := s.accountData(r, u)
	if err != nil {
		return err
	}
	d.NewSecret, d.NewToken = secret, tok
	return s.render(w, http.StatusOK, "account", d)
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := r.PostForm.Get("id")
	if err := s.accounts.RevokeToken(r.Context(), u.Name, id); err != nil {
		return err
	}
	s.audit(r, wiki.AuditEvent{Kind: "token-revoked", Subject: u.Name, Detail: id})
	http.Redirect(w, r, "/-/account?revoked", http.StatusSeeOther)
	return nil
}
