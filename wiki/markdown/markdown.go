// Package markdown renders wiki pages: GitHub-flavoured Markdown with
// footnotes, YAML front matter, highlighted code, a table-of-contents marker
// and wikilinks, sanitised so that no page can run script in a reader's
// browser. It knows nothing about pages or storage: the caller resolves
// wikilink targets through a Resolver.
//
// Beyond GitHub-flavoured Markdown, a page may use:
//
//	---                          front matter, only as the very first lines;
//	title: Ontwerp               "title" and "tags" (a list or "a, b") are read,
//	tags: [wmo, ontwerp]         everything else is ignored
//	---
//	# Title                      a leading h1 is the page title (not in HTML);
//	                             other headings render one level down (# as h2)
//	[[_TOC_]] or [TOC]           alone in a paragraph: a table of contents (h2-h4)
//	[[Page]]                     link to a page; [[Folder/Page]] for a sub-page
//	[[Page|label]]               with another label ([[Page\|label]] in a table)
//	[[Page#Section]]             to a heading; the section is turned into its id
//	[[#Section]]                 to a heading on the same page
//	```go                        highlighted code (chroma, CSS classes)
//
// Raw HTML in a page is dropped, not rendered.
package markdown

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	meta "github.com/yuin/goldmark-meta"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Link is what a wikilink target resolves to.
type Link struct {
	// URL is the href of the page. "" means the target is not a valid page
	// name: the label is then rendered as plain text in a span of class
	// "wikilink-invalid".
	URL string
	// Exists is false for a page that does not exist yet: the link is then
	// rendered with class "wikilink wikilink-missing" as an invitation to
	// create it.
	Exists bool
}

// Resolver maps a wikilink target as written (for example
// "WMO-loket/Ontwerp", without any "#section") to a Link. Render calls it
// once per distinct target.
type Resolver func(target string) Link

// Document is a rendered page.
type Document struct {
	// HTML is the sanitised body, safe to embed in a page as is.
	HTML template.HTML
	// Title is the front matter "title", else the text of a leading h1
	// (which is then left out of HTML), else "". It is plain text, not HTML.
	Title string
	// Tags are the front matter "tags", given as a YAML list or as one
	// comma-separated string; trimmed, without duplicates.
	Tags []string
	// Headings are all headings in document order, for a table of contents.
	Headings []Heading
	// Links are the wikilink targets as written, in order of first
	// appearance, without duplicates, for backlinks and renames.
	Links []string
}

// Heading is one heading of a Document.
type Heading struct {
	// Level is 1 for h1 up to 6 for h6.
	Level int
	// Text is the heading as plain text, markup removed.
	Text string
	// ID is the heading's id attribute, unique within the document.
	ID string
}

// Class names set on task lists, after GitHub's, so themes can drop the
// bullet in front of the checkbox.
const (
	taskItemClass = "task-list-item"
	taskListClass = "contains-task-list"
)

// wikiLinkPriority places the wikilink parser just ahead of goldmark's link
// parser (200), so that "[[" is looked at before "[" starts a link label.
const wikiLinkPriority = 199

// Renderer renders Markdown pages. It is safe for concurrent use: the
// goldmark instance and the sanitiser policy are built once in New and only
// read afterwards; everything per render lives in Render's locals.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a Renderer.
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(
			// Alignment as an align attribute, so the sanitiser never has
			// to allow style attributes.
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.Linkify,
			extension.TaskList,
			extension.Footnote,
			meta.New(),
			highlighting.NewHighlighting(highlighting.WithFormatOptions(chromaOptions()...)),
		),
		goldmark.WithParserOptions(
			parser.WithInlineParsers(util.Prioritized(wikiLinkParser{}, wikiLinkPriority)),
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(
				util.Prioritized(wikiLinkRenderer{}, 500),
				util.Prioritized(tocRenderer{}, 500),
			),
		),
	)
	return &Renderer{md: md, policy: newPolicy()}
}

// Render renders src, resolving wikilinks with resolve (nil renders every
// wikilink as invalid). Problems in the content itself, such as malformed
// front matter, never make it fail; an error means a fault in the renderer.
func (r *Renderer) Render(src []byte, resolve Resolver) (doc Document, err error) {
	// A panic in a parser on hostile input must cost one page view, not the
	// process, and must surface as an error rather than half a page.
	defer func() {
		if p := recover(); p != nil {
			doc, err = Document{}, fmt.Errorf("render markdown: panic: %v", p)
		}
	}()

	src = guardFrontMatter(src)
	pc := parser.NewContext()
	root := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	doc.Title, doc.Tags = frontMatter(root, pc)
	var titleNode ast.Node
	doc.Title, titleNode = takeTitle(root, src, doc.Title)
	doc.Headings, doc.Links = prepare(root, src, resolve)
	if titleNode != nil {
		// Links in the title heading still count, for backlinks and
		// renames, though the heading is shown as plain text.
		doc.Links = append(titleLinks(titleNode, doc.Links), doc.Links...)
	}

	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, src, root); err != nil {
		return Document{}, fmt.Errorf("render markdown: %w", err)
	}
	doc.HTML = template.HTML(r.policy.SanitizeBytes(buf.Bytes()))
	return doc, nil
}

// prepare does the per-render work on the parsed tree: heading ids,
// wikilink resolution, TOC markers and task-list classes. It is a pass over
// the tree rather than a goldmark AST transformer so that the per-render
// resolver stays an argument instead of travelling through the parser.
func prepare(root ast.Node, src []byte, resolve Resolver) ([]Heading, []string) {
	var (
		headings []Heading
		links    []string
		markers  []*ast.Paragraph
		ids      = newIDSet()
		seen     = map[string]bool{}
		resolved = map[string]Link{}
	)
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			var b bytes.Buffer
			plainText(&b, n, src)
			h := Heading{Level: n.Level, Text: strings.TrimSpace(b.String())}
			h.ID = ids.unique(h.Text)
			n.SetAttributeString("id", h.ID)
			headings = append(headings, h)
		case *ast.Paragraph:
			if isTOCMarker(n, src) {
				markers = append(markers, n)
				return ast.WalkSkipChildren, nil
			}
		case *wikiLink:
			if insideLink(n) {
				n.Plain = true
				break
			}
			resolveWikiLink(n, resolve, resolved)
			if n.Target != "" && !seen[n.Target] {
				seen[n.Target] = true
				links = append(links, n.Target)
			}
		case *east.TaskCheckBox:
			markTaskItem(n)
		}
		return ast.WalkContinue, nil
	})
	// Replaced after the walk: changing the tree while walking it would
	// derail the walk.
	for _, p := range markers {
		toc := &tocNode{headings: headings}
		p.Parent().ReplaceChild(p.Parent(), p, toc)
	}
	return headings, links
}

// takeTitle keeps a page to one h1, which the theme prints as the page's
// title. A leading "# Heading" becomes the title when the front matter
// gives none (or repeats the front matter title) and is taken out of the
// body; every other heading moves one level down (h6 stays h6), so the
// outline under the title stays intact. It returns the title.
func takeTitle(root ast.Node, src []byte, title string) (string, ast.Node) {
	var removed ast.Node
	if h, ok := root.FirstChild().(*ast.Heading); ok && h.Level == 1 {
		var b bytes.Buffer
		plainText(&b, h, src)
		text := strings.TrimSpace(b.String())
		if title == "" || title == text {
			title = text
			root.RemoveChild(root, h)
			removed = h
		}
	}
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level < 6 {
			h.Level++
		}
		return ast.WalkContinue, nil
	})
	return title, removed
}

// titleLinks returns the wikilink targets in the removed title heading
// that are not in later already.
func titleLinks(title ast.Node, later []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range later {
		seen[l] = true
	}
	_ = ast.Walk(title, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if l, ok := n.(*wikiLink); ok && entering && l.Target != "" && !seen[l.Target] {
			seen[l.Target] = true
			out = append(out, l.Target)
		}
		return ast.WalkContinue, nil
	})
	return out
}

// insideLink reports whether n sits in a Markdown link, where an anchor of
// its own would nest <a> in <a>.
func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.Kind() {
		case ast.KindLink, ast.KindAutoLink, ast.KindImage:
			return true
		}
	}
	return false
}

// markTaskItem sets the task-list classes on the list item that holds the
// checkbox (checkbox -> paragraph or text block -> item -> list).
func markTaskItem(box ast.Node) {
	block := box.Parent()
	if block == nil {
		return
	}
	item, ok := block.Parent().(*ast.ListItem)
	if !ok {
		return
	}
	item.SetAttributeString("class", taskItemClass)
	if list, ok := item.Parent().(*ast.List); ok {
		list.SetAttributeString("class", taskListClass)
	}
}
