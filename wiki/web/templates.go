package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// templates holds one parsed template per page of the theme, each
// combined with the shared layout.
type templates struct {
	byName map[string]*template.Template
}

// pageTemplates are the theme's page templates; each defines "content"
// (and may define "title") inside layout.html.
var pageTemplates = []string{"view", "missing", "edit", "history", "diff", "recent", "pages", "error", "rename", "delete", "blame",
	"login", "account", "setup", "admin", "admin-users", "admin-user", "onetime-link", "admin-sync", "admin-replica",
	"search", "new", "links", "wanted", "orphans", "tags", "files", "file-history", "file-move",
	"account-2fa", "login-2fa", "admin-audit", "watchlist", "unsubscribe", "proposals", "proposal", "talk",
	"accessibility", "revert"}

func loadTemplates(theme fs.FS) (*templates, error) {
	funcs := template.FuncMap{
		"pageURL":    func(n wiki.Name) string { return n.URL() },
		"editURL":    func(n wiki.Name) string { return wiki.EditURL(n) },
		"historyURL": func(n wiki.Name) string { return "/-/history/" + n.EscapedPath() },
		"rawURL":     func(n wiki.Name) string { return "/-/raw/" + n.EscapedPath() },
		// fileHistoryURL is the history of a file, by repository path.
		"fileHistoryURL": fileHistoryURL,
		"fileURL":        wiki.FileURL,
		"fileRenameURL":  func(p string) string { return strings.Replace(wiki.FileURL(p), "/-/files/", "/-/file-rename/", 1) },
		"fileDeleteURL":  func(p string) string { return strings.Replace(wiki.FileURL(p), "/-/files/", "/-/file-delete/", 1) },
		"diffURL": func(n wiki.Name, from, to string) string {
			return "/-/diff/" + n.EscapedPath() + "?" + url.Values{"from": {from}, "to": {to}}.Encode()
		},
		"revURL": func(n wiki.Name, rev string) string {
			return n.URL() + "?" + url.Values{"rev": {rev}}.Encode()
		},
		"pathPage": func(p string) wiki.Name { n, _ := wiki.ParsePath(p); return n },
		"short":    shortRev,
		"isoTime":  func(t time.Time) string { return t.Format(time.RFC3339) },
		"crumbs":   crumbs,
		// contribURL links to a person's contributions.
		"contribURL": func(author string) string { return "/-/contributions/" + url.PathEscape(author) },
	}
	layout, err := fs.ReadFile(theme, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("theme: %w", err)
	}
	t := &templates{byName: map[string]*template.Template{}}
	for _, name := range pageTemplates {
		file := path.Join("templates", name+".html")
		body, err := fs.ReadFile(theme, file)
		if err != nil {
			return nil, fmt.Errorf("theme: %w", err)
		}
		tmpl, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err == nil {
			_, err = tmpl.New(name).Parse(string(body))
		}
		if err != nil {
			return nil, fmt.Errorf("theme template %s: %w", file, err)
		}
		t.byName[name] = tmpl
	}
	return t, nil
}

func shortRev(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// crumb is one step of a breadcrumb trail.
type crumb struct {
	Label string
	URL   string // "" for a folder without a page of its own
}

// crumbs returns the folders above a page, each linked to the page of the
// folder's name (which offers to create it when it does not exist).
func crumbs(n wiki.Name) []crumb {
	parts := strings.Split(string(n), "/")
	out := make([]crumb, 0, len(parts)-1)
	for i := 1; i < len(parts); i++ {
		folder := wiki.Name(strings.Join(parts[:i], "/"))
		out = append(out, crumb{Label: parts[i-1], URL: folder.URL()})
	}
	return out
}

// base holds what the layout needs on every page. Page data structs embed
// it.
type base struct {
	// Lang is the interface language, "nl" or "en".
	Lang string
	// Title is the document title (without the site name).
	Title string
	// Name is the page the view is about, for the page actions; "" on
	// wiki-wide pages.
	Name wiki.Name
	// Path is the request path, for the language switch.
	Path string
	// CanEdit shows edit actions.
	CanEdit bool
	// CloneURL is the git address of the wiki, "" to hide it.
	CloneURL string
	// User is the signed-in user, nil for an anonymous visitor.
	User *wiki.User
	// Accounts is true when people can sign in at all.
	Accounts bool
	// IsAdmin shows the link to account management.
	IsAdmin bool
	// LoginURL signs in and comes back to this page.
	LoginURL string
	// CSRFToken goes into every form that changes something (field
	// csrf_token) and, for editor.js, into a meta element.
	CSRFToken string
	// Indexing says, while the history is first indexed, how far it is;
	// "" otherwise.
	Indexing string
	// site is the name, logo and statement address (a11y.go); loc the
	// wiki's time zone, for every time shown.
	site Site
	loc  *time.Location
	// origin is scheme and host as the browser used them, for the
	// address printed on paper (print.css).
	origin string
	// now is when the page is made, for relative times (When).
	now time.Time
	// wikiLang is the language of page content (-lang), for content
	// shown outside a page view.
	wikiLang string
}

// T translates a message key into the page's language.
func (b base) T(key string, args ...any) string { return translate(b.Lang, key, args...) }

// Date formats a time for people, in the page's language.
func (b base) Date(t time.Time) string {
	months := [2][12]string{
		{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	}
	i := 0
	if b.Lang == "en" {
		i = 1
	}
	t = b.inZone(t)
	return fmt.Sprintf("%d %s %d %02d:%02d", t.Day(), months[i][t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

func (s *Server) base(r *http.Request, title string, name wiki.Name) base {
	u := currentUser(r)
	login := "/-/login"
	if p := returnPath(r); !strings.HasPrefix(p, "/-/login") && !strings.HasPrefix(p, "/-/setup") && !strings.HasPrefix(p, "/-/oidc/") {
		login = loginURL(p)
	}
	return base{
		Lang:      s.chooseLang(r),
		Title:     title,
		Name:      name,
		Path:      r.URL.RequestURI(),
		CanEdit:   s.policy.CanEdit(u, name),
		CloneURL:  s.cloneURLFor(r),
		User:      u,
		Accounts:  s.accounts != nil,
		IsAdmin:   s.accounts != nil && s.policy.CanAdmin(u),
		LoginURL:  login,
		CSRFToken: csrfToken(r),
		Indexing:  s.indexingNotice(r),
		site:      s.site,
		loc:       s.wiki.Location(),
		origin:    s.printOrigin(r),
		now:       s.now(),
		wikiLang:  s.pageLang(""),
	}
}

// indexingNotice is the notice shown while the history index is built.
func (s *Server) indexingNotice(r *http.Request) string {
	done, total, busy := s.wiki.Indexing()
	if !busy {
		return ""
	}
	pct := 0
	if total > 0 {
		pct = done * 100 / total
	}
	return translate(s.chooseLang(r), "indexing", done, total, pct)
}

// render writes a page template with its layout.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	b, err := s.execute(name, data)
	if err != nil {
		return err
	}
	return writeHTML(w, status, b)
}

// execute runs a page template into a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (s *Server) execute(name string, data any) ([]byte, error) {
	tmpl, ok := s.templates.byName[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

func writeHTML(w http.ResponseWriter, status int, b []byte) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

type errorData struct {
	base
	Status  int
	Message string
	// SignIn is set on 401 pages: signing in may help.
	SignIn bool
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d := errorData{base: s.base(r, "", ""), Status: status, Message: msg,
		SignIn: status == http.StatusUnauthorized && s.accounts != nil && currentUser(r) == nil}
	d.Title = d.T(fmt.Sprintf("error-%d", status))
	if err := s.render(w, status, "error", d); err != nil {
		s.log.ErrorContext(r.Context(), "render error page", "err", err)
		http.Error(w, msg, status)
	}
}

// cloneURLFor is the git address as the user reaches the wiki.
func (s *Server) cloneURLFor(r *http.Request) string {
	if s.cloneURL == "" || r.Host == "" {
		return s.cloneURL
	}
	return s.absoluteBase(r) + strings.TrimSuffix(s.gitPrefix, "/")
}
