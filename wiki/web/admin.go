package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// AccountAdmin is what the admin page needs of the account store besides
// AccountStore (storage/accounts implements it). The store records each
// change in the audit log itself, with the admin as actor.
type AccountAdmin interface {
	// List returns every account, sorted by login name.
	List(ctx context.Context) ([]wiki.User, error)
	// SetRole changes a user's role.
	SetRole(ctx context.Context, by wiki.Actor, name string, role wiki.Role) error
	// SetDisabled disables an account (its sessions end and its tokens
	// stop working at once) or enables it again.
	SetDisabled(ctx context.Context, by wiki.Actor, name string, disabled bool) error
}

// auditShown is how many audit log entries the admin page shows.
const auditShown = 200

type adminData struct {
	base
	Users []wiki.User
	Roles []wiki.Role
	Audit []wiki.AuditEvent
	// Done reports the change that led here.
	Done string
}

func (s *Server) accountAdmin() (AccountAdmin, error) {
	a, ok := s.accounts.(AccountAdmin)
	if !ok {
		return nil, fmt.Errorf("%w: this account store cannot be managed from the web", wiki.ErrNotFound)
	}
	return a, nil
}

func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	admin, err := s.accountAdmin()
	if err != nil {
		return err
	}
	users, err := admin.List(r.Context())
	if err != nil {
		return err
	}
	events, err := s.accounts.AuditLog(r.Context(), auditShown)
	if err != nil {
		return err
	}
	d := adminData{base: s.base(r, "", ""), Users: users, Audit: events,
		Roles: []wiki.Role{wiki.RoleReader, wiki.RoleEditor, wiki.RoleAdmin}}
	d.Title = d.T("admin-title")
	switch done := r.URL.Query().Get("done"); done {
	case "role", "disable", "enable":
		d.Done = d.T("admin-done-"+done, r.URL.Query().Get("user"))
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "admin", d)
}

// handleAdminUser changes one account: field action is "role" (with
// field role), "disable" or "enable". An admin cannot change their own
// account here, so that the last admin cannot lock everyone out.
func (s *Server) handleAdminUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	admin, err := s.accountAdmin()
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	me := currentUser(r)
	name := mux.Vars(r)["user"]
	if strings.EqualFold(name, me.Name) {
		return fmt.Errorf("%w: you cannot change your own account here; ask another admin, or use the wikiwerk user command", wiki.ErrForbidden)
	}
	by := wiki.Actor{Name: me.Name, IP: s.clientIP(r)}
	action := r.PostForm.Get("action")
	switch action {
	case "role":
		role, err := wiki.ParseRole(r.PostForm.Get("role"))
		if err != nil {
			return err
		}
		err = admin.SetRole(r.Context(), by, name, role)
		if err != nil {
			return err
		}
	case "disable", "enable":
		if err := admin.SetDisabled(r.Context(), by, name, action == "disable"); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: unknown action %q", wiki.ErrInvalidInput, action)
	}
	http.Redirect(w, r, "/-/admin?"+url.Values{"done": {action}, "user": {name}}.Encode(), http.StatusSeeOther)
	return nil
}
