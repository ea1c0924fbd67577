package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// auditShown is how many audit log entries the admin page shows.
const auditShown = 200

type adminData struct {
	base
	// Users, Admins and Disabled count the accounts for the overview.
	Users, Admins, Disabled int
	Audit                   []wiki.AuditEvent
	// Sync is true when the wiki mirrors to or takes changes from another
	// git server (/-/admin/sync).
	Sync bool
}

// handleAdmin is the admin overview: links to the accounts and the audit
// log, and the newest audit events.
func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	users, err := s.accounts.List(r.Context())
	if err != nil {
		return err
	}
	events, err := s.accounts.AuditLog(r.Context(), auditShown)
	if err != nil {
		return err
	}
	d := adminData{base: s.base(r, "", ""), Users: len(users), Audit: events, Sync: s.sync != nil}
	for _, u := range users {
		if u.Disabled {
			d.Disabled++
		} else if u.Role == wiki.RoleAdmin {
			d.Admins++
		}
	}
	d.Title = d.T("admin")
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "admin", d)
}

// handleAdminUser changes one account. Field action is "save" (display
// name, e-mail, role, groups, language), "role" (with field role),
// "disable", "enable", "invite" or "reset" (a one-time link, mailed or
// shown on the answer). An admin cannot change their own role or disable
// themselves, so that the last admin cannot lock everyone out.
func (s *Server) handleAdminUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	me := currentUser(r)
	f := r.PostForm
	u, err := s.accounts.User(r.Context(), mux.Vars(r)["user"])
	if err != nil {
		return err
	}
	self := u.Name == me.Name
	by := s.actor(r)
	action := f.Get("action")
	var ch wiki.UserUpdate
	switch action {
	case "save":
		display, email, lang, groups := f.Get("display_name"), f.Get("email"), f.Get("lang"), splitGroups(f.Get("groups"))
		role := wiki.Role(f.Get("role"))
		ch = wiki.UserUpdate{DisplayName: &display, Email: &email, Lang: &lang, Groups: &groups}
		if role != u.Role {
			if self {
				return errOwnAccount
			}
			ch.Role = &role
		}
	case "role":
		if self {
			return errOwnAccount
		}
		role, err := wiki.ParseRole(f.Get("role"))
		if err != nil {
			return err
		}
		ch.Role = &role
	case "disable", "enable":
		if self {
			return errOwnAccount
		}
		disabled := action == "disable"
		ch.Disabled = &disabled
	case "invite", "reset":
		sent, err := s.makeLink(r, u, wiki.LinkPurpose(action))
		if err != nil {
			if status, ok := formRefusal(err); ok {
				return s.renderAdminUser(w, r, u.Name, func(d *adminUserData) { d.Error = publicMessage(err, status) })
			}
			return err
		}
		return s.renderAdminUser(w, r, u.Name, func(d *adminUserData) { d.Sent = &sent })
	default:
		return fmt.Errorf("%w: unknown action %q", wiki.ErrInvalidInput, action)
	}
	if _, err := s.accounts.UpdateUser(r.Context(), by, u.Name, ch); err != nil {
		if status, ok := formRefusal(err); ok && action == "save" {
			return s.renderAdminUser(w, r, u.Name, func(d *adminUserData) { d.Error = publicMessage(err, status) })
		}
		return err
	}
	if action == "save" {
		http.Redirect(w, r, "/-/admin/users/"+url.PathEscape(u.Name)+"?done=saved", http.StatusSeeOther)
		return nil
	}
	back := "/-/admin/users?"
	if strings.HasPrefix(f.Get("back"), "user") {
		back = "/-/admin/users/" + url.PathEscape(u.Name) + "?"
	}
	http.Redirect(w, r, back+url.Values{"done": {action}, "user": {u.Name}}.Encode(), http.StatusSeeOther)
	return nil
}
