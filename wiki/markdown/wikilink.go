package markdown

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// kindWikiLink is the goldmark node kind of a [wikiLink]. goldmark needs a
// registered kind to route nodes to renderers; it is assigned once at init
// and never changed.
var kindWikiLink = ast.NewNodeKind("WikiLink")

// maxWikiLinkLen bounds how far the parser looks for the closing "]]", so a
// long line full of "[[" costs linear time, not quadratic.
const maxWikiLinkLen = 1024

// missingTitle is the tooltip of a link to a page that does not exist yet.
// It is plain ASCII so that bluemonday's title pattern keeps it.
const missingTitle = "create this page"

// wikiLink is an inline [[Target#Anchor|Label]] node. The parser fills in
// Target, Anchor and Label; Render resolves Link after parsing, so that the
// goldmark parser itself never sees a per-render resolver.
type wikiLink struct {
	ast.BaseInline

	// Target is the page name as written, trimmed, without the anchor.
	// It is empty for a link to a section of the same page ("[[#Section]]").
	Target string
	// Anchor is the text after '#', trimmed; empty when there is none.
	Anchor string
	// Label is the text to show: the part after '|', or else what was
	// written before it.
	Label string
	// Link is the resolved target, set by Render before rendering.
	Link Link
	// Plain renders the label as text only; set for wikilinks nested in a
	// Markdown link, where a second <a> would be invalid HTML.
	Plain bool
}

// Kind implements ast.Node.
func (n *wikiLink) Kind() ast.NodeKind { return kindWikiLink }

// Dump implements ast.Node.
func (n *wikiLink) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{
		"Target": n.Target,
		"Anchor": n.Anchor,
		"Label":  n.Label,
	}, nil)
}

// wikiLinkParser parses [[...]] on a '[' trigger. It is registered ahead of
// goldmark's link parser and returns nil for anything that is not a
// complete wikilink on one line, so ordinary links, footnote references and
// task-list boxes fall through to their own parsers.
type wikiLinkParser struct{}

// Trigger implements parser.InlineParser.
func (wikiLinkParser) Trigger() []byte { return []byte{'['} }

// Parse implements parser.InlineParser.
func (wikiLinkParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	line, _ := block.PeekLine()
	body, ok := wikiLinkBody(line)
	if !ok {
		return nil
	}
	n := newWikiLink(body)
	if n == nil {
		return nil
	}
	block.Advance(len(body) + 4)
	return n
}

// wikiLinkBody returns the text between "[[" and "]]" at the start of line.
// Brackets inside are not allowed: "[[a]b]]" is not a wikilink, and
// stopping at the first bracket keeps the scan linear.
func wikiLinkBody(line []byte) ([]byte, bool) {
	if len(line) < 5 || line[0] != '[' || line[1] != '[' {
		return nil, false
	}
	for i := 2; i < len(line) && i < maxWikiLinkLen; i++ {
		switch line[i] {
		case '[', '\n', '\r':
			return nil, false
		case ']':
			if i+1 < len(line) && line[i+1] == ']' && i > 2 {
				return line[2:i], true
			}
			return nil, false
		}
	}
	return nil, false
}

// newWikiLink splits "Target#Anchor|Label" into a node, or returns nil when
// there is neither a target nor an anchor.
func newWikiLink(body []byte) *wikiLink {
	dest, label, hasLabel := bytes.Cut(body, []byte{'|'})
	// In a table cell the '|' must be written "\|", or the table parser
	// splits the cell there; the backslash is not part of the target.
	dest = bytes.TrimSuffix(dest, []byte{'\\'})
	target, anchor, _ := bytes.Cut(dest, []byte{'#'})
	n := &wikiLink{
		Target: string(util.TrimRightSpace(util.TrimLeftSpace(target))),
		Anchor: string(util.TrimRightSpace(util.TrimLeftSpace(anchor))),
	}
	if n.Target == "" && n.Anchor == "" {
		return nil
	}
	if hasLabel {
		n.Label = string(util.TrimRightSpace(util.TrimLeftSpace(label)))
	}
	if n.Label == "" {
		n.Label = string(util.TrimRightSpace(util.TrimLeftSpace(dest)))
	}
	return n
}

// resolveWikiLink fills n.Link. A same-page anchor link needs no resolver.
func resolveWikiLink(n *wikiLink, resolve Resolver, cache map[string]Link) {
	if n.Target == "" {
		n.Link = Link{URL: "", Exists: true}
		return
	}
	l, ok := cache[n.Target]
	if !ok {
		if resolve != nil {
			l = resolve(n.Target)
		}
		cache[n.Target] = l
	}
	n.Link = l
}

// href is the link destination: the resolved URL plus the anchor, slugged
// the same way as heading ids so that [[Page#Some Section]] lands on the
// heading "Some Section". A page that does not exist has no sections, so
// its create link carries no anchor; neither does an anchor with nothing
// left after slugging.
func (n *wikiLink) href() string {
	id := slug(n.Anchor)
	if n.Target == "" {
		return "#" + fragment(id)
	}
	if id == "" || !n.Link.Exists {
		return n.Link.URL
	}
	return n.Link.URL + "#" + fragment(id)
}

// wikiLinkRenderer renders WikiLink nodes.
type wikiLinkRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (wikiLinkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindWikiLink, renderWikiLink)
}

func renderWikiLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*wikiLink)
	label := util.EscapeHTML([]byte(n.Label))
	isAnchor := n.Target == ""
	switch {
	case n.Plain:
		_, _ = w.Write(label)
	case !isAnchor && n.Link.URL == "":
		_, _ = w.WriteString(`<span class="wikilink-invalid">`)
		_, _ = w.Write(label)
		_, _ = w.WriteString(`</span>`)
	case n.Link.Exists:
		_, _ = w.WriteString(`<a class="wikilink" href="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.href())))
		_, _ = w.WriteString(`">`)
		_, _ = w.Write(label)
		_, _ = w.WriteString(`</a>`)
	default:
		_, _ = w.WriteString(`<a class="wikilink wikilink-missing" title="` + missingTitle + `" href="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.href())))
		_, _ = w.WriteString(`">`)
		_, _ = w.Write(label)
		_, _ = w.WriteString(`</a>`)
	}
	return ast.WalkSkipChildren, nil
}
