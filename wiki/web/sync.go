package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// SyncService is the git sync with the organisation's git server (package
// gitsync, adapted by cmd/wikiwerk) as the admin page and the webhook see
// it.
type SyncService interface {
	// Mirror returns the mirror's state; false when no mirror is set up.
	Mirror() (wiki.MirrorStatus, bool)
	// Upstream returns the upstream sync's state; false when none is set
	// up.
	Upstream() (wiki.UpstreamStatus, bool)
	// SyncUpstream asks the upstream sync for a round now and returns
	// without waiting; false when no upstream is set up.
	SyncUpstream() bool
	// DismissNotice removes the notice about an upstream commit; the
	// branch it is kept as stays. An unknown commit is wiki.ErrNotFound.
	DismissNotice(commit string) error
}

// SyncConfig sets up the sync's admin page and webhook.
type SyncConfig struct {
	// Service is the sync.
	Service SyncService
	// HookToken is the secret that POST /-/api/sync must bring as a
	// bearer token (WIKIWERK_SYNC_TOKEN); "" switches the webhook off.
	// Only its hash is kept.
	HookToken string
}

// syncPages serves /-/admin/sync and /-/api/sync.
type syncPages struct {
	svc SyncService
	// hookHash is the SHA-256 of the webhook's token, nil for no webhook.
	hookHash []byte
}

func newSyncPages(c *SyncConfig) *syncPages {
	if c == nil || c.Service == nil {
		return nil
	}
	p := &syncPages{svc: c.Service}
	if c.HookToken != "" {
		h := sha256.Sum256([]byte(c.HookToken))
		p.hookHash = h[:]
	}
	return p
}

const syncHookPath = "/-/api/sync"

// isSyncHook reports whether r is the webhook's call, which brings its own
// token and so is answered where reading needs an account too.
func isSyncHook(r *http.Request) bool {
	return r.URL.Path == syncHookPath && r.Method == http.MethodPost
}

func (s *Server) registerSyncRoutes(r, api *mux.Router) {
	r.Handle("/-/admin/sync", s.html(s.handleAdminSync)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/admin/sync", s.html(s.handleAdminSyncAction)).Methods(http.MethodPost)
	api.Handle("/sync", s.api(s.handleSyncStatusAPI)).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/sync", s.api(s.handleSyncHook)).Methods(http.MethodPost)
}

type adminSyncData struct {
	base
	Mirror   *wiki.MirrorStatus
	Upstream *wiki.UpstreamStatus
	// Done reports the action that led here.
	Done string
}

// When shows a time on the admin page; "not yet" for none.
func (d adminSyncData) When(t time.Time) string {
	if t.IsZero() {
		return d.T("sync-never")
	}
	return d.Date(t)
}

func (s *Server) handleAdminSync(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	d := adminSyncData{base: s.base(r, "", "")}
	d.Title = d.T("sync-title")
	if s.sync != nil {
		if m, ok := s.sync.svc.Mirror(); ok {
			d.Mirror = &m
		}
		if u, ok := s.sync.svc.Upstream(); ok {
			d.Upstream = &u
		}
	}
	switch done := r.URL.Query().Get("done"); done {
	case "sync", "dismiss":
		d.Done = d.T("sync-done-" + done)
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "admin-sync", d)
}

// handleAdminSyncAction runs an admin's action: action=sync fetches from
// the upstream now, action=dismiss (with commit) removes a notice.
func (s *Server) handleAdminSyncAction(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	if s.sync == nil {
		return fmt.Errorf("git sync: %w", wiki.ErrNotFound)
	}
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: %v", wiki.ErrInvalidInput, err)
	}
	action := r.PostForm.Get("action")
	switch action {
	case "sync":
		if !s.sync.svc.SyncUpstream() {
			return fmt.Errorf("upstream: %w", wiki.ErrNotFound)
		}
		s.audit(r, wiki.AuditEvent{Kind: "sync-now", Subject: "upstream", Detail: "fetch asked for on the admin page"})
	case "dismiss":
		commit := r.PostForm.Get("commit")
		if err := s.sync.svc.DismissNotice(commit); err != nil {
			return err
		}
		s.audit(r, wiki.AuditEvent{Kind: "sync-dismiss", Subject: commit, Detail: "upstream notice dismissed"})
	default:
		return &syncInputError{key: "sync-bad-action"}
	}
	http.Redirect(w, r, "/-/admin/sync?"+url.Values{"done": {action}}.Encode(), http.StatusSeeOther)
	return nil
}

// handleSyncStatusAPI answers the sync's state as JSON, for admins.
func (s *Server) handleSyncStatusAPI(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	out := struct {
		Mirror   *wiki.MirrorStatus   `json:"mirror"`
		Upstream *wiki.UpstreamStatus `json:"upstream"`
	}{}
	if s.sync != nil {
		if m, ok := s.sync.svc.Mirror(); ok {
			out.Mirror = &m
		}
		if u, ok := s.sync.svc.Upstream(); ok {
			out.Upstream = &u
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleSyncHook is the webhook of the organisation's git server: with
// the right bearer token it starts a fetch from the upstream (202).
// Without a webhook token or an upstream it does not exist (404); without
// a token it asks for one (401), and a wrong one is refused (403).
func (s *Server) handleSyncHook(w http.ResponseWriter, r *http.Request) error {
	if s.sync == nil || s.sync.hookHash == nil {
		return fmt.Errorf("%s: %w", syncHookPath, wiki.ErrNotFound)
	}
	if _, ok := s.sync.svc.Upstream(); !ok {
		return fmt.Errorf("%s: %w", syncHookPath, wiki.ErrNotFound)
	}
	token, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="wikiwerk"`)
		return &deniedError{status: http.StatusUnauthorized, key: "sync-hook-signin"}
	}
	given := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(given[:], s.sync.hookHash) != 1 {
		s.audit(r, wiki.AuditEvent{Kind: "denied", Subject: syncHookPath, Detail: "wrong sync token"})
		return &deniedError{status: http.StatusForbidden, key: "sync-hook-denied"}
	}
	s.sync.svc.SyncUpstream()
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "started"})
	return nil
}

// bearerToken returns the token of an "Authorization: Bearer" header;
// GitLab's webhooks send it as X-Gitlab-Token instead, which is taken too.
func bearerToken(r *http.Request) (string, bool) {
	if v := r.Header.Get("Authorization"); v != "" {
		scheme, token, ok := strings.Cut(v, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != "" {
			return strings.TrimSpace(token), true
		}
		return "", false
	}
	if v := r.Header.Get("X-Gitlab-Token"); v != "" {
		return v, true
	}
	return "", false
}

// syncInputError is a bad request with a translated message.
type syncInputError struct{ key string }

func (e *syncInputError) Error() string              { return translate("en", e.key) }
func (e *syncInputError) Unwrap() error              { return wiki.ErrInvalidInput }
func (e *syncInputError) message(lang string) string { return translate(lang, e.key) }
