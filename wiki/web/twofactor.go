package web

import (
	"bytes"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds two-factor sign-in: enrolling TOTP on /-/account/2fa
// (a QR code, the secret as text, a first code to confirm, then recovery
// codes shown once), the second step of signing in with a password
// (/-/login/2fa), the -require-2fa setting, and the admin's reset.
//
// Only password sign-ins take the second step. Personal access tokens
// stand on their own (git and scripts cannot type a code), and single
// sign-on leaves the second step to the provider (OIDCConfig.RequireMFA).

// TwoFactorScope is who must use a second factor (the -require-2fa flag).
type TwoFactorScope string

// The scopes.
const (
	// TwoFactorNone leaves it to each user.
	TwoFactorNone TwoFactorScope = "none"
	// TwoFactorAdmins requires it of admins.
	TwoFactorAdmins TwoFactorScope = "admins"
	// TwoFactorAll requires it of everyone who signs in with a password.
	TwoFactorAll TwoFactorScope = "all"
)

// ParseTwoFactorScope validates a -require-2fa value; "" means none.
func ParseTwoFactorScope(s string) (TwoFactorScope, error) {
	switch v := TwoFactorScope(strings.ToLower(strings.TrimSpace(s))); v {
	case "":
		return TwoFactorNone, nil
	case TwoFactorNone, TwoFactorAdmins, TwoFactorAll:
		return v, nil
	}
	return "", fmt.Errorf("%w: %q: use none, admins or all", wiki.ErrInvalidInput, s)
}

// covers reports whether the scope requires a second factor of u.
func (sc TwoFactorScope) covers(u *wiki.User) bool {
	switch sc {
	case TwoFactorAll:
		return u != nil
	case TwoFactorAdmins:
		return u != nil && u.Role == wiki.RoleAdmin
	}
	return false
}

// Paths of two-factor sign-in.
const (
	accountTwoFactor = "/-/account/2fa"
	loginSecondStep  = "/-/login/2fa"
	// secondStepCookie holds, between the password and the code, whose
	// password was right and where to go next: signed and encrypted,
	// for secondStepAge.
	secondStepCookie = "wikiwerk_2fa"
	secondStepAge    = 5 * time.Minute
)

func (s *Server) registerTwoFactorRoutes(r, api *mux.Router) {
	r.Handle(accountTwoFactor, s.html(s.handleTwoFactor)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(accountTwoFactor+"/start", s.html(s.handleTwoFactorStart)).Methods(http.MethodPost)
	r.Handle(accountTwoFactor+"/qr.png", s.html(s.handleTwoFactorQR)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(accountTwoFactor+"/confirm", s.html(s.handleTwoFactorConfirm)).Methods(http.MethodPost)
	r.Handle(accountTwoFactor+"/recovery", s.html(s.handleTwoFactorRecovery)).Methods(http.MethodPost)
	r.Handle(accountTwoFactor+"/disable", s.html(s.handleTwoFactorDisable)).Methods(http.MethodPost)
	r.Handle(loginSecondStep, s.html(s.handleSecondStepForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(loginSecondStep, s.html(s.handleSecondStep)).Methods(http.MethodPost)
	r.Handle("/-/admin/users/{user}/2fa/reset", s.html(s.handleTwoFactorResetForm)).Methods(http.MethodPost)
	r.Handle("/-/admin/audit", s.html(s.handleAuditLog)).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/users/{user}/2fa/reset", s.api(s.handleTwoFactorResetAPI)).Methods(http.MethodPost)
}

type twoFactorData struct {
	base
	Factor wiki.SecondFactor
	// Required: the user was sent here because -require-2fa covers them.
	Required bool
	// SSOOnly: the account has no password; the provider does the
	// second step.
	SSOOnly bool
	// Secret is the pending secret in groups of four, for typing in.
	Secret string
	// QRURL is the pending secret's QR code.
	QRURL string
	// Codes are recovery codes just made, shown this once.
	Codes []string
	// Done reports what just happened.
	Done  string
	Error string
}

// twoFactorData reads the user's second factor; with the pending secret
// while an enrolment is under way.
func (s *Server) twoFactorData(r *http.Request, u *wiki.User) (twoFactorData, error) {
	d := twoFactorData{base: s.base(r, "", "")}
	d.Title = d.T("tf-title")
	f, err := s.accounts.SecondFactorOf(r.Context(), u.Name)
	if err != nil {
		return d, err
	}
	d.Factor = f
	d.SSOOnly = !f.Password && !f.Enrolled
	d.Required = !f.Enrolled && s.require2FA.covers(u) && f.Password
	if f.Pending {
		secret, err := s.accounts.PendingTOTP(r.Context(), u.Name)
		if err != nil {
			return d, err
		}
		d.Secret = groupsOf4(secret)
		d.QRURL = accountTwoFactor + "/qr.png"
	}
	return d, nil
}

func groupsOf4(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Server) handleTwoFactor(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	d, err := s.twoFactorData(r, u)
	if err != nil {
		return err
	}
	switch done := r.URL.Query().Get("done"); done {
	case "disabled":
		d.Done = d.T("tf-done-disabled")
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "account-2fa", d)
}

// handleTwoFactorStart makes a new pending secret and shows it.
func (s *Server) handleTwoFactorStart(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	f, err := s.accounts.SecondFactorOf(r.Context(), u.Name)
	if err != nil {
		return err
	}
	if !f.Password {
		return &deniedError{status: http.StatusForbidden, key: "tf-sso-only"}
	}
	if _, err := s.accounts.StartTOTP(r.Context(), u.Name); err != nil {
		return err
	}
	http.Redirect(w, r, accountTwoFactor+"#wwEnrol", http.StatusSeeOther)
	return nil
}

// handleTwoFactorQR serves the pending secret as a QR code: a route of
// its own, because the CSP allows no data: images.
func (s *Server) handleTwoFactorQR(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	secret, err := s.accounts.PendingTOTP(r.Context(), u.Name)
	if err != nil {
		return err
	}
	key, err := s.totpKey(r, u, secret)
	if err != nil {
		return err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

// totpKey is the otpauth:// key an authenticator app reads: the wiki's
// host as issuer, so that a person with accounts on several wikis can
// tell them apart.
func (s *Server) totpKey(r *http.Request, u *wiki.User, secret string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("TOTP secret: %w", err)
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	issuer := "wikiwerk"
	if host != "" {
		issuer += " " + host
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Name, Secret: raw,
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("TOTP key: %w", err)
	}
	return key, nil
}

// handleTwoFactorConfirm checks the first code of the pending secret;
// right, it switches two-factor sign-in on and shows the recovery codes.
func (s *Server) handleTwoFactorConfirm(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	ip := s.clientIP(r)
	if err := s.codeAllowed(ip, u.Name); err != nil {
		return err
	}
	codes, err := s.accounts.ConfirmTOTP(r.Context(), s.actor(r), u.Name, r.PostForm.Get("code"))
	if errors.Is(err, wiki.ErrUnauthenticated) {
		s.limiter.fail(ip, u.Name)
		s.audit(r, wiki.AuditEvent{Kind: "2fa-enrol-failed", Subject: u.Name, Detail: "wrong code"})
		d, derr := s.twoFactorData(r, u)
		if derr != nil {
			return derr
		}
		d.Error = d.T("tf-wrong-code")
		return s.render(w, http.StatusBadRequest, "account-2fa", d)
	}
	if err != nil {
		return err
	}
	s.limiter.succeed(ip, u.Name)
	d, err := s.twoFactorData(r, u)
	if err != nil {
		return err
	}
	d.Codes = codes
	d.Done = d.T("tf-done-enrolled")
	return s.render(w, http.StatusOK, "account-2fa", d)
}

// handleTwoFactorRecovery replaces the recovery codes and shows the new
// ones.
func (s *Server) handleTwoFactorRecovery(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	codes, err := s.accounts.NewRecoveryCodes(r.Context(), s.actor(r), u.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	d, err := s.twoFactorData(r, u)
	if err != nil {
		return err
	}
	d.Codes = codes
	d.Done = d.T("tf-done-recovery")
	return s.render(w, http.StatusOK, "account-2fa", d)
}

// handleTwoFactorDisable switches two-factor sign-in off, with a current
// code (or a recovery code) or the password as proof that the person at
// the keyboard owns the account, not just a session left open.
func (s *Server) handleTwoFactorDisable(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	if s.require2FA.covers(u) {
		return &deniedError{status: http.StatusForbidden, key: "tf-disable-required"}
	}
	ip := s.clientIP(r)
	if err := s.codeAllowed(ip, u.Name); err != nil {
		return err
	}
	proof := r.PostForm.Get("proof")
	if err := s.proveOwner(r, u, proof); err != nil {
		if !errors.Is(err, wiki.ErrUnauthenticated) {
			return err
		}
		s.limiter.fail(ip, u.Name)
		s.audit(r, wiki.AuditEvent{Kind: "2fa-disable-failed", Subject: u.Name, Detail: "wrong code or password"})
		d, derr := s.twoFactorData(r, u)
		if derr != nil {
			return derr
		}
		d.Error = d.T("tf-wrong-proof")
		return s.render(w, http.StatusBadRequest, "account-2fa", d)
	}
	s.limiter.succeed(ip, u.Name)
	if err := s.accounts.RemoveSecondFactor(r.Context(), s.actor(r), u.Name, "2fa-disabled"); err != nil {
		return err
	}
	http.Redirect(w, r, accountTwoFactor+"?done=disabled", http.StatusSeeOther)
	return nil
}

// proveOwner checks a code of the user's second factor, or the password.
func (s *Server) proveOwner(r *http.Request, u *wiki.User, proof string) error {
	proof = strings.TrimSpace(proof)
	if proof == "" {
		return wiki.ErrUnauthenticated
	}
	if c := strings.Join(strings.Fields(proof), ""); len(c) == 6 && strings.Trim(c, "0123456789") == "" {
		_, err := s.accounts.VerifySecondFactor(r.Context(), s.actor(r), u.Name, c)
		return err
	}
	if _, err := s.accounts.VerifySecondFactor(r.Context(), s.actor(r), u.Name, proof); err == nil {
		return nil // a recovery code
	}
	if _, err := s.accounts.Authenticate(r.Context(), u.Name, proof); err != nil {
		if errors.Is(err, wiki.ErrNotFound) || errors.Is(err, wiki.ErrInvalidInput) {
			return wiki.ErrUnauthenticated
		}
		return err
	}
	return nil
}

// codeAllowed applies the sign-in back-off to code attempts: six digits
// are quickly guessed without it.
func (s *Server) codeAllowed(ip, user string) error {
	if wait := s.limiter.wait(ip, user); wait > 0 {
		return &retryError{wait: wait}
	}
	return nil
}

// secondStep is what the second-step cookie holds.
type secondStep struct {
	User string
	Next string
	// Expires is a Unix time: the cookie's own age limit is the codec's,
	// which is longer.
	Expires int64
}

// startSecondStep follows a right password of a user with a second
// factor: no session yet, but a cookie that lets the code form finish
// the sign-in within five minutes.
func (s *Server) startSecondStep(w http.ResponseWriter, r *http.Request, u *wiki.User, next string) error {
	v, err := s.cookies.encode(secondStepCookie, secondStep{User: u.Name, Next: localPath(next), Expires: time.Now().Add(secondStepAge).Unix()})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: secondStepCookie, Value: v, Path: loginSecondStep, MaxAge: int(secondStepAge / time.Second),
		HttpOnly: true, Secure: s.isHTTPS(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, loginSecondStep, http.StatusSeeOther)
	return nil
}

func (s *Server) clearSecondStep(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: secondStepCookie, Value: "", Path: loginSecondStep, MaxAge: -1,
		HttpOnly: true, Secure: s.isHTTPS(r), SameSite: http.SameSiteStrictMode})
}

// pendingSecondStep reads the second-step cookie; an error when there is
// none or it expired.
func (s *Server) pendingSecondStep(r *http.Request) (secondStep, error) {
	var st secondStep
	c, err := r.Cookie(secondStepCookie)
	if err == nil {
		err = s.cookies.decode(secondStepCookie, c.Value, &st)
	}
	if err != nil || st.User == "" || time.Now().Unix() > st.Expires {
		return secondStep{}, &deniedError{status: http.StatusUnauthorized, key: "tf-step-expired"}
	}
	return st, nil
}

type secondStepData struct {
	base
	Error string
}

func (s *Server) secondStepData(r *http.Request) secondStepData {
	d := secondStepData{base: s.base(r, "", "")}
	d.Title = d.T("tf-step-title")
	return d
}

func (s *Server) handleSecondStepForm(w http.ResponseWriter, r *http.Request) error {
	if s.accounts == nil {
		return errNoAccounts
	}
	w.Header().Set("Cache-Control", "no-store")
	if _, err := s.pendingSecondStep(r); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "login-2fa", s.secondStepData(r))
}

// handleSecondStep checks the code (or a recovery code) and only then
// starts the session. Wrong codes count towards the sign-in back-off of
// the address and the name, like wrong passwords.
func (s *Server) handleSecondStep(w http.ResponseWriter, r *http.Request) error {
	if s.accounts == nil {
		return errNoAccounts
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	st, err := s.pendingSecondStep(r)
	if err != nil {
		return err
	}
	d := s.secondStepData(r)
	ip := s.clientIP(r)
	if wait := s.limiter.wait(ip, st.User); wait > 0 {
		re := &retryError{wait: wait}
		setErrorHeaders(w, r, re, http.StatusTooManyRequests, false)
		d.Error = re.message(d.Lang)
		return s.render(w, http.StatusTooManyRequests, "login-2fa", d)
	}
	method, err := s.accounts.VerifySecondFactor(r.Context(), wiki.Actor{Name: st.User, IP: ip}, st.User, r.PostForm.Get("code"))
	if err != nil {
		if !errors.Is(err, wiki.ErrUnauthenticated) && !errors.Is(err, wiki.ErrNotFound) {
			return err
		}
		s.limiter.fail(ip, st.User)
		s.audit(r, wiki.AuditEvent{Kind: "signin-failed", Subject: st.User, Detail: "second step: wrong or already used code"})
		d.Error = d.T("tf-wrong-code")
		return s.render(w, http.StatusUnauthorized, "login-2fa", d)
	}
	u, err := s.accounts.User(r.Context(), st.User)
	if err != nil {
		return err
	}
	s.limiter.succeed(ip, st.User)
	s.clearSecondStep(w, r)
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.audit(r, wiki.AuditEvent{Kind: "signin", Actor: u.Name, Subject: u.Name, Detail: "password and " + method})
	next := st.Next
	if method == wiki.FactorRecovery {
		// A used recovery code is one fewer: show how many are left.
		next = accountTwoFactor
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// mustEnrol reports whether -require-2fa sends u to enrol: u is in its
// scope, has no second factor and signs in with a password (an account
// that only signs in through single sign-on gets its second step from
// the provider).
func (s *Server) mustEnrol(r *http.Request, u *wiki.User) (bool, error) {
	if u == nil || u.TwoFactor || !s.require2FA.covers(u) {
		return false, nil
	}
	f, err := s.accounts.SecondFactorOf(r.Context(), u.Name)
	if err != nil {
		return false, err
	}
	return !f.Enrolled && f.Password, nil
}

// enrolmentExempt are the paths a user who must enrol can still reach.
func (s *Server) enrolmentExempt(p string) bool {
	return p == accountTwoFactor || strings.HasPrefix(p, accountTwoFactor+"/") || p == "/-/logout" ||
		s.publicPath(p)
}

// sendToEnrolment answers, and returns true, when the request comes with
// the session of a user whom -require-2fa requires to enrol: a page goes
// to /-/account/2fa, which says why; an API call is refused (403).
// Personal access tokens keep working, and a password over HTTP Basic is
// refused in basicUser.
func (s *Server) sendToEnrolment(w http.ResponseWriter, r *http.Request) bool {
	id := identityOf(r)
	if s.require2FA == TwoFactorNone || id.via != authSession || s.enrolmentExempt(r.URL.Path) {
		return false
	}
	must, err := s.mustEnrol(r, id.user)
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	if !must {
		return false
	}
	if strings.HasPrefix(r.URL.Path, "/-/api/") {
		s.fail(w, r, &deniedError{status: http.StatusForbidden, key: "tf-required-api"})
		return true
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, accountTwoFactor, http.StatusSeeOther)
	return true
}

// refusePasswordOnly refuses HTTP Basic with a password for a user who
// has (or must have) a second factor: a script cannot type a code, and
// a password alone must not be enough. A token is the way.
func (s *Server) refusePasswordOnly(r *http.Request, u *wiki.User) error {
	key := ""
	if u.TwoFactor {
		key = "tf-basic-refused"
	} else if must, err := s.mustEnrol(r, u); err != nil {
		return err
	} else if must {
		key = "tf-basic-enrol"
	}
	if key == "" {
		return nil
	}
	err := &deniedError{status: http.StatusUnauthorized, key: key}
	s.audit(r, wiki.AuditEvent{Kind: "signin-failed", Result: wiki.AuditDenied, Actor: u.Name, Subject: u.Name,
		Detail: "HTTP Basic with a password: " + err.Error()})
	return err
}

// handleTwoFactorResetAPI removes a user's second factor (an admin, for a
// colleague who lost their phone and recovery codes): they sign in with
// their password alone and, where -require-2fa covers them, enrol again.
// Answers {"name", "two_factor": false}.
func (s *Server) handleTwoFactorResetAPI(w http.ResponseWriter, r *http.Request) error {
	name, err := s.resetTwoFactor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": name, "two_factor": false})
	return nil
}

// handleTwoFactorResetForm is the same for a form on the admin pages; it
// comes back to the audit log, which shows the reset.
func (s *Server) handleTwoFactorResetForm(w http.ResponseWriter, r *http.Request) error {
	name, err := s.resetTwoFactor(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/-/admin/audit?object="+name, http.StatusSeeOther)
	return nil
}

func (s *Server) resetTwoFactor(r *http.Request) (string, error) {
	if err := s.mayAdmin(r); err != nil {
		return "", err
	}
	me := currentUser(r)
	name := mux.Vars(r)["user"]
	if strings.EqualFold(name, me.Name) {
		return "", fmt.Errorf("%w: you cannot reset your own second factor; switch it off on %s with a code or your password", wiki.ErrForbidden, accountTwoFactor)
	}
	u, err := s.accounts.User(r.Context(), name)
	if err != nil {
		return "", err
	}
	if err := s.accounts.RemoveSecondFactor(r.Context(), s.actor(r), u.Name, "2fa-reset"); err != nil {
		return "", err
	}
	return u.Name, nil
}
