// Package web serves the wiki over HTTP: HTML pages that work without
// JavaScript, a JSON API under /-/api/, and static theme assets. Handlers
// return errors; one place maps them to statuses and error pages.
package web

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"golang.org/x/text/language"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Config holds what a Server needs.
type Config struct {
	// Wiki is the service behind every route.
	Wiki *wiki.Wiki
	// Theme holds templates/*.html and static/*; see package themes.
	Theme fs.FS
	// AnonymousEdits allows edits without an account, authored by the
	// name the editor gives. When false, every write is refused (403)
	// until accounts exist.
	AnonymousEdits bool
	// MaxBodyBytes bounds request bodies; default 2 MiB.
	MaxBodyBytes int64
	// Logger receives server-side errors; default slog.Default().
	Logger *slog.Logger
	// Git, when set, serves the content repository under /wiki.git/.
	Git http.Handler
	// CloneURL is shown to users as the address to clone; "" hides it.
	CloneURL string
}

// Server is the wiki's HTTP handler.
type Server struct {
	wiki      *wiki.Wiki
	router    *mux.Router
	templates *templates
	static    http.Handler
	anonymous bool
	maxBody   int64
	log       *slog.Logger
	cloneURL  string
	languages language.Matcher
	views     *viewCache
	presence  *presence
}

// New builds a Server; it fails if the theme's templates do not parse.
func New(cfg Config) (*Server, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 2 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
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
		wiki:      cfg.Wiki,
		templates: tmpl,
		static:    http.StripPrefix("/-/static/", http.FileServerFS(staticFS)),
		anonymous: cfg.AnonymousEdits,
		maxBody:   cfg.MaxBodyBytes,
		log:       cfg.Logger,
		cloneURL:  cfg.CloneURL,
		languages: newLanguageMatcher(),
		views:     newViewCache(1000),
		presence:  newPresence(nil),
	}
	r := mux.NewRouter()
	// Names are validated by the handlers after decoding. Cleaning would
	// turn "/a/../b" into a redirect instead of the 400 it deserves.
	r.SkipClean(true)
	if cfg.Git != nil {
		r.PathPrefix("/wiki.git/").Handler(cfg.Git)
	}
	s.registerAPIRoutes(r.PathPrefix("/-/api/").Subrouter())
	s.registerActionRoutes(r)
	s.registerPageRoutes(r)
	r.NotFoundHandler = s.html(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%s: %w", r.URL.Path, wiki.ErrNotFound)
	})
	r.MethodNotAllowedHandler = s.html(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, errMethod)
	})
	s.router = r
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	}
	s.router.ServeHTTP(w, r)
}

// setSecurityHeaders sets headers that keep page content from running
// script or being framed, whatever the sanitiser misses.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
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

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	snap, err := s.wikiSnapshot(r)
	if err != nil || snap == "" {
		http.Error(w, "repository not readable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// wikiSnapshot returns the head revision; healthz uses it to prove that
// the repository was read.
func (s *Server) wikiSnapshot(r *http.Request) (string, error) {
	pages, err := s.wiki.Recent(r.Context(), wiki.HistoryQuery{Limit: 1})
	if err != nil || len(pages) == 0 {
		return "", err
	}
	return pages[0].ID, nil
}

func (s *Server) handleLanguage(w http.ResponseWriter, r *http.Request) {
	lang := mux.Vars(r)["lang"]
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	back := r.URL.Query().Get("back")
	// Only local paths, so that the switch cannot be used to send a user
	// to another site.
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.Contains(back, "\\") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// pageName parses the {page} route variable.
func pageName(r *http.Request) (wiki.Name, error) {
	return wiki.ParseName(mux.Vars(r)["page"])
}

// canEdit reports whether writes are allowed for this request.
func (s *Server) canEdit(r *http.Request) error {
	if !s.anonymous {
		return fmt.Errorf("%w: editing is switched off (start the wiki with -anonymous-edits to allow it)", wiki.ErrForbidden)
	}
	return nil
}
