package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/csrf"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// CSRF protection (gorilla/csrf): every state-changing request that a
// browser could be tricked into sending with the user's cookies carries a
// token from the page it came from, in the form field csrfField or, from
// editor.js, in the X-CSRF-Token header. The token is tied to a signed
// cookie, not to the session, so that forms work for anonymous editors and
// survive signing in; the key that signs it is kept in the data folder so
// that a restart does not invalidate open forms.
//
// Exempt: requests that a cross-site form cannot make with the user's
// credentials. These are API calls authenticated with HTTP Basic (a browser
// never adds those credentials on its own) or with no credentials at all
// (they act as nobody), and git. API writes must be JSON, which a cross-site
// form cannot send.

const (
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
	csrfCookie = "wikiwerk_csrf"
	// csrfMaxAge is how long a token stays valid: long, so that an editor
	// left open over a weekend can still save.
	csrfMaxAge = 30 * 24 * 3600
)

// csrfPlaceholder stands for the CSRF token in cached page views; each
// response gets the requester's token in its place.
const csrfPlaceholder = "wikiwerk-csrf-placeholder-0b8f2c"

// NewKey returns a random 32-byte key for Config.Key.
func NewKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("random key: %w", err)
	}
	return k, nil
}

// subkey derives an independent key for one purpose from the server key,
// so that the CSRF cookie and the sign-in cookie never share a key.
func subkey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("wikiwerk " + purpose))
	return m.Sum(nil)
}

// csrfProtection holds two gorilla/csrf handlers around the router: their
// cookie is Secure under HTTPS only, and gorilla fixes that per handler.
// Both use the same key and cookie, so either accepts the other's tokens.
type csrfProtection struct {
	secure, plain http.Handler
}

func (s *Server) newCSRF(key []byte, next http.Handler) csrfProtection {
	opts := func(secure bool) []csrf.Option {
		return []csrf.Option{
			csrf.CookieName(csrfCookie),
			csrf.FieldName(csrfField),
			csrf.RequestHeader(csrfHeader),
			csrf.Path("/"),
			csrf.MaxAge(csrfMaxAge),
			csrf.HttpOnly(true),
			csrf.SameSite(csrf.SameSiteLaxMode),
			csrf.Secure(secure),
			csrf.ErrorHandler(http.HandlerFunc(s.handleCSRFFailure)),
		}
	}
	k := subkey(key, "csrf")
	return csrfProtection{
		secure: csrf.Protect(k, opts(true)...)(next),
		plain:  csrf.Protect(k, opts(false)...)(next),
	}
}

// serve runs the request through the CSRF check. Plain HTTP requests are
// marked as such: gorilla/csrf otherwise assumes HTTPS and refuses them for
// lack of a https Referer.
func (c csrfProtection) serve(w http.ResponseWriter, r *http.Request, https bool) {
	if https {
		c.secure.ServeHTTP(w, r)
		return
	}
	c.plain.ServeHTTP(w, csrf.PlaintextHTTPRequest(r))
}

// needsCSRF reports whether the request goes through the CSRF check: all
// but the exempt ones described above.
func (s *Server) needsCSRF(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, s.gitPrefix), strings.HasPrefix(p, "/-/static/"), p == "/-/healthz":
		return false
	case p == unsubscribePath && r.Method == http.MethodPost:
		// The signed token in the link authenticates it (follow.go).
		return false
	case strings.HasPrefix(p, "/-/api/"):
		return identityOf(r).via == authSession
	}
	return true
}

func (s *Server) handleCSRFFailure(w http.ResponseWriter, r *http.Request) {
	reason := csrf.FailureReason(r)
	s.audit(r, wiki.AuditEvent{Kind: "denied", Subject: r.URL.Path, Detail: "CSRF check failed: " + fmt.Sprint(reason)})
	if errors.Is(reason, csrf.ErrBadOrigin) || errors.Is(reason, csrf.ErrBadReferer) {
		if origin, err := url.Parse(r.Header.Get("Origin")); err == nil && origin.Host == r.Host && origin.Scheme == "https" && r.TLS == nil && !s.trustProxy {
			s.log.WarnContext(r.Context(), "a form posted over https was refused because this server thinks it serves plain http: behind a TLS proxy, start wikiwerk with -trust-proxy", "origin", origin.String())
		}
	}
	err := &deniedError{status: http.StatusForbidden, key: "denied-csrf"}
	if strings.HasPrefix(r.URL.Path, "/-/api/") {
		s.api(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
		return
	}
	s.html(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
}

// csrfToken is the token to put in the request's forms, "" outside the
// CSRF check.
func csrfToken(r *http.Request) string { return csrf.Token(r) }
