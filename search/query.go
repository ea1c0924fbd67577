package search

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	bsearch "github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Query is a search as a user asks it.
//
// Text is what the user typed, read by this package, never by bleve's
// query-string parser, so nothing in it is an operator but:
//
//	aanvraag beschikking   every word must occur (in any form: stems,
//	                       folded diacritics); a word of 5 letters or more
//	                       that is in no page is matched with one typo,
//	                       of 9 or more with two; stop words of Dutch or
//	                       English (de, het, the, of) are ignored
//	"eigen kracht"         a phrase: these words in this order
//	keuken*                words that start so (2 letters at least)
//	-bezwaar, -"a b"       pages without the word, phrase or prefix
//	WMO-loket              a word with punctuation inside is a phrase
//
// Matches in the title weigh 4 times, in headings twice, those in the
// body once. An empty Text with filters lists the pages that pass them,
// newest first.
type Query struct {
	// Text is the user's query, as above.
	Text string
	// Folder keeps pages in this folder or any folder below it, and the
	// folder's own page ("WMO-loket" keeps "WMO-loket" and
	// "WMO-loket/Ontwerp").
	Folder string
	// Tag keeps pages with this tag (letter case and diacritics ignored).
	Tag string
	// Author keeps pages whose last change was made by this author: the
	// exact name or e-mail address, or a name containing all these words
	// ("anna" finds "Anna de Vries").
	Author string
	// Since and Until bound the time of the page's last change:
	// Since <= time < Until; zero values are open.
	Since, Until time.Time
	// Limit is the number of hits to return: default 20, at most 100.
	Limit int
	// Offset skips this many hits, for paging.
	Offset int
	// CanRead, when set, keeps only the pages it allows; Total counts
	// only those.
	CanRead func(wiki.Name) bool
}

// Results are the hits of a Query. Its JSON is that of the search API:
// {"total", "results": [{"name", "title", "folder", "snippet", ...}]}.
type Results struct {
	// Total is the number of pages that match (and may be read), of
	// which Hits are the ones in the requested window.
	Total int `json:"total"`
	// Hits are the best matches first (the newest first when the query
	// has no text).
	Hits []Hit `json:"results"`
}

// Hit is one page found.
type Hit struct {
	// Name is the page.
	Name wiki.Name `json:"name"`
	// Title is its display title: the front matter title, the first h1
	// or the last segment of the name. Plain text.
	Title string `json:"title"`
	// Folder is the page's folder, "" for a top-level page.
	Folder string `json:"folder"`
	// Snippet is a piece of the page's text around the matches, HTML
	// with <mark> around each match; everything else in it is escaped.
	Snippet template.HTML `json:"snippet"`
	// Revision is the id of the last commit that changed the page.
	Revision string `json:"revision"`
	// Time is that commit's author time.
	Time time.Time `json:"time"`
	// Author is that commit's author name.
	Author string `json:"author"`
	// Score is the relevance; only comparable between hits of one query.
	Score float64 `json:"score"`
}

const (
	defaultLimit = 20
	maxLimit     = 100
	// Boosts of a match by field.
	boostTitle    = 4.0
	boostHeadings = 2.0
	boostBody     = 1.0
	// boostFuzzy weighs a match with typos against an exact one.
	boostFuzzy = 0.6
	// minPrefix is the shortest prefix searched as one; a shorter one
	// is searched as a word.
	minPrefix = 2
)

// analyze returns the terms that an analyzer makes of s.
func (ix *Index) analyze(analyzer, s string) []string {
	a := ix.mapping.AnalyzerNamed(analyzer)
	if a == nil {
		return nil
	}
	return terms(a.Analyze([]byte(s)))
}

func terms(ts analysis.TokenStream) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}

// fold returns s lowercased with diacritics folded, as one token.
func (ix *Index) fold(s string) string {
	if t := ix.analyze(analyzerKeyFold, strings.TrimSpace(s)); len(t) > 0 {
		return t[0]
	}
	return ""
}

// dict answers whether terms exist, from one reader of the index.
type dict struct {
	r        index.IndexReader
	contains map[string]index.FieldDictContains
}

func (ix *Index) newDict() (*dict, error) {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	return &dict{r: r, contains: map[string]index.FieldDictContains{}}, nil
}

func (d *dict) Close() error { return d.r.Close() }

// has reports whether some document has term in field. When the reader
// cannot tell, it answers yes, which only turns off typo tolerance.
func (d *dict) has(field, term string) bool {
	fc, ok := d.contains[field]
	if !ok {
		if rc, can := d.r.(index.IndexReaderContains); can {
			fc, _ = rc.FieldDictContains(field)
		}
		d.contains[field] = fc
	}
	if fc == nil {
		return true
	}
	found, err := fc.Contains([]byte(term))
	return found || err != nil
}

// hasAny reports whether some document has term in one of the fields.
func (d *dict) hasAny(fields [3]langFieldBoost, term string) bool {
	for _, f := range fields {
		if d.has(f.field, term) {
			return true
		}
	}
	return false
}

// langFieldBoost is a field of one language and its boost.
type langFieldBoost struct {
	field string
	boost float64
}

// langFields are the fields of one language with their boosts.
func langFields(lang string) [3]langFieldBoost {
	return [3]langFieldBoost{
		{langField("title", lang), boostTitle},
		{langField("headings", lang), boostHeadings},
		{langField("body", lang), boostBody},
	}
}

func termQuery(t, field string, boost float64) bq.Query {
	q := bq.NewTermQuery(t)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

// wordQuery matches a word in any language's fields, or returns nil when
// the word is a stop word in one of the languages: "de" or "the" would
// otherwise either match every page of a language or, matched in the
// other one, shut all pages of the first out. fuzzy allows typos in a
// word that no page has.
func (ix *Index) wordQuery(d *dict, word string, fuzzy bool) bq.Query {
	var alts []bq.Query
	for _, lang := range langs {
		ts := ix.analyze(analyzerFor(lang), word)
		if len(ts) == 0 {
			return nil
		}
		typos := 0
		if fuzzy && !d.hasAny(langFields(lang), ts[0]) {
			typos = fuzziness(word)
		}
		for _, f := range langFields(lang) {
			var parts []bq.Query
			for _, t := range ts {
				if typos > 0 {
					fq := bq.NewFuzzyQuery(t)
					fq.SetField(f.field)
					fq.SetFuzziness(typos)
					fq.SetPrefix(1)
					fq.SetBoost(f.boost * boostFuzzy)
					parts = append(parts, fq)
				} else {
					parts = append(parts, termQuery(t, f.field, f.boost))
				}
			}
			if len(parts) == 1 {
				alts = append(alts, parts[0])
			} else {
				alts = append(alts, bq.NewConjunctionQuery(parts))
			}
		}
	}
	return bq.NewDisjunctionQuery(alts)
}

// phraseQuery matches the words in order in any language's fields.
func (ix *Index) phraseQuery(phrase string) bq.Query {
	var alts []bq.Query
	for _, lang := range langs {
		if len(ix.analyze(analyzerFor(lang), phrase)) == 0 {
			continue
		}
		for _, f := range langFields(lang) {
			q := bq.NewMatchPhraseQuery(phrase)
			q.SetField(f.field)
			q.SetBoost(f.boost)
			alts = append(alts, q)
		}
	}
	if len(alts) == 0 {
		return nil
	}
	return bq.NewDisjunctionQuery(alts)
}

// prefixQuery matches words as written (not stemmed) that start with p,
// in the title and name, headings and body. It looks the prefix up as one
// term of the edge n-gram fields, which costs the same whatever the number
// of words that start so; a prefix longer than the n-grams is expanded
// over the words of the fields instead. It returns the folded prefix too,
// for marking it in snippets.
func (ix *Index) prefixQuery(p string) (bq.Query, string) {
	p = ix.fold(p)
	if p == "" {
		return nil, ""
	}
	if utf8.RuneCountInString(p) > maxGram {
		expand := func(field string, boost float64) bq.Query {
			q := bq.NewPrefixQuery(p)
			q.SetField(field)
			q.SetBoost(boost)
			return q
		}
		return bq.NewDisjunctionQuery([]bq.Query{
			expand(fieldSpell, boostBody), expand(fieldSpellHead, boostHeadings), expand(fieldSuggest, boostTitle),
		}), p
	}
	return bq.NewDisjunctionQuery([]bq.Query{
		termQuery(p, fieldPrefixBody, boostBody), termQuery(p, fieldPrefixHead, boostHeadings), termQuery(p, fieldPrefixTitle, boostTitle),
	}), p
}

// filterQuery is the conjunction of the query's filters, nil for none.
func (ix *Index) filterQuery(q Query) bq.Query {
	var fs []bq.Query
	if f := strings.Trim(q.Folder, "/"); f != "" {
		fs = append(fs, bq.NewDisjunctionQuery([]bq.Query{termQuery(f, fieldFolder, 1), termQuery(f, fieldName, 1)}))
	}
	if t := ix.fold(q.Tag); t != "" {
		fs = append(fs, termQuery(t, fieldTags, 1))
	}
	if a := strings.TrimSpace(q.Author); a != "" {
		alts := []bq.Query{termQuery(a, fieldAuthor, 1), termQuery(ix.fold(a), fieldAuthorEmail, 1)}
		if words := ix.analyze(analyzerFold, a); len(words) > 0 {
			var parts []bq.Query
			for _, w := range words {
				parts = append(parts, termQuery(w, fieldAuthorText, 1))
			}
			alts = append(alts, bq.NewConjunctionQuery(parts))
		}
		fs = append(fs, bq.NewDisjunctionQuery(alts))
	}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		yes, no := true, false
		r := bq.NewDateRangeInclusiveQuery(q.Since, q.Until, &yes, &no)
		r.SetField(fieldTime)
		fs = append(fs, r)
	}
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	return bq.NewConjunctionQuery(fs)
}

// compiled is a Query turned into bleve's terms.
type compiled struct {
	// q ranks and counts.
	q    bq.Query
	sort []string
	// locQ finds where the words and phrases matched in a hit's text
	// (the pages are known to match: it need not have the rest of q);
	// nil when there are none. prefixes are the folded prefixes, which
	// snippets mark themselves.
	locQ     bq.Query
	prefixes []string
	// none is true when the text asks for nothing that can match (only
	// stop words, only exclusions).
	none bool
}

// compile turns a Query into a bleve query.
func (ix *Index) compile(q Query) (compiled, error) {
	d, err := ix.newDict()
	if err != nil {
		return compiled{}, fmt.Errorf("search: %w", err)
	}
	defer d.Close()
	var must, mustNot, marked []bq.Query
	var prefixes []string
	for _, t := range parseText(q.Text) {
		var c bq.Query
		switch t.kind {
		case kindWord:
			c = ix.wordQuery(d, t.text, !t.neg)
		case kindPhrase:
			c = ix.phraseQuery(t.text)
		case kindPrefix:
			var p string
			if c, p = ix.prefixQuery(t.text); c != nil && !t.neg {
				prefixes = append(prefixes, p)
			}
		}
		switch {
		case c == nil:
		case t.neg:
			mustNot = append(mustNot, c)
		default:
			must = append(must, c)
			if t.kind != kindPrefix {
				marked = append(marked, c)
			}
		}
	}
	sort := []string{"-_score"}
	if len(must) == 0 {
		if strings.TrimSpace(q.Text) != "" && len(mustNot) == 0 {
			// Only stop words or punctuation: nothing to look for.
			return compiled{none: true}, nil
		}
		must = []bq.Query{bq.NewMatchAllQuery()}
		sort = []string{"-" + fieldTime}
	}
	b := bq.NewBooleanQuery(must, nil, mustNot)
	if f := ix.filterQuery(q); f != nil {
		b.AddFilter(f)
	}
	c := compiled{q: b, sort: sort, prefixes: prefixes}
	if len(marked) > 0 {
		c.locQ = bq.NewDisjunctionQuery(marked)
	}
	return c, nil
}

// hitFields are the stored fields a hit shows.
var hitFields = []string{fieldTitle, fieldAuthor, fieldTime, fieldRevision, langField("body", "nl"), langField("body", "en")}

// Search runs a query.
//
// Permissions: CanRead is asked about every page in the index (the index
// keeps the list in memory; at 10,000 pages this is well under a
// millisecond for a rule on folders), and the pages it refuses are taken
// out inside the bleve query: as a must-not of their ids when they are
// the fewer, else as a filter on the ids of the readable ones. bleve's own
// total and paging are then exact and never count a hidden page, and the
// cost does not grow with the number of hits.
func (ix *Index) Search(ctx context.Context, q Query) (Results, error) {
	if q.Limit <= 0 {
		q.Limit = defaultLimit
	}
	q.Limit = min(q.Limit, maxLimit)
	q.Offset = max(q.Offset, 0)
	c, err := ix.compile(q)
	if err != nil || c.none {
		return Results{Hits: []Hit{}}, err
	}
	req := bleve.NewSearchRequestOptions(ix.permit(c.q, q.CanRead), q.Limit, q.Offset, false)
	req.SortBy(c.sort)
	req.Fields = hitFields
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return Results{}, fmt.Errorf("search %q: %w", q.Text, err)
	}
	locs, err := ix.locations(ctx, c.locQ, res.Hits)
	if err != nil {
		return Results{}, fmt.Errorf("search %q: %w", q.Text, err)
	}
	out := Results{Total: int(res.Total), Hits: make([]Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		// Never expected to refuse one (the pages are a superset of
		// the documents); a guard for the hits shown.
		if q.CanRead != nil && !q.CanRead(wiki.Name(h.ID)) {
			out.Total--
			continue
		}
		h.Locations = locs[h.ID]
		out.Hits = append(out.Hits, ix.hit(h, c.prefixes))
	}
	return out, nil
}

// locations returns where the query matched in each of the hits. It is a
// second search, restricted to the hits by a conjunction with their ids
// (which the other searchers skip to, rather than visiting every match as
// a filter would), because asking for locations in the first one would
// read the term vectors of every match, not only those shown.
func (ix *Index) locations(ctx context.Context, q bq.Query, hits bsearch.DocumentMatchCollection) (map[string]bsearch.FieldTermLocationMap, error) {
	if len(hits) == 0 || q == nil {
		return nil, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	req := bleve.NewSearchRequestOptions(bq.NewConjunctionQuery([]bq.Query{bq.NewDocIDQuery(ids), q}), len(ids), 0, false)
	req.IncludeLocations = true
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bsearch.FieldTermLocationMap, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = h.Locations
	}
	return out, nil
}

// permit restricts a query to the pages canRead allows.
func (ix *Index) permit(q bq.Query, canRead func(wiki.Name) bool) bq.Query {
	if canRead == nil {
		return q
	}
	var hidden, readable []string
	ix.pagesMu.RLock()
	for n := range ix.pages {
		if canRead(wiki.Name(n)) {
			readable = append(readable, n)
		} else {
			hidden = append(hidden, n)
		}
	}
	ix.pagesMu.RUnlock()
	switch {
	case len(hidden) == 0:
		return q
	case len(hidden) <= len(readable):
		return bq.NewBooleanQuery([]bq.Query{q}, nil, []bq.Query{bq.NewDocIDQuery(hidden)})
	}
	b := bq.NewBooleanQuery([]bq.Query{q}, nil, nil)
	if len(readable) == 0 {
		b.AddFilter(bq.NewMatchNoneQuery())
	} else {
		b.AddFilter(bq.NewDocIDQuery(readable))
	}
	return b
}

// hit turns a bleve match into a Hit, marking in its snippet the
// locations bleve found and the words that start with one of prefixes.
func (ix *Index) hit(h *bsearch.DocumentMatch, prefixes []string) Hit {
	name := wiki.Name(h.ID)
	str := func(f string) string { s, _ := h.Fields[f].(string); return s }
	out := Hit{
		Name:     name,
		Title:    str(fieldTitle),
		Folder:   name.Folder(),
		Revision: str(fieldRevision),
		Author:   str(fieldAuthor),
		Score:    h.Score,
	}
	if out.Title == "" {
		out.Title = name.Title()
	}
	if t, err := time.Parse(time.RFC3339Nano, str(fieldTime)); err == nil {
		out.Time = t
	}
	body := str(langField("body", "nl")) + str(langField("body", "en"))
	var spans []span
	for _, f := range []string{langField("body", "nl"), langField("body", "en")} {
		for _, locs := range h.Locations[f] {
			for _, l := range locs {
				spans = append(spans, span{int(l.Start), int(l.End)})
			}
		}
	}
	if len(prefixes) > 0 {
		for _, t := range ix.mapping.AnalyzerNamed(analyzerFold).Analyze([]byte(body)) {
			for _, p := range prefixes {
				if bytes.HasPrefix(t.Term, []byte(p)) {
					spans = append(spans, span{t.Start, t.End})
					break
				}
			}
		}
	}
	out.Snippet = snippet(body, spans)
	return out
}
