package web

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds account management by admins: the list of accounts on
// /-/admin/users, one account's page, invitations and password resets
// (mailed when mail is set up, else shown to pass on), and the same as
// JSON under /-/api/users. POST /-/admin/users/{user} is registered with
// the other account routes (login.go) and handled in admin.go.

func (s *Server) registerUserRoutes(r *mux.Router) {
	r.Handle("/-/admin/users", s.html(s.handleAdminUsers)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/admin/users", s.html(s.handleAdminCreate)).Methods(http.MethodPost)
	r.Handle("/-/admin/users/{user}", s.html(s.handleAdminUserPage)).Methods(http.MethodGet, http.MethodHead)
	s.registerLinkRoutes(r)
	s.registerSelfServiceRoutes(r)
}

func (s *Server) registerUserAPIRoutes(api *mux.Router) {
	api.Handle("/users", s.api(s.handleAPIUsers)).Methods(http.MethodGet)
	api.Handle("/users", s.api(s.handleAPIUserCreate)).Methods(http.MethodPost)
	api.Handle("/users/{user}/invite", s.api(s.handleAPIUserLink(wiki.LinkInvite))).Methods(http.MethodPost)
	api.Handle("/users/{user}/reset", s.api(s.handleAPIUserLink(wiki.LinkReset))).Methods(http.MethodPost)
	api.Handle("/users/{user}", s.api(s.handleAPIUser)).Methods(http.MethodGet)
	api.Handle("/users/{user}", s.api(s.handleAPIUserPatch)).Methods(http.MethodPatch)
}

// allRoles are the roles in the order the forms offer them.
var allRoles = []wiki.Role{wiki.RoleReader, wiki.RoleEditor, wiki.RoleAdmin}

// actor is the signed-in admin as the audit log records them.
func (s *Server) actor(r *http.Request) wiki.Actor {
	a := wiki.Actor{IP: s.clientIP(r)}
	if u := currentUser(r); u != nil {
		a.Name = u.Name
	}
	return a
}

// userFilter is the filter of the list of accounts.
type userFilter struct {
	// Q matches login name, display name or e-mail address, any case.
	Q string
	// Role is "" or a role.
	Role string
	// Status is "", "active" or "disabled".
	Status string
}

func (f userFilter) matches(u wiki.User) bool {
	if q := strings.ToLower(f.Q); q != "" && !strings.Contains(u.Name, q) &&
		!strings.Contains(strings.ToLower(u.DisplayName), q) && !strings.Contains(strings.ToLower(u.Email), q) {
		return false
	}
	if f.Role != "" && string(u.Role) != f.Role {
		return false
	}
	switch f.Status {
	case "active":
		return !u.Disabled
	case "disabled":
		return u.Disabled
	}
	return true
}

type adminUsersData struct {
	base
	Users []wiki.User
	// Invited says until when accounts without a password are invited.
	Invited map[string]time.Time
	Total   int
	Filter  userFilter
	Roles   []wiki.Role
	// Form is the create form as submitted, after a refusal.
	Form  userForm
	Error string
	Done  string
}

// userForm is the account form as typed.
type userForm struct {
	Name, DisplayName, Email, Role, Groups, Lang string
	// Invite is true to invite, false to set a password now.
	Invite bool
}

// filterOf reads the filter from the query; unknown values filter
// nothing.
func filterOf(r *http.Request) userFilter {
	q := r.URL.Query()
	f := userFilter{Q: strings.TrimSpace(q.Get("q")), Role: q.Get("role"), Status: q.Get("status")}
	if _, err := wiki.ParseRole(f.Role); err != nil {
		f.Role = ""
	}
	if f.Status != "active" && f.Status != "disabled" {
		f.Status = ""
	}
	return f
}

// listUsers returns the accounts that match f, and how many there are
// in all.
func (s *Server) listUsers(r *http.Request, f userFilter) ([]wiki.User, int, error) {
	users, err := s.accounts.List(r.Context())
	if err != nil {
		return nil, 0, err
	}
	var out []wiki.User
	for _, u := range users {
		if f.matches(u) {
			out = append(out, u)
		}
	}
	return out, len(users), nil
}

func (s *Server) adminUsersData(r *http.Request) (adminUsersData, error) {
	d := adminUsersData{base: s.base(r, "", ""), Roles: allRoles, Form: userForm{Role: string(wiki.RoleEditor), Invite: true}}
	d.Title = d.T("users-title")
	d.Filter = filterOf(r)
	var err error
	if d.Users, d.Total, err = s.listUsers(r, d.Filter); err != nil {
		return d, err
	}
	d.Invited, err = s.accounts.PendingInvites(r.Context())
	return d, err
}

func (s *Server) handleAdminUsers(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	d, err := s.adminUsersData(r)
	if err != nil {
		return err
	}
	switch done := r.URL.Query().Get("done"); done {
	case "role", "disable", "enable":
		d.Done = d.T("admin-done-"+done, r.URL.Query().Get("user"))
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "admin-users", d)
}

func splitGroups(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

// handleAdminCreate makes an account: with a password the admin passes
// on, or (the default) with an invitation where the person chooses it.
func (s *Server) handleAdminCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := r.PostForm
	form := userForm{Name: strings.TrimSpace(f.Get("name")), DisplayName: strings.TrimSpace(f.Get("display_name")),
		Email: strings.TrimSpace(f.Get("email")), Role: f.Get("role"), Groups: f.Get("groups"), Lang: f.Get("lang"),
		Invite: f.Get("how") != "password"}
	w.Header().Set("Cache-Control", "no-store")
	refuse := func(status int, msg string) error {
		d, err := s.adminUsersData(r)
		if err != nil {
			return err
		}
		d.Form, d.Error = form, msg
		return s.render(w, status, "admin-users", d)
	}
	u := wiki.User{Name: form.Name, DisplayName: form.DisplayName, Email: form.Email, Role: wiki.Role(form.Role),
		Groups: splitGroups(form.Groups), Lang: form.Lang}
	by := s.actor(r)
	var (
		created *wiki.User
		err     error
	)
	if form.Invite {
		created, err = s.accounts.CreateInvited(r.Context(), by, u)
	} else {
		if f.Get("password") != f.Get("password2") {
			return refuse(http.StatusBadRequest, translate(s.chooseLang(r), "password-mismatch"))
		}
		created, err = s.accounts.CreateBy(r.Context(), by, u, f.Get("password"))
	}
	if err != nil {
		if status := statusOf(err); status < 500 {
			return refuse(status, publicMessage(err, status))
		}
		return err
	}
	if !form.Invite {
		http.Redirect(w, r, "/-/admin/users/"+url.PathEscape(created.Name)+"?done=created", http.StatusSeeOther)
		return nil
	}
	sent, err := s.makeLink(r, created, wiki.LinkInvite)
	if err != nil {
		return err
	}
	return s.renderAdminUser(w, r, created.Name, func(d *adminUserData) { d.Sent = &sent })
}

// sentLink is a one-time link just made, as the admin page shows it.
type sentLink struct {
	Purpose wiki.LinkPurpose
	// URL is shown only when the link was not mailed.
	URL     string
	Expires time.Time
	// MailedTo is the address it went to, "" when it was not mailed.
	MailedTo string
}

// makeLink makes a one-time link for u and mails it to them when mail is
// set up and they have an address.
func (s *Server) makeLink(r *http.Request, u *wiki.User, p wiki.LinkPurpose) (sentLink, error) {
	link, err := s.accounts.NewLink(r.Context(), s.actor(r), u.Name, p)
	if err != nil {
		return sentLink{}, err
	}
	sent := sentLink{Purpose: p, URL: s.absoluteURL(r, linkPath(link.Purpose, link.Secret)), Expires: link.Expires}
	if s.mail == nil || u.Email == "" {
		return sent, nil
	}
	if _, err := s.mail.Enqueue(r.Context(), s.linkMail(r, u, sent)); err != nil {
		// The link exists; the admin can still pass it on by hand.
		s.log.Error("mail a one-time link", "user", u.Name, "purpose", string(p), "err", err)
		return sent, nil
	}
	sent.MailedTo = u.Email
	return sent, nil
}

// linkPath is the page of a one-time link.
func linkPath(p wiki.LinkPurpose, secret string) string {
	return "/-/" + string(p) + "/" + secret
}

// mailLang is the language of mail to u: theirs, else the wiki's.
func (s *Server) mailLang(u *wiki.User) string {
	if u.Lang == "en" || u.Lang == "nl" {
		return u.Lang
	}
	if s.contentLang == "en" {
		return "en"
	}
	return "nl"
}

// linkMail is the message that brings a one-time link, in the
// recipient's language, as plain text and HTML.
func (s *Server) linkMail(r *http.Request, u *wiki.User, sent sentLink) mail.Message {
	lang := s.mailLang(u)
	by := ""
	if me := currentUser(r); me != nil {
		by = me.Author().Name
	}
	site := s.absoluteURL(r, "/")
	var subject, intro string
	if sent.Purpose == wiki.LinkInvite {
		subject = translate(lang, "users-mail-invite-subject")
		intro = translate(lang, "users-mail-invite", by, u.Name)
	} else {
		subject = translate(lang, "users-mail-reset-subject")
		intro = translate(lang, "users-mail-reset", u.Name)
	}
	valid := translate(lang, "users-mail-valid", (base{Lang: lang}).Date(sent.Expires))
	hello := translate(lang, "users-mail-hello", u.Author().Name)
	ignore := translate(lang, "users-mail-ignore")
	text := hello + "\n\n" + intro + "\n\n" + sent.URL + "\n\n" + valid + "\n" + ignore + "\n\n-- \n" + site + "\n"
	e := html.EscapeString
	htm := "<p>" + e(hello) + "</p>\n<p>" + e(intro) + "</p>\n<p><a href=\"" + e(sent.URL) + "\">" + e(sent.URL) + "</a></p>\n<p>" +
		e(valid) + "<br>" + e(ignore) + "</p>\n<p>-- <br>" + e(site) + "</p>\n"
	return mail.Message{To: mail.Address{Name: u.Author().Name, Email: u.Email}, Subject: subject, Text: text, HTML: htm, Lang: lang}
}

type adminUserData struct {
	base
	Account  *wiki.User
	Self     bool
	Password bool
	Roles    []wiki.Role
	Groups   string
	Sent     *sentLink
	Done     string
	Error    string
}

// renderAdminUser shows the page of one account; adjust fills in the
// outcome of what led here.
func (s *Server) renderAdminUser(w http.ResponseWriter, r *http.Request, name string, adjust func(*adminUserData)) error {
	u, err := s.accounts.User(r.Context(), name)
	if err != nil {
		return err
	}
	has, err := s.accounts.HasPassword(r.Context(), u.Name)
	if err != nil {
		return err
	}
	d := adminUserData{base: s.base(r, "", ""), Account: u, Password: has, Roles: allRoles,
		Groups: strings.Join(u.Groups, ", ")}
	d.Self = d.User != nil && d.User.Name == u.Name
	d.Title = d.T("user-title", u.Name)
	status := http.StatusOK
	if adjust != nil {
		adjust(&d)
		if d.Error != "" {
			status = http.StatusBadRequest
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, status, "admin-user", d)
}

func (s *Server) handleAdminUserPage(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	done := r.URL.Query().Get("done")
	return s.renderAdminUser(w, r, mux.Vars(r)["user"], func(d *adminUserData) {
		switch done {
		case "created", "saved", "role", "disable", "enable":
			d.Done = d.T("user-done-"+done, d.Account.Name)
		}
	})
}

// errOwnAccount refuses an admin's change of their own role or status,
// so that the last admin cannot lock everyone out.
var errOwnAccount = fmt.Errorf("%w: you cannot change your own role or disable yourself here; ask another admin, or use the wikiwerk user command", wiki.ErrForbidden)

// userJSON is an account in the API.
type userJSON struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Role        wiki.Role `json:"role"`
	Groups      []string  `json:"groups"`
	Disabled    bool      `json:"disabled"`
	Lang        string    `json:"lang"`
	Created     time.Time `json:"created"`
}

func toUserJSON(u *wiki.User) userJSON {
	return userJSON{Name: u.Name, DisplayName: u.DisplayName, Email: u.Email, Role: u.Role,
		Groups: append([]string{}, u.Groups...), Disabled: u.Disabled, Lang: u.Lang, Created: u.Created}
}

func (s *Server) handleAPIUsers(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	users, _, err := s.listUsers(r, filterOf(r))
	if err != nil {
		return err
	}
	out := make([]userJSON, 0, len(users))
	for i := range users {
		out = append(out, toUserJSON(&users[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

func (s *Server) handleAPIUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	u, err := s.accounts.User(r.Context(), mux.Vars(r)["user"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
	return nil
}

// handleAPIUserCreate makes an account: with "password", ready to use;
// without, invited, and the answer has the invitation's "link" (mailed
// too when mail is set up).
func (s *Server) handleAPIUserCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	var body struct {
		Name        string    `json:"name"`
		DisplayName string    `json:"display_name"`
		Email       string    `json:"email"`
		Role        wiki.Role `json:"role"`
		Groups      []string  `json:"groups"`
		Lang        string    `json:"lang"`
		Password    string    `json:"password"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	u := wiki.User{Name: body.Name, DisplayName: body.DisplayName, Email: body.Email, Role: body.Role, Groups: body.Groups, Lang: body.Lang}
	by := s.actor(r)
	if body.Password == "" {
		created, err := s.accounts.CreateInvited(r.Context(), by, u)
		if err != nil {
			return err
		}
		sent, err := s.makeLink(r, created, wiki.LinkInvite)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, map[string]any{"user": toUserJSON(created), "link": sent.URL,
			"expires": sent.Expires, "mailed": sent.MailedTo != ""})
		return nil
	}
	created, err := s.accounts.CreateBy(r.Context(), by, u, body.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": toUserJSON(created)})
	return nil
}

// handleAPIUserPatch changes the fields given; "name" may be given but
// not changed (login names are stable: they are in pseudonymous commit
// addresses and in protected-folder rules).
func (s *Server) handleAPIUserPatch(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	var body struct {
		Name        *string    `json:"name"`
		DisplayName *string    `json:"display_name"`
		Email       *string    `json:"email"`
		Role        *wiki.Role `json:"role"`
		Groups      *[]string  `json:"groups"`
		Disabled    *bool      `json:"disabled"`
		Lang        *string    `json:"lang"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	name := mux.Vars(r)["user"]
	if body.Name != nil && !strings.EqualFold(*body.Name, name) {
		return fmt.Errorf("%w: a login name cannot be changed", wiki.ErrInvalidInput)
	}
	if me := currentUser(r); strings.EqualFold(me.Name, name) && (body.Role != nil && *body.Role != me.Role || body.Disabled != nil && *body.Disabled) {
		return errOwnAccount
	}
	u, err := s.accounts.UpdateUser(r.Context(), s.actor(r), name, wiki.UserUpdate{DisplayName: body.DisplayName, Email: body.Email,
		Role: body.Role, Groups: body.Groups, Disabled: body.Disabled, Lang: body.Lang})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
	return nil
}

// handleAPIUserLink makes an invitation or reset link: {"link",
// "expires", "mailed"}.
func (s *Server) handleAPIUserLink(p wiki.LinkPurpose) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.mayAdmin(r); err != nil {
			return err
		}
		u, err := s.accounts.User(r.Context(), mux.Vars(r)["user"])
		if err != nil {
			return err
		}
		sent, err := s.makeLink(r, u, p)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]any{"link": sent.URL, "expires": sent.Expires, "mailed": sent.MailedTo != ""})
		return nil
	}
}

// formRefusal reports whether err is a mistake in a form, to be shown on
// the form itself (with what was typed) rather than as an error page.
func formRefusal(err error) (int, bool) {
	status := statusOf(err)
	return status, status < 500 && !errors.Is(err, wiki.ErrForbidden) && !errors.Is(err, wiki.ErrUnauthenticated)
}
