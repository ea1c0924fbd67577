package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds the pages of one-time links: /-/invite/{token}, where
// an invited person chooses their password (and name), and
// /-/reset/{token}, where someone who forgot theirs chooses a new one.
//
// The secret is in the path. It does not leak to other sites through
// Referer (Referrer-Policy: same-origin, and these pages link nowhere
// else), the form posts back to the same address with the CSRF token, and
// the answers are not cached.

func (s *Server) registerLinkRoutes(r *mux.Router) {
	for _, p := range []wiki.LinkPurpose{wiki.LinkInvite, wiki.LinkReset} {
		path := "/-/" + string(p) + "/{token}"
		r.Handle(path, s.html(s.handleLinkForm(p))).Methods(http.MethodGet, http.MethodHead)
		r.Handle(path, s.html(s.handleLinkUse(p))).Methods(http.MethodPost)
	}
}

// linkPublic reports whether a path is a one-time link's page, which must
// open for people who cannot sign in yet.
func linkPublic(p string) bool {
	return strings.HasPrefix(p, "/-/invite/") || strings.HasPrefix(p, "/-/reset/")
}

// linkGoneError is a one-time link that does not work (any more), said in
// the reader's language with what to do about it.
type linkGoneError struct{ purpose wiki.LinkPurpose }

func (e linkGoneError) Error() string { return e.message("en") }
func (e linkGoneError) Unwrap() error { return wiki.ErrLinkInvalid }
func (e linkGoneError) message(lang string) string {
	return translate(lang, "link-gone-"+string(e.purpose))
}

type linkData struct {
	base
	Purpose     wiki.LinkPurpose
	Action      string
	Account     *wiki.User
	DisplayName string
	Error       string
}

func (s *Server) linkData(r *http.Request, p wiki.LinkPurpose, u *wiki.User) linkData {
	d := linkData{base: s.base(r, "", ""), Purpose: p, Account: u, DisplayName: u.DisplayName,
		Action: linkPath(p, mux.Vars(r)["token"])}
	if _, err := r.Cookie("lang"); err != nil && (u.Lang == "nl" || u.Lang == "en") {
		// The person has not chosen a language in this browser yet; the
		// admin may have set theirs.
		d.Lang = u.Lang
	}
	d.Title = d.T("link-title-" + string(p))
	return d
}

// linkUser checks the token of the request.
func (s *Server) linkUser(r *http.Request, p wiki.LinkPurpose) (*wiki.User, error) {
	u, err := s.accounts.LinkUser(r.Context(), mux.Vars(r)["token"], p)
	if errors.Is(err, wiki.ErrLinkInvalid) {
		return nil, linkGoneError{p}
	}
	return u, err
}

func (s *Server) handleLinkForm(p wiki.LinkPurpose) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		if s.accounts == nil {
			return errNoAccounts
		}
		u, err := s.linkUser(r, p)
		if err != nil {
			return err
		}
		return s.render(w, http.StatusOK, "onetime-link", s.linkData(r, p, u))
	}
}

// handleLinkUse sets the password chosen and signs the person in. After
// a reset, someone with a second factor signs in again instead, so that
// a reset link alone never gets past it.
func (s *Server) handleLinkUse(p wiki.LinkPurpose) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		if s.accounts == nil {
			return errNoAccounts
		}
		if err := r.ParseForm(); err != nil {
			return formError(err)
		}
		u, err := s.linkUser(r, p)
		if err != nil {
			return err
		}
		d := s.linkData(r, p, u)
		password := r.PostForm.Get("password")
		if p == wiki.LinkInvite {
			d.DisplayName = strings.TrimSpace(r.PostForm.Get("display_name"))
		}
		if password != r.PostForm.Get("password2") {
			d.Error = d.T("password-mismatch")
			return s.render(w, http.StatusBadRequest, "onetime-link", d)
		}
		u, err = s.accounts.UseLink(r.Context(), wiki.UseLinkRequest{Secret: mux.Vars(r)["token"], Purpose: p,
			Password: password, DisplayName: d.DisplayName, IP: s.clientIP(r)})
		if errors.Is(err, wiki.ErrLinkInvalid) {
			return linkGoneError{p}
		}
		if err != nil {
			if status, ok := formRefusal(err); ok {
				d.Error = publicMessage(err, status)
				return s.render(w, status, "onetime-link", d)
			}
			return err
		}
		// The account as sign-in sees it, second factor included.
		if u, err = s.accounts.User(r.Context(), u.Name); err != nil {
			return err
		}
		if u.TwoFactor {
			// The link proves the mailbox, not the second factor: the
			// code step comes before any session.
			return s.startSecondStep(w, r, u, "/-/account?done=password-"+string(p))
		}
		if err := s.startSession(w, r, u); err != nil {
			return err
		}
		s.audit(r, wiki.AuditEvent{Kind: "signin", Actor: u.Name, Subject: u.Name, Detail: "one-time " + string(p) + " link"})
		http.Redirect(w, r, "/-/account?done=password-"+string(p), http.StatusSeeOther)
		return nil
	}
}
