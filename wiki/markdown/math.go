package markdown

import (
	"bytes"
	"slices"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Formulas in TeX, as GitHub and pandoc write them:
//
//	$E = mc^2$        inline: "$", a non-space, ..., a non-space, "$" not
//	                  followed by a digit, all on one line; "\$" is a dollar
//	$$                display: "$$" opening a line, up to a line ending
//	\sum_i x_i        in "$$" ("$$ x $$" on one line works too)
//	$$
//
// The TeX is not interpreted here: it is written escaped into
// <span class="math-inline"> and <div class="math-display">, which the
// theme's diagrams.js typesets with KaTeX; without JavaScript the reader
// sees the TeX. So "€5 en $10" stays text (no closing "$"), and so does
// "$5 en $10" (the second "$" follows a space).

// Class names of the formula elements, for the sanitiser and the theme.
const (
	mathInlineClass  = "math-inline"
	mathDisplayClass = "math-display"
)

// Node kinds of formulas, registered once at init.
var (
	kindMathInline = ast.NewNodeKind("MathInline")
	kindMathBlock  = ast.NewNodeKind("MathBlock")
)

// mathKey finds the closer index of the block being parsed in the parser
// context.
var mathKey = parser.NewContextKey()

// mathInline is an inline formula; Value is its TeX as a source segment.
type mathInline struct {
	ast.BaseInline
	Value text.Segment
}

// Kind implements ast.Node.
func (n *mathInline) Kind() ast.NodeKind { return kindMathInline }

// Dump implements ast.Node.
func (n *mathInline) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Value": string(n.Value.Value(source))}, nil)
}

// mathBlock is a display formula; its lines hold the TeX.
type mathBlock struct {
	ast.BaseBlock
	// closed is set when the opening line also closed the formula.
	closed bool
}

// Kind implements ast.Node.
func (n *mathBlock) Kind() ast.NodeKind { return kindMathBlock }

// IsRaw implements ast.Node: no Markdown inside a formula.
func (n *mathBlock) IsRaw() bool { return true }

// Dump implements ast.Node.
func (n *mathBlock) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

// mathCloser indexes the offsets of the "$" in one block that can close an
// inline formula, so that an opener finds its closer by binary search.
// Scanning the line for it at every "$" would cost quadratic time on a
// line like "$a $a $a ...", where no "$" closes.
type mathCloser struct {
	block   ast.Node
	closers []int
}

// mathInlineParser parses "$...$".
type mathInlineParser struct{}

// Trigger implements parser.InlineParser.
func (mathInlineParser) Trigger() []byte { return []byte{'$'} }

// Parse implements parser.InlineParser. goldmark does not call it for an
// escaped "\$", and code spans consume their dollars before it sees them.
func (mathInlineParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	budgetOf(pc).step()
	line, seg := block.PeekLine()
	if len(line) < 2 || line[0] != '$' {
		return nil
	}
	if line[1] == '$' {
		// "$$" inside a paragraph is text; display formulas are blocks.
		block.Advance(2)
		return ast.NewTextSegment(seg.WithStop(seg.Start + 2))
	}
	if util.IsSpace(line[1]) {
		return nil
	}
	closers := mathClosers(parent, block.Source(), pc)
	i, _ := slices.BinarySearch(closers, seg.Start+2)
	if i == len(closers) || closers[i] >= seg.Start+len(line) {
		return nil
	}
	end := closers[i]
	block.Advance(end + 1 - seg.Start)
	return &mathInline{Value: text.NewSegment(seg.Start+1, end)}
}

// mathClosers returns the closer offsets of block, indexing its lines the
// first time it is asked about.
func mathClosers(block ast.Node, source []byte, pc parser.Context) []int {
	if c, ok := pc.Get(mathKey).(*mathCloser); ok && c.block == block {
		return c.closers
	}
	c := &mathCloser{block: block}
	lines := block.Lines()
	for i := range lines.Len() {
		s := lines.At(i)
		for j := s.Start + 1; j < s.Stop; j++ {
			if source[j] == '$' && closes(source, j, s.Stop) {
				c.closers = append(c.closers, j)
			}
		}
	}
	pc.Set(mathKey, c)
	return c.closers
}

// closes reports whether the "$" at source[j] can close an inline
// formula: a non-space before it that is not an escaping backslash, and
// no digit after it (stop is the end of its line).
func closes(source []byte, j, stop int) bool {
	if util.IsSpace(source[j-1]) {
		return false
	}
	backslashes := 0
	for k := j - 1; k >= 0 && source[k] == '\\'; k-- {
		backslashes++
	}
	if backslashes%2 == 1 {
		return false
	}
	return j+1 >= stop || source[j+1] < '0' || source[j+1] > '9'
}

// mathBlockParser parses display formulas between "$$" lines.
type mathBlockParser struct{}

// Trigger implements parser.BlockParser.
func (mathBlockParser) Trigger() []byte { return []byte{'$'} }

// Open implements parser.BlockParser.
func (mathBlockParser) Open(_ ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	pos := pc.BlockOffset()
	if pos < 0 || pos+2 > len(line) || line[pos] != '$' || line[pos+1] != '$' {
		return nil, parser.NoChildren
	}
	if w, _ := util.IndentWidth(line, reader.LineOffset()); w >= 4 {
		return nil, parser.NoChildren
	}
	rest := line[pos+2:]
	if len(rest) > 0 && rest[0] == '$' {
		// "$$$" opens nothing: a line of dollars is text.
		return nil, parser.NoChildren
	}
	node := &mathBlock{}
	start := seg.Start + pos + 2
	body := util.TrimRightSpace(rest)
	if bytes.HasSuffix(body, []byte("$$")) {
		node.closed = true
		body = body[:len(body)-2]
	}
	switch {
	case len(util.TrimLeftSpace(body)) == 0:
	case node.closed:
		node.Lines().Append(text.NewSegment(start, start+len(body)))
	default:
		// With its line end, so the next line does not run into it.
		node.Lines().Append(text.NewSegment(start, seg.Stop))
	}
	reader.AdvanceToEOL()
	return node, parser.NoChildren
}

// Continue implements parser.BlockParser.
func (mathBlockParser) Continue(node ast.Node, reader text.Reader, _ parser.Context) parser.State {
	n := node.(*mathBlock)
	if n.closed {
		return parser.Close
	}
	line, seg := reader.PeekLine()
	body := util.TrimRightSpace(line)
	if bytes.HasSuffix(body, []byte("$$")) {
		if len(util.TrimLeftSpace(body[:len(body)-2])) > 0 {
			n.Lines().Append(text.NewSegment(seg.Start, seg.Start+len(body)-2))
		}
		reader.AdvanceToEOL()
		return parser.Close
	}
	n.Lines().Append(seg)
	reader.AdvanceToEOL()
	return parser.Continue | parser.NoChildren
}

// Close implements parser.BlockParser.
func (mathBlockParser) Close(ast.Node, text.Reader, parser.Context) {}

// CanInterruptParagraph implements parser.BlockParser: a formula right
// under a line of text ("De formule is:\n$$") is common.
func (mathBlockParser) CanInterruptParagraph() bool { return true }

// CanAcceptIndentedLine implements parser.BlockParser.
func (mathBlockParser) CanAcceptIndentedLine() bool { return false }

// mathRenderer writes formulas as escaped TeX in their elements.
type mathRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (mathRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMathInline, renderMathInline)
	reg.Register(kindMathBlock, renderMathBlock)
}

func renderMathInline(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(`<span class="` + mathInlineClass + `">`)
		html.DefaultWriter.RawWrite(w, node.(*mathInline).Value.Value(source))
		_, _ = w.WriteString("</span>")
	}
	return ast.WalkSkipChildren, nil
}

func renderMathBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<div class="` + mathDisplayClass + `">`)
	lines := node.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		html.DefaultWriter.RawWrite(w, seg.Value(source))
	}
	_, _ = w.WriteString("</div>\n")
	return ast.WalkContinue, nil
}

// mathExtension adds formulas to goldmark, with the block parser guarded
// like goldmark's own.
type mathExtension struct{}

// Extend implements goldmark.Extender.
func (mathExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(util.Prioritized(guardedBlock{mathBlockParser{}}, 750)),
		parser.WithInlineParsers(util.Prioritized(mathInlineParser{}, 600)),
	)
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(mathRenderer{}, 500)))
}

// mermaidSourceClass marks a ```mermaid block: its source, escaped, which
// diagrams.js turns into a diagram and keeps as the text alternative.
const mermaidSourceClass = "mermaid-source"

// isMermaid reports whether n is a ```mermaid fence.
func isMermaid(source []byte, n *ast.FencedCodeBlock) bool {
	return bytes.EqualFold(n.Language(source), []byte("mermaid"))
}

// writeMermaid writes n as <pre class="mermaid-source"><code>, escaped
// and not highlighted.
func writeMermaid(w util.BufWriter, source []byte, n *ast.FencedCodeBlock) {
	_, _ = w.WriteString(`<pre class="` + mermaidSourceClass + `"><code>`)
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		html.DefaultWriter.RawWrite(w, seg.Value(source))
	}
	_, _ = w.WriteString("</code></pre>\n")
}
