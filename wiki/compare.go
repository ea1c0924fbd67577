package wiki

import (
	"context"
	"html/template"
	"strings"
)

// RenderedBlock is one block of a rendered comparison.
type RenderedBlock struct {
	// Change is "equal", "insert" or "delete".
	Change string
	// HTML is the block rendered on its own.
	HTML template.HTML
}

// maxBlocks bounds the block diff, which is quadratic in the number of
// blocks; beyond it the comparison shows the whole new text as changed.
const maxBlocks = 2000

// RenderedComparison compares two versions the way a reader sees them:
// both texts are cut into Markdown blocks (paragraphs, lists, tables, code
// blocks), the blocks are matched, and each is rendered, marked as kept,
// added or removed. It is meant for readers who do not read Markdown; a
// block rendered on its own may lose references to footnotes elsewhere.
func (w *Wiki) RenderedComparison(ctx context.Context, c *Comparison) ([]RenderedBlock, error) {
	var old []string
	if c.From != nil {
		old = markdownBlocks(string(c.From.Content))
	}
	new := markdownBlocks(string(c.To.Content))
	var out []RenderedBlock
	for _, op := range blockDiff(old, new) {
		doc, err := w.Preview(ctx, []byte(op.text))
		if err != nil {
			return nil, err
		}
		out = append(out, RenderedBlock{Change: op.change, HTML: doc.HTML})
	}
	return out, nil
}

type blockOp struct {
	change, text string
}

// blockDiff matches two block lists by longest common subsequence.
func blockDiff(a, b []string) []blockOp {
	if len(a)*len(b) > maxBlocks*maxBlocks/4 || len(a) > maxBlocks || len(b) > maxBlocks {
		var ops []blockOp
		for _, t := range a {
			ops = append(ops, blockOp{"delete", t})
		}
		for _, t := range b {
			ops = append(ops, blockOp{"insert", t})
		}
		return ops
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []blockOp
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, blockOp{"equal", b[j]})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, blockOp{"insert", b[j]})
			j++
		default:
			ops = append(ops, blockOp{"delete", a[i]})
			i++
		}
	}
	return ops
}

// markdownBlocks cuts Markdown into blocks at blank lines, keeping fenced
// code blocks and front matter whole. It is a reader's approximation of
// Markdown's block structure, good enough to line up two versions.
func markdownBlocks(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var blocks []string
	var cur []string
	fence := ""
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			cur = nil
		}
	}
	lines := strings.Split(s, "\n")
	// Front matter is no content for a reader.
	if len(lines) > 0 && lines[0] == "---" {
		for i := 1; i < len(lines); i++ {
			if lines[i] == "---" {
				lines = lines[i+1:]
				break
			}
		}
	}
	for _, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case fence != "":
			cur = append(cur, line)
			if strings.HasPrefix(t, fence) {
				fence = ""
				flush()
			}
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			flush()
			fence = t[:3]
			cur = append(cur, line)
		case t == "":
			flush()
		case strings.HasPrefix(t, "#"):
			// A heading is a block of its own even without blank lines.
			flush()
			cur = append(cur, line)
			flush()
		default:
			cur = append(cur, line)
		}
	}
	flush()
	return blocks
}
