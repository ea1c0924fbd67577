package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	bq "github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Suggestion is a page offered while the user types its name.
type Suggestion struct {
	// Name is the page.
	Name wiki.Name `json:"name"`
	// Title is its display title, plain text.
	Title string `json:"title"`
}

// Suggest returns up to limit pages (default 10, at most 50) whose title
// or name has words starting with the words of prefix, for jump-to-page:
// "wmo ont" offers "WMO-loket/Ontwerp". Letter case and diacritics do not
// count. Pages whose title, name or last name segment starts with the
// whole prefix come first, then shorter names. canRead, when set, keeps
// only the pages it allows.
//
// It does not ask bleve: the titles of all pages are in memory, and a
// scan of them takes about a millisecond at 10,000 pages, whatever the
// prefix, where a prefix query of bleve grows with the number of words
// that start so.
func (ix *Index) Suggest(ctx context.Context, prefix string, limit int, canRead func(wiki.Name) bool) ([]Suggestion, error) {
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, 50)
	words := ix.analyze(analyzerFold, prefix)
	if len(words) == 0 {
		return []Suggestion{}, ctx.Err()
	}
	whole := ix.fold(prefix)
	type candidate struct {
		name  string
		e     *entry
		first bool // the title, name or last segment starts with the prefix
	}
	better := func(a, b candidate) bool {
		if a.first != b.first {
			return a.first
		}
		if len(a.name) != len(b.name) {
			return len(a.name) < len(b.name)
		}
		return a.name < b.name
	}
	best := make([]candidate, 0, limit+1)
	ix.pagesMu.RLock()
	for name, e := range ix.pages {
		if !e.matches(words) {
			continue
		}
		c := candidate{name: name, e: e, first: strings.HasPrefix(e.titleKey, whole) ||
			strings.HasPrefix(e.baseKey, whole) || strings.HasPrefix(e.nameKey, whole)}
		if len(best) == limit && !better(c, best[limit-1]) {
			continue
		}
		if canRead != nil && !canRead(wiki.Name(name)) {
			continue
		}
		i := len(best)
		for i > 0 && better(c, best[i-1]) {
			i--
		}
		best = slices.Insert(best, i, c)
		if len(best) > limit {
			best = best[:limit]
		}
	}
	ix.pagesMu.RUnlock()
	out := make([]Suggestion, len(best))
	for i, c := range best {
		out[i] = Suggestion{Name: wiki.Name(c.name), Title: c.e.title}
	}
	return out, ctx.Err()
}

// entry is what the index keeps in memory of a page.
type entry struct {
	title string
	// words are the folded words of the title and of the name's
	// segments; the keys are the folded title, name and last segment.
	words                      []string
	titleKey, nameKey, baseKey string
}

func (ix *Index) newEntry(name wiki.Name, title string) *entry {
	if title == "" {
		title = name.Title()
	}
	e := &entry{
		title:    title,
		titleKey: ix.fold(title),
		nameKey:  ix.fold(string(name)),
		baseKey:  ix.fold(name.Title()),
	}
	for _, w := range ix.analyze(analyzerFold, title+" "+strings.ReplaceAll(string(name), "/", " ")) {
		if !slices.Contains(e.words, w) {
			e.words = append(e.words, w)
		}
	}
	return e
}

// matches reports whether every one of words starts a word of the page.
func (e *entry) matches(words []string) bool {
	for _, w := range words {
		found := false
		for _, x := range e.words {
			if strings.HasPrefix(x, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// loadPages reads the name and title of every document into memory.
func (ix *Index) loadPages() error {
	n, err := ix.idx.DocCount()
	if err != nil {
		return fmt.Errorf("search: count: %w", err)
	}
	ix.pages = make(map[string]*entry, n)
	if n == 0 {
		return nil
	}
	req := bleve.NewSearchRequestOptions(bq.NewMatchAllQuery(), int(n), 0, false)
	req.Fields = []string{fieldTitle}
	res, err := ix.idx.Search(req)
	if err != nil {
		return fmt.Errorf("search: list pages: %w", err)
	}
	for _, h := range res.Hits {
		title, _ := h.Fields[fieldTitle].(string)
		ix.pages[h.ID] = ix.newEntry(wiki.Name(h.ID), title)
	}
	return nil
}

// DidYouMean returns q.Text with each word that no page contains replaced
// by the closest word that some page does, taken from the index's term
// dictionary; "" when there is nothing to correct, or when the corrected
// query would find no page for q's filters and q.CanRead, so that a
// suggestion never reveals a word that only a hidden page contains.
// Call it when a search found nothing.
func (ix *Index) DidYouMean(ctx context.Context, q Query) string {
	d, err := ix.newDict()
	if err != nil {
		return ""
	}
	changed := false
	correct := func(w string) string {
		f := ix.fold(w)
		if f == "" || utf8.RuneCountInString(f) < 3 || d.has(fieldSpell, f) || d.has(fieldSpellHead, f) || d.has(fieldSuggest, f) {
			return w
		}
		if c := closest(d, f); c != "" {
			changed = true
			return c
		}
		return w
	}
	var parts []string
	for _, t := range parseText(q.Text) {
		var s string
		switch t.kind {
		case kindWord:
			s = correct(t.text)
		case kindPhrase:
			words := strings.Fields(t.text)
			for i, w := range words {
				words[i] = correct(w)
			}
			s = `"` + strings.Join(words, " ") + `"`
		case kindPrefix:
			s = t.text + "*"
		}
		if t.neg {
			s = "-" + s
		}
		parts = append(parts, s)
	}
	d.Close()
	if !changed {
		return ""
	}
	q.Text, q.Limit, q.Offset = strings.Join(parts, " "), 1, 0
	if res, err := ix.Search(ctx, q); err != nil || res.Total == 0 {
		return ""
	}
	return q.Text
}

// closest returns the word of the spell or suggest dictionaries nearest
// to w: fewest edits (at most 2, 1 for words under 6 letters), then the
// most pages.
func closest(d *dict, w string) string {
	fr, ok := d.r.(index.IndexReaderFuzzy)
	if !ok {
		return ""
	}
	maxEdits := 1
	if utf8.RuneCountInString(w) >= 6 {
		maxEdits = 2
	}
	best, bestDist, bestCount := "", maxEdits+1, uint64(0)
	for _, field := range []string{fieldSpell, fieldSpellHead, fieldSuggest} {
		fd, err := fr.FieldDictFuzzy(field, w, maxEdits, "")
		if err != nil {
			continue
		}
		for {
			e, err := fd.Next()
			if err != nil || e == nil {
				break
			}
			dist := levenshtein(w, e.Term)
			if dist < bestDist || (dist == bestDist && e.Count > bestCount) {
				best, bestDist, bestCount = e.Term, dist, e.Count
			}
		}
		fd.Close()
	}
	return best
}

// levenshtein is the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
