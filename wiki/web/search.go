package web

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/search"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Searcher is the full-text search the web offers; *search.Index
// satisfies it.
type Searcher interface {
	// Search runs a query; q.CanRead keeps out what the reader may not
	// see.
	Search(ctx context.Context, q search.Query) (search.Results, error)
	// Suggest returns pages whose title or name starts with the words
	// of prefix, for jump-to-page.
	Suggest(ctx context.Context, prefix string, limit int, canRead func(wiki.Name) bool) ([]search.Suggestion, error)
	// DidYouMean returns q.Text corrected to words that pages the
	// reader may see contain, "" when there is nothing to offer.
	DidYouMean(ctx context.Context, q search.Query) string
	// Progress reports how far an index being built is.
	Progress() (done, total int, building bool)
}

// searchPageSize is the number of results on one search page.
const searchPageSize = 20

// errSearchOff answers the search API of a wiki without search.
var errSearchOff = fmt.Errorf("search is switched off on this wiki: %w", wiki.ErrNotFound)

// registerNavAPIRoutes registers the API of search and navigation on a
// router rooted at /-/api/.
func (s *Server) registerNavAPIRoutes(r *mux.Router) {
	r.Handle("/search", s.api(s.handleAPISearch)).Methods(http.MethodGet)
	r.Handle("/search/suggest", s.api(s.handleAPISuggest)).Methods(http.MethodGet)
	r.Handle("/pages/{page:.+}/links", s.api(s.handleAPILinks)).Methods(http.MethodGet)
}

// registerNavRoutes registers the pages of search and navigation.
func (s *Server) registerNavRoutes(r *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	r.Handle("/-/search", s.html(s.handleSearch)).Methods(get...)
	r.Handle("/-/opensearch.xml", s.html(s.handleOpenSearch)).Methods(get...)
	r.Handle("/-/new", s.html(s.handleNewPage)).Methods(get...)
	r.Handle("/-/links/{page:.+}", s.html(s.handleLinksHere)).Methods(get...)
	r.Handle("/-/wanted", s.html(s.handleWanted)).Methods(get...)
	r.Handle("/-/orphans", s.html(s.handleOrphans)).Methods(get...)
	r.Handle("/-/tags", s.html(s.handleTags)).Methods(get...)
	r.Handle("/-/tags/{tag:.+}", s.html(s.handleTag)).Methods(get...)
}

// readable is the CanRead of a search or a listing for this request: the
// pages the requester may read.
func (s *Server) readable(r *http.Request) func(wiki.Name) bool {
	u := currentUser(r)
	return func(wiki.Name) bool { return s.policy.CanRead(u) }
}

// searchForm is a search as the form and the API give it.
type searchForm struct {
	Q, Folder, Tag, Author, Since, Until string
	// Page is the result page, from 1.
	Page int
}

// values are the form's fields as a query string, without empty ones;
// page is left out when it is 1.
func (f searchForm) values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"folder", f.Folder}, {"tag", f.Tag}, {"author", f.Author}, {"since", f.Since}, {"until", f.Until}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	return v
}

// url is the search page of the form.
func (f searchForm) url() string {
	if v := f.values(); len(v) > 0 {
		return "/-/search?" + v.Encode()
	}
	return "/-/search"
}

// empty reports whether the form asks for nothing at all.
func (f searchForm) empty() bool {
	return f.Q == "" && f.Folder == "" && f.Tag == "" && f.Author == "" && f.Since == "" && f.Until == ""
}

// filtered reports whether any filter is set.
func (f searchForm) filtered() bool {
	return f.Folder != "" || f.Tag != "" || f.Author != "" || f.Since != "" || f.Until != ""
}

// badDate is a since or until that is not a date.
type badDate struct{ value string }

func (e *badDate) Error() string              { return translate("en", "search-bad-date", e.value) }
func (e *badDate) message(lang string) string { return translate(lang, "search-bad-date", e.value) }
func (e *badDate) Unwrap() error              { return wiki.ErrInvalidInput }

// parseSearchForm reads the search fields of a request into a form and
// the query it asks. Dates are days in the server's time zone; until is
// inclusive.
func parseSearchForm(r *http.Request) (searchForm, search.Query, error) {
	v := r.URL.Query()
	f := searchForm{
		Q:      strings.TrimSpace(v.Get("q")),
		Folder: strings.Trim(strings.TrimSpace(v.Get("folder")), "/"),
		Tag:    strings.TrimSpace(v.Get("tag")),
		Author: strings.TrimSpace(v.Get("author")),
		Since:  strings.TrimSpace(v.Get("since")),
		Until:  strings.TrimSpace(v.Get("until")),
		Page:   1,
	}
	if p, err := strconv.Atoi(v.Get("page")); err == nil && p > 1 {
		f.Page = min(p, 10_000)
	}
	q := search.Query{Text: f.Q, Folder: f.Folder, Tag: f.Tag, Author: f.Author}
	day := func(s string) (time.Time, error) {
		t, err := time.ParseInLocation(time.DateOnly, s, time.Local)
		if err != nil {
			return time.Time{}, &badDate{value: s}
		}
		return t, nil
	}
	var err error
	if f.Since != "" {
		if q.Since, err = day(f.Since); err != nil {
			return f, q, err
		}
	}
	if f.Until != "" {
		if q.Until, err = day(f.Until); err != nil {
			return f, q, err
		}
		q.Until = q.Until.AddDate(0, 0, 1)
	}
	return f, q, nil
}

// searchData is the search page.
type searchData struct {
	base
	Form searchForm
	// Enabled is false when the wiki has no search.
	Enabled bool
	// Searched is true when the form asked for something.
	Searched bool
	// Error says what was wrong with the form.
	Error string
	// Building says, while the index is being built, how far it is.
	Building string
	Results  search.Results
	// First and Last number the results shown, from 1.
	First, Last      int
	PrevURL, NextURL string
	// DidYouMean is a corrected query that finds something, and its URL.
	DidYouMean, DidYouMeanURL string
	// Exact is the page whose name is exactly the query, when it exists.
	Exact wiki.Name
	// Create is the page the query names, offered for creation when it
	// does not exist and the reader may create it.
	Create wiki.Name
	// ClearURL is the search without its filters.
	ClearURL string
}

// SearchQuery is what the header's search field holds: the query on the
// search page, nothing elsewhere. Page data can override it.
func (base) SearchQuery() string { return "" }

// SearchQuery puts the query in the header's search field.
func (d searchData) SearchQuery() string { return d.Form.Q }

// HasFilters reports whether the search is filtered, to open the filters.
func (d searchData) HasFilters() bool { return d.Form.filtered() }

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	form, q, err := parseSearchForm(r)
	d := searchData{base: s.base(r, "", ""), Form: form, Enabled: s.search != nil, Searched: !form.empty()}
	d.Title = d.T("search-title")
	if form.Q != "" {
		d.Title = d.T("search-title-q", form.Q)
	}
	// Result pages are not for search engines: they would index the
	// same text again under every query.
	w.Header().Set("X-Robots-Tag", "noindex")
	if err != nil {
		d.Error = s.localMessage(r, err, http.StatusBadRequest)
		d.Searched = false
		return s.render(w, statusOf(err), "search", d)
	}
	if !d.Enabled {
		return s.render(w, http.StatusOK, "search", d)
	}
	if done, total, building := s.search.Progress(); building {
		pct := 0
		if total > 0 {
			pct = done * 100 / total
		}
		d.Building = d.T("search-building", done, total, pct)
	}
	if !d.Searched {
		return s.render(w, http.StatusOK, "search", d)
	}
	ctx := r.Context()
	q.CanRead = s.readable(r)
	q.Limit, q.Offset = searchPageSize, (form.Page-1)*searchPageSize
	res, err := s.search.Search(ctx, q)
	if err != nil {
		return err
	}
	d.Results = res
	if len(res.Hits) > 0 {
		d.First, d.Last = q.Offset+1, q.Offset+len(res.Hits)
	}
	if form.Page > 1 {
		prev := form
		prev.Page = min(form.Page-1, max(1, (res.Total+searchPageSize-1)/searchPageSize))
		d.PrevURL = prev.url()
	}
	if q.Offset+len(res.Hits) < res.Total {
		next := form
		next.Page++
		d.NextURL = next.url()
	}
	if form.filtered() {
		d.ClearURL = searchForm{Q: form.Q}.url()
	}
	if form.Q != "" {
		if n, err := wiki.ParseName(form.Q); err == nil {
			if s.wiki.Exists(ctx, n) {
				d.Exact = n
			} else if res.Total == 0 && s.policy.CanEdit(d.User, n) {
				d.Create = n
			}
		}
		if res.Total == 0 {
			if fixed := s.search.DidYouMean(ctx, q); fixed != "" {
				alt := form
				alt.Q, alt.Page = fixed, 1
				d.DidYouMean, d.DidYouMeanURL = fixed, alt.url()
			}
		}
	}
	return s.render(w, http.StatusOK, "search", d)
}

// searchQueryAPI reads the API's limit and offset on top of the form.
func searchQueryAPI(r *http.Request) (search.Query, error) {
	_, q, err := parseSearchForm(r)
	if err != nil {
		return q, err
	}
	v := r.URL.Query()
	for _, p := range []struct {
		key string
		to  *int
	}{{"limit", &q.Limit}, {"offset", &q.Offset}} {
		s := v.Get(p.key)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, fmt.Errorf("%s must be a number of 0 or more, not %q: %w", p.key, s, wiki.ErrInvalidInput)
		}
		*p.to = n
	}
	if q.Limit == 0 {
		q.Limit = searchPageSize
	}
	return q, nil
}

// handleAPISearch answers {"total", "results": [...]}, best first.
func (s *Server) handleAPISearch(w http.ResponseWriter, r *http.Request) error {
	if s.search == nil {
		return errSearchOff
	}
	q, err := searchQueryAPI(r)
	if err != nil {
		return err
	}
	q.CanRead = s.readable(r)
	res, err := s.search.Search(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// suggestionJSON is a page offered for jump-to-page.
type suggestionJSON struct {
	Name  wiki.Name `json:"name"`
	Title string    `json:"title"`
	// URL is the page's address, escaped as the wiki escapes it.
	URL string `json:"url"`
}

// handleAPISuggest answers {"pages": [{"name", "title", "url"}]} for
// the page titles that start with the words of q.
func (s *Server) handleAPISuggest(w http.ResponseWriter, r *http.Request) error {
	if s.search == nil {
		return errSearchOff
	}
	q := r.URL.Query().Get("q")
	if len(q) > 200 {
		// A title is typed, not pasted: the rest would only cost time.
		q = strings.ToValidUTF8(q[:200], "")
	}
	limit := 8
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 {
		limit = min(n, 20)
	}
	sugs, err := s.search.Suggest(r.Context(), q, limit, s.readable(r))
	if err != nil {
		return err
	}
	out := struct {
		Pages []suggestionJSON `json:"pages"`
	}{Pages: make([]suggestionJSON, 0, len(sugs))}
	for _, sg := range sugs {
		out.Pages = append(out.Pages, suggestionJSON{Name: sg.Name, Title: sg.Title, URL: sg.Name.URL()})
	}
	// Suggestions change with every save; a browser may keep them only
	// while the user types.
	w.Header().Set("Cache-Control", "private, max-age=10")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleOpenSearch serves the OpenSearch description, so that a browser
// can offer the wiki as a search engine of its address bar.
func (s *Server) handleOpenSearch(w http.ResponseWriter, r *http.Request) error {
	if s.search == nil {
		return errSearchOff
	}
	type urlElem struct {
		Type     string `xml:"type,attr"`
		Method   string `xml:"method,attr,omitempty"`
		Rel      string `xml:"rel,attr,omitempty"`
		Template string `xml:"template,attr"`
	}
	site := s.absoluteBase(r)
	lang := s.chooseLang(r)
	doc := struct {
		XMLName       xml.Name  `xml:"http://a9.com/-/spec/opensearch/1.1/ OpenSearchDescription"`
		ShortName     string    `xml:"ShortName"`
		Description   string    `xml:"Description"`
		InputEncoding string    `xml:"InputEncoding"`
		Language      string    `xml:"Language"`
		URLs          []urlElem `xml:"Url"`
	}{
		ShortName:     "wikiwerk",
		Description:   translate(lang, "opensearch-description"),
		InputEncoding: "UTF-8",
		Language:      lang,
		URLs: []urlElem{
			{Type: "text/html", Method: "get", Template: site + "/-/search?q={searchTerms}"},
			{Type: "application/opensearchdescription+xml", Rel: "self", Template: site + "/-/opensearch.xml"},
		},
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/opensearchdescription+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(append([]byte(xml.Header), append(b, '\n')...))
	return err
}

// FolderURL is this search within a folder.
func (d searchData) FolderURL(folder string) string {
	f := d.Form
	f.Folder, f.Page = folder, 1
	return f.url()
}
