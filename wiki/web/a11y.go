package web

import (
	"fmt"
	"html/template"
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

// WikiLang is the language of the wiki's content (-lang), for page text
// shown outside the page view, such as a rendered comparison: a screen
// reader then reads Dutch text with a Dutch voice on an English page.
func (b base) WikiLang() string { return b.wikiLang }

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

// When shows a time for people: relative ("2 uur geleden", "gisteren om
// 14:20") in the page's language, in a <time> with the exact time as
// datetime and, with the time zone, as tooltip. Times more than a week
// ago, or ahead of the clock, show the date itself.
func (b base) When(t time.Time) template.HTML {
	exact := b.Date(t)
	zoned := b.inZone(t)
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		template.HTMLEscapeString(zoned.Format(time.RFC3339)),
		template.HTMLEscapeString(exact+" "+zoned.Format("MST")),
		template.HTMLEscapeString(b.relative(t, exact))))
}

// relative is t said relative to b.now, or exact when that reads better.
func (b base) relative(t time.Time, exact string) string {
	now := b.inZone(b.now)
	t = b.inZone(t)
	d := now.Sub(t)
	plural := func(n int, one, many string) string {
		if n == 1 {
			return b.T(one)
		}
		return b.T(many, n)
	}
	switch {
	case b.now.IsZero() || d < 0:
		return exact
	case d < time.Minute:
		return b.T("a11y-just-now")
	case d < time.Hour:
		return plural(int(d/time.Minute), "a11y-minute-ago", "a11y-minutes-ago")
	case d < 12*time.Hour || sameDay(t, now):
		return plural(int(d/time.Hour), "a11y-hour-ago", "a11y-hours-ago")
	}
	days := daysBetween(t, now)
	switch {
	case days == 1:
		return b.T("a11y-yesterday-at", t.Format("15:04"))
	case days < 7:
		return b.T("a11y-days-ago", days)
	}
	return exact
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// daysBetween counts calendar days from a to b, both in one zone.
func daysBetween(a, b time.Time) int {
	ad := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	bd := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(bd.Sub(ad).Hours() / 24)
}

// dayOfChanges is one day of recent changes.
type dayOfChanges struct {
	// ID is the day as YYYY-MM-DD, for the heading's id.
	ID string
	// Label is "Vandaag", "Gisteren" or the weekday and date.
	Label   string
	Changes []wiki.Revision
}

// Days groups revisions, newest first, by the day they were made on in
// the wiki's time zone, so that recent changes read as a diary.
func (b base) Days(revs []wiki.Revision) []dayOfChanges {
	var out []dayOfChanges
	now := b.inZone(b.now)
	for _, r := range revs {
		t := b.inZone(r.Time)
		id := t.Format("2006-01-02")
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, dayOfChanges{ID: id, Label: b.dayLabel(t, now)})
		}
		out[len(out)-1].Changes = append(out[len(out)-1].Changes, r)
	}
	return out
}

func (b base) dayLabel(t, now time.Time) string {
	if !b.now.IsZero() {
		switch daysBetween(t, now) {
		case 0:
			return b.T("a11y-today")
		case 1:
			return b.T("a11y-yesterday")
		}
	}
	weekdays := [2][7]string{
		{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
		{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	}
	months := [2][12]string{
		{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	}
	i := 0
	if b.Lang == "en" {
		i = 1
	}
	return fmt.Sprintf("%s %d %s %d", weekdays[i][t.Weekday()], t.Day(), months[i][t.Month()-1], t.Year())
}

// LineCounts says how many lines a version added and removed, for screen
// readers, which read "+3 −1" as "plus 3 minus 1" at best.
func (b base) LineCounts(added, removed int) string {
	count := func(n int, one, many string) string {
		if n == 1 {
			return b.T(one)
		}
		return b.T(many, n)
	}
	return count(added, "a11y-line-added", "lines-added") + ", " + count(removed, "a11y-line-removed", "lines-removed")
}
