// Package diff compares and merges the texts of wiki pages.
//
// Everything works on lines. Before comparing, "\r\n" is normalised to "\n"
// (with any further "\r" right before it): the wiki stores pages with LF
// line ends, and a page pasted or pushed with CRLF must not show up as
// "every line changed". A "\r" elsewhere is kept as part of its line. Texts are otherwise treated as opaque bytes, so invalid UTF-8
// is compared faithfully rather than rejected.
//
// Line diffs are computed with github.com/sergi/go-diff in line mode: every
// distinct line is mapped to one rune, so its Myers diff runs over lines
// rather than characters. Options.Timeout bounds the work; when it runs out
// the diff becomes coarser (larger change blocks), never wrong.
package diff

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Defaults used for the zero fields of Options.
const (
	// DefaultTimeout bounds one call to Compare, Unified or Merge3.
	DefaultTimeout = time.Second
	// DefaultMaxBytes is the largest input text accepted: far larger than
	// any real wiki page, small enough that a diff cannot exhaust memory.
	DefaultMaxBytes = 2 << 20
)

// maxLines caps the lines of the two texts of one line diff together.
// go-diff numbers each distinct line with a rune and panics beyond about
// 1.11 million of them; this limit keeps it well clear of that.
const maxLines = 1 << 20

// ErrTooLarge is returned, wrapped, when an input exceeds Options.MaxBytes
// or has too many lines to diff.
var ErrTooLarge = errors.New("text too large to diff")

// Op says what happened to a line.
type Op int

// The operations on a line, from the old text to the new one.
const (
	Equal  Op = iota // present in both texts
	Insert           // only in the new text
	Delete           // only in the old text
)

// String returns "equal", "insert" or "delete"; templates use it as a CSS class.
func (o Op) String() string {
	switch o {
	case Equal:
		return "equal"
	case Insert:
		return "insert"
	case Delete:
		return "delete"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Span is a piece of a modified line. Changed marks the words that differ
// from the paired line: removed words on a deleted line, added words on an
// inserted line. Joining the Text of a line's spans gives the line's Text.
type Span struct {
	Text    string
	Changed bool
}

// Line is one line of a diff.
type Line struct {
	Op   Op
	Text string // without the line terminator
	Old  int    // 1-based line number in the old text, 0 for inserted lines
	New  int    // 1-based line number in the new text, 0 for deleted lines
	// Spans is set on the lines of a modification: inside a change block
	// the k-th deleted line is paired with the k-th inserted line, and both
	// get word-level spans. It is nil for unpaired and equal lines, and
	// non-nil (possibly empty) for paired ones.
	Spans []Span
}

// Hunk is a group of changes with their surrounding context, as in a
// unified diff. The start fields follow the unified-diff convention: the
// 1-based number of the first line of the hunk, or, when the hunk has no
// lines on that side, the number of the line after which the change
// happens (0 for the start of the text).
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Lines              []Line
}

// Result is the line diff of two texts.
type Result struct {
	Lines   []Line // every line of both texts, in order: deletions before insertions within a change
	Added   int    // number of inserted lines
	Removed int    // number of deleted lines

	// Unified needs these to mark a missing final newline.
	oldLines, newLines int
	oldNoEOL, newNoEOL bool
}

// Options tunes Compare, Unified and Merge3. The zero value is ready to use.
type Options struct {
	// Timeout bounds the time spent diffing in one call; zero means
	// DefaultTimeout. When it runs out the result is coarser, not wrong.
	Timeout time.Duration
	// MaxBytes is the largest accepted size of each input text, in bytes;
	// zero means DefaultMaxBytes.
	MaxBytes int
	// LinesOnly skips the word-level Spans of modified lines, for callers
	// that only need which lines changed (blame, line counts): the word
	// diff is a good part of the cost.
	LinesOnly bool
}

// limits returns the deadline for a call starting now and the size limit.
func (o Options) limits() (time.Time, int) {
	timeout, maxBytes := o.Timeout, o.MaxBytes
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return time.Now().Add(timeout), maxBytes
}

// checkSize returns an error wrapping ErrTooLarge when text is over max bytes.
func checkSize(what, text string, max int) error {
	if len(text) > max {
		return fmt.Errorf("%s text is %d bytes, limit is %d: %w", what, len(text), max, ErrTooLarge)
	}
	return nil
}

// normalize turns CRLF line ends into LF. It removes every "\r" right
// before a "\n", not just one: "\r\r\n" must not become "\r\n", or
// normalising a normalised text would change it again.
func normalize(s string) string {
	if !strings.Contains(s, "\r\n") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.Index(s, "\r\n")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i
		for j > 0 && s[j-1] == '\r' {
			j--
		}
		b.WriteString(s[:j])
		b.WriteByte('\n')
		s = s[i+2:]
	}
}

// splitLines splits s after every "\n"; only the last line may lack one.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// remaining turns a deadline into a go-diff timeout. go-diff reads zero as
// "no limit", so an expired deadline becomes the smallest positive timeout,
// which makes it give up at once with a coarse but correct diff.
func remaining(deadline time.Time) time.Duration {
	if d := time.Until(deadline); d > 0 {
		return d
	}
	return time.Nanosecond
}

// block is a run of lines with the same Op; lines keep their terminators.
type block struct {
	op    Op
	lines []string
}

// lineDiff diffs a and b line by line. Lines keep their "\n", so a last line
// without one differs from the same text with one: that is what lets Unified
// and Merge3 see a changed final newline.
func lineDiff(a, b string, deadline time.Time) ([]block, error) {
	if n := strings.Count(a, "\n") + strings.Count(b, "\n") + 2; n > maxLines {
		return nil, fmt.Errorf("%d lines, limit is %d: %w", n, maxLines, ErrTooLarge)
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = remaining(deadline)
	ra, rb, lineArray := dmp.DiffLinesToRunes(a, b)
	// checklines=false: the runes already are lines; semantic cleanup is
	// not applied because it is meant for characters and would merge
	// unrelated line changes.
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), lineArray)
	blocks := make([]block, 0, len(diffs))
	for _, d := range diffs {
		if d.Text == "" {
			continue
		}
		op := Equal
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			op = Insert
		case diffmatchpatch.DiffDelete:
			op = Delete
		}
		blocks = append(blocks, block{op: op, lines: splitLines(d.Text)})
	}
	return blocks, nil
}

// Compare returns the line diff from old to new, with word-level spans on
// modified lines. CRLF is normalised to LF first (see the package comment).
// When the texts differ only in their final newline, the last line shows
// as deleted and inserted with the same Text and no changed span; Unified
// marks which of the two lacks the newline.
// Compare returns an error wrapping ErrTooLarge when a text is over
// opt.MaxBytes or the texts have more than about a million lines together.
func Compare(old, new string, opt Options) (*Result, error) {
	deadline, maxBytes := opt.limits()
	if err := checkSize("old", old, maxBytes); err != nil {
		return nil, err
	}
	if err := checkSize("new", new, maxBytes); err != nil {
		return nil, err
	}
	old, new = normalize(old), normalize(new)
	blocks, err := lineDiff(old, new, deadline)
	if err != nil {
		return nil, err
	}
	r := &Result{
		oldNoEOL: old != "" && !strings.HasSuffix(old, "\n"),
		newNoEOL: new != "" && !strings.HasSuffix(new, "\n"),
	}
	oldN, newN := 0, 0
	for i := 0; i < len(blocks); {
		if blocks[i].op == Equal {
			for _, l := range blocks[i].lines {
				oldN++
				newN++
				r.Lines = append(r.Lines, Line{Op: Equal, Text: trimEOL(l), Old: oldN, New: newN})
			}
			i++
			continue
		}
		// Gather the whole change block, whatever order go-diff gives
		// its parts in, so that deletions can be paired with insertions.
		var dels, ins []string
		for ; i < len(blocks) && blocks[i].op != Equal; i++ {
			if blocks[i].op == Delete {
				dels = append(dels, blocks[i].lines...)
			} else {
				ins = append(ins, blocks[i].lines...)
			}
		}
		insLines := make([]Line, len(ins))
		for k, l := range ins {
			insLines[k] = Line{Op: Insert, Text: trimEOL(l)}
		}
		for k, l := range dels {
			oldN++
			line := Line{Op: Delete, Text: trimEOL(l), Old: oldN}
			if k < len(ins) && !opt.LinesOnly {
				line.Spans, insLines[k].Spans = wordSpans(line.Text, insLines[k].Text, deadline)
			}
			r.Lines = append(r.Lines, line)
		}
		for k := range insLines {
			newN++
			insLines[k].New = newN
		}
		r.Lines = append(r.Lines, insLines...)
		r.Removed += len(dels)
		r.Added += len(ins)
	}
	r.oldLines, r.newLines = oldN, newN
	return r, nil
}

// trimEOL removes the "\n" a line may end with.
func trimEOL(line string) string {
	return strings.TrimSuffix(line, "\n")
}

// Hunks groups the diff into unified-diff hunks with context unchanged
// lines before and after each change; changes separated by at most
// 2*context unchanged lines share a hunk. A negative context counts as 0.
// It returns nil when the texts are equal.
func (r *Result) Hunks(context int) []Hunk {
	context = max(context, 0)
	lines := r.Lines
	var hunks []Hunk
	// oldBefore and newBefore count the lines of each text before lines[i].
	oldBefore, newBefore := 0, 0
	count := func(ls []Line) {
		for _, l := range ls {
			if l.Op != Insert {
				oldBefore++
			}
			if l.Op != Delete {
				newBefore++
			}
		}
	}
	i := 0
	for i < len(lines) {
		first := i
		for first < len(lines) && lines[first].Op == Equal {
			first++
		}
		if first == len(lines) {
			break
		}
		end := first // one past the last change in this hunk
		for {
			for end < len(lines) && lines[end].Op != Equal {
				end++
			}
			next := end
			for next < len(lines) && lines[next].Op == Equal {
				next++
			}
			if next == len(lines) || next-end > 2*context {
				break
			}
			end = next
		}
		start := max(first-context, i)
		stop := min(end+context, len(lines))
		count(lines[i:start])
		h := Hunk{Lines: lines[start:stop:stop]}
		for _, l := range h.Lines {
			if l.Op != Insert {
				h.OldLines++
			}
			if l.Op != Delete {
				h.NewLines++
			}
		}
		h.OldStart, h.NewStart = oldBefore, newBefore
		if h.OldLines > 0 {
			h.OldStart++
		}
		if h.NewLines > 0 {
			h.NewStart++
		}
		count(h.Lines)
		hunks = append(hunks, h)
		i = stop
	}
	return hunks
}
