package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file resolves who makes a request and decides what they may do.
//
// Identity comes from HTTP Basic credentials (a user name with a password
// or a personal access token; git and API clients) or else from the session
// cookie (browsers). It is resolved once per request in ServeHTTP and kept
// in the request context. Permissions are wiki.Policy's: every read route
// needs Policy.CanRead (checked centrally, before routing), every write
// needs Policy.CanEdit for each page it changes (checked by the handler,
// which knows the pages).

// sessionCookie holds the secret id of a server-side session.
const sessionCookie = "wikiwerk_session"

// authMethod is how a request proved who it is.
type authMethod int

const (
	// authNone: no credentials; the visitor is anonymous.
	authNone authMethod = iota
	// authSession: a session cookie, which a browser sends by itself and
	// so needs CSRF protection.
	authSession
	// authBasic: HTTP Basic with a password or token, which a browser
	// never adds to a cross-site request on its own.
	authBasic
)

// identity is who a request comes from.
type identity struct {
	user *wiki.User
	via  authMethod
	// session is the session id when via is authSession.
	session string
}

type identityKey struct{}

func withIdentity(r *http.Request, id identity) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
}

func identityOf(r *http.Request) identity {
	id, _ := r.Context().Value(identityKey{}).(identity)
	return id
}

// UserFrom returns the signed-in user of a request that passed through a
// Server, nil for an anonymous visitor. A handler mounted in the Server
// (Config.Git) uses it to apply the same policy.
func UserFrom(ctx context.Context) *wiki.User {
	id, _ := ctx.Value(identityKey{}).(identity)
	return id.user
}

// currentUser is the request's user, nil when anonymous.
func currentUser(r *http.Request) *wiki.User { return identityOf(r).user }

// errTooManyAttempts is returned while a client or user name waits after
// failed sign-ins. (429)
var errTooManyAttempts = errors.New("too many failed sign-in attempts")

// retryError says how long to wait before trying again.
type retryError struct {
	wait time.Duration
}

func (e *retryError) Error() string { return e.message("en") }

func (e *retryError) message(lang string) string {
	return translate(lang, "signin-wait", retrySeconds(e.wait))
}

func (e *retryError) Unwrap() error { return errTooManyAttempts }

func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// identify resolves the request's user. Wrong Basic credentials are an
// error (401) rather than an anonymous visit, so that a script with a
// revoked token fails loudly instead of silently reading as nobody.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (identity, error) {
	if s.accounts == nil {
		return identity{}, nil
	}
	if name, secret, ok := r.BasicAuth(); ok {
		u, err := s.basicUser(r, name, secret)
		if err != nil {
			return identity{}, err
		}
		return identity{user: u, via: authBasic}, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return identity{}, nil
	}
	u, err := s.accounts.SessionUser(r.Context(), c.Value)
	if errors.Is(err, wiki.ErrUnauthenticated) || errors.Is(err, wiki.ErrNotFound) || errors.Is(err, wiki.ErrInvalidInput) {
		// Signed out elsewhere, expired or disabled: the browser may
		// forget the cookie. Not an error; the visitor is anonymous now.
		s.clearSessionCookie(w, r)
		return identity{}, nil
	}
	if err != nil {
		// The account store failed; the session may well be good.
		return identity{}, fmt.Errorf("session: %w", err)
	}
	return identity{user: u, via: authSession, session: c.Value}, nil
}

// basicUser checks HTTP Basic credentials: a user name with its password,
// or with one of its personal access tokens. Failures count towards the
// sign-in back-off of the client and of the user name.
func (s *Server) basicUser(r *http.Request, name, secret string) (*wiki.User, error) {
	ip := s.clientIP(r)
	if wait := s.limiter.wait(ip, name); wait > 0 {
		return nil, &retryError{wait: wait}
	}
	u, byToken, err := s.checkBasic(r.Context(), name, secret)
	if err != nil {
		if !errors.Is(err, wiki.ErrUnauthenticated) && !errors.Is(err, wiki.ErrNotFound) && !errors.Is(err, wiki.ErrInvalidInput) {
			return nil, err
		}
		s.limiter.fail(ip, name)
		s.audit(r, wiki.AuditEvent{Kind: "signin-failed", Subject: name, Detail: "HTTP Basic"})
		return nil, fmt.Errorf("%w: wrong user name, password or token", wiki.ErrUnauthenticated)
	}
	if !byToken {
		// A password alone must not get around the second step that the
		// sign-in form asks for (twofactor.go).
		if err := s.refusePasswordOnly(r, u); err != nil {
			return nil, err
		}
	}
	s.limiter.succeed(ip, name)
	return u, nil
}

// checkBasic tries the secret as a token first when it looks like one (so
// that API calls do not pay for a password hash), then as a password.
// byToken says which of the two it was.
func (s *Server) checkBasic(ctx context.Context, name, secret string) (u *wiki.User, byToken bool, err error) {
	if name == "" && secret == "" {
		return nil, false, wiki.ErrUnauthenticated
	}
	tryToken := func() (*wiki.User, bool, error) {
		u, err := s.accounts.AuthenticateToken(ctx, secret)
		if err != nil {
			return nil, true, err
		}
		// The token stands for its owner only: git and curl send a user
		// name, and it must be the owner's (or none at all).
		if name != "" && !strings.EqualFold(name, u.Name) {
			return nil, true, wiki.ErrUnauthenticated
		}
		return u, true, nil
	}
	if looksLikeToken(secret) {
		return tryToken()
	}
	u, err = s.accounts.Authenticate(ctx, name, secret)
	if errors.Is(err, wiki.ErrUnauthenticated) || errors.Is(err, wiki.ErrNotFound) || errors.Is(err, wiki.ErrInvalidInput) {
		return tryToken()
	}
	return u, false, err
}

// tokenPrefix starts every personal access token the account store makes;
// storage/accounts.TokenPrefix (a test keeps the two the same).
const tokenPrefix = "wwt_"

func looksLikeToken(secret string) bool { return strings.HasPrefix(secret, tokenPrefix) }

// startSession signs the user in on this browser: a new server-side session
// (never one the browser brought along) in an HttpOnly cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *wiki.User) error {
	if old := identityOf(r); old.via == authSession {
		s.accounts.EndSession(r.Context(), old.session) //nolint:errcheck // replaced anyway
	}
	id, err := s.accounts.NewSession(r.Context(), u.Name, s.sessionTTL)
	if err != nil {
		return fmt.Errorf("start session for %s: %w", u.Name, err)
	}
	s.noteSession(r, id)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   int(s.sessionTTL / time.Second),
		HttpOnly: true,
		Secure:   s.isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.isHTTPS(r), SameSite: http.SameSiteLaxMode})
}

// isHTTPS reports whether the browser talks to us over TLS: directly, or
// through a reverse proxy that says so and that we were told to trust.
func (s *Server) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !s.trustProxy {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// clientIP is the address of the client: the connection's, or behind a
// trusted proxy the last address the proxy added to X-Forwarded-For
// (earlier entries come from the client and prove nothing).
func (s *Server) clientIP(r *http.Request) string {
	if s.trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// audit appends to the audit log. A failing log must not fail the request
// it describes, so errors are logged here.
func (s *Server) audit(r *http.Request, e wiki.AuditEvent) {
	if s.accounts == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if e.Actor == "" {
		if u := currentUser(r); u != nil {
			e.Actor = u.Name
		}
	}
	e.IP = s.clientIP(r)
	if err := s.accounts.Record(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("audit log", "kind", e.Kind, "err", err)
	}
}

// deniedError refuses a request for lack of rights. It says, in the
// reader's language, what to do about it: sign in, or whom to ask.
type deniedError struct {
	// status is 401 (not signed in) or 403 (signed in, not allowed).
	status int
	// key and args are the translated message.
	key  string
	args []any
}

func (e *deniedError) Error() string { return translate("en", e.key, e.args...) }

func (e *deniedError) Unwrap() error {
	if e.status == http.StatusUnauthorized {
		return wiki.ErrUnauthenticated
	}
	return wiki.ErrForbidden
}

// message is the error in the reader's language.
func (e *deniedError) message(lang string) string { return translate(lang, e.key, e.args...) }

// mayRead decides whether the request may read the wiki.
func (s *Server) mayRead(r *http.Request) error {
	if s.policy.CanRead(currentUser(r)) {
		return nil
	}
	return &deniedError{status: http.StatusUnauthorized, key: "denied-read"}
}

// mayEdit decides whether the request may change every one of the pages
// (none: whether it may change anything at all). A refusal is recorded in
// the audit log.
func (s *Server) mayEdit(r *http.Request, pages ...wiki.Name) error {
	if len(pages) == 0 {
		pages = []wiki.Name{""}
	}
	for _, n := range pages {
		if err := s.editDenied(currentUser(r), n); err != nil {
			s.audit(r, wiki.AuditEvent{Kind: "denied", Subject: string(n), Detail: r.Method + " " + r.URL.Path + ": " + err.Error()})
			return err
		}
	}
	return nil
}

// editDenied explains why u may not change page n, or returns nil.
func (s *Server) editDenied(u *wiki.User, n wiki.Name) error {
	if s.policy.CanEdit(u, n) {
		return nil
	}
	if u == nil && s.accounts == nil {
		// No accounts at all: nobody can sign in to get the right.
		return &deniedError{status: http.StatusForbidden, key: "denied-switched-off"}
	}
	if n != "" {
		for _, rule := range s.policy.Protected {
			if !rule.Covers(n) || s.policy.CanEdit(u, rule.Prefix) {
				continue
			}
			if u == nil {
				return &deniedError{status: http.StatusUnauthorized, key: "denied-protected-signin", args: []any{rule.Prefix}}
			}
			if len(rule.Groups) == 0 {
				return &deniedError{status: http.StatusForbidden, key: "denied-protected", args: []any{rule.Prefix}}
			}
			return &deniedError{status: http.StatusForbidden, key: "denied-protected-groups", args: []any{rule.Prefix, strings.Join(rule.Groups, ", ")}}
		}
	}
	if u == nil {
		return &deniedError{status: http.StatusUnauthorized, key: "denied-edit-signin"}
	}
	return &deniedError{status: http.StatusForbidden, key: "denied-edit-role", args: []any{u.Role}}
}

// mayAdmin decides whether the request may manage accounts.
func (s *Server) mayAdmin(r *http.Request) error {
	u := currentUser(r)
	if s.accounts != nil && s.policy.CanAdmin(u) {
		return nil
	}
	var err error
	if u == nil {
		err = &deniedError{status: http.StatusUnauthorized, key: "denied-admin-signin"}
	} else {
		err = &deniedError{status: http.StatusForbidden, key: "denied-admin"}
	}
	s.audit(r, wiki.AuditEvent{Kind: "denied", Subject: r.URL.Path, Detail: r.Method + " " + r.URL.Path + ": " + err.Error()})
	return err
}

// requireUser refuses anonymous visitors (401).
func (s *Server) requireUser(r *http.Request) (*wiki.User, error) {
	if s.accounts == nil {
		return nil, errNoAccounts
	}
	u := currentUser(r)
	if u == nil {
		return nil, &deniedError{status: http.StatusUnauthorized, key: "denied-account"}
	}
	return u, nil
}

// publicPath reports whether a path is served even where reading needs an
// account: what it takes to sign in, the theme, the health check. Git
// applies the policy itself (Config.Git).
func (s *Server) publicPath(p string) bool {
	switch p {
	case "/-/login", "/-/logout", "/-/setup", "/-/login/oidc", "/-/oidc/callback", "/-/healthz", loginSecondStep, securityTxtPath, unsubscribePath:
		return true
	}
	return strings.HasPrefix(p, "/-/static/") || strings.HasPrefix(p, "/-/lang/") || strings.HasPrefix(p, s.gitPrefix) || linkPublic(p)
}

// localPath returns next if it is a path on this site, else "/": a return
// address must never send the user to another site.
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\") || strings.ContainsFunc(next, unicode.IsControl) {
		// Browsers drop tabs and line breaks from URLs, so "/\t/evil"
		// would become "//evil", another site.
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// loginURL is the sign-in page that returns to next afterwards.
func loginURL(next string) string {
	next = localPath(next)
	if next == "/" {
		return "/-/login"
	}
	return "/-/login?" + url.Values{"next": {next}}.Encode()
}

// returnPath is where to come back to after signing in to do what r
// tried: the page itself for a GET, else the page the form was on.
func returnPath(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return localPath(r.URL.RequestURI())
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		return localPath(ref.RequestURI())
	}
	return "/"
}

// setErrorHeaders adds what an error answer needs besides its body. A 401
// from the API or git challenges for HTTP Basic, so that git and curl ask
// for credentials; not for the wiki's own scripts, where the browser would
// pop up a password dialog instead of the sign-in page.
func setErrorHeaders(w http.ResponseWriter, r *http.Request, err error, status int, api bool) {
	var re *retryError
	if errors.As(err, &re) {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(re.wait)))
	}
	if status == http.StatusUnauthorized && api && !fromPageScript(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="wikiwerk", charset="UTF-8"`)
	}
	if status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusTooManyRequests {
		w.Header().Set("Cache-Control", "no-store")
	}
}

// equalSecret compares secrets in constant time.
func equalSecret(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// author is who a change is recorded as: a signed-in user, always; an
// anonymous editor (where the policy lets them edit) as they call
// themselves.
func author(r *http.Request, given wiki.Author) wiki.Author {
	if u := currentUser(r); u != nil {
		return commitAuthor(r, u)
	}
	return given
}

// mayRename decides whether the request may move page from to to: it
// changes both names, and moves the attachments in from's folder, so any
// protected folder inside either counts too. With updateLinks the rename
// also rewrites links in other pages; a page the user may not change must
// not be among them. Which pages those are is decided by the wiki at
// commit time; this check is deliberately wider (any page that mentions
// the name next to a "[["), so it may refuse a rename whose links it
// could have updated, never the other way round.
func (s *Server) mayRename(r *http.Request, from, to wiki.Name, updateLinks bool) error {
	pages := []wiki.Name{from, to}
	for _, rule := range s.policy.Protected {
		if strings.HasPrefix(string(rule.Prefix), string(from)+"/") || strings.HasPrefix(string(rule.Prefix), string(to)+"/") {
			pages = append(pages, rule.Prefix)
		}
	}
	if err := s.mayEdit(r, pages...); err != nil {
		return err
	}
	u := currentUser(r)
	if !updateLinks || len(s.policy.Protected) == 0 || s.policy.CanAdmin(u) {
		return nil
	}
	all, err := s.wiki.Pages(r.Context())
	if err != nil {
		return err
	}
	needle := strings.ToLower(from.Title())
	for _, p := range all {
		if p.Name == from || s.policy.CanEdit(u, p.Name) {
			continue
		}
		page, err := s.wiki.Page(r.Context(), p.Name, "")
		if errors.Is(err, wiki.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if strings.Contains(string(page.Content), "[[") && strings.Contains(strings.ToLower(string(page.Content)), needle) {
			err := &deniedError{status: http.StatusForbidden, key: "denied-rename-links", args: []any{p.Name}}
			s.audit(r, wiki.AuditEvent{Kind: "denied", Subject: string(p.Name), Detail: r.Method + " " + r.URL.Path + ": " + err.Error()})
			return err
		}
	}
	return nil
}

// GitUser identifies a git client, which sends HTTP Basic credentials (a
// password or a personal access token) and never a session cookie: a
// cookie would let another site push in the user's name. No credentials
// is an anonymous client (nil, nil). Wrong credentials return an error
// wrapping wiki.ErrUnauthenticated; while the client or the name must
// wait after failed attempts, an error saying how long.
func (s *Server) GitUser(r *http.Request) (*wiki.User, error) {
	name, secret, ok := r.BasicAuth()
	if !ok || s.accounts == nil {
		return nil, nil
	}
	return s.basicUser(r, name, secret)
}

// AuthorizeGit applies the policy to a git request by u (nil: anonymous):
// clone and fetch need the right to read, push the right to edit.
// Refusals wrap wiki.ErrUnauthenticated (sign in: git then asks for a
// user name and password or token) or wiki.ErrForbidden, with a message
// for the person at the terminal.
//
// The git handler asks this before the pushed commits arrive; once they
// have, it checks the files they change with AuthorizePush, so that
// protected folders stay protected from git too.
func (s *Server) AuthorizeGit(r *http.Request, u *wiki.User, push bool) error {
	r = withIdentity(r, identity{user: u, via: authBasic})
	if err := s.mayRead(r); err != nil {
		return err
	}
	if !push {
		return nil
	}
	return s.mayEdit(r, "")
}

// AuthorizePush decides whether u may push commits that change the files
// at paths (as in the repository: "Beleid/Visie.md", "Beleid/logo.png"):
// the rule for saving each page on the web, and for an attachment the
// rule of the page or folder it is in, so that a protected folder cannot
// be changed through git either.
func (s *Server) AuthorizePush(r *http.Request, u *wiki.User, paths []string) error {
	r = withIdentity(r, identity{user: u, via: authBasic})
	names := make([]wiki.Name, 0, len(paths))
	for _, p := range paths {
		if n, ok := wiki.ParsePath(p); ok {
			names = append(names, n)
		} else {
			// Not a page: the rules compare names as paths, and an
			// attachment is covered by the folder it is in.
			names = append(names, wiki.Name(strings.TrimSuffix(p, "/")))
		}
	}
	// The web's check explains a refusal in the pusher's words and
	// records it; the domain's decides.
	if err := s.mayEdit(r, names...); err != nil {
		return err
	}
	if err := s.wiki.AuthorizeChange(u, paths); err != nil {
		s.audit(r, wiki.AuditEvent{Kind: "denied", Subject: strings.Join(paths, " "), Detail: "git push: " + err.Error()})
		return err
	}
	s.auditPush(r, u, paths)
	return nil
}

// fromPageScript reports whether a request was made by script on one of
// the wiki's pages (editor.js sends the CSRF header; browsers mark fetch
// calls with Sec-Fetch-Dest: empty).
func fromPageScript(r *http.Request) bool {
	return r.Header.Get(csrfHeader) != "" || r.Header.Get("Sec-Fetch-Dest") == "empty"
}
