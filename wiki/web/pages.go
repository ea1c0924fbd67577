package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/wikiwerk/wikiwerk/wiki"
)

type viewData struct {
	base
	Page *wiki.RenderedPage
	// Rev is the revision asked for with ?rev=, "" for the current page.
	Rev string
	// Saved and Unchanged report the save that led here.
	Saved, Unchanged bool
	// MergedWith is the change a save was merged with, when it was.
	MergedWith *wiki.Revision
	// RedirectedFrom is the old name a redirect led from.
	RedirectedFrom wiki.Name
	// RenamedFrom and LinksUpdated report the rename that led here.
	RenamedFrom  wiki.Name
	LinksUpdated int
	// Reverted reports the revert that led here.
	Reverted bool
	// CurrentRev is the page's current revision when an old one is shown.
	CurrentRev string
	// ContentLang is the language of the page's text (front matter lang:,
	// else the wiki's), for its lang attribute (WCAG 3.1.2).
	ContentLang string
	// Follow is the follow buttons and the changed-since notice, nil for
	// anonymous visitors (follow.go).
	Follow *followView
}

type missingData struct {
	base
	Missing wiki.Name
	// Deletion is set when the page existed and was deleted.
	Deletion *wiki.Deletion
	// Follow offers to follow the folder of this name (follow.go).
	Follow *followView
}

func (s *Server) handlePageView(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	rev := r.URL.Query().Get("rev")
	p, err := s.wiki.View(r.Context(), name, rev)
	if errors.Is(err, wiki.ErrNotFound) && rev == "" {
		d := missingData{base: s.base(r, name.Title(), name), Missing: name, Follow: s.followState(r, name, "")}
		d.Title = d.T("missing-title")
		if del, err := s.wiki.DeletedPage(r.Context(), name); err == nil {
			d.Deletion = del
			d.Title = d.T("deleted-title")
		}
		return s.render(w, http.StatusNotFound, "missing", d)
	}
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if to, ok := wiki.RedirectTarget(p.Content); ok && rev == "" && q.Get("redirect") != "no" && s.wiki.Exists(r.Context(), to) {
		http.Redirect(w, r, to.URL()+"?"+url.Values{"redirected-from": {string(name)}}.Encode(), http.StatusFound)
		return nil
	}
	d := viewData{base: s.base(r, p.Title(), name), Page: p, Rev: rev,
		Saved: r.URL.Query().Has("saved"), Unchanged: r.URL.Query().Has("unchanged"),
		ContentLang: s.pageLang(p.Doc.Lang)}
	if from, err := wiki.ParseName(q.Get("redirected-from")); err == nil {
		d.RedirectedFrom = from
	}
	if from, err := wiki.ParseName(q.Get("renamed-from")); err == nil {
		d.RenamedFrom = from
		d.LinksUpdated, _ = strconv.Atoi(q.Get("links"))
	}
	d.Reverted = q.Has("reverted")
	if rev == "" {
		d.Follow = s.followState(r, name, p.Revision.ID)
	}
	if rev != "" {
		// The current revision, for "restore this version".
		if cur, err := s.wiki.Page(r.Context(), name, ""); err == nil {
			d.CurrentRev = cur.Revision.ID
		}
	}
	if m := r.URL.Query().Get("merged"); m != "" {
		if rev, err := s.wiki.Revision(r.Context(), m); err == nil {
			d.MergedWith = rev
		}
	}
	if rev != "" {
		// Old versions must not be indexed as if they were the page.
		w.Header().Set("X-Robots-Tag", "noindex")
	}
	if r.URL.RawQuery != "" {
		return s.render(w, http.StatusOK, "view", d)
	}
	// The plain view of a page is what nearly every request asks for: it
	// is served from a cache of whole responses, and revalidated by ETag.
	key := viewKey{version: p.Version, path: r.URL.Path, lang: d.Lang, canEdit: d.CanEdit, who: viewer(d.User, d.IsAdmin) + d.Follow.cacheKey()}
	form := ""
	if c, err := r.Cookie(csrfCookie); err == nil {
		form = c.Value
	}
	etag := key.etag(form)
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	b, ok := s.views.get(key)
	if !ok {
		token := d.CSRFToken
		d.CSRFToken = csrfPlaceholder
		if b, err = s.execute("view", d); err != nil {
			return err
		}
		s.views.put(key, b)
		d.CSRFToken = token
	}
	b = bytes.ReplaceAll(b, []byte(csrfPlaceholder), []byte(template.HTMLEscapeString(d.CSRFToken)))
	return writeHTML(w, http.StatusOK, b)
}

// viewer is what a page view shows of the signed-in user.
func viewer(u *wiki.User, admin bool) string {
	if u == nil {
		return ""
	}
	return u.Name + "\x00" + u.Author().Name + "\x00" + strconv.FormatBool(admin)
}

func (s *Server) handleRaw(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	p, err := s.wiki.Page(r.Context(), name, r.URL.Query().Get("rev"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("ETag", `"`+p.Blob+`"`)
	_, err = w.Write(p.Content)
	return err
}

// trailItem is one step of a page's breadcrumb trail.
type trailItem struct {
	Label, URL string
	// Current marks the page itself, the last step.
	Current bool
}

// Trail is the page's breadcrumb trail: the front page, the folders above
// the page (each linked to the page of the folder's name), and the page
// itself. The front page has none.
func (d viewData) Trail() []trailItem {
	n := d.Page.Name
	if n == wiki.FrontPage {
		return nil
	}
	out := []trailItem{{Label: d.T("home"), URL: wiki.FrontPage.URL()}}
	for _, c := range crumbs(n) {
		out = append(out, trailItem{Label: c.Label, URL: c.URL})
	}
	return append(out, trailItem{Label: d.Page.Title(), URL: n.URL(), Current: true})
}

type pagesData struct {
	base
	// Filter is the text the list is filtered by.
	Filter string
	// Total counts the pages (redirect stubs left out), Shown those that
	// pass the filter.
	Total, Shown int
	// Tree holds the pages by folder.
	Tree []*treeNode
	// Links is true when the wanted, orphans and tags lists exist.
	Links bool
	// Building is true while the link graph is built: titles may be
	// missing, and redirect stubs listed.
	Building bool
}

// treeNode is a folder or a page (or both: a page whose name is also a
// folder) in the tree of all pages.
type treeNode struct {
	// Label is the last segment of the name.
	Label string
	// Name is the full name.
	Name wiki.Name
	// Page is the page of this name, nil for a folder without one.
	Page *treePage
	// Children are the pages and folders inside, sorted by label.
	Children []*treeNode
	// Key is what the filter looks in: the folded name and title.
	Key   string
	index map[string]*treeNode
}

// treePage is a page in the tree.
type treePage struct {
	Title, URL string
	// Changed says who changed it last and when, "" when unknown.
	Changed string
}

// handleAllPages shows every page in a tree of folders, with titles and
// last changes, without redirect stubs; ?filter= keeps the pages whose
// name or title holds the text (letter case and accents ignored).
func (s *Server) handleAllPages(w http.ResponseWriter, r *http.Request) error {
	pages, err := s.wiki.Pages(r.Context())
	if err != nil {
		return err
	}
	d := pagesData{base: s.base(r, "", ""), Filter: strings.TrimSpace(r.URL.Query().Get("filter")), Links: s.links != nil}
	d.Title = d.T("allpages")
	if s.links != nil {
		d.Building = s.links.Building()
	}
	filter := foldText(d.Filter)
	canRead := s.readable(r)
	root := &treeNode{index: map[string]*treeNode{}}
	for _, p := range pages {
		if !canRead(p.Name) {
			continue
		}
		tp := &treePage{Title: p.Name.Title(), URL: p.Name.URL()}
		if s.links != nil {
			if info, ok := s.links.Page(p.Name); ok {
				if info.Redirect != "" {
					continue
				}
				tp.Title = info.Title
				if info.Author != "" && !info.Time.IsZero() {
					tp.Changed = d.T("search-changed", info.Author, d.Date(info.Time))
				}
			}
		}
		d.Total++
		key := foldText(string(p.Name) + " " + tp.Title)
		if filter != "" && !strings.Contains(key, filter) {
			continue
		}
		d.Shown++
		node := root.child(p.Name)
		node.Page, node.Key = tp, key
	}
	root.sort()
	d.Tree = root.Children
	return s.render(w, http.StatusOK, "pages", d)
}

// child returns the node of name below n, making it and the folders
// above it.
func (n *treeNode) child(name wiki.Name) *treeNode {
	cur := n
	segs := strings.Split(string(name), "/")
	for i, seg := range segs {
		next, ok := cur.index[seg]
		if !ok {
			full := wiki.Name(strings.Join(segs[:i+1], "/"))
			next = &treeNode{Label: seg, Name: full, Key: foldText(string(full)), index: map[string]*treeNode{}}
			cur.index[seg] = next
			cur.Children = append(cur.Children, next)
		}
		cur = next
	}
	return cur
}

// sort orders the children of every node by label, letter case ignored.
func (n *treeNode) sort() {
	slices.SortFunc(n.Children, func(a, b *treeNode) int {
		if c := strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label)); c != 0 {
			return c
		}
		return strings.Compare(a.Label, b.Label)
	})
	for _, c := range n.Children {
		c.sort()
	}
}

// foldText lowercases s and takes the accents off its letters, so that a
// filter "financiele" finds "Financiële".
func foldText(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// pageLang is the language of a page's content: its front matter lang:,
// else the wiki's.
func (s *Server) pageLang(front string) string {
	if front != "" {
		return front
	}
	if s.contentLang != "" {
		return s.contentLang
	}
	return "nl"
}
