package markdown

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	meta "github.com/yuin/goldmark-meta"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
)

// guardFrontMatter keeps goldmark-meta from reading what is not front
// matter. goldmark-meta opens a block on any first line made of dashes and
// runs to the end of the document when no closing line follows, so a page
// that merely starts with a thematic break ("---") and contains something
// YAML can parse would vanish. Front matter here means: the first line is
// exactly "---" and a later line of dashes closes it. For anything else a
// blank line is put in front, which moves the dashes off line 0, where
// goldmark-meta looks, without changing what the Markdown means.
func guardFrontMatter(src []byte) []byte {
	first, _, _ := bytes.Cut(src, []byte{'\n'})
	if !isDashLine(first) || frontMatterLen(src) > 0 {
		return src
	}
	guarded := make([]byte, 0, len(src)+1)
	guarded = append(guarded, '\n')
	return append(guarded, src...)
}

// frontMatterLen is the length of the front matter at the start of src,
// closing line included, or 0 when there is none.
func frontMatterLen(src []byte) int {
	first, rest, _ := bytes.Cut(src, []byte{'\n'})
	if string(bytes.TrimRight(first, " \t\r")) != "---" {
		return 0
	}
	n := len(src) - len(rest)
	for len(rest) > 0 {
		line, after, _ := bytes.Cut(rest, []byte{'\n'})
		n += len(rest) - len(after)
		if isDashLine(line) {
			return n
		}
		rest = after
	}
	return 0
}

// isDashLine reports whether line is what goldmark-meta takes for a
// delimiter: nothing but dashes, surrounded by optional white space.
func isDashLine(line []byte) bool {
	line = bytes.TrimSpace(line)
	return len(line) > 0 && len(bytes.Trim(line, "-")) == 0
}

// frontMatter reads title and tags from the parsed front matter. YAML that
// does not parse is not the author's page failing to render: it is shown
// as a code block at the top of the page, so the author sees what to fix,
// and no title or tags are returned.
func frontMatter(doc ast.Node, pc parser.Context) (title string, tags []string) {
	title, tags, err := metaFields(pc)
	if err != nil {
		showMalformedFrontMatter(doc)
	}
	return title, tags
}

// metaFields returns title and tags from the front matter goldmark-meta
// parsed into pc, or the YAML error.
func metaFields(pc parser.Context) (title string, tags []string, err error) {
	m, err := meta.TryGet(pc)
	if err != nil {
		return "", nil, err
	}
	return strings.TrimSpace(scalar(m["title"])), tagList(m["tags"]), nil
}

// langTag is what a lang attribute may hold: a BCP 47 primary language
// subtag with optional subtags ("nl", "en-GB", "fy").
var langTag = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$`)

// metaLang returns the front matter's lang when it is a language tag.
func metaLang(pc parser.Context) string {
	m, err := meta.TryGet(pc)
	if err != nil {
		return ""
	}
	l := strings.TrimSpace(scalar(m["lang"]))
	if !langTag.MatchString(l) {
		return ""
	}
	return strings.ToLower(l)
}

// showMalformedFrontMatter replaces the text block that goldmark-meta
// leaves behind on a YAML error (the raw lines plus an HTML comment holding
// the error message) with a code block of the raw lines.
func showMalformedFrontMatter(doc ast.Node) {
	tb, ok := doc.FirstChild().(*ast.TextBlock)
	if !ok {
		return
	}
	cb := ast.NewCodeBlock()
	cb.SetLines(tb.Lines())
	doc.ReplaceChild(doc, tb, cb)
}

// scalar formats a YAML scalar as text; lists and maps give "".
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int, int64, uint64, float64, bool:
		return fmt.Sprint(v)
	}
	return ""
}

// tagList accepts tags as a YAML list or as one comma-separated scalar,
// trims them, drops empty ones and duplicates, and keeps their order.
func tagList(v any) []string {
	var raw []string
	switch v := v.(type) {
	case []any:
		for _, t := range v {
			raw = append(raw, scalar(t))
		}
	default:
		raw = strings.Split(scalar(v), ",")
	}
	var tags []string
	seen := map[string]bool{}
	for _, t := range raw {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		tags = append(tags, t)
	}
	return tags
}
