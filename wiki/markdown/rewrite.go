package markdown

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// targetSpan is where the target of one wikilink is written in a page.
type targetSpan struct {
	// start and stop are byte offsets into the page as given, around the
	// target as the parser trims it: "[[ Old # Sec ]]" spans "Old".
	start, stop int
	// bodyStart and bodyStop are the offsets around the text between
	// "[[" and "]]".
	bodyStart, bodyStop int
	// target is the target as written, trimmed, without "#section".
	target string
}

// RewriteLinks returns src with every wikilink whose target (as written,
// trimmed, without "#section") maps to a new target through rename
// (ok == true) rewritten to the new target, keeping the label, the #section
// and the \| escaping exactly as written; everything else in src is left
// byte-for-byte unchanged. It reports how many links it rewrote.
//
// The links are the ones Render lists in Document.Links, found in the
// parse tree, so "[[X]]" in code, escaped as "\[[X]]" or nested in a
// Markdown link is left alone. Unlike Document.Links they include a link
// in a leading h1, which Render takes out of the body as the page title.
//
// A new target that would not read back as itself in that link (empty,
// with '[', ']', '|', '#' or a line break, with leading or trailing space,
// with a trailing backslash and no #section after it, or making the link
// longer than the parser reads) leaves the link as it is and is not
// counted. Page names cannot contain '|'; a caller that allows '#' or
// brackets in names must refuse such renames beforehand. When nothing is
// rewritten the result is src itself, as for a page over the renderer's
// Limits, which has no links.
func (r *Renderer) RewriteLinks(src []byte, rename func(target string) (newTarget string, ok bool)) ([]byte, int) {
	spans, _ := r.targetSpans(src)
	// The tree holds footnote definitions at the end, wherever they are
	// written; the output is built front to back.
	slices.SortFunc(spans, func(a, b targetSpan) int { return cmp.Compare(a.start, b.start) })
	var (
		out  []byte
		last int
		n    int
	)
	for _, s := range spans {
		to, ok := rename(s.target)
		if !ok || !writable(src, s, to) {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(src)+len(to))
		}
		out = append(out, src[last:s.start]...)
		out = append(out, to...)
		last = s.stop
		n++
	}
	if n == 0 {
		return src, 0
	}
	return append(out, src[last:]...), n
}

// Links returns the wikilink targets of src as Render lists them in
// Document.Links (plus those in a leading h1), without rendering; none
// for a page over the renderer's Limits.
func (r *Renderer) Links(src []byte) []string {
	spans, _ := r.targetSpans(src)
	var links []string
	seen := map[string]bool{}
	for _, s := range spans {
		if !seen[s.target] {
			seen[s.target] = true
			links = append(links, s.target)
		}
	}
	return links
}

// targetSpans parses src as Render does and returns the targets of the
// wikilinks Render would resolve, in tree order (footnotes last), which is
// the order of Document.Links. skipped counts links whose position could
// not be confirmed in src; they are left out rather than risk rewriting
// the wrong bytes, and tests expect none. A panic in a parser on hostile
// input, or a page over the renderer's limits, yields no spans.
func (r *Renderer) targetSpans(src []byte) (spans []targetSpan, skipped int) {
	defer func() {
		if p := recover(); p != nil {
			spans, skipped = nil, 0
		}
	}()

	guarded := guardFrontMatter(src)
	// guardFrontMatter only ever prepends, so positions in the parsed text
	// are positions in src plus shift.
	shift := len(guarded) - len(src)
	// The same limits as Render keep this linear; a page beyond them
	// yields no spans, as Render lists no links for it.
	b := newBudget(context.Background(), r.limits, len(guarded))
	pc := parseContext(b)
	root := r.md.Parser().Parse(text.NewReader(guarded), parser.WithContext(pc))
	// Malformed front matter is a code block in Render; this drops the
	// wikilinks the failed YAML block was parsed into.
	_, _ = frontMatter(root, pc)

	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b.step()
		switch n := n.(type) {
		case *ast.Link, *ast.Image, *ast.AutoLink:
			b.link()
		case *ast.Paragraph:
			if isTOCMarker(n, guarded) {
				return ast.WalkSkipChildren, nil
			}
		case *wikiLink:
			b.link()
			if n.Target == "" || insideLink(n) {
				break
			}
			if s, ok := locateTarget(n, guarded); ok {
				s.start, s.stop = s.start-shift, s.stop-shift
				s.bodyStart, s.bodyStop = s.bodyStart-shift, s.bodyStop-shift
				spans = append(spans, s)
			} else {
				skipped++
			}
		}
		return ast.WalkContinue, nil
	})
	return spans, skipped
}

// locateTarget finds the target of n in source. goldmark records where an
// inline node starts (Pos); the link is read again from there and must
// come out the same as n, which guards against a position that does not
// point where it should.
func locateTarget(n *wikiLink, source []byte) (targetSpan, bool) {
	pos := n.Pos()
	if pos < 0 || pos >= len(source) {
		return targetSpan{}, false
	}
	body, ok := wikiLinkBody(source[pos:])
	if !ok {
		return targetSpan{}, false
	}
	again := newWikiLink(body)
	if again == nil || again.Target != n.Target || again.Anchor != n.Anchor || again.Label != n.Label {
		return targetSpan{}, false
	}
	// The same cuts as newWikiLink: the target ends at the first '#', or
	// at the '|' (less a "\" escaping it in a table).
	dest, _, _ := bytes.Cut(body, []byte{'|'})
	target := bytes.TrimSuffix(dest, []byte{'\\'})
	if i := bytes.IndexByte(dest, '#'); i >= 0 {
		target = dest[:i]
	}
	lead := len(target) - len(util.TrimLeftSpace(target))
	trimmed := util.TrimRightSpace(target[lead:])
	start := pos + 2 + lead
	return targetSpan{
		start:     start,
		stop:      start + len(trimmed),
		bodyStart: pos + 2,
		bodyStop:  pos + 2 + len(body),
		target:    n.Target,
	}, true
}

// writable reports whether the link at s in src, with its target replaced
// by name, still parses as one link with target name. The section and
// label are the same bytes as before, and read the same unless name holds
// a '#' or '|', which would also change the target.
func writable(src []byte, s targetSpan, name string) bool {
	if name == "" {
		return false
	}
	link := make([]byte, 0, 4+s.bodyStop-s.bodyStart-(s.stop-s.start)+len(name))
	link = append(link, "[["...)
	link = append(link, src[s.bodyStart:s.start]...)
	link = append(link, name...)
	link = append(link, src[s.stop:s.bodyStop]...)
	link = append(link, "]]"...)
	body, ok := wikiLinkBody(link)
	if !ok || len(body) != len(link)-4 {
		return false
	}
	after := newWikiLink(body)
	return after != nil && after.Target == name
}
