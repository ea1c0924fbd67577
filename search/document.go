package search

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	meta "github.com/yuin/goldmark-meta"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// document is what the index holds of a page. The json names are the
// field names of the mapping; text in a language goes to the field of
// that language only, the other one staying empty.
type document struct {
	Name        string    `json:"name"`
	Title       string    `json:"title"`
	Suggest     string    `json:"suggest"`
	Spell       string    `json:"spell,omitempty"`
	SpellHead   string    `json:"spell_head,omitempty"`
	PrefixTitle string    `json:"prefix_title"`
	PrefixHead  string    `json:"prefix_head,omitempty"`
	PrefixBody  string    `json:"prefix_body,omitempty"`
	Folder      []string  `json:"folder,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
	Lang        string    `json:"lang"`
	Author      string    `json:"author,omitempty"`
	AuthorEmail string    `json:"author_email,omitempty"`
	AuthorText  string    `json:"author_text,omitempty"`
	Time        time.Time `json:"time"`
	Revision    string    `json:"revision,omitempty"`
	TitleNL     string    `json:"title_nl,omitempty"`
	HeadingsNL  string    `json:"headings_nl,omitempty"`
	BodyNL      string    `json:"body_nl,omitempty"`
	TitleEN     string    `json:"title_en,omitempty"`
	HeadingsEN  string    `json:"headings_en,omitempty"`
	BodyEN      string    `json:"body_en,omitempty"`
}

// page is a page's Markdown taken apart for indexing.
type page struct {
	// Title is the front matter title, else the first h1, else "".
	Title string
	// Tags are the front matter tags.
	Tags []string
	// Lang is the front matter lang, normalised to "nl" or "en"; "" when
	// absent or unknown.
	Lang string
	// Headings are the texts of the headings other than the title.
	Headings []string
	// Body is the rest of the page as plain text, one block per line.
	// Headings are left out so that a word in a heading weighs as one in
	// a heading, not as one in a heading and another in the body.
	Body string
}

// newDocument builds the document of a page.
func newDocument(name wiki.Name, p page, defaultLang string, rev *wiki.Revision) document {
	title := p.Title
	if title == "" {
		title = name.Title()
	}
	lang := p.Lang
	if lang == "" {
		lang = defaultLang
	}
	d := document{
		Name:  string(name),
		Title: title,
		// The name's segments are words too: "WMO-loket/Ontwerp" is found
		// by "wmo", "loket" and "ontwerp".
		Suggest:   title + "\n" + strings.ReplaceAll(string(name), "/", " "),
		Spell:     p.Body,
		SpellHead: strings.Join(p.Headings, "\n"),
		Folder:    ancestors(name),
		Tags:      p.Tags,
		Lang:      lang,
	}
	if rev != nil {
		d.Author, d.AuthorEmail, d.AuthorText = rev.Author.Name, rev.Author.Email, rev.Author.Name
		d.Time, d.Revision = rev.Time.UTC(), rev.ID
	}
	d.PrefixTitle, d.PrefixHead, d.PrefixBody = d.Suggest, d.SpellHead, d.Spell
	headings := strings.Join(p.Headings, "\n")
	if lang == "en" {
		d.TitleEN, d.HeadingsEN, d.BodyEN = title, headings, p.Body
	} else {
		d.TitleNL, d.HeadingsNL, d.BodyNL = title, headings, p.Body
	}
	return d
}

// ancestors lists every folder the page is in, outermost first:
// "A/B/C" is in "A" and "A/B".
func ancestors(n wiki.Name) []string {
	var out []string
	s := string(n)
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			out = append(out, s[:i])
		}
	}
	return out
}

// normLang maps a front matter lang ("nl", "NL", "en-GB", "english") to
// a language of the index, "" for others.
func normLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "nl"), strings.HasPrefix(s, "dutch"), strings.HasPrefix(s, "nederlands"):
		return "nl"
	case strings.HasPrefix(s, "en"):
		return "en"
	}
	return ""
}

// markdown parses pages for indexing: GitHub-flavoured Markdown and YAML
// front matter, as the renderer reads them (wiki/markdown), without
// rendering anything.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM, meta.New()))

// wikiLink matches [[Target]], [[Target|label]] and [[Target#Section]];
// wiki/markdown renders them, plain goldmark would leave the brackets.
var wikiLink = regexp.MustCompile(`\[\[([^\[\]|]*?)(?:\\?\|([^\[\]]*))?\]\]`)

// parseBounded takes a page apart within the wiki renderer's budgets
// (issue 10): a page over them — a Markdown bomb, which would take a plain
// parser minutes — is indexed by its source text, as the wiki shows it.
// A page within them parses in bounded time with the plain parser too:
// the budgets count the very work its parsers do.
func (ix *Index) parseBounded(ctx context.Context, src []byte) (page, error) {
	doc, err := ix.md.Render(ctx, src, nil)
	if err != nil {
		return page{}, err
	}
	if doc.OverBudget {
		return page{Title: doc.Title, Tags: doc.Tags, Lang: normLang(doc.Lang), Body: string(src)}, nil
	}
	return parsePage(src), nil
}

// parsePage takes a page's Markdown apart. It never fails: malformed
// front matter is ignored, as the renderer shows it as text.
func parsePage(src []byte) page {
	src = guardFrontMatter(src)
	src = wikiLink.ReplaceAllFunc(src, func(m []byte) []byte {
		sub := wikiLink.FindSubmatch(m)
		if len(sub[2]) > 0 {
			return sub[2]
		}
		return bytes.ReplaceAll(sub[1], []byte("#"), []byte(" "))
	})
	pc := parser.NewContext()
	doc := markdown.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	var p page
	if m, err := meta.TryGet(pc); err == nil {
		p.Title = strings.TrimSpace(scalar(m["title"]))
		p.Tags = tagList(m["tags"])
		p.Lang = normLang(scalar(m["lang"]))
	} else if tb, ok := doc.FirstChild().(*ast.TextBlock); ok {
		// The renderer shows YAML that does not parse as a code block
		// of its lines; goldmark-meta left them, with an HTML comment
		// holding the error, in a text block.
		cb := ast.NewCodeBlock()
		cb.SetLines(tb.Lines())
		doc.ReplaceChild(doc, tb, cb)
	}
	x := extractor{src: src}
	x.block(doc, &p)
	p.Body = strings.TrimSpace(x.body.String())
	return p
}

// extractor collects a document's text.
type extractor struct {
	src  []byte
	body strings.Builder
}

// block walks a block node and its children.
func (x *extractor) block(n ast.Node, p *page) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Heading:
			var b strings.Builder
			x.inline(c, &b)
			h := strings.TrimSpace(b.String())
			if c.Level == 1 && p.Title == "" && h != "" {
				p.Title = h
				continue
			}
			if h != "" {
				p.Headings = append(p.Headings, h)
			}
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			var b strings.Builder
			lines := c.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				b.Write(seg.Value(x.src))
			}
			x.line(b.String())
		case *ast.HTMLBlock:
			// Raw HTML is dropped by the renderer; so it is here.
		case *ast.ThematicBreak:
		case *ast.Paragraph, *ast.TextBlock:
			var b strings.Builder
			x.inline(c, &b)
			x.line(b.String())
		case *east.TableRow, *east.TableHeader:
			var b strings.Builder
			for cell := c.FirstChild(); cell != nil; cell = cell.NextSibling() {
				x.inline(cell, &b)
				b.WriteString("  ")
			}
			x.line(b.String())
		default:
			x.block(c, p)
		}
	}
}

// line adds one line of plain text to the body.
func (x *extractor) line(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	x.body.WriteString(s)
	x.body.WriteByte('\n')
}

// inline writes the text of n's inline children to b.
func (x *extractor) inline(n ast.Node, b *strings.Builder) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(util.ResolveNumericReferences(util.ResolveEntityNames(util.UnescapePunctuations(c.Segment.Value(x.src)))))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if s, ok := t.(*ast.Text); ok {
					b.Write(s.Segment.Value(x.src))
				}
			}
		case *ast.AutoLink:
			b.Write(c.Label(x.src))
		case *ast.RawHTML:
		case *east.TaskCheckBox:
		default:
			x.inline(c, b)
		}
	}
}

// guardFrontMatter keeps goldmark-meta from reading what is not front
// matter, exactly as wiki/markdown does (see there): front matter is a
// first line "---" closed by a later line of dashes; otherwise a leading
// line of dashes is moved off line 0.
func guardFrontMatter(src []byte) []byte {
	first, rest, _ := bytes.Cut(src, []byte{'\n'})
	if !isDashLine(first) {
		return src
	}
	if string(bytes.TrimRight(first, " \t\r")) == "---" {
		for len(rest) > 0 {
			var line []byte
			line, rest, _ = bytes.Cut(rest, []byte{'\n'})
			if isDashLine(line) {
				return src
			}
		}
	}
	guarded := make([]byte, 0, len(src)+1)
	guarded = append(guarded, '\n')
	return append(guarded, src...)
}

func isDashLine(line []byte) bool {
	line = bytes.TrimSpace(line)
	return len(line) > 0 && len(bytes.Trim(line, "-")) == 0
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
// as wiki/markdown does.
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
