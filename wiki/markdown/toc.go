package markdown

import (
	"bufio"
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// kindTOC is the goldmark node kind of a [tocNode], registered once at init.
var kindTOC = ast.NewNodeKind("TOC")

const (
	// tocMaxLevel is the deepest heading level listed in a table of
	// contents; h5 and h6 are usually too fine-grained to navigate by.
	tocMaxLevel = 4
	// tocLabel names the navigation landmark for screen readers. The wiki's
	// users are Dutch civil servants, so it is Dutch like the theme.
	tocLabel = "Inhoudsopgave"
	// maxSlugLen caps an id in bytes so that a very long heading does not
	// produce an equally long id in every TOC link.
	maxSlugLen = 100
	// headingFallbackID is the id of a heading without letters or digits.
	headingFallbackID = "heading"
)

// tocNode replaces a paragraph that holds only a TOC marker.
type tocNode struct {
	ast.BaseBlock
	// toc is shared by all markers of a page.
	toc *toc
}

// toc is the table of contents of one page.
type toc struct {
	// headings are the entries, filled in by Render after the whole
	// document has been walked, because the marker may precede them.
	headings []Heading
	// html is the rendered table, kept after the first marker: a page
	// with many markers and many headings would otherwise cost markers
	// times headings to render.
	html []byte
}

// Kind implements ast.Node.
func (n *tocNode) Kind() ast.NodeKind { return kindTOC }

// Dump implements ast.Node.
func (n *tocNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, nil, nil)
}

// isTOCMarker reports whether a paragraph consists only of "[[_TOC_]]"
// (GitLab) or "[TOC]" (Python-Markdown and others).
func isTOCMarker(p *ast.Paragraph, source []byte) bool {
	lines := p.Lines()
	if lines.Len() != 1 {
		return false
	}
	seg := lines.At(0)
	v := string(bytes.TrimSpace(seg.Value(source)))
	return v == "[[_TOC_]]" || strings.EqualFold(v, "[TOC]")
}

// tocRenderer renders tocNode.
type tocRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (tocRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindTOC, renderTOC)
}

func renderTOC(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	t := node.(*tocNode).toc
	if t.html == nil {
		var hs []Heading
		for _, h := range t.headings {
			if h.Level <= tocMaxLevel {
				hs = append(hs, h)
			}
		}
		var buf bytes.Buffer
		if len(hs) > 0 {
			bw := bufio.NewWriter(&buf)
			_, _ = bw.WriteString(`<nav class="toc" aria-label="` + tocLabel + `">` + "\n")
			writeTOCList(bw, hs)
			_, _ = bw.WriteString("</nav>\n")
			_ = bw.Flush()
		}
		t.html = buf.Bytes()
		if t.html == nil {
			t.html = []byte{}
		}
	}
	_, _ = w.Write(t.html)
	return ast.WalkSkipChildren, nil
}

// writeTOCList writes hs as a nested list: every heading owns the headings
// after it that are deeper than itself. Skipped levels (h2 then h4) nest
// one step, so the markup stays valid for any order of levels. Recursion
// depth is bounded by the number of heading levels.
func writeTOCList(w util.BufWriter, hs []Heading) {
	_, _ = w.WriteString("<ul>\n")
	for i := 0; i < len(hs); {
		j := i + 1
		for j < len(hs) && hs[j].Level > hs[i].Level {
			j++
		}
		_, _ = w.WriteString(`<li><a href="#`)
		_, _ = w.Write(util.EscapeHTML([]byte(fragment(hs[i].ID))))
		_, _ = w.WriteString(`">`)
		_, _ = w.Write(util.EscapeHTML([]byte(hs[i].Text)))
		_, _ = w.WriteString("</a>")
		if j > i+1 {
			_ = w.WriteByte('\n')
			writeTOCList(w, hs[i+1:j])
		}
		_, _ = w.WriteString("</li>\n")
		i = j
	}
	_, _ = w.WriteString("</ul>\n")
}

// fragment escapes an id for use after '#' in a URL.
func fragment(id string) string {
	return (&url.URL{Fragment: id}).EscapedFragment()
}

// slug turns heading text into an id the way GitHub does: lower case,
// letters, digits, marks, '-' and '_' kept (in any script, so Dutch "één"
// survives), spaces become '-', everything else is dropped.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if b.Len()+utf8.RuneLen(r) > maxSlugLen {
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte('-')
		}
	}
	return b.String()
}

// idSet hands out ids that are unique within one document.
type idSet struct {
	used map[string]bool
	// next is, per base id, the suffix to try first, so that a page with
	// thousands of equal headings costs linear time, not quadratic.
	next map[string]int
}

func newIDSet() *idSet {
	return &idSet{used: map[string]bool{}, next: map[string]int{}}
}

// unique returns slug(text), or "heading" when that is empty, with "-1",
// "-2", ... appended until it is unused.
func (s *idSet) unique(text string) string {
	base := slug(text)
	if base == "" {
		base = headingFallbackID
	}
	id := base
	if s.used[id] {
		n := max(s.next[base], 1)
		for id = base + "-" + strconv.Itoa(n); s.used[id]; id = base + "-" + strconv.Itoa(n) {
			n++
		}
		s.next[base] = n + 1
	}
	s.used[id] = true
	return id
}

// plainText appends the text content of n's inline children to b, the way
// a reader sees it: escapes and entities resolved, markup dropped,
// wikilinks by their label.
func plainText(b *bytes.Buffer, n ast.Node, source []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(resolveText(c.Segment.Value(source)))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			if !c.IsCode() {
				b.Write(c.Value)
			}
		case *ast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if t, ok := t.(*ast.Text); ok {
					b.Write(t.Segment.Value(source))
				}
			}
		case *ast.AutoLink:
			b.Write(c.Label(source))
		case *ast.RawHTML:
			// Raw HTML is omitted from the output, so it is not text either.
		case *wikiLink:
			b.WriteString(c.Label)
		default:
			plainText(b, c, source)
		}
	}
}

// resolveText undoes Markdown backslash escapes and HTML character
// references, as goldmark's writer does when it renders text.
func resolveText(v []byte) []byte {
	v = util.UnescapePunctuations(v)
	v = util.ResolveNumericReferences(v)
	return util.ResolveEntityNames(v)
}
