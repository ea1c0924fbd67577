package markdown

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// guardedDelimiters is an inline parser that pushes delimiters (emphasis,
// strikethrough), with the work of matching them charged to the budget.
// goldmark matches a paragraph's delimiters when it ends: every delimiter
// that can close searches back through the unmatched ones before it for
// an opener, and one that finds none has searched them all. CommonMark
// implementations remember where such a search failed ("openers bottom");
// goldmark does not, so "*a_*a_*a_..." costs d² for d delimiters.
//
// The budget follows the matching as goldmark will do it, delimiter by
// delimiter, which comes to the same since each closer only looks back,
// and charges each search its length. The delimiters still unmatched form
// a stack (a match drops everything between opener and closer), and a
// stack of openers per character finds the candidate openers, so the
// bookkeeping itself costs no more than what it charges.
type guardedDelimiters struct {
	guardedInline
}

// Parse implements parser.InlineParser.
func (g guardedDelimiters) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	b := budgetOf(pc)
	b.step()
	node := g.InlineParser.Parse(parent, block, pc)
	if d, ok := node.(*parser.Delimiter); ok {
		b.delimiter(parent, delimiter{
			char:     d.Char,
			canOpen:  d.CanOpen,
			canClose: d.CanClose,
			length:   d.Length,
			original: d.OriginalLength,
		})
	}
	return node
}

// delimiter is what matching needs to know of a parser.Delimiter.
type delimiter struct {
	char              byte
	canOpen, canClose bool
	// length is what is left of the delimiter after matches, original
	// its length as written.
	length, original int
}

// consumption is parser.Delimiter.CalcComsumption: how many characters a
// match of opener and closer uses, 0 when CommonMark's rule of three
// forbids it.
func consumption(opener, closer delimiter) int {
	if (opener.canClose || closer.canOpen) && (opener.original+closer.original)%3 == 0 && closer.original%3 != 0 {
		return 0
	}
	if opener.length >= 2 && closer.length >= 2 {
		return 2
	}
	return 1
}

// delimiters returns how many delimiters of block are unmatched so far.
func (b *budget) delimiters(block ast.Node) int {
	if b.delimBlock != block {
		return 0
	}
	return len(b.delims)
}

// delimiter accounts for d, just pushed in block.
func (b *budget) delimiter(block ast.Node, d delimiter) {
	if b.delimBlock != block {
		b.delimBlock, b.delims = block, b.delims[:0]
		clear(b.openers)
		if b.openers == nil {
			b.openers = map[byte][]int{}
		}
	}
	if d.canClose {
		for d.length > 0 {
			opener, seen := b.findOpener(d)
			if opener < 0 {
				// The search went back through all of them.
				b.parseWork(len(b.delims), LimitEmphasis)
				if !seen && !d.canOpen {
					return
				}
				break
			}
			b.parseWork(len(b.delims)-opener, LimitEmphasis)
			n := consumption(b.delims[opener], d)
			b.delims[opener].length -= n
			d.length -= n
			if b.delims[opener].length == 0 {
				b.dropDelimiters(opener)
			} else {
				b.dropDelimiters(opener + 1)
			}
		}
		if d.length == 0 {
			return
		}
	}
	if d.canOpen {
		b.openers[d.char] = append(b.openers[d.char], len(b.delims))
	}
	b.delims = append(b.delims, d)
}

// findOpener returns the index of the nearest delimiter that can open for
// closer, or -1; seen reports whether one of its character could open at
// all, which decides whether goldmark keeps a closer that found none.
func (b *budget) findOpener(closer delimiter) (index int, seen bool) {
	openers := b.openers[closer.char]
	for i := len(openers) - 1; i >= 0; i-- {
		seen = true
		if consumption(b.delims[openers[i]], closer) > 0 {
			return openers[i], true
		}
	}
	return -1, seen
}

// dropDelimiters forgets the delimiters from index n on, as goldmark
// removes those between a matched pair or inside a link's text.
func (b *budget) dropDelimiters(n int) {
	if n >= len(b.delims) {
		return
	}
	for _, d := range b.delims[n:] {
		if !d.canOpen {
			continue
		}
		openers := b.openers[d.char]
		for len(openers) > 0 && openers[len(openers)-1] >= n {
			openers = openers[:len(openers)-1]
		}
		b.openers[d.char] = openers
	}
	b.delims = b.delims[:n]
}
