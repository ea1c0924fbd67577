package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// WhoamiPath answers who a request's credentials (the session cookie or
// HTTP Basic) belong to. A read replica (wikiwerk serve -replica-of) has no
// accounts of its own: it asks its primary here, with the credentials its
// visitor brought, and caches the answer briefly.
const WhoamiPath = "/-/api/whoami"

// WhoamiJSON is the answer of WhoamiPath: the signed-in user as the
// replica needs it to apply the wiki's policy and record the author.
type WhoamiJSON struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Role        wiki.Role `json:"role"`
	Groups      []string  `json:"groups"`
	Lang        string    `json:"lang,omitempty"`
	TwoFactor   bool      `json:"two_factor"`
}

// User returns the answer as a wiki.User.
func (j WhoamiJSON) User() *wiki.User {
	return &wiki.User{Name: j.Name, DisplayName: j.DisplayName, Email: j.Email, Role: j.Role, Groups: j.Groups, Lang: j.Lang, TwoFactor: j.TwoFactor}
}

// ReplicaState is a read replica's state, for its admin page.
type ReplicaState struct {
	// Primary is the primary's address, without credentials.
	Primary string `json:"primary"`
	// PrimaryHead is the primary's main as last seen; Head the replica's.
	PrimaryHead string `json:"primary_head"`
	Head        string `json:"head"`
	// Behind counts the commits of PrimaryHead not applied yet.
	Behind int `json:"behind"`
	// Fetched says a fetch succeeded since the start, last at
	// LastSuccess.
	Fetched     bool      `json:"fetched"`
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Diverged: the replica stopped following (its main has commits the
	// primary's lacks).
	Diverged bool `json:"diverged"`
}

// ReplicaAdminPath is the replica's own admin page; a replica serves it
// itself (every other admin page is the primary's).
const ReplicaAdminPath = "/-/admin/replica"

func (s *Server) registerReplicaRoutes(r, api *mux.Router) {
	api.Handle("/whoami", s.api(s.handleWhoami)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(ReplicaAdminPath, s.html(s.handleAdminReplica)).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/replica", s.api(s.handleReplicaAPI)).Methods(http.MethodGet, http.MethodHead)
}

type adminReplicaData struct {
	base
	State ReplicaState
}

// When shows a time; "not yet" for none.
func (d adminReplicaData) When(t time.Time) string {
	if t.IsZero() {
		return d.T("replica-never")
	}
	return d.Date(t)
}

// Short is a commit id as shown.
func (d adminReplicaData) Short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func (s *Server) replicaState(r *http.Request) (ReplicaState, error) {
	if err := s.mayAdmin(r); err != nil {
		return ReplicaState{}, err
	}
	if s.replica == nil {
		return ReplicaState{}, fmt.Errorf("this wiki is not a replica: %w", wiki.ErrNotFound)
	}
	return s.replica(), nil
}

// handleAdminReplica shows admins how far the replica is behind its
// primary.
func (s *Server) handleAdminReplica(w http.ResponseWriter, r *http.Request) error {
	st, err := s.replicaState(r)
	if err != nil {
		return err
	}
	d := adminReplicaData{base: s.base(r, "", ""), State: st}
	d.Title = d.T("replica-title")
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "admin-replica", d)
}

// handleReplicaAPI answers the replica's state as JSON, for admins.
func (s *Server) handleReplicaAPI(w http.ResponseWriter, r *http.Request) error {
	st, err := s.replicaState(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, st)
	return nil
}

// handleWhoami answers the request's user, 401 for an anonymous one. It
// says nothing the credentials' holder does not know already.
func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if u == nil {
		return fmt.Errorf("who am I: %w", wiki.ErrUnauthenticated)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, WhoamiJSON{Name: u.Name, DisplayName: u.DisplayName, Email: u.Email, Role: u.Role, Groups: u.Groups, Lang: u.Lang, TwoFactor: u.TwoFactor})
	return nil
}
