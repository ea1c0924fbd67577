package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds what makes the wiki fit for a public body beyond its
// pages: the site's name and logo, the accessibility page and statement
// (/-/accessibility), the current-item marking of the menus and the
// wiki's time zone on every time shown.

// Site is how the wiki presents itself (Config.Site): an organisation
// brands it with flags, without a rebuild.
type Site struct {
	// Name is the site's name in the header and the window title
	// (-site-name); "" is "wikiwerk".
	Name string
	// Logo is the address of an image shown before the name in the
	// header (-logo): a path on this site, such as a file of the -theme
	// folder under /-/static/, or an https: URL; "" shows none.
	Logo string
	// AccessibilityStatement is the address of the organisation's own
	// accessibility statement (-accessibility-statement), which
	// /-/accessibility links to; "" says that it is still to be
	// published.
	AccessibilityStatement string
}

// siteName is the name to show.
func (s Site) siteName() string {
	if s.Name == "" {
		return "wikiwerk"
	}
	return s.Name
}

// ValidSiteLink checks a -logo or -accessibility-statement address: a
// path on the site or an https: (or http:) URL, nothing that runs.
func ValidSiteLink(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	switch {
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(v, "//"):
		return nil
	case (u.Scheme == "https" || u.Scheme == "http") && u.Host != "":
		return nil
	}
	return wiki.ErrInvalidInput
}

// SiteName is the site's name for the layout.
func (b base) SiteName() string { return b.site.siteName() }

// Logo is the address of the site's logo, "" for none.
func (b base) Logo() string { return b.site.Logo }

// Current reports whether href (a path, as the layout's menus link it) is
// the page being shown, so that the header menu and the page actions
// mark it with aria-current="page" (WCAG 1.3.1: where you are is not told
// by colour or position alone). The query is ignored: an old version is
// still the page's "view" tab.
func (b base) Current(href string) bool {
	p := b.Path
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if href == "/" {
		href = wiki.FrontPage.URL()
	}
	return p == href
}

// Address is the absolute address of the page shown, printed at the top
// of a printed page (print.css): paper does not say where it came from.
func (b base) Address() string { return b.origin + b.Path }

// printOrigin is scheme and host of the wiki as the request reached it,
// BaseURL when set.
func (s *Server) printOrigin(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	if r.Host == "" {
		return ""
	}
	return s.absoluteBase(r)
}

// inZone is t in the wiki's time zone (-timezone).
func (b base) inZone(t time.Time) time.Time {
	if b.loc == nil {
		return t
	}
	return t.In(b.loc)
}

// accessibilityPath is the accessibility page, linked from every footer.
const accessibilityPath = "/-/accessibility"

func (s *Server) registerAccessibilityRoutes(r *mux.Router) {
	r.Handle(accessibilityPath, s.html(s.handleAccessibility)).Methods(http.MethodGet, http.MethodHead)
}

type accessibilityData struct {
	base
	// Statement is the organisation's statement, "" when not set.
	Statement string
}

// handleAccessibility shows what the software's accessibility was tested
// against and with what result (docs/accessibility.md in short), and
// links to the organisation's own statement when -accessibility-statement
// names it.
func (s *Server) handleAccessibility(w http.ResponseWriter, r *http.Request) error {
	d := accessibilityData{base: s.base(r, "", ""), Statement: s.site.AccessibilityStatement}
	d.Title = d.T("a11y-title")
	return s.render(w, http.StatusOK, "accessibility", d)
}
