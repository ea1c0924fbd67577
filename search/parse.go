package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The user's text is read here, by a small parser of our own: bleve's
// query-string syntax (field:value, +, ^, ~, regexps) is never exposed,
// so nothing a user types can ask for a field they should not see, or
// for a regular expression that costs seconds. See Query for the syntax.

// termKind is what a piece of the user's text asks for.
type termKind int

const (
	kindWord termKind = iota
	kindPhrase
	kindPrefix
)

// term is one piece of the user's text.
type term struct {
	kind termKind
	text string
	neg  bool
}

// parseText splits the user's text into terms.
func parseText(s string) []term {
	var out []term
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		neg := false
		if r == '-' && i+1 < len(s) && s[i+1] != ' ' {
			neg = true
			i++
		}
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			var phrase string
			if end < 0 {
				phrase, i = s[i+1:], len(s)
			} else {
				phrase, i = s[i+1:i+1+end], i+2+end
			}
			if words := splitWords(phrase); len(words) > 0 {
				out = append(out, term{kind: kindPhrase, text: strings.Join(words, " "), neg: neg})
			}
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) || r == '"' {
				break
			}
			j += size
		}
		tok := s[i:j]
		i = j
		prefix := strings.HasSuffix(tok, "*")
		words := splitWords(tok)
		switch {
		case len(words) == 0:
		case len(words) == 1 && prefix && utf8.RuneCountInString(words[0]) >= minPrefix:
			out = append(out, term{kind: kindPrefix, text: words[0], neg: neg})
		case len(words) == 1:
			out = append(out, term{kind: kindWord, text: words[0], neg: neg})
		case prefix && !neg:
			// "wmo-lok*": the words, the last as a prefix.
			for _, w := range words[:len(words)-1] {
				out = append(out, term{kind: kindWord, text: w})
			}
			last := words[len(words)-1]
			kind := kindPrefix
			if utf8.RuneCountInString(last) < minPrefix {
				kind = kindWord
			}
			out = append(out, term{kind: kind, text: last})
		default:
			out = append(out, term{kind: kindPhrase, text: strings.Join(words, " "), neg: neg})
		}
	}
	return out
}

// splitWords returns the runs of letters and digits in s.
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) })
}

// fuzziness is the number of typos a word may have: none below 5
// letters, where one typo makes another word; two from 9.
func fuzziness(word string) int {
	switch n := utf8.RuneCountInString(word); {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}
