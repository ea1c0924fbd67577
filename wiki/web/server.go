// Package web serves the wiki over HTTP: HTML pages that work without
// JavaScript, a JSON API under /-/api/, and static theme assets. Handlers
// return errors; one place maps them to statuses and error pages.
package web

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/text/language"

	"github.com/wikiwerk/wikiwerk/notify"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Config holds what a Server needs.
type Config struct {
	// Wiki is the service behind every route.
	Wiki *wiki.Wiki
	// Theme holds templates/*.html and static/*; see package themes.
	Theme fs.FS
	// AnonymousEdits allows edits without an account, authored by the
	// name the editor gives. It sets Policy.Edit when that is empty:
	// wiki.Anyone when true, wiki.Editors when false.
	AnonymousEdits bool
	// Policy decides who may read and who may change which page; an
	// empty Read means wiki.Anyone.
	Policy wiki.Policy
	// Accounts, when set, lets people sign in: with a password or a
	// personal access token (HTTP Basic), a session cookie, or OIDC.
	// Without it everybody is anonymous.
	Accounts AccountStore
	// Key signs the CSRF and sign-in cookies: 32 random bytes that stay
	// the same between restarts (NewKey makes one), so that open forms
	// survive a restart. nil uses a new random key.
	Key []byte
	// TrustProxy honours X-Forwarded-Proto and X-Forwarded-For: set it
	// when a reverse proxy that sets them is the only way in.
	TrustProxy bool
	// SessionTTL is how long a sign-in lasts; default 12 hours.
	SessionTTL time.Duration
	// OIDC, when set, offers single sign-on with an OpenID Connect
	// provider.
	OIDC *OIDCConfig
	// MaxBodyBytes bounds request bodies; default 2 MiB.
	MaxBodyBytes int64
	// Logger receives server-side errors; default slog.Default().
	Logger *slog.Logger
	// Git, when set, serves the content repository under GitPrefix.
	Git http.Handler
	// GitPrefix is where Git is mounted; default "/wiki.git".
	GitPrefix string
	// ContentLang is the language of page content without a front matter
	// lang: (the -lang flag), for the content's lang attribute; default
	// "nl".
	ContentLang string
	// Now is the clock of the sign-in rate limiter; nil for time.Now.
	// Tests pass a clock they move.
	Now func() time.Time
	// CloneURL, when set, shows users the address to clone. The address
	// shown is built from the request (host and scheme as the browser
	// used them, so it is right behind a reverse proxy); this value is
	// its fallback when the request has no Host.
	CloneURL string
	// Search, when set, offers full-text search (/-/search, its API, and
	// jump-to-page in the header); nil switches search off.
	Search Searcher
	// Links, when set, offers the link graph: what links here, wanted
	// and orphaned pages, tags, and titles in the tree of all pages; nil
	// switches those lists off.
	Links LinkGraph
	// Mail, when set, sends the wiki's mail (invitations, resets); nil
	// means mail is not set up, and links are shown to pass on instead.
	Mail Mailer
	// SecurityContacts are the URIs (mailto:, https:, tel:) that
	// /.well-known/security.txt names (-security-contact; see
	// ParseSecurityContact); none answers 404 there.
	SecurityContacts []string
	// BaseURL is the wiki's public address (the -base-url flag), for
	// links that leave the browser (mail, invitations); "" builds them
	// from the request.
	BaseURL string
	// RequireTwoFactor is who must sign in with a second factor (the
	// -require-2fa flag, twofactor.go); "" means TwoFactorNone.
	RequireTwoFactor TwoFactorScope
	// CommitAddresses decides whether signed-in people's commits carry
	// their e-mail address or a pseudonym (wiki/author.go).
	CommitAddresses wiki.CommitAddresses
	// Routes, when set, is told the route template of every routed
	// request, for metrics.
	Routes RouteObserver
	// Sync, when set, shows the git sync on /-/admin/sync and serves its
	// webhook POST /-/api/sync (sync.go).
	Sync *SyncConfig
	// Replica, when set, reports this wiki's state as a read replica for
	// /-/admin/replica (replica.go); nil on a wiki that is none.
	Replica func() ReplicaState
	// Site is the site's name, logo and accessibility statement (a11y.go).
	Site Site
}

// Server is the wiki's HTTP handler.
type Server struct {
	wiki *wiki.Wiki
	// thumbs holds reduced images (?w= on /-/files/).
	thumbs    *thumbnails
	router    *mux.Router
	templates *templates
	static    http.Handler
	maxBody   int64
	log       *slog.Logger
	cloneURL  string
	// gitPrefix is where git clients are served, with a final "/".
	gitPrefix string
	// contentLang is Config.ContentLang.
	contentLang string
	languages   language.Matcher
	views       *viewCache
	presence    *presence
	search      Searcher
	links       LinkGraph
	mail        Mailer
	baseURL     string
	// securityContacts are Config.SecurityContacts.
	securityContacts []string
	site             Site
	// now is Config.Now, never nil.
	now func() time.Time
	// sync is the git sync, nil when none is set up.
	sync *syncPages
	// replica reports the replica's state; nil when this wiki is none.
	replica func() ReplicaState

	// unsubscribeKey checks the signed links of notification mail.
	unsubscribeKey []byte
	commits        wiki.CommitAddresses

	policy     wiki.Policy
	accounts   AccountStore
	trustProxy bool
	sessionTTL time.Duration
	limiter    *limiter
	csrf       csrfProtection
	oidc       *oidcClient
	cookies    *cookieCodec
	require2FA TwoFactorScope

	// setupToken is the one-time secret of the first-admin link, "" when
	// there is none (any more).
	setupMu    sync.Mutex
	setupToken string
}

// New builds a Server; it fails if the theme's templates do not parse.
func New(cfg Config) (*Server, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 2 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Policy.Read == "" {
		cfg.Policy.Read = wiki.Anyone
	}
	if cfg.Policy.Edit == "" {
		cfg.Policy.Edit = wiki.Editors
		if cfg.AnonymousEdits {
			cfg.Policy.Edit = wiki.Anyone
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Key == nil {
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		cfg.Key = k
	}
	if len(cfg.Key) < 32 {
		return nil, fmt.Errorf("web: the key must be at least 32 bytes, not %d", len(cfg.Key))
	}
	if cfg.OIDC != nil && cfg.Accounts == nil {
		return nil, fmt.Errorf("web: single sign-on needs an account store")
	}
	tmpl, err := loadTemplates(cfg.Theme)
	if err != nil {
		return nil, err
	}
	staticFS, err := fs.Sub(cfg.Theme, "static")
	if err != nil {
		return nil, fmt.Errorf("theme static files: %w", err)
	}
	s := &Server{
		wiki:        cfg.Wiki,
		thumbs:      newThumbnails(),
		templates:   tmpl,
		static:      http.StripPrefix("/-/static/", http.FileServerFS(staticFS)),
		maxBody:     cfg.MaxBodyBytes,
		log:         cfg.Logger,
		cloneURL:    cfg.CloneURL,
		gitPrefix:   gitPrefixOf(cfg.GitPrefix),
		contentLang: cfg.ContentLang,
		languages:   newLanguageMatcher(),
		views:       newViewCache(1000),
		presence:    newPresence(nil),
		search:      cfg.Search,
		links:       cfg.Links,
		mail:        cfg.Mail,
		baseURL:     strings.TrimSuffix(cfg.BaseURL, "/"),
		now:         cfg.Now,
		sync:        newSyncPages(cfg.Sync),
		replica:     cfg.Replica,

		securityContacts: cfg.SecurityContacts,
		site:             cfg.Site,
		commits:          cfg.CommitAddresses,

		policy:     cfg.Policy,
		accounts:   cfg.Accounts,
		trustProxy: cfg.TrustProxy,
		sessionTTL: cfg.SessionTTL,
		limiter:    newLimiter(cfg.Now),
		cookies:    newCookieCodec(cfg.Key),
		require2FA: cmp.Or(cfg.RequireTwoFactor, TwoFactorNone),

		unsubscribeKey: notify.UnsubscribeKey(cfg.Key),
	}
	if cfg.OIDC != nil {
		s.oidc = newOIDCClient(*cfg.OIDC)
	}
	if err := s.prepareSetup(context.Background()); err != nil {
		return nil, err
	}
	r := mux.NewRouter()
	// Names are validated by the handlers after decoding. Cleaning would
	// turn "/a/../b" into a redirect instead of the 400 it deserves.
	r.SkipClean(true)
	r.Use(observeRoutes(cfg.Routes))
	if cfg.Git != nil {
		r.PathPrefix(s.gitPrefix).Handler(cfg.Git)
	}
	api := r.PathPrefix("/-/api/").Subrouter()
	// Ahead of the API's own routes, where "/pages/{page:.+}" would take
	// ".../links".
	s.registerNavAPIRoutes(api)
	s.registerUserAPIRoutes(api)
	s.registerAPIRoutes(api)
	s.registerWellKnownRoutes(r)
	s.registerAccessibilityRoutes(r)
	s.registerNavRoutes(r)
	s.registerTwoFactorRoutes(r, api)
	s.registerAccountRoutes(r)
	s.registerUserRoutes(r)
	s.registerSyncRoutes(r, api)
	s.registerReplicaRoutes(r, api)
	s.registerActionRoutes(r)
	s.registerFileRoutes(r)
	s.registerFileMoveRoutes(r)
	s.registerFollowRoutes(r, api)
	s.registerProposalRoutes(r, api)
	s.registerPageRoutes(r)
	r.NotFoundHandler = s.html(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%s: %w", r.URL.Path, wiki.ErrNotFound)
	})
	r.MethodNotAllowedHandler = s.html(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, errMethod)
	})
	s.router = r
	s.csrf = s.newCSRF(cfg.Key, r)
	return s, nil
}

// ServeHTTP implements http.Handler. Before routing it resolves who the
// request comes from, applies the read policy to everything but what it
// takes to sign in, and runs the CSRF check.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	https := s.isHTTPS(r)
	setSecurityHeaders(w.Header(), https)
	limit := s.bodyLimit(r)
	if r.ContentLength > limit {
		// Refused before the CSRF check would read (and cut off) a form.
		s.fail(w, r, &http.MaxBytesError{Limit: limit})
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	id, err := s.identify(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	r = withIdentity(r, id)
	r = withCommitAddresses(r, s.commits)
	if err := checkAPIMediaType(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.publicPath(r.URL.Path) && !isSyncHook(r) {
		if err := s.mayRead(r); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if s.sendToEnrolment(w, r) {
		return
	}
	cleanup, err := s.spoolUpload(r)
	defer cleanup()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.needsCSRF(r) {
		s.csrf.serve(w, r, https)
		return
	}
	s.router.ServeHTTP(w, r)
}

// fail answers an error found before routing, in the form the client
// expects: JSON for the API, plain text with a Basic challenge for git, a
// themed page for the rest.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/-/api/"):
		s.api(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
	case strings.HasPrefix(p, s.gitPrefix):
		status := statusOf(err)
		s.logError(r, status, err)
		setErrorHeaders(w, r, err, status, true)
		http.Error(w, publicMessage(err, status), status)
	default:
		s.html(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
	}
}

// setSecurityHeaders sets headers that keep page content from running
// script or being framed, whatever the sanitiser misses.
func setSecurityHeaders(h http.Header, https bool) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	if https {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

func (s *Server) registerActionRoutes(r *mux.Router) {
	r.Handle("/", http.RedirectHandler(wiki.FrontPage.URL(), http.StatusFound)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/-/healthz", s.handleHealth).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix("/-/static/").Handler(cacheStatic(s.static)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/edit/{page:.+}", s.html(s.handleEditForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/edit/{page:.+}", s.html(s.handleEditSave)).Methods(http.MethodPost)
	r.Handle("/-/preview", s.html(s.handlePreview)).Methods(http.MethodPost)
	r.Handle("/-/rename/{page:.+}", s.html(s.handleRenameForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/rename/{page:.+}", s.html(s.handleRename)).Methods(http.MethodPost)
	r.Handle("/-/delete/{page:.+}", s.html(s.handleDeleteForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/delete/{page:.+}", s.html(s.handleDelete)).Methods(http.MethodPost)
	r.Handle("/-/revert/{page:.+}", s.html(s.handleRevertForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/revert/{page:.+}", s.html(s.handleRevert)).Methods(http.MethodPost)
	r.Handle("/-/history/{page:.+}", s.html(s.handleHistory)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/diff/{page:.+}", s.html(s.handleDiff)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/blame/{page:.+}", s.html(s.handleBlame)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/raw/{page:.+}", s.html(s.handleRaw)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/recent", s.html(s.handleRecent)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/recent.atom", s.html(s.handleRecentFeed)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/history.atom/{page:.+}", s.html(s.handleHistoryFeed)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/contributions/{author:.+}", s.html(s.handleContributions)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/pages", s.html(s.handleAllPages)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/-/lang/{lang:nl|en}", s.handleLanguage).Methods(http.MethodGet)
}

func (s *Server) registerPageRoutes(r *mux.Router) {
	// Every other path is a page; "-" is a reserved first segment, so no
	// page can shadow an action.
	r.Handle("/{page:.+}", s.html(s.handlePageView)).Methods(http.MethodGet, http.MethodHead)
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// handleHealth answers 200 "ok" once the repository has been opened (it
// has a head), else 503. It does not wait for the history index: a first
// start of a large wiki serves pages while that is built.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !s.wiki.Ready(r.Context()) {
		http.Error(w, "repository not readable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) handleLanguage(w http.ResponseWriter, r *http.Request) {
	lang := mux.Vars(r)["lang"]
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	back := r.URL.Query().Get("back")
	// Only local paths, so that the switch cannot be used to send a user
	// to another site.
	http.Redirect(w, r, localPath(back), http.StatusSeeOther)
}

// pageName parses the {page} route variable.
func pageName(r *http.Request) (wiki.Name, error) {
	return wiki.ParseName(mux.Vars(r)["page"])
}

// editablePage parses the {page} route variable and checks that the user
// may change that page: the first step of every write handler.
func (s *Server) editablePage(r *http.Request) (wiki.Name, error) {
	name, err := pageName(r)
	if err != nil {
		return "", err
	}
	return name, s.mayEdit(r, name)
}

// gitPrefixOf is the git mount point with a final "/".
func gitPrefixOf(p string) string {
	if p == "" {
		p = "/wiki.git"
	}
	return strings.TrimSuffix(p, "/") + "/"
}
