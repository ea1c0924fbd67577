package diff

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// tokenize splits a line into the units a reader compares: runs of letters,
// digits and combining marks (a word, "beoordeeld", "één", "8"), runs of
// white space, and single other characters (punctuation, symbols, emoji).
// Han, Hiragana and Katakana characters are one token each, since those
// scripts do not separate words with spaces. An emoji keeps its modifiers,
// variation selectors and ZWJ-joined parts, and a flag keeps both regional
// indicators, so that a highlight never cuts a glyph in two. Invalid UTF-8
// bytes become one-byte tokens, so joining the tokens gives back s exactly.
func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		j := i + n
		switch {
		case isIdeograph(r):
			j = skipWhile(s, j, unicode.IsMark)
		case isWordRune(r):
			j = skipWhile(s, j, func(r rune) bool { return isWordRune(r) && !isIdeograph(r) })
		case unicode.IsSpace(r):
			j = skipWhile(s, j, unicode.IsSpace)
		case r != utf8.RuneError || n > 1:
			j = extendCluster(s, j, r)
		}
		toks = append(toks, s[i:j])
		i = j
	}
	return toks
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || r == '_'
}

func isIdeograph(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// skipWhile returns the index after the runes of s from i on that satisfy f.
func skipWhile(s string, i int, f func(rune) bool) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !f(r) {
			break
		}
		i += n
	}
	return i
}

const zwj = '\u200d'

// extendCluster returns the end of the symbol that starts with first and
// continues at s[i:]: an approximation of a grapheme cluster that is good
// enough for emoji without pulling in a segmentation library.
func extendCluster(s string, i int, first rune) int {
	if isRegionalIndicator(first) && i < len(s) {
		if r, n := utf8.DecodeRuneInString(s[i:]); isRegionalIndicator(r) {
			return i + n
		}
	}
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == zwj:
			i += n
			if i < len(s) {
				// The character after a joiner belongs to the cluster.
				r, n = utf8.DecodeRuneInString(s[i:])
				if r != utf8.RuneError || n > 1 {
					i += n
				}
			}
		case unicode.IsMark(r), isEmojiModifier(r), unicode.Is(unicode.Variation_Selector, r),
			r >= 0xE0020 && r <= 0xE007F: // tag characters of subdivision flags
			i += n
		default:
			return i
		}
	}
	return i
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
func isEmojiModifier(r rune) bool     { return r >= 0x1F3FB && r <= 0x1F3FF }

// tokenRune numbers the distinct tokens of a diff with runes, skipping the
// surrogate range that cannot be encoded; false when out of runes.
func tokenRune(i int) (rune, bool) {
	r := rune(i)
	if r >= 0xD800 {
		r += 0x800
	}
	return r, r <= unicode.MaxRune
}

// segment is a run of one diff operation over tokens: equal text, or a
// change with its old and new text.
type segment struct {
	equal    bool
	old, new string
}

// wordSpans compares two paired lines word by word and returns the spans of
// each. If the word diff cannot be done in time, or the lines share nothing
// but white space, each line is returned as a single changed span: a
// highlight of every second word would be noise.
func wordSpans(a, b string, deadline time.Time) (sa, sb []Span) {
	segs, ok := diffWords(a, b, deadline)
	if ok {
		ok = false
		for _, s := range segs {
			if s.equal && strings.TrimSpace(s.old) != "" {
				ok = true
				break
			}
		}
	}
	if !ok {
		segs = []segment{{old: a, new: b}}
	}
	sa, sb = make([]Span, 0, len(segs)), make([]Span, 0, len(segs))
	for _, s := range segs {
		sa = appendSpan(sa, s.old, !s.equal)
		sb = appendSpan(sb, s.new, !s.equal)
	}
	return sa, sb
}

// appendSpan adds text to spans, joining it with the last span when their
// Changed flags agree; empty text adds nothing.
func appendSpan(spans []Span, text string, changed bool) []Span {
	if text == "" {
		return spans
	}
	if n := len(spans); n > 0 && spans[n-1].Changed == changed {
		spans[n-1].Text += text
		return spans
	}
	return append(spans, Span{Text: text, Changed: changed})
}

// diffWords diffs the tokens of a and b: each distinct token is mapped to a
// rune (as go-diff's line mode does for lines) and the rune strings are
// diffed. It returns alternating equal and change segments, with white
// space between two changes folded into the change, so that "8 weken" ->
// "6 dagen" reads as one change rather than two.
func diffWords(a, b string, deadline time.Time) ([]segment, bool) {
	timeout := time.Until(deadline)
	if timeout <= 0 {
		return nil, false
	}
	ta, tb := tokenize(a), tokenize(b)
	ids := make(map[string]rune)
	toRunes := func(toks []string) ([]rune, bool) {
		rs := make([]rune, len(toks))
		for i, t := range toks {
			r, seen := ids[t]
			if !seen {
				var ok bool
				if r, ok = tokenRune(len(ids)); !ok {
					return nil, false
				}
				ids[t] = r
			}
			rs[i] = r
		}
		return rs, true
	}
	ra, okA := toRunes(ta)
	rb, okB := toRunes(tb)
	if !okA || !okB {
		return nil, false
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = timeout
	var segs []segment
	ia, ib := 0, 0
	take := func(toks []string, i, n int) (string, int) {
		return strings.Join(toks[i:i+n], ""), i + n
	}
	for _, d := range dmp.DiffMainRunes(ra, rb, false) {
		n := utf8.RuneCountInString(d.Text)
		if n == 0 {
			continue
		}
		var s segment
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			s.equal = true
			s.old, ia = take(ta, ia, n)
			s.new, ib = take(tb, ib, n)
		case diffmatchpatch.DiffDelete:
			s.old, ia = take(ta, ia, n)
		case diffmatchpatch.DiffInsert:
			s.new, ib = take(tb, ib, n)
		}
		segs = append(segs, s)
	}
	return foldSegments(segs), true
}

// foldSegments joins adjacent changes, and turns an equal run of white
// space that sits between two changes into part of the change.
func foldSegments(segs []segment) []segment {
	out := segs[:0:0]
	for i, s := range segs {
		if s.equal && i > 0 && i < len(segs)-1 && strings.TrimSpace(s.old) == "" &&
			!segs[i-1].equal && !segs[i+1].equal {
			s.equal = false
		}
		if n := len(out); n > 0 && !s.equal && !out[n-1].equal {
			out[n-1].old += s.old
			out[n-1].new += s.new
			continue
		}
		out = append(out, s)
	}
	return out
}
