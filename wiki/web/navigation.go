package web

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/links"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// LinkGraph is the wiki's link graph as the web shows it; *links.Graph
// satisfies it.
type LinkGraph interface {
	// Page returns what the graph knows of a page: title, tags, links,
	// whether it is a redirect stub, its last change.
	Page(n wiki.Name) (links.Page, bool)
	// Links returns the pages n links to, resolved.
	Links(n wiki.Name) []links.Link
	// Backlinks returns the pages that link to n.
	Backlinks(n wiki.Name) []wiki.Name
	// Wanted returns the missing pages that pages link to.
	Wanted() []links.Wanted
	// Orphans returns the pages no other page links to.
	Orphans() []wiki.Name
	// Tags returns every tag with its number of pages.
	Tags() []links.Tag
	// Tagged returns a tag's spelling and its pages.
	Tagged(tag string) (string, []wiki.Name)
	// Building reports whether the graph is still incomplete.
	Building() bool
}

// navOff is the error of a navigation list on a wiki without a link graph.
type navOff struct{}

func (navOff) Error() string              { return translate("en", "nav-off") }
func (navOff) message(lang string) string { return translate(lang, "nav-off") }
func (navOff) Unwrap() error              { return wiki.ErrNotFound }

// TagURL is the list of the pages with a tag.
func (base) TagURL(tag string) string { return "/-/tags/" + url.PathEscape(tag) }

// LinksURL is "what links here" of a page.
func (base) LinksURL(n wiki.Name) string { return "/-/links/" + n.EscapedPath() }

// navItem is a page in a navigation list.
type navItem struct {
	Name  wiki.Name
	Title string
	// URL is the page, or its editor when it does not exist.
	URL string
	// Exists is false for a page that does not exist (yet).
	Exists bool
	// Redirect is true for a redirect stub.
	Redirect bool
	// Changed says who changed it last and when; "" when unknown.
	Changed string
}

// navItem describes page n for a list in the reader's language.
func (s *Server) navItem(b base, n wiki.Name) navItem {
	it := navItem{Name: n, Title: n.Title(), URL: n.URL(), Exists: true}
	if p, ok := s.links.Page(n); ok {
		it.Title, it.Redirect = p.Title, p.Redirect != ""
		if p.Author != "" && !p.Time.IsZero() {
			it.Changed = b.T("search-changed", p.Author, b.Date(p.Time))
		}
	} else {
		it.Exists = false
		it.URL = wiki.EditURL(n)
	}
	return it
}

// navItems describes the pages of a list that the reader may read.
func (s *Server) navItems(r *http.Request, b base, names []wiki.Name) []navItem {
	canRead := s.readable(r)
	out := []navItem{}
	for _, n := range names {
		if canRead(n) {
			out = append(out, s.navItem(b, n))
		}
	}
	return out
}

// navBase is the base of a navigation list, with the notice of a graph
// still being built.
type navBase struct {
	base
	Building bool
}

func (s *Server) navBase(r *http.Request, titleKey string, name wiki.Name, args ...any) (navBase, error) {
	if s.links == nil {
		return navBase{}, navOff{}
	}
	b := s.base(r, "", name)
	b.Title = b.T(titleKey, args...)
	return navBase{base: b, Building: s.links.Building()}, nil
}

type linksData struct {
	navBase
	Page wiki.Name
	// Exists is false for a page that does not exist (yet).
	Exists    bool
	Backlinks []navItem
	Links     []navItem
}

// handleLinksHere shows what links to a page and what it links to. A
// page that does not exist has no links of its own, but may be wanted.
func (s *Server) handleLinksHere(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	title := name.Title()
	if s.links != nil {
		if p, ok := s.links.Page(name); ok {
			title = p.Title
		}
	}
	nb, err := s.navBase(r, "links-title", name, title)
	if err != nil {
		return err
	}
	d := linksData{navBase: nb, Page: name, Exists: s.wiki.Exists(r.Context(), name)}
	d.Backlinks = s.navItems(r, d.base, s.links.Backlinks(name))
	canRead := s.readable(r)
	d.Links = []navItem{}
	for _, l := range s.links.Links(name) {
		if canRead(l.Name) {
			d.Links = append(d.Links, s.navItem(d.base, l.Name))
		}
	}
	status := http.StatusOK
	if !d.Exists && len(d.Backlinks) == 0 {
		status = http.StatusNotFound
	}
	return s.render(w, status, "links", d)
}

// handleAPILinks answers {"links": [...], "backlinks": [...]}: the pages
// a page links to (resolved: the existing page when only letter case
// differs) and the pages that link to it, sorted by name. A page that does
// not exist links nowhere, but may be linked to.
func (s *Server) handleAPILinks(w http.ResponseWriter, r *http.Request) error {
	if s.links == nil {
		return navOff{}
	}
	name, err := pageName(r)
	if err != nil {
		return err
	}
	canRead := s.readable(r)
	out := struct {
		Links     []wiki.Name `json:"links"`
		Backlinks []wiki.Name `json:"backlinks"`
	}{Links: []wiki.Name{}, Backlinks: []wiki.Name{}}
	for _, l := range s.links.Links(name) {
		if canRead(l.Name) {
			out.Links = append(out.Links, l.Name)
		}
	}
	for _, n := range s.links.Backlinks(name) {
		if canRead(n) {
			out.Backlinks = append(out.Backlinks, n)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// wantedItem is a missing page and the pages that link to it.
type wantedItem struct {
	Name wiki.Name
	// CreateURL is its editor, "" when the reader may not create it.
	CreateURL string
	From      []navItem
}

type wantedData struct {
	navBase
	Wanted []wantedItem
}

// handleWanted lists the pages that are linked to but do not exist, the
// most wanted first.
func (s *Server) handleWanted(w http.ResponseWriter, r *http.Request) error {
	nb, err := s.navBase(r, "wanted", "")
	if err != nil {
		return err
	}
	d := wantedData{navBase: nb, Wanted: []wantedItem{}}
	canRead := s.readable(r)
	for _, wt := range s.links.Wanted() {
		if !canRead(wt.Name) {
			continue
		}
		it := wantedItem{Name: wt.Name, From: s.navItems(r, d.base, wt.From)}
		if len(it.From) == 0 {
			continue
		}
		if s.policy.CanEdit(d.User, wt.Name) {
			it.CreateURL = wiki.EditURL(wt.Name)
		}
		d.Wanted = append(d.Wanted, it)
	}
	return s.render(w, http.StatusOK, "wanted", d)
}

type orphansData struct {
	navBase
	Orphans []navItem
}

// handleOrphans lists the pages that no other page links to.
func (s *Server) handleOrphans(w http.ResponseWriter, r *http.Request) error {
	nb, err := s.navBase(r, "orphans", "")
	if err != nil {
		return err
	}
	d := orphansData{navBase: nb}
	d.Orphans = s.navItems(r, d.base, s.links.Orphans())
	return s.render(w, http.StatusOK, "orphans", d)
}

type tagsData struct {
	navBase
	// Tags is the list of all tags, on /-/tags.
	Tags []links.Tag
	// Tag and Pages are one tag and its pages, on /-/tags/{tag}.
	Tag   string
	Pages []navItem
	// SearchURL searches within the tag.
	SearchURL string
}

// handleTags lists every tag with its number of pages.
func (s *Server) handleTags(w http.ResponseWriter, r *http.Request) error {
	nb, err := s.navBase(r, "tags", "")
	if err != nil {
		return err
	}
	d := tagsData{navBase: nb, Tags: s.links.Tags()}
	return s.render(w, http.StatusOK, "tags", d)
}

// handleTag lists the pages with one tag (letter case ignored).
func (s *Server) handleTag(w http.ResponseWriter, r *http.Request) error {
	tag := mux.Vars(r)["tag"]
	nb, err := s.navBase(r, "tag-title", "", tag)
	if err != nil {
		return err
	}
	spelled, pages := s.links.Tagged(tag)
	if spelled == "" {
		spelled = tag
	}
	d := tagsData{navBase: nb, Tag: spelled, Pages: s.navItems(r, nb.base, pages)}
	d.Title = d.T("tag-title", spelled)
	if s.search != nil {
		d.SearchURL = searchForm{Tag: spelled}.url()
	}
	status := http.StatusOK
	if len(d.Pages) == 0 {
		status = http.StatusNotFound
	}
	return s.render(w, status, "tags", d)
}
