package web

import (
	"fmt"
	"net/http"

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

func (s *Server) registerReplicaRoutes(api *mux.Router) {
	api.Handle("/whoami", s.api(s.handleWhoami)).Methods(http.MethodGet, http.MethodHead)
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
