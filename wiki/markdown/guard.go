package markdown

import (
	"bytes"
	"slices"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Where goldmark's time goes on hostile input, measured with
// go test -cpuprofile on each shape:
//
//   - ">>>>..." and "- - - ..." on one line: every block opened on a line
//     makes text.Reader.LineOffset rescan the line from its start, and
//     every list level scans the rest of the line for a thematic break, so
//     n levels cost n² steps. Capping the depth (guardedBlock) makes that
//     at most Nesting times the line.
//   - footnote chains: every reference walks the list of all definitions
//     to find its own, and the definitions are then sorted by insertion:
//     refs × defs + defs². Counting them (guardedFootnoteRef, guardedBlock)
//     bounds both.
//   - "[a](" repeated: at every "]" the link parser scans the rest of the
//     line for the ")" of the destination; and "[a]" on many lines: every
//     reference lookup (text.blockReader.Value) walks back over all lines
//     of the paragraph. guardedLink charges that work to the budget.
//   - a wide table header over many short rows: every row is padded to
//     the header's width (tableGuard).
//   - "*a_" repeated: at the end of a paragraph every closing delimiter
//     searches back through all unmatched ones (goldmark lacks CommonMark's
//     "openers bottom"), d² for d delimiters; guardedDelimiters follows
//     the matching and charges the search.
//   - "` `` ``` ..." (backtick runs of growing length): every run scans the
//     rest of the paragraph for a run of its own length. guardedCodeSpan
//     indexes the runs of a paragraph once and answers "no closing run"
//     itself, which removes the cost rather than counting it.
//
// goldmark itself is not patched; the guards wrap its parsers, see what
// they see and stop the render once a page costs more than its size
// allows.

// newParser returns goldmark's default parser with every default block
// and inline parser wrapped in a guard, plus the table guard.
func newParser() parser.Parser {
	var blocks []util.PrioritizedValue
	for _, v := range parser.DefaultBlockParsers() {
		blocks = append(blocks, util.Prioritized(guardedBlock{v.Value.(parser.BlockParser)}, v.Priority))
	}
	var inlines []util.PrioritizedValue
	for _, v := range parser.DefaultInlineParsers() {
		ip := v.Value.(parser.InlineParser)
		switch ip {
		case parser.NewLinkParser():
			ip = guardedLink{guardedInline{ip}}
		case parser.NewEmphasisParser():
			ip = guardedDelimiters{guardedInline{ip}}
		case parser.NewCodeSpanParser():
			ip = guardedCodeSpan{guardedInline{ip}}
		default:
			ip = guardedInline{ip}
		}
		inlines = append(inlines, util.Prioritized(ip, v.Priority))
	}
	transformers := append(parser.DefaultParagraphTransformers(),
		// Just ahead of the table extension's transformer (200).
		util.Prioritized(tableGuard{}, 199))
	return parser.NewParser(
		parser.WithBlockParsers(blocks...),
		parser.WithInlineParsers(inlines...),
		parser.WithParagraphTransformers(transformers...),
	)
}

// guardedBlock counts the calls of a block parser, which happen once per
// line and open block, and refuses nesting deeper than the limit.
type guardedBlock struct {
	parser.BlockParser
}

// Open implements parser.BlockParser.
func (g guardedBlock) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	b := budgetOf(pc)
	b.step()
	node, state := g.BlockParser.Open(parent, reader, pc)
	if node != nil {
		b.opened(parent, node)
	}
	return node, state
}

// Continue implements parser.BlockParser.
func (g guardedBlock) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	budgetOf(pc).step()
	return g.BlockParser.Continue(node, reader, pc)
}

// SetOption passes parser options on to the wrapped parser.
func (g guardedBlock) SetOption(name parser.OptionName, value any) {
	if so, ok := g.BlockParser.(parser.SetOptioner); ok {
		so.SetOption(name, value)
	}
}

// opened accounts for node, just opened in parent.
func (b *budget) opened(parent, node ast.Node) {
	if !nests(node) {
		return
	}
	// Walking up costs at most the limit, since nothing deeper is ever
	// opened.
	depth := 1
	for p := parent; p != nil; p = p.Parent() {
		if nests(p) {
			depth++
		}
	}
	if depth > b.limits.Nesting {
		b.exceed(LimitNesting)
	}
	if node.Kind() == east.KindFootnote {
		b.footnote()
	}
}

// nests reports whether n is a container that counts for the nesting
// limit. List items are not counted: each sits in its list.
func nests(n ast.Node) bool {
	switch n.Kind() {
	case ast.KindBlockquote, ast.KindList, east.KindFootnote:
		return true
	}
	return false
}

// guardedInline counts the calls of an inline parser.
type guardedInline struct {
	parser.InlineParser
}

// Parse implements parser.InlineParser.
func (g guardedInline) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	budgetOf(pc).step()
	return g.InlineParser.Parse(parent, block, pc)
}

// CloseBlock passes the end of a block on to the wrapped parser, which
// may keep state per block.
func (g guardedInline) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	if cb, ok := g.InlineParser.(parser.CloseBlocker); ok {
		cb.CloseBlock(parent, block, pc)
	}
}

// SetOption passes parser options on to the wrapped parser.
func (g guardedInline) SetOption(name parser.OptionName, value any) {
	if so, ok := g.InlineParser.(parser.SetOptioner); ok {
		so.SetOption(name, value)
	}
}

// guardedLink is goldmark's link parser with its work charged to the
// budget. The charge is an upper bound of what the parser is about to do
// at a "]": look back over the label to its "[", scan ahead through a
// "(destination", and, for anything but an inline link, look the label up
// as a reference, which walks back over the lines of the paragraph.
type guardedLink struct {
	guardedInline
}

// Parse implements parser.InlineParser.
func (g guardedLink) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	b := budgetOf(pc)
	b.step()
	line, seg := block.PeekLine()
	if len(line) == 0 {
		return g.InlineParser.Parse(parent, block, pc)
	}
	if b.labelBlock != parent {
		// goldmark forgets unclosed labels at the end of a block.
		b.labels, b.labelBlock = b.labels[:0], parent
	}
	switch {
	case line[0] == '[':
		b.labels = append(b.labels, label{seg.Start, b.delimiters(parent)})
	case line[0] == '!' && len(line) > 1 && line[1] == '[':
		b.labels = append(b.labels, label{seg.Start + 1, b.delimiters(parent)})
	case line[0] == ']':
		work, open := 1, label{start: -1}
		if n := len(b.labels); n > 0 {
			open = b.labels[n-1]
			work += seg.Start - open.start
			b.labels = b.labels[:n-1]
		}
		inline := len(line) > 1 && line[1] == '('
		if inline {
			work += destinationLen(line[2:], b.parseWorkLeft())
		}
		b.parseWork(work, LimitLinks)
		lineNo, _ := block.Position()
		node := g.InlineParser.Parse(parent, block, pc)
		if node == nil || !inline {
			b.parseWork(parent.Lines().Len()-lineNo, LimitLinks)
		}
		if node != nil && open.start >= 0 && b.delimBlock == parent {
			// A link matches the delimiters in its text and drops the
			// rest.
			b.dropDelimiters(open.delims)
		}
		return node
	}
	return g.InlineParser.Parse(parent, block, pc)
}

// label is an open "[" as guardedLink keeps it: where it starts, and how
// many delimiters were open before it.
type label struct {
	start, delims int
}

// destinationLen is how far goldmark's parseLinkDestination reads into
// line, the text after "](": up to a '>' for "<...>", else up to white
// space or an unbalanced ')'. It reads no more than max bytes and returns
// more than max when it would have to, so that the caller's charge
// exceeds the budget rather than letting goldmark read on uncharged.
func destinationLen(line []byte, max int) int {
	i := 0
	for i < len(line) && util.IsSpace(line[i]) {
		i++
	}
	angle := i < len(line) && line[i] == '<'
	opened := 0
	for ; i < len(line); i++ {
		if i > max {
			return i
		}
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && util.IsPunct(line[i+1]):
			i++
		case angle:
			if c == '>' {
				return i
			}
		case c == '(':
			opened++
		case c == ')':
			opened--
			if opened < 0 {
				return i
			}
		case util.IsSpace(c):
			return i
		}
	}
	return i
}

// tableGuard runs before goldmark's table transformer and stops a
// paragraph that would become a table with far more cells than bytes.
// The estimate is an upper bound: the rows after the first line that
// looks like a delimiter row, times that row's cells.
type tableGuard struct{}

// Transform implements parser.ParagraphTransformer.
func (tableGuard) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	b := budgetOf(pc)
	b.step()
	lines := node.Lines()
	if lines.Len() < 2 {
		return
	}
	source := reader.Source()
	size, cells := 0, 0
	for i := range lines.Len() {
		seg := lines.At(i)
		v := seg.Value(source)
		size += len(v)
		if i > 0 && cells == 0 && looksLikeDelimiterRow(v) {
			cells = (bytes.Count(v, []byte{'|'}) + 1) * (lines.Len() - i + 1)
		}
	}
	if cells > tableCellFactor*size+tableCellSlack {
		b.exceed(LimitTable)
	}
}

// looksLikeDelimiterRow is a loose version of the table extension's test:
// only '-', '|', ':' and white space, and at least one '|' or ':'.
func looksLikeDelimiterRow(v []byte) bool {
	other := false
	for _, c := range v {
		switch {
		case c == '|' || c == ':':
			other = true
		case c == '-' || util.IsSpace(c):
		default:
			return false
		}
	}
	return other
}

// guardedCodeSpan is goldmark's code span parser, which looks for a
// closing run of as many backticks as the opening one. It answers the
// common hostile case, no such run in the rest of the paragraph, from an
// index of the paragraph's runs, the same way goldmark would (the opening
// backticks as text), so that goldmark only ever scans up to a closing run
// it will find and consume.
type guardedCodeSpan struct {
	guardedInline
}

// Parse implements parser.InlineParser.
func (g guardedCodeSpan) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	b := budgetOf(pc)
	b.step()
	line, seg := block.PeekLine()
	run := 0
	for run < len(line) && line[run] == '`' {
		run++
	}
	if run == 0 || b.hasRun(parent, block.Source(), run, seg.Start+run) {
		return g.InlineParser.Parse(parent, block, pc)
	}
	block.Advance(run)
	return ast.NewTextSegment(seg.WithStop(seg.Start + run))
}

// hasRun reports whether block has a run of exactly n backticks starting
// after offset from. The runs of a block are indexed the first time it
// is asked about, in one pass over its lines; a run never spans lines.
func (b *budget) hasRun(block ast.Node, source []byte, n, from int) bool {
	if b.runBlock != block {
		b.runBlock = block
		clear(b.runs)
		if b.runs == nil {
			b.runs = map[int][]int{}
		}
		lines := block.Lines()
		for i := range lines.Len() {
			seg := lines.At(i)
			for j := seg.Start; j < seg.Stop; j++ {
				if source[j] != '`' {
					continue
				}
				start := j
				for j < seg.Stop && source[j] == '`' {
					j++
				}
				b.runs[j-start] = append(b.runs[j-start], start)
			}
		}
	}
	starts := b.runs[n]
	i, _ := slices.BinarySearch(starts, from)
	return i < len(starts)
}

// strikethrough is goldmark's strikethrough extension
// (extension.Strikethrough) with its delimiters charged like emphasis.
type strikethrough struct{}

// Extend implements goldmark.Extender.
func (strikethrough) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithInlineParsers(
		util.Prioritized(guardedDelimiters{guardedInline{extension.NewStrikethroughParser()}}, 500),
	))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(
		util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500),
	))
}

// guardedFootnoteRef is the footnote extension's reference parser, with
// every reference counted: each one walks all definitions.
type guardedFootnoteRef struct {
	guardedInline
}

// Parse implements parser.InlineParser.
func (g guardedFootnoteRef) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	b := budgetOf(pc)
	b.step()
	line, _ := block.PeekLine()
	pos := 1
	if len(line) > 0 && line[0] == '!' {
		pos++
	}
	if pos < len(line) && line[pos] == '^' {
		b.footnote()
	}
	return g.InlineParser.Parse(parent, block, pc)
}

// footnotes is goldmark's footnote extension (extension.Footnote) with its
// parsers guarded. It registers the same parts at the same priorities.
type footnotes struct{}

// Extend implements goldmark.Extender.
func (footnotes) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(
			util.Prioritized(guardedBlock{extension.NewFootnoteBlockParser()}, 999),
		),
		parser.WithInlineParsers(
			util.Prioritized(guardedFootnoteRef{guardedInline{extension.NewFootnoteParser()}}, 101),
		),
		parser.WithASTTransformers(
			util.Prioritized(extension.NewFootnoteASTTransformer(), 999),
		),
	)
	m.Renderer().AddOptions(renderer.WithNodeRenderers(
		util.Prioritized(extension.NewFootnoteHTMLRenderer(), 500),
	))
}
