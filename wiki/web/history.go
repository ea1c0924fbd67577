package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/feeds"
	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// historyQuery reads ?limit= and ?before= for paged listings.
func historyQuery(r *http.Request) (wiki.HistoryQuery, error) {
	q := wiki.HistoryQuery{Before: r.URL.Query().Get("before")}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return q, fmt.Errorf("%w: limit must be a positive number", wiki.ErrInvalidInput)
		}
		q.Limit = n
	}
	return q, nil
}

type historyData struct {
	base
	Page      wiki.Name
	Revisions []wiki.PageRevision
	// Exists is false for a deleted page, which still has a history.
	Exists bool
	// Older links to the next page of the listing, "" at the end.
	Older string
	// Paged is true when this is not the first page of the listing.
	Paged bool
}

const historyPageSize = 50

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	q, err := historyQuery(r)
	if err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = historyPageSize
	}
	// One more than shown tells whether there is an older page.
	want := q.Limit
	q.Limit++
	revs, err := s.wiki.History(r.Context(), name, q)
	if err != nil {
		return err
	}
	d := historyData{base: s.base(r, "", name), Page: name, Exists: s.wiki.Exists(r.Context(), name), Paged: q.Before != ""}
	d.Title = d.T("history-of", name)
	if len(revs) > want {
		revs = revs[:want]
		d.Older = "/-/history/" + name.EscapedPath() + "?" + url.Values{"before": {revs[want-1].ID}, "limit": {strconv.Itoa(want)}}.Encode()
	}
	d.Revisions = revs
	if len(revs) == 0 && !d.Exists {
		return fmt.Errorf("history of %s: %w", name, wiki.ErrNotFound)
	}
	return s.render(w, http.StatusOK, "history", d)
}

type diffData struct {
	base
	Cmp *wiki.Comparison
	// FromRev and ToRev describe the two sides; FromRev is nil when the
	// page was created in ToRev.
	FromRev, ToRev *wiki.Revision
	// View is "unified", "split" or "rendered".
	View string
	// Rows and SplitRows hold the lines of the unified and side-by-side
	// views, with long unchanged runs folded.
	Rows      []diffRow
	SplitRows []splitRow
	// Blocks is the rendered comparison, unchanged runs folded.
	Blocks []blockGroup
	// PrevURL and NextURL lead to the change before and after this one.
	PrevURL, NextURL string
	// ViewURL returns this comparison in another view.
	ViewURL func(view string) string
}

func (s *Server) handleDiff(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	cmp, err := s.wiki.Compare(r.Context(), name, from, to)
	if err != nil {
		return err
	}
	d := diffData{base: s.base(r, "", name), Cmp: cmp, ToRev: &cmp.To.Revision, View: r.URL.Query().Get("view")}
	if cmp.From != nil {
		d.FromRev = &cmp.From.Revision
	}
	d.Title = d.T("diff-of", name)
	switch d.View {
	case "split":
		d.SplitRows = splitRows(cmp.Diff.Lines)
	case "rendered":
		blocks, err := s.wiki.RenderedComparison(r.Context(), cmp)
		if err != nil {
			return err
		}
		d.Blocks = groupBlocks(blocks)
	default:
		d.View = "unified"
		d.Rows = unifiedRows(cmp.Diff.Lines)
	}
	d.ViewURL = func(view string) string {
		v := url.Values{"view": {view}, "to": {cmp.To.Revision.ID}}
		if d.FromRev != nil {
			v.Set("from", d.FromRev.ID)
		}
		return "/-/diff/" + name.EscapedPath() + "?" + v.Encode()
	}
	d.PrevURL, d.NextURL = s.neighbours(r, name, d.FromRev, d.ToRev, d.View)
	return s.render(w, http.StatusOK, "diff", d)
}

// neighbours finds the changes just before from and just after to in the
// page's history, for "previous change" and "next change" links.
func (s *Server) neighbours(r *http.Request, name wiki.Name, from, to *wiki.Revision, view string) (prev, next string) {
	hist, err := s.wiki.History(r.Context(), name, wiki.HistoryQuery{Limit: 500})
	if err != nil {
		return "", ""
	}
	link := func(a, b string) string {
		return "/-/diff/" + name.EscapedPath() + "?" + url.Values{"from": {a}, "to": {b}, "view": {view}}.Encode()
	}
	for i, h := range hist {
		if h.ID == to.ID && i > 0 {
			next = link(to.ID, hist[i-1].ID)
		}
		if from != nil && h.ID == from.ID && i+1 < len(hist) {
			prev = link(hist[i+1].ID, from.ID)
		}
	}
	return prev, next
}

type recentData struct {
	base
	Changes []wiki.Revision
	Older   string
	// Filter is the query as given, to refill the filter form.
	Filter recentFilter
	// FeedURL is the Atom feed of exactly this listing.
	FeedURL string
	// Seen marks the changes the signed-in user has not seen (follow.go).
	Seen *recentSeen
	// Comments are the newest changes of discussions (talk.go), listed
	// apart from page edits; only on the first, unfiltered page.
	Comments []wiki.TalkChange
}

// recentFilter is the filter form of recent changes.
type recentFilter struct {
	Author, Folder, Since, Until string
}

// filterQuery reads the filters of recent changes: author, folder and a
// period of days (since and until as YYYY-MM-DD, until inclusive).
func filterQuery(r *http.Request, q *wiki.HistoryQuery) (recentFilter, error) {
	v := r.URL.Query()
	f := recentFilter{Author: strings.TrimSpace(v.Get("author")), Folder: strings.Trim(strings.TrimSpace(v.Get("folder")), "/"),
		Since: v.Get("since"), Until: v.Get("until")}
	q.Author = f.Author
	if f.Folder != "" {
		folder, err := wiki.ParseName(f.Folder)
		if err != nil {
			return f, err
		}
		q.Folder = string(folder)
	}
	for _, p := range []struct {
		text string
		into *time.Time
		add  int
	}{{f.Since, &q.Since, 0}, {f.Until, &q.Until, 1}} {
		if p.text == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", p.text, time.Local)
		if err != nil {
			return f, fmt.Errorf("%w: %q is not a date (YYYY-MM-DD)", wiki.ErrInvalidInput, p.text)
		}
		*p.into = day.AddDate(0, 0, p.add)
	}
	return f, nil
}

func (f recentFilter) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"author": f.Author, "folder": f.Folder, "since": f.Since, "until": f.Until} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

func (s *Server) handleRecent(w http.ResponseWriter, r *http.Request) error {
	return s.recent(w, r, "")
}

// handleContributions lists one person's changes across the wiki.
func (s *Server) handleContributions(w http.ResponseWriter, r *http.Request) error {
	author := mux.Vars(r)["author"]
	if author == "" || len(author) > 200 {
		return fmt.Errorf("%w: no author given", wiki.ErrInvalidInput)
	}
	return s.recent(w, r, author)
}

func (s *Server) recent(w http.ResponseWriter, r *http.Request, author string) error {
	q, err := historyQuery(r)
	if err != nil {
		return err
	}
	f, err := filterQuery(r, &q)
	if err != nil {
		return err
	}
	if author != "" {
		f.Author, q.Author = author, author
	}
	if q.Limit == 0 {
		q.Limit = historyPageSize
	}
	want := q.Limit
	q.Limit++
	revs, err := s.wiki.Recent(r.Context(), q)
	if err != nil {
		return err
	}
	d := recentData{base: s.base(r, "", ""), Filter: f}
	d.Title = d.T("recent")
	if author != "" {
		d.Title = d.T("contributions-of", author)
	}
	v := f.values()
	d.FeedURL = "/-/recent.atom"
	if len(v) > 0 {
		d.FeedURL += "?" + v.Encode()
	}
	if len(revs) > want {
		revs = revs[:want]
		v.Set("before", revs[want-1].ID)
		v.Set("limit", strconv.Itoa(want))
		d.Older = r.URL.Path + "?" + v.Encode()
	}
	d.Changes = revs
	d.Seen = s.unseenChanges(r, revs)
	if len(v) == 0 && r.URL.Query().Get("before") == "" {
		d.Comments = s.recentComments(r)
	}
	return s.render(w, http.StatusOK, "recent", d)
}

// handleRecentFeed serves recent changes as Atom, with the same filters as
// the page (so ?folder=WMO-loket is the feed of a folder). Every entry
// links to the change itself: the diff of the page it changed.
func (s *Server) handleRecentFeed(w http.ResponseWriter, r *http.Request) error {
	q := wiki.HistoryQuery{Limit: 50}
	f, err := filterQuery(r, &q)
	if err != nil {
		return err
	}
	revs, err := s.wiki.Recent(r.Context(), q)
	if err != nil {
		return err
	}
	site := s.absoluteBase(r)
	lang := s.chooseLang(r)
	title := "wikiwerk: " + translate(lang, "recent")
	if f.Folder != "" {
		title += " in " + f.Folder
	}
	if f.Author != "" {
		title += " · " + f.Author
	}
	self := site + r.URL.RequestURI()
	revs, talk := s.withComments(r, revs, q, q.Limit)
	return writeFeed(w, title, site+"/-/recent", self, revs, func(rev wiki.Revision) string {
		if page, ok := talk[rev.ID]; ok {
			return site + "/-/talk/" + page.EscapedPath()
		}
		for _, c := range rev.Changes {
			if n, ok := wiki.ParsePath(c.Path); ok && (f.Folder == "" || strings.HasPrefix(c.Path, f.Folder+"/") || c.Path == f.Folder+wiki.PageExt) {
				return site + changeURL(n, rev.ID, c.Kind)
			}
		}
		return site + "/-/recent"
	})
}

// handleHistoryFeed serves one page's history as Atom.
func (s *Server) handleHistoryFeed(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	hist, err := s.wiki.History(r.Context(), name, wiki.HistoryQuery{Limit: 50})
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		return fmt.Errorf("history of %s: %w", name, wiki.ErrNotFound)
	}
	revs := make([]wiki.Revision, len(hist))
	for i, h := range hist {
		revs[i] = h.Revision
	}
	site := s.absoluteBase(r)
	title := "wikiwerk: " + translate(s.chooseLang(r), "history-of", name)
	return writeFeed(w, title, site+"/-/history/"+name.EscapedPath(), site+r.URL.RequestURI(), revs, func(rev wiki.Revision) string {
		kind := wiki.Modified
		if hist[0].ID == rev.ID && !s.wiki.Exists(r.Context(), name) {
			kind = wiki.Deleted
		}
		return site + changeURL(name, rev.ID, kind)
	})
}

// changeURL is where a change to a page is best seen: its diff, or for a
// deletion the page's history.
func changeURL(n wiki.Name, rev string, kind wiki.ChangeKind) string {
	if kind == wiki.Deleted {
		return "/-/history/" + n.EscapedPath()
	}
	return "/-/diff/" + n.EscapedPath() + "?" + url.Values{"to": {rev}}.Encode()
}

// writeFeed writes revisions as an Atom feed whose entries link where
// link says.
func writeFeed(w http.ResponseWriter, title, home, self string, revs []wiki.Revision, link func(wiki.Revision) string) error {
	feed := &feeds.Feed{
		Title:   title,
		Link:    &feeds.Link{Href: home},
		Id:      self,
		Updated: time.Unix(0, 0).UTC(),
	}
	if len(revs) > 0 {
		feed.Updated = revs[0].Time
	}
	for _, rev := range revs {
		var desc strings.Builder
		for _, c := range rev.Changes {
			desc.WriteString(string(c.Kind) + ": " + c.Path + "\n")
		}
		feed.Items = append(feed.Items, &feeds.Item{
			Title: rev.Summary(),
			Link:  &feeds.Link{Href: link(rev)},
			// Never the e-mail address: feeds are read by anyone who may
			// read the wiki, and passed on further (issue 14, privacy).
			Author:      &feeds.Author{Name: rev.Author.Name},
			Description: desc.String(),
			Id:          "urn:git:" + rev.ID,
			Updated:     rev.Time,
			Created:     rev.Time,
		})
	}
	atom, err := feed.ToAtom()
	if err != nil {
		return fmt.Errorf("atom feed: %w", err)
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, err = w.Write([]byte(atom))
	return err
}

// absoluteBase is the scheme and host the request came in on, for the
// absolute links a feed needs (X-Forwarded-Proto only from a trusted proxy).
func (s *Server) absoluteBase(r *http.Request) string {
	scheme := "http"
	if s.isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
