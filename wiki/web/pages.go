package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

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
}

type missingData struct {
	base
	Missing wiki.Name
	// Deletion is set when the page existed and was deleted.
	Deletion *wiki.Deletion
}

func (s *Server) handlePageView(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	rev := r.URL.Query().Get("rev")
	p, err := s.wiki.View(r.Context(), name, rev)
	if errors.Is(err, wiki.ErrNotFound) && rev == "" {
		d := missingData{base: s.base(r, name.Title(), name), Missing: name}
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
		Saved: r.URL.Query().Has("saved"), Unchanged: r.URL.Query().Has("unchanged")}
	if from, err := wiki.ParseName(q.Get("redirected-from")); err == nil {
		d.RedirectedFrom = from
	}
	if from, err := wiki.ParseName(q.Get("renamed-from")); err == nil {
		d.RenamedFrom = from
		d.LinksUpdated, _ = strconv.Atoi(q.Get("links"))
	}
	d.Reverted = q.Has("reverted")
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
	key := viewKey{version: p.Version, path: r.URL.Path, lang: d.Lang, canEdit: d.CanEdit, who: viewer(d.User, d.IsAdmin)}
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

type pagesData struct {
	base
	Pages []wiki.PageInfo
}

func (s *Server) handleAllPages(w http.ResponseWriter, r *http.Request) error {
	pages, err := s.wiki.Pages(r.Context())
	if err != nil {
		return err
	}
	d := pagesData{base: s.base(r, "", ""), Pages: pages}
	d.Title = d.T("allpages")
	return s.render(w, http.StatusOK, "pages", d)
}
