package search

import (
	"html"
	"html/template"
	"sort"
	"strings"
	"unicode/utf8"
)

// Snippets are built here rather than by bleve's highlighter, from the
// byte offsets of the matched terms that bleve reports for the body (term
// vectors of body_nl or body_en) and from the words of the body that start
// with a prefix of the query (found by analysing the body of the hits
// shown: bleve's highlighter sees one field's matches, and prefixes are
// matched in n-gram fields without offsets). Every byte of the page's
// text is HTML-escaped; the only markup in a snippet is our own <mark>
// and </mark>, balanced.

// span is the byte range of one match in the body.
type span struct{ start, end int }

const (
	// snippetBytes is about how much text a snippet shows.
	snippetBytes = 240
	// snippetLead is how much text comes before the first match.
	snippetLead = 60
)

// snippet returns the best window of body around the spans, with each
// span marked.
func snippet(body string, spans []span) template.HTML {
	spans = cleanSpans(body, spans)
	start, end := 0, min(len(body), snippetBytes)
	if len(spans) > 0 {
		// The window that holds the most matches.
		best, bestN := 0, 0
		for i := range spans {
			n := 0
			for j := i; j < len(spans) && spans[j].end-spans[i].start <= snippetBytes-snippetLead; j++ {
				n++
			}
			if n > bestN {
				best, bestN = i, n
			}
		}
		start = max(0, spans[best].start-snippetLead)
		end = min(len(body), start+snippetBytes)
		if end == len(body) {
			start = max(0, end-snippetBytes)
		}
	}
	start, end = wordStart(body, start), wordEnd(body, end)

	var b strings.Builder
	if start > 0 {
		b.WriteString("… ")
	}
	pos := start
	for _, s := range spans {
		if s.start < pos || s.end > end {
			continue
		}
		b.WriteString(escape(body[pos:s.start]))
		b.WriteString("<mark>")
		b.WriteString(escape(body[s.start:s.end]))
		b.WriteString("</mark>")
		pos = s.end
	}
	b.WriteString(escape(body[pos:end]))
	if end < len(body) {
		b.WriteString(" …")
	}
	return template.HTML(b.String())
}

// cleanSpans sorts the spans, drops those outside body or not on rune
// boundaries (never expected, but the text is the index's, not ours), and
// merges overlapping ones.
func cleanSpans(body string, spans []span) []span {
	ok := spans[:0]
	for _, s := range spans {
		if s.start < 0 || s.end > len(body) || s.start >= s.end ||
			!runeStart(body, s.start) || !runeStart(body, s.end) {
			continue
		}
		ok = append(ok, s)
	}
	sort.Slice(ok, func(i, j int) bool {
		if ok[i].start != ok[j].start {
			return ok[i].start < ok[j].start
		}
		return ok[i].end > ok[j].end
	})
	var out []span
	for _, s := range ok {
		if n := len(out); n > 0 && s.start < out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

func runeStart(s string, i int) bool { return i == len(s) || utf8.RuneStart(s[i]) }

// wordStart moves i back to the start of the word it is in (at most 20
// bytes), else to a rune boundary.
func wordStart(s string, i int) int {
	if i <= 0 {
		return 0
	}
	for j := i; j > 0 && i-j < 20; j-- {
		if isBreak(s[j-1]) {
			return j
		}
	}
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// wordEnd moves i forward to the end of the word it is in (at most 20
// bytes), else back to a rune boundary.
func wordEnd(s string, i int) int {
	if i >= len(s) {
		return len(s)
	}
	for j := i; j < len(s) && j-i < 20; j++ {
		if isBreak(s[j]) {
			return j
		}
	}
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

func isBreak(c byte) bool { return c == ' ' || c == '\n' || c == '\t' }

// escape escapes text for HTML, lines joined by spaces.
func escape(s string) string {
	return html.EscapeString(strings.ReplaceAll(s, "\n", " "))
}
