package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/feeds"

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
	Revisions []wiki.Revision
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
	d := diffData{base: s.base(r, "", name), Cmp: cmp, ToRev: &cmp.To.Revision}
	if cmp.From != nil {
		d.FromRev = &cmp.From.Revision
	}
	d.Title = d.T("diff-of", name)
	return s.render(w, http.StatusOK, "diff", d)
}

type recentData struct {
	base
	Changes []wiki.Revision
	Older   string
}

func (s *Server) handleRecent(w http.ResponseWriter, r *http.Request) error {
	q, err := historyQuery(r)
	if err != nil {
		return err
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
	d := recentData{base: s.base(r, "", "")}
	d.Title = d.T("recent")
	if len(revs) > want {
		revs = revs[:want]
		d.Older = "/-/recent?" + url.Values{"before": {revs[want-1].ID}, "limit": {strconv.Itoa(want)}}.Encode()
	}
	d.Changes = revs
	return s.render(w, http.StatusOK, "recent", d)
}

// handleRecentFeed serves recent changes as Atom; every entry links to the
// change itself: the diff of the page it changed.
func (s *Server) handleRecentFeed(w http.ResponseWriter, r *http.Request) error {
	revs, err := s.wiki.Recent(r.Context(), wiki.HistoryQuery{Limit: 50})
	if err != nil {
		return err
	}
	site := absoluteBase(r)
	feed := &feeds.Feed{
		Title:       "wikiwerk: " + translate(s.chooseLang(r), "recent"),
		Link:        &feeds.Link{Href: site + "/-/recent"},
		Description: translate(s.chooseLang(r), "recent-help"),
		Id:          site + "/-/recent",
	}
	if len(revs) > 0 {
		feed.Updated = revs[0].Time
	} else {
		feed.Updated = time.Unix(0, 0)
	}
	for _, rev := range revs {
		link := site + "/-/recent"
		for _, c := range rev.Changes {
			if n, ok := wiki.ParsePath(c.Path); ok {
				if c.Kind == wiki.Deleted {
					link = site + "/-/history/" + n.EscapedPath()
				} else {
					link = site + "/-/diff/" + n.EscapedPath() + "?" + url.Values{"to": {rev.ID}}.Encode()
				}
				break
			}
		}
		desc := ""
		for _, c := range rev.Changes {
			desc += string(c.Kind) + ": " + c.Path + "\n"
		}
		feed.Items = append(feed.Items, &feeds.Item{
			Title:       rev.Summary(),
			Link:        &feeds.Link{Href: link},
			Author:      &feeds.Author{Name: rev.Author.Name, Email: rev.Author.Email},
			Description: desc,
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
// absolute links a feed needs.
func absoluteBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
