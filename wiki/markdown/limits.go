package markdown

import (
	"bytes"
	"context"
	"io"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
)

// Limit names a rendering limit a page exceeded, so that the web layer can
// explain in the reader's language why the page is shown as source.
type Limit string

// The limits a page can exceed. A page beyond any of them is shown as its
// escaped source after a notice (see Document.OverBudget).
const (
	// LimitNesting: block quotes, lists and footnote definitions nested
	// deeper than Limits.Nesting.
	LimitNesting Limit = "nesting"
	// LimitLinks: more than Limits.Links links, or so much unfinished link
	// syntax ("[a](" without its ")") that the parser would spend more
	// than linear time on it.
	LimitLinks Limit = "links"
	// LimitFootnotes: more than Limits.Footnotes footnote definitions and
	// references together.
	LimitFootnotes Limit = "footnotes"
	// LimitTable: a table that would have far more cells than its text has
	// bytes (a wide header over many short rows).
	LimitTable Limit = "table"
	// LimitEmphasis: so many unmatched emphasis or strikethrough
	// delimiters in one paragraph ("*a_*a_...") that matching them would
	// take more than linear time.
	LimitEmphasis Limit = "emphasis"
	// LimitOutput: HTML more than Limits.OutputFactor times the size of the
	// source plus 1 MiB (many tables of contents over many headings, a
	// long reference link destination used many times).
	LimitOutput Limit = "output"
)

// Limits bound the work of one render. goldmark spends quadratic time on
// some shapes of input (deep nesting on one line, long chains of
// footnotes, unclosed links) and chroma's regular expressions can take
// seconds on a few kilobytes; the limits keep every render linear in the
// size of the page. A field that is zero or negative takes its default
// (see DefaultLimits); there is no "unlimited".
type Limits struct {
	// Nesting is the deepest nesting of block quotes, lists and footnote
	// definitions.
	Nesting int
	// Links is the most links, images and wikilinks on one page.
	Links int
	// Footnotes is the most footnote definitions plus references.
	Footnotes int
	// HighlightBytes is the most code per page handed to the highlighter;
	// code blocks beyond it render as plain escaped text.
	HighlightBytes int
	// HighlightBlockBytes is the largest code block that is highlighted.
	HighlightBlockBytes int
	// HighlightTime bounds the time spent highlighting one page; code
	// blocks after it is spent render as plain escaped text. It is the
	// one limit measured in time, because the cost of a regular expression
	// on a few kilobytes cannot be told from the bytes.
	HighlightTime time.Duration
	// OutputFactor bounds the HTML of a page, before sanitising, to
	// OutputFactor times the size of its source plus 1 MiB. Ordinary
	// pages come to two or three times their size, long task lists to
	// ten.
	OutputFactor int
	// Timeout bounds a whole render; Render then fails with an error
	// wrapping context.DeadlineExceeded.
	Timeout time.Duration
}

// DefaultLimits returns the limits New uses. Hand-written pages are far
// inside every one; a page of the wiki's largest size (1 MiB) within them
// renders in a few seconds at worst.
func DefaultLimits() Limits {
	return Limits{
		Nesting:             32,
		Links:               50_000,
		Footnotes:           2_000,
		HighlightBytes:      256 << 10,
		HighlightBlockBytes: 64 << 10,
		HighlightTime:       time.Second,
		OutputFactor:        16,
		Timeout:             10 * time.Second,
	}
}

// withDefaults fills every field that is not set with its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Nesting <= 0 {
		l.Nesting = d.Nesting
	}
	if l.Links <= 0 {
		l.Links = d.Links
	}
	if l.Footnotes <= 0 {
		l.Footnotes = d.Footnotes
	}
	if l.HighlightBytes <= 0 {
		l.HighlightBytes = d.HighlightBytes
	}
	if l.HighlightBlockBytes <= 0 {
		l.HighlightBlockBytes = d.HighlightBlockBytes
	}
	if l.HighlightTime <= 0 {
		l.HighlightTime = d.HighlightTime
	}
	if l.OutputFactor <= 0 {
		l.OutputFactor = d.OutputFactor
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

const (
	// outputSlack is HTML a page may produce beyond OutputFactor times its
	// size, so that short pages with a table of contents or many
	// footnotes are never cut off.
	outputSlack = 1 << 20
	// parseWorkFactor and parseWorkSlack bound, relative to the page
	// size, the work of goldmark's link parser and delimiter matching,
	// which the guards can only estimate from above: every "]" makes the
	// link parser look back to its "[" and ahead through a
	// "(destination", a reference lookup walks back over the lines of the
	// paragraph, and a closing "*" may search back through every
	// unmatched delimiter of its paragraph. On ordinary text that adds up
	// to a fraction of the page; the slack absorbs what the estimates
	// overshoot on small pages.
	parseWorkFactor = 8
	parseWorkSlack  = 4 << 20
	// tableCellFactor and tableCellSlack bound the cells of one table
	// relative to the bytes of its text: goldmark pads every row to the
	// width of the header, so 200 KB of header over 300,000 one-byte rows
	// would be 3e10 cells.
	tableCellFactor = 4
	tableCellSlack  = 1 << 16
	// checkEvery is how many steps (block and inline parser calls, tree
	// nodes, writes) go between two looks at the context, which is cheap
	// but not free.
	checkEvery = 256
)

// budgetKey finds the budget of a parse in goldmark's parser context, the
// only thing goldmark hands to every parser. It is assigned once at init.
var budgetKey = parser.NewContextKey()

// budget is the account of one render: the limits, what has been spent of
// them, and the context that cancels it. goldmark calls parsers and
// renderers without a way to return an error, so when a limit is exceeded
// or the context is done the budget panics with a *stop, which Render (and
// only Render, or targetSpans) recovers. Nothing of a budget outlives its
// render.
type budget struct {
	ctx    context.Context
	limits Limits

	steps     int
	links     int
	footnotes int

	// worked is what the guards estimate goldmark's link parser and
	// delimiter matching to have cost, in bytes or delimiters.
	worked, maxWork int
	// labels are the source offsets of the "[" in the block being parsed
	// that no "]" has closed yet, as goldmark's link parser keeps them.
	labels     []label
	labelBlock ast.Node
	// delims are the delimiters of delimBlock that goldmark would still
	// hold unmatched, in order, and openers the indexes in delims of the
	// ones that can open, by character.
	delims     []delimiter
	openers    map[byte][]int
	delimBlock ast.Node
	// runs indexes the backtick runs of runBlock: run length -> start
	// offsets, ascending.
	runs     map[int][]int
	runBlock ast.Node

	highlightBytes int
	highlightTime  time.Duration

	maxOutput int
}

// newBudget returns the budget for rendering size bytes under ctx.
func newBudget(ctx context.Context, limits Limits, size int) *budget {
	return &budget{
		ctx:            ctx,
		limits:         limits,
		maxWork:        parseWorkFactor*size + parseWorkSlack,
		highlightBytes: limits.HighlightBytes,
		highlightTime:  limits.HighlightTime,
		maxOutput:      limits.OutputFactor*size + outputSlack,
	}
}

// budgetOf returns the budget stored in pc. A parse without one (which
// this package never starts) gets the default limits, so that every parse
// stays bounded.
func budgetOf(pc parser.Context) *budget {
	if b, ok := pc.Get(budgetKey).(*budget); ok {
		return b
	}
	b := newBudget(context.Background(), DefaultLimits(), 0)
	pc.Set(budgetKey, b)
	return b
}

// stop is the panic value that abandons a render from inside goldmark.
// Exactly one of limit and err is set.
type stop struct {
	limit Limit
	err   error
}

func (s *stop) Error() string {
	if s.err != nil {
		return s.err.Error()
	}
	return "over the " + string(s.limit) + " limit"
}

func (s *stop) Unwrap() error { return s.err }

// exceed abandons the render because limit is exceeded.
func (b *budget) exceed(limit Limit) {
	panic(&stop{limit: limit})
}

// check abandons the render when its context is done.
func (b *budget) check() {
	if err := b.ctx.Err(); err != nil {
		panic(&stop{err: err})
	}
}

// step counts one unit of work and looks at the context every checkEvery
// steps, so that a long parse or walk notices cancellation soon.
func (b *budget) step() {
	b.steps++
	if b.steps%checkEvery == 0 {
		b.check()
	}
}

// link counts one link of the page.
func (b *budget) link() {
	b.links++
	if b.links > b.limits.Links {
		b.exceed(LimitLinks)
	}
}

// footnote counts one footnote definition or reference. goldmark looks up
// every reference by walking all definitions and sorts them by insertion,
// so their number is what must stay small.
func (b *budget) footnote() {
	b.footnotes++
	if b.footnotes > b.limits.Footnotes {
		b.exceed(LimitFootnotes)
	}
}

// parseWork charges n units of work of the parser, exceeding limit when
// the page has used up what its size allows.
func (b *budget) parseWork(n int, limit Limit) {
	b.worked += n
	if b.worked > b.maxWork {
		b.exceed(limit)
	}
}

// parseWorkLeft is how much more work the parser may do.
func (b *budget) parseWorkLeft() int {
	return b.maxWork - b.worked
}

// renderWriter collects a page's HTML for goldmark's renderer, counting
// it against the output limit and looking at the context as it goes.
// goldmark hands the writer to every node renderer, which is how the code
// renderer finds the budget of the render it works for.
type renderWriter struct {
	buf    bytes.Buffer
	budget *budget
}

// wrote accounts for n more bytes.
func (w *renderWriter) wrote(n int) {
	w.budget.step()
	if w.buf.Len()+n > w.budget.maxOutput {
		w.budget.exceed(LimitOutput)
	}
}

// Write implements io.Writer.
func (w *renderWriter) Write(p []byte) (int, error) {
	w.wrote(len(p))
	return w.buf.Write(p)
}

// WriteString implements util.BufWriter.
func (w *renderWriter) WriteString(s string) (int, error) {
	w.wrote(len(s))
	return w.buf.WriteString(s)
}

// WriteByte implements util.BufWriter.
func (w *renderWriter) WriteByte(c byte) error {
	w.wrote(1)
	return w.buf.WriteByte(c)
}

// WriteRune implements util.BufWriter.
func (w *renderWriter) WriteRune(r rune) (int, error) {
	w.wrote(utf8.RuneLen(r))
	return w.buf.WriteRune(r)
}

// Available implements util.BufWriter.
func (w *renderWriter) Available() int { return w.buf.Available() }

// Buffered implements util.BufWriter; nothing waits to be flushed.
func (w *renderWriter) Buffered() int { return 0 }

// Flush implements util.BufWriter.
func (w *renderWriter) Flush() error { return nil }

// writerBudget returns the budget of the render that w belongs to. A
// renderer called outside Render gets a fresh default budget.
func writerBudget(w io.Writer) *budget {
	if rw, ok := w.(*renderWriter); ok {
		return rw.budget
	}
	return newBudget(context.Background(), DefaultLimits(), 0)
}
