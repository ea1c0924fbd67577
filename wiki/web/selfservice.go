package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds what people change about themselves on /-/account:
// their name, e-mail address and language, their password, and their
// sessions. (The page itself and its tokens are in login.go.)

func (s *Server) registerSelfServiceRoutes(r *mux.Router) {
	r.Handle("/-/account/profile", s.html(s.handleOwnProfile)).Methods(http.MethodPost)
	r.Handle("/-/account/password", s.html(s.handleOwnPassword)).Methods(http.MethodPost)
	r.Handle("/-/account/sessions/end", s.html(s.handleOwnSessionEnd)).Methods(http.MethodPost)
	r.Handle("/-/account/sessions/others", s.html(s.handleOwnSessionsOthers)).Methods(http.MethodPost)
}

type accountData struct {
	base
	Tokens []wiki.Token
	// NewSecret is a token just made, shown this once.
	NewSecret string
	NewToken  wiki.Token
	// Revoked reports a token just revoked.
	Revoked bool
	Error   string
	// Sessions are the user's live sessions, the current one marked.
	Sessions []wiki.Session
	// HasPassword is false for single sign-on only: changing the
	// password then needs no current one.
	HasPassword bool
	// Profile is the profile form as shown (after a refusal, as typed).
	Profile struct{ DisplayName, Email, Lang string }
	// Done reports the change that led here.
	Done string
	// CommitEmail is the address the user's commits carry.
	CommitEmail string
}

func (s *Server) accountData(r *http.Request, u *wiki.User) (accountData, error) {
	d := accountData{base: s.base(r, "", "")}
	d.Title = d.T("account-title")
	ctx := r.Context()
	tokens, err := s.accounts.Tokens(ctx, u.Name)
	if err != nil {
		return d, err
	}
	d.Tokens = tokens
	if d.Sessions, err = s.accounts.Sessions(ctx, u.Name, identityOf(r).session); err != nil {
		return d, err
	}
	if d.HasPassword, err = s.accounts.HasPassword(ctx, u.Name); err != nil {
		return d, err
	}
	d.Profile.DisplayName, d.Profile.Email, d.Profile.Lang = u.DisplayName, u.Email, u.Lang
	d.CommitEmail = commitAuthor(r, u).Email
	switch done := r.URL.Query().Get("done"); done {
	case "profile", "password", "session", "others", "password-invite", "password-reset":
		d.Done = d.T("own-done-" + done)
	}
	return d, nil
}

// refuseAccount shows the account page again with what was wrong.
func (s *Server) refuseAccount(w http.ResponseWriter, r *http.Request, u *wiki.User, status int, msg string, keep func(*accountData)) error {
	d, err := s.accountData(r, u)
	if err != nil {
		return err
	}
	d.Error = msg
	if keep != nil {
		keep(&d)
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, status, "account", d)
}

func (s *Server) handleOwnProfile(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := r.PostForm
	display, email, lang := strings.TrimSpace(f.Get("display_name")), strings.TrimSpace(f.Get("email")), f.Get("lang")
	updated, err := s.accounts.UpdateUser(r.Context(), s.actor(r), u.Name, wiki.UserUpdate{DisplayName: &display, Email: &email, Lang: &lang})
	if err != nil {
		if status, ok := formRefusal(err); ok {
			return s.refuseAccount(w, r, u, status, publicMessage(err, status), func(d *accountData) {
				d.Profile.DisplayName, d.Profile.Email, d.Profile.Lang = display, email, lang
			})
		}
		return err
	}
	if updated.Lang != "" {
		// The interface follows the language chosen, as the switch in
		// the header does.
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: updated.Lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, "/-/account?done=profile", http.StatusSeeOther)
	return nil
}

// handleOwnPassword changes the user's password. The current one is
// asked for (with the sign-in back-off), except where the account has
// none (single sign-on). The store ends every session of the user; this
// browser gets a new one, so only the others are signed out.
func (s *Server) handleOwnPassword(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := r.PostForm
	lang := s.chooseLang(r)
	has, err := s.accounts.HasPassword(r.Context(), u.Name)
	if err != nil {
		return err
	}
	if has {
		ip := s.clientIP(r)
		if wait := s.limiter.wait(ip, u.Name); wait > 0 {
			re := &retryError{wait: wait}
			setErrorHeaders(w, r, re, http.StatusTooManyRequests, false)
			return s.refuseAccount(w, r, u, http.StatusTooManyRequests, re.message(lang), nil)
		}
		if _, err := s.accounts.Authenticate(r.Context(), u.Name, f.Get("current")); err != nil {
			if !errors.Is(err, wiki.ErrUnauthenticated) && !errors.Is(err, wiki.ErrInvalidInput) {
				return err
			}
			s.limiter.fail(ip, u.Name)
			s.audit(r, wiki.AuditEvent{Kind: "password-change-failed", Subject: u.Name, Detail: "wrong current password"})
			return s.refuseAccount(w, r, u, http.StatusBadRequest, translate(lang, "own-password-wrong"), nil)
		}
		s.limiter.succeed(ip, u.Name)
	}
	if f.Get("password") != f.Get("password2") {
		return s.refuseAccount(w, r, u, http.StatusBadRequest, translate(lang, "password-mismatch"), nil)
	}
	if err := s.accounts.SetPassword(r.Context(), s.actor(r), u.Name, f.Get("password")); err != nil {
		if status, ok := formRefusal(err); ok {
			return s.refuseAccount(w, r, u, status, publicMessage(err, status), nil)
		}
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/-/account?done=password", http.StatusSeeOther)
	return nil
}

func (s *Server) handleOwnSessionEnd(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id := r.PostForm.Get("id")
	sessions, err := s.accounts.Sessions(r.Context(), u.Name, identityOf(r).session)
	if err != nil {
		return err
	}
	if err := s.accounts.EndSessionOf(r.Context(), s.actor(r), u.Name, id); err != nil {
		return err
	}
	for _, sess := range sessions {
		if sess.ID == id && sess.Current {
			// Ending this very session is signing out.
			s.clearSessionCookie(w, r)
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return nil
		}
	}
	http.Redirect(w, r, "/-/account?done=session", http.StatusSeeOther)
	return nil
}

func (s *Server) handleOwnSessionsOthers(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if _, err := s.accounts.EndOtherSessions(r.Context(), s.actor(r), u.Name, identityOf(r).session); err != nil {
		return err
	}
	http.Redirect(w, r, "/-/account?done=others", http.StatusSeeOther)
	return nil
}

// noteSession records the address and browser of a session just started,
// for its owner's list. A failure costs only that.
func (s *Server) noteSession(r *http.Request, id string) {
	if err := s.accounts.NoteSessionClient(r.Context(), id, s.clientIP(r), r.UserAgent()); err != nil {
		s.log.Warn("note session client", "err", err)
	}
}
