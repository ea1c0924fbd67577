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
//	                             ## is h2; if the body has # headings of its
//	                             own, all its headings move one level down
//	[[_TOC_]] or [TOC]           alone in a paragraph: a table of contents (h2-h4)
//	[[Page]]                     link to a page; [[Folder/Page]] for a sub-page
//	[[Page|label]]               with another label ([[Page\|label]] in a table)
//	[[Page#Section]]             to a heading; the section is turned into its id
//	[[#Section]]                 to a heading on the same page
//	![](Ontwerp/reis.png)        relative links and images: RenderPage resolves
//	[tekst](../Beleid.md)        them through a PathResolver (images load lazily)
//	```go                        highlighted code (chroma, CSS classes)
//	```mermaid                   a diagram: its source in <pre class="mermaid-source">
//	$E = mc^2$, $$ ... $$        formulas (TeX) in .math-inline / .math-display (math.go)
//
// Raw HTML in a page is dropped, not rendered.
//
// Rendering costs time linear in the size of a page: see Limits for what
// bounds it, and Document.OverBudget for a page beyond them.
package markdown

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"runtime"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
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
	// Lang is the front matter "lang" (a BCP 47 tag such as "nl" or
	// "en"), "" when absent or not a language tag: the language of the
	// page's content, for its lang attribute and for search.
	Lang string
	// Tags are the front matter "tags", given as a YAML list or as one
	// comma-separated string; trimmed, without duplicates.
	Tags []string
	// Headings are all headings in document order, for a table of contents.
	Headings []Heading
	// Links are the wikilink targets as written, in order of first
	// appearance, without duplicates, for backlinks and renames.
	Links []string

	// OverBudget reports that the page exceeded one of the renderer's
	// Limits. HTML then holds a notice (a <p class="render-notice">)
	// followed by the page's source, escaped, in a <pre>; Title and Tags
	// come from the front matter when it could be read, and Headings and
	// Links are empty.
	OverBudget bool
	// Limit is the limit the page exceeded, for the web layer to explain
	// it in the reader's language; "" when OverBudget is false.
	Limit Limit
	// Notice is the text of the notice in HTML, in Dutch and English; "" when
	// OverBudget is false.
	Notice string
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

// noticeClass is the class of the notice above an over-budget page.
const noticeClass = "render-notice"

// Renderer renders Markdown pages. It is safe for concurrent use: the
// goldmark instance and the sanitiser policy are built once in New and only
// read afterwards; everything per render lives in Render's locals and its
// budget. The one thing renders share is a semaphore that bounds how many
// run at once.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	limits Limits
	// sem holds one token per render in progress.
	sem chan struct{}
}

// Option configures a Renderer made by New.
type Option func(*options)

// options are what the Options of New set.
type options struct {
	limits      Limits
	concurrency int
}

// WithLimits sets the limits of every render; fields left zero keep their
// defaults (see DefaultLimits).
func WithLimits(l Limits) Option {
	return func(o *options) { o.limits = l }
}

// WithConcurrency sets how many renders may run at once; more calls of
// Render wait for a free slot, or until their context is done. The default
// is twice GOMAXPROCS at the time of New: rendering is CPU work, and more
// renders at once than that only make each one slower.
func WithConcurrency(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.concurrency = n
		}
	}
}

// New returns a Renderer.
func New(opts ...Option) *Renderer {
	o := options{limits: DefaultLimits(), concurrency: 2 * runtime.GOMAXPROCS(0)}
	for _, opt := range opts {
		opt(&o)
	}
	md := goldmark.New(
		// goldmark's parser with its parsers wrapped in guards that keep a
		// render within its budget (guard.go).
		goldmark.WithParser(newParser()),
		goldmark.WithExtensions(
			// Alignment as an align attribute, so the sanitiser never has
			// to allow style attributes.
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			strikethrough{},
			extension.Linkify,
			extension.TaskList,
			footnotes{},
			mathExtension{},
			meta.New(),
		),
		goldmark.WithParserOptions(
			parser.WithInlineParsers(util.Prioritized(wikiLinkParser{}, wikiLinkPriority)),
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(
				util.Prioritized(wikiLinkRenderer{}, 500),
				util.Prioritized(tocRenderer{}, 500),
				// Ahead of goldmark's own code block renderer (1000).
				util.Prioritized(codeRenderer{}, 200),
				// Ahead of goldmark's task list renderer (500).
				util.Prioritized(taskBoxRenderer{}, 400),
			),
		),
	)
	return &Renderer{
		md:     md,
		policy: newPolicy(),
		limits: o.limits.withDefaults(),
		sem:    make(chan struct{}, o.concurrency),
	}
}

// Render renders src, resolving wikilinks with resolve (nil renders every
// wikilink as invalid). Problems in the content itself, such as malformed
// front matter, never make it fail, and a page beyond the renderer's
// Limits is rendered as its escaped source (Document.OverBudget).
//
// Render waits for a free slot when as many renders as WithConcurrency
// allows are running. When ctx is done, while waiting or rendering, or the
// render itself takes longer than the Limits' Timeout, it stops soon and
// returns an error wrapping context.Canceled or context.DeadlineExceeded.
// Any other error means a fault in the renderer.
func (r *Renderer) Render(ctx context.Context, src []byte, resolve Resolver) (Document, error) {
	return r.RenderPage(ctx, src, resolve, nil)
}

// RenderPage is Render that also resolves the relative destinations of
// Markdown links and images through rel (see PathResolver); nil leaves
// them as written. Images get loading="lazy" either way.
func (r *Renderer) RenderPage(ctx context.Context, src []byte, resolve Resolver, rel PathResolver) (Document, error) {
	if err := r.acquire(ctx); err != nil {
		return Document{}, fmt.Errorf("render markdown: %w", err)
	}
	defer func() { <-r.sem }()
	ctx, cancel := context.WithTimeout(ctx, r.limits.Timeout)
	defer cancel()

	doc, err := r.render(newBudget(ctx, r.limits, len(src)), src, resolve, rel)
	if s := (*stop)(nil); errors.As(err, &s) && s.err == nil {
		return r.overBudget(src, s.limit), nil
	}
	if err != nil {
		return Document{}, fmt.Errorf("render markdown: %w", err)
	}
	return doc, nil
}

// acquire takes a render slot, or gives up when ctx is done.
func (r *Renderer) acquire(ctx context.Context) error {
	// A select picks at random among ready cases; a render whose context
	// is already done must not win a free slot.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case r.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// render does the work of Render within b. A *stop error means a limit was
// exceeded or b's context is done.
func (r *Renderer) render(b *budget, src []byte, resolve Resolver, rel PathResolver) (doc Document, err error) {
	// A panic in a parser on hostile input must cost one page view, not the
	// process, and must surface as an error rather than half a page. The
	// budget's own panics end up here too, on purpose.
	defer func() {
		if p := recover(); p != nil {
			s, ok := p.(*stop)
			if !ok {
				doc, err = Document{}, fmt.Errorf("panic: %v", p)
				return
			}
			doc, err = Document{}, s
		}
	}()

	b.check()
	src = guardFrontMatter(src)
	pc := parseContext(b)
	root := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	b.check()
	doc.Title, doc.Tags = frontMatter(root, pc)
	doc.Lang = metaLang(pc)
	var titleNode ast.Node
	doc.Title, titleNode = takeTitle(root, src, doc.Title)
	doc.Headings, doc.Links = prepare(b, root, src, resolve, rel)
	if titleNode != nil {
		// Links in the title heading still count, for backlinks and
		// renames, though the heading is shown as plain text.
		doc.Links = append(titleLinks(titleNode, doc.Links), doc.Links...)
	}

	b.check()
	w := &renderWriter{budget: b}
	if err := r.md.Renderer().Render(w, src, root); err != nil {
		return Document{}, err
	}
	// bluemonday cannot be interrupted, but its input is bounded by the
	// output limit and it runs in linear time.
	b.check()
	doc.HTML = template.HTML(r.policy.SanitizeBytes(w.buf.Bytes()))
	return doc, nil
}

// parseContext returns a parser context that holds b, for the guards.
func parseContext(b *budget) parser.Context {
	pc := parser.NewContext()
	pc.Set(budgetKey, b)
	return pc
}

// overBudget is the Document for a page beyond limit: a notice and the
// source, escaped, still passed through the sanitiser like every page.
func (r *Renderer) overBudget(src []byte, limit Limit) Document {
	// In both interface languages: the renderer does not know the
	// reader's, and the notice is part of the cached HTML.
	notice := "Deze pagina gaat over de grens voor opmaak (" + limitNL(limit) + ") en wordt als brontekst getoond; er is niets verloren. / " +
		"This page exceeds the " + string(limit) + " limit for rendering and is shown as source; nothing is lost."
	var b strings.Builder
	b.Grow(len(src) + len(notice) + 64)
	b.WriteString(`<p class="` + noticeClass + `">`)
	b.WriteString(html.EscapeString(notice))
	b.WriteString("</p>\n<pre><code>")
	// NUL becomes U+FFFD, as CommonMark has it and goldmark does.
	b.WriteString(html.EscapeString(strings.ReplaceAll(string(src), "\x00", "\uFFFD")))
	b.WriteString("</code></pre>\n")
	title, tags := r.frontMatterOf(src)
	return Document{
		HTML:       template.HTML(r.policy.Sanitize(b.String())),
		Title:      title,
		Tags:       tags,
		OverBudget: true,
		Limit:      limit,
		Notice:     notice,
	}
}

// limitNL names a limit in Dutch.
func limitNL(l Limit) string {
	switch l {
	case LimitNesting:
		return "nesting"
	case LimitLinks:
		return "aantal links"
	case LimitFootnotes:
		return "aantal voetnoten"
	case LimitTable:
		return "tabelgrootte"
	case LimitEmphasis:
		return "nadruk"
	case LimitOutput:
		return "omvang"
	}
	return string(l)
}

// frontMatterOf reads title and tags from the front matter of src alone,
// for a page whose full parse was abandoned; the title of a leading h1 is
// not looked for.
func (r *Renderer) frontMatterOf(src []byte) (title string, tags []string) {
	n := frontMatterLen(src)
	if n == 0 {
		return "", nil
	}
	defer func() {
		if recover() != nil {
			title, tags = "", nil
		}
	}()
	pc := parseContext(newBudget(context.Background(), r.limits, n))
	r.md.Parser().Parse(text.NewReader(src[:n]), parser.WithContext(pc))
	title, tags, _ = metaFields(pc)
	return title, tags
}

// prepare does the per-render work on the parsed tree: heading ids,
// wikilink resolution, TOC markers and task-list classes, and counting
// links against the budget. It is a pass over the tree rather than a
// goldmark AST transformer so that the per-render resolver stays an
// argument instead of travelling through the parser.
func prepare(b *budget, root ast.Node, src []byte, resolve Resolver, rel PathResolver) ([]Heading, []string) {
	var (
		headings []Heading
		links    []string
		markers  []*ast.Paragraph
		ids      = newIDSet()
		seen     = map[string]bool{}
		resolved = map[string]Link{}
		paths    = map[string]Link{}
	)
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b.step()
		switch n := n.(type) {
		case *ast.Link, *ast.Image:
			b.link()
			resolveRelative(n, rel, paths)
		case *ast.AutoLink:
			b.link()
		case *ast.Heading:
			var buf bytes.Buffer
			plainText(&buf, n, src)
			h := Heading{Level: n.Level, Text: strings.TrimSpace(buf.String())}
			h.ID = ids.unique(h.Text)
			n.SetAttributeString("id", h.ID)
			headings = append(headings, h)
		case *ast.Paragraph:
			if isTOCMarker(n, src) {
				markers = append(markers, n)
				return ast.WalkSkipChildren, nil
			}
		case *wikiLink:
			b.link()
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
	t := &toc{headings: headings}
	for _, p := range markers {
		p.Parent().ReplaceChild(p.Parent(), p, &tocNode{toc: t})
	}
	return headings, links
}

// takeTitle keeps a page to one h1, which the theme prints as the page's
// title. A leading "# Heading" becomes the title when the front matter
// gives none (or repeats the front matter title) and is taken out of the
// body. When the rest of the body has h1s of its own, every heading moves
// one level down (h6 stays h6), so the outline under the title stays
// intact; otherwise "##" stays h2. It returns the title.
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
	// "## Section" under the title is an h2, as its author wrote it. Only
	// a body that still has "# Heading"s of its own (pages written with
	// # for their sections) moves down one level, so that it keeps its
	// outline under the one h1.
	shift := false
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level == 1 {
			shift = true
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	if !shift {
		return title, removed
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
