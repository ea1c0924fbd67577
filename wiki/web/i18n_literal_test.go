package web_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"

	"github.com/wikiwerk/wikiwerk/themes"
)

// literalAllowed are words that are the same in Dutch and English, or
// that must not be translated: names.
var literalAllowed = map[string]bool{
	"wikiwerk": true, "Nederlands": true, "English": true,
	// The link to the page named Help (edit.html): a page name, and the
	// same word in Dutch.
	"Help": true,
}

// shownAttrs are the attributes whose value people read or hear.
var shownAttrs = map[string]bool{"title": true, "aria-label": true, "placeholder": true, "alt": true, "aria-description": true, "aria-roledescription": true}

// templateAction matches a template action; text in it comes from Go,
// through .T when it is words.
var templateAction = regexp.MustCompile(`\{\{.*?\}\}`)

// TestTemplatesHaveNoLiteralWords fails on words written into a template
// instead of taken from the message catalogue: text between tags, and
// attributes read out (title, aria-label, placeholder, alt). Such text
// shows in one language on pages in both.
func TestTemplatesHaveNoLiteralWords(t *testing.T) {
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(theme, "templates/*.html")
	if len(files) < 30 {
		t.Fatalf("only %d templates", len(files))
	}
	for _, f := range files {
		b, _ := fs.ReadFile(theme, f)
		for _, word := range literalWords(string(b)) {
			t.Errorf("%s: %q is not from the message catalogue", f, word)
		}
	}
}

// literalWords returns the literal words of a template: runs of letters
// in text and shown attributes once the actions are taken out.
func literalWords(src string) []string {
	src = templateAction.ReplaceAllString(src, " ")
	var out []string
	check := func(s string) {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
			if !literalAllowed[w] {
				out = append(out, w)
			}
		}
	}
	z := html.NewTokenizer(strings.NewReader(src))
	// Inside script and style there are no words; inside pre and code
	// there are commands and source text, the same in every language.
	skipped := map[string]bool{"script": true, "style": true, "pre": true, "code": true}
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.TextToken:
			if skip == 0 {
				check(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if skipped[string(name)] {
				skip++
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if shownAttrs[string(k)] {
					check(string(v))
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); skipped[string(name)] {
				skip--
			}
		}
	}
}

// TestLiteralWordsFindsWords: the check above sees words in text and in
// shown attributes, and none in actions or other attributes.
func TestLiteralWordsFindsWords(t *testing.T) {
	got := literalWords(`<p class="meta" data-x="niet">{{.T "a"}} <a href="/x" title="Bekijk">diff</a> · {{if .X}}<b>wikiwerk</b>{{end}}</p><img alt="logo"><pre><code>git pull</code></pre>`)
	if strings.Join(got, " ") != "Bekijk diff logo" {
		t.Errorf("found %q", got)
	}
}
