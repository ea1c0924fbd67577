package markdown

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// DefaultHighlightStyle is the light chroma style the default theme uses.
const DefaultHighlightStyle = "github"

// ErrUnknownStyle is returned for a chroma style name that does not exist.
var ErrUnknownStyle = errors.New("unknown highlight style")

// chromaOptions are shared by the renderer and the stylesheet writer, so
// the class names in pages and in the CSS always agree. Classes rather
// than inline styles keep the sanitiser free of any style attribute.
func chromaOptions() []chromahtml.Option {
	return []chromahtml.Option{chromahtml.WithClasses(true)}
}

// WriteHighlightCSS writes the stylesheet for highlighted code blocks in
// the named chroma style (for example DefaultHighlightStyle) to w. It
// returns ErrUnknownStyle for a name chroma does not have, rather than
// silently falling back to another style.
func WriteHighlightCSS(w io.Writer, style string) error {
	s, ok := styles.Registry[strings.ToLower(style)]
	if !ok {
		return fmt.Errorf("highlight css %q: %w", style, ErrUnknownStyle)
	}
	if err := chromahtml.New(chromaOptions()...).WriteCSS(w, s); err != nil {
		return fmt.Errorf("highlight css %q: %w", style, err)
	}
	return nil
}

// HighlightCSS returns the stylesheet that WriteHighlightCSS writes.
func HighlightCSS(style string) (string, error) {
	var b strings.Builder
	if err := WriteHighlightCSS(&b, style); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Names of the attributes a fence's info string may set, as in
// "```go {linenos=table,hl_lines=[1,3-4]}"; they are the ones the
// goldmark-highlighting extension reads, which this renderer replaces.
var (
	attrHighlightLines = []byte("hl_lines")
	attrStyle          = []byte("hl_style")
	attrNoHighlight    = []byte("nohl")
	attrLineNumbers    = []byte("linenos")
	attrLineNumStart   = []byte("linenostart")
)

// codeRenderer renders fenced code blocks the way goldmark-highlighting
// does, but within the render's budget: a block is highlighted only while
// the page's highlight bytes and time last and the block itself is not too
// large, and the tokeniser is abandoned as soon as the time is spent or the
// render is cancelled. chroma's lexers are regular expressions that can
// take seconds on a few kilobytes of hostile code, so the time limit is
// what bounds them; everything else renders as plain escaped code.
type codeRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderFencedCode)
}

func renderFencedCode(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	if isMermaid(source, n) {
		writeMermaid(w, source, n)
		return ast.WalkContinue, nil
	}
	done, err := highlight(w, writerBudget(w), source, n)
	if err != nil || done {
		return ast.WalkContinue, err
	}
	writePlainCode(w, source, n)
	return ast.WalkContinue, nil
}

// highlight writes n highlighted and reports whether it did. It fails only
// when the render's context is done.
func highlight(w util.BufWriter, b *budget, source []byte, n *ast.FencedCodeBlock) (bool, error) {
	language := n.Language(source)
	if language == nil {
		return false, nil
	}
	lexer := lexers.Get(string(language))
	if lexer == nil {
		return false, nil
	}
	opts, style, ok := codeOptions(source, n)
	if !ok {
		return false, nil
	}
	lines := n.Lines()
	size := 0
	for i := range lines.Len() {
		seg := lines.At(i)
		size += seg.Len()
	}
	if size > b.limits.HighlightBlockBytes || size > b.highlightBytes || b.highlightTime <= 0 {
		return false, nil
	}
	b.highlightBytes -= size
	var code strings.Builder
	code.Grow(size)
	for i := range lines.Len() {
		seg := lines.At(i)
		code.Write(seg.Value(source))
	}

	out, err := colour(b, lexer, code.String(), opts, style)
	if out == nil {
		return false, err
	}
	_, _ = w.Write(out)
	return true, nil
}

// colour runs chroma on code within b's highlight time and returns the
// HTML, or nil when chroma failed or did not finish in time; err is set
// when b's context is done.
func colour(b *budget, lexer chroma.Lexer, code string, opts []chromahtml.Option, style *chroma.Style) (out []byte, err error) {
	start := time.Now()
	defer func() { b.highlightTime -= time.Since(start) }()
	// A lexer that panics (chroma's sub-lexers do on errors) costs this
	// block its colours, not the page.
	defer func() {
		if recover() != nil {
			out, err = nil, nil
		}
	}()
	tokens, err := chroma.Coalesce(lexer).Tokenise(nil, code)
	if err != nil {
		return nil, nil
	}
	g := &tokenGuard{next: tokens, budget: b, start: start}
	var buf bytes.Buffer
	if err := chromahtml.New(opts...).Format(&buf, style, g.token); err != nil || g.stopped {
		return nil, g.err
	}
	return buf.Bytes(), nil
}

// tokenGuard hands on chroma's tokens until the page's highlight time is
// spent or the render's context is done. chroma produces tokens lazily, one
// regular expression match each, so the guard bounds the time to one match
// beyond the budget.
type tokenGuard struct {
	next    chroma.Iterator
	budget  *budget
	start   time.Time
	stopped bool
	// err is the context's error when that is what stopped the tokens.
	err error
}

func (g *tokenGuard) token() chroma.Token {
	if g.stopped {
		return chroma.EOF
	}
	if err := g.budget.ctx.Err(); err != nil {
		g.stopped, g.err = true, err
		return chroma.EOF
	}
	if time.Since(g.start) > g.budget.highlightTime {
		g.stopped = true
		return chroma.EOF
	}
	return g.next()
}

// codeOptions reads the attributes of a fence's info string into chroma
// formatter options and a style, as goldmark-highlighting does; ok is false
// for a block marked "nohl".
func codeOptions(source []byte, n *ast.FencedCodeBlock) (opts []chromahtml.Option, style *chroma.Style, ok bool) {
	opts = chromaOptions()
	style = styles.Get(DefaultHighlightStyle)
	attrs := codeAttributes(source, n)
	if attrs == nil {
		return opts, style, true
	}
	base := 1
	if v, ok := attrs.Attribute(attrLineNumStart); ok {
		if start, ok := v.(float64); ok {
			base = int(start)
			opts = append(opts, chromahtml.BaseLineNumber(base))
		}
	}
	if v, ok := attrs.Attribute(attrHighlightLines); ok {
		if list, ok := v.([]any); ok {
			opts = append(opts, chromahtml.HighlightLines(highlightRanges(list, base)))
		}
	}
	if v, ok := attrs.Attribute(attrStyle); ok {
		if name, ok := v.([]byte); ok {
			style = styles.Get(string(name))
		}
	}
	if _, ok := attrs.Attribute(attrNoHighlight); ok {
		return nil, nil, false
	}
	if v, ok := attrs.Attribute(attrLineNumbers); ok {
		switch v := v.(type) {
		case bool:
			opts = append(opts, chromahtml.WithLineNumbers(v))
		case []byte:
			opts = append(opts, chromahtml.WithLineNumbers(true))
			switch string(v) {
			case "table":
				opts = append(opts, chromahtml.LineNumbersInTable(true))
			case "inline":
				opts = append(opts, chromahtml.LineNumbersInTable(false))
			}
		}
	}
	return opts, style, true
}

// codeAttributes returns the node holding the attributes of n: n itself
// when the parser set any, else a dummy node with the "{...}" that follows
// the language in the info string; nil when there are none.
func codeAttributes(source []byte, n *ast.FencedCodeBlock) ast.Node {
	if n.Attributes() != nil {
		return n
	}
	if n.Info == nil {
		return nil
	}
	info := n.Info.Segment.Value(source)
	i := bytes.IndexByte(info, '{')
	if i <= 0 {
		return nil
	}
	attrs, ok := parser.ParseAttributes(text.NewReader(info[i:]))
	if !ok {
		return nil
	}
	holder := ast.NewTextBlock()
	for _, a := range attrs {
		holder.SetAttribute(a.Name, a.Value)
	}
	return holder
}

// highlightRanges turns an hl_lines list (numbers and "from-to" strings,
// counted from the first line) into chroma's line ranges.
func highlightRanges(list []any, base int) [][2]int {
	var ranges [][2]int
	for _, l := range list {
		switch l := l.(type) {
		case float64:
			ranges = append(ranges, [2]int{int(l) + base - 1, int(l) + base - 1})
		case []byte:
			parts := strings.Split(string(l), "-")
			lo, err := strconv.Atoi(parts[0])
			if err != nil {
				continue
			}
			hi := lo
			if len(parts) > 1 {
				if hi, err = strconv.Atoi(parts[1]); err != nil {
					continue
				}
			}
			ranges = append(ranges, [2]int{lo + base - 1, hi + base - 1})
		}
	}
	return ranges
}

// writePlainCode writes n as an escaped <pre><code>, with the language as
// a class, as goldmark does for code it cannot highlight.
func writePlainCode(w util.BufWriter, source []byte, n *ast.FencedCodeBlock) {
	_, _ = w.WriteString("<pre><code")
	if language := n.Language(source); language != nil {
		_, _ = w.WriteString(` class="language-`)
		html.DefaultWriter.Write(w, language)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		html.DefaultWriter.RawWrite(w, seg.Value(source))
	}
	_, _ = w.WriteString("</code></pre>\n")
}
