package diff

import (
	"slices"
	"strings"
	"time"
)

// Conflict is a part of the base that theirs and mine changed in different
// ways.
type Conflict struct {
	Base   []string // the base lines the two sides changed; empty when both inserted at the same place
	Theirs []string // what theirs has there
	Mine   []string // what mine has there
	// BaseStart is the 1-based number of the first base line of the
	// conflict; when Base is empty, the base line the insertions come
	// before (len(base lines)+1 at the end of the text).
	BaseStart int
}

// Region is a piece of the merged output: clean text, or a conflict.
type Region struct {
	// Text is the region's part of MergeResult.Text: the merged text of a
	// clean region, or the conflict with its markers.
	Text string
	// Conflict is nil for a clean region.
	Conflict *Conflict
}

// MergeResult is the outcome of a three-way merge.
type MergeResult struct {
	// Text is the merged text when Conflicts is 0. Otherwise it holds each
	// conflict between git-style markers ("<<<<<<< theirs", "=======",
	// ">>>>>>> mine", each on a line of its own) for API users who resolve
	// conflicts in an editor. It is always the concatenation of the
	// Regions' Text.
	Text string
	// Regions is the merged output in order; consecutive clean text is one
	// region. It is empty when the merged text is empty.
	Regions []Region
	// Conflicts counts the regions with a Conflict.
	Conflicts int
}

// Merge3 merges two edits of base: theirs, the version already saved, and
// mine, the one being saved. It compares base with each side line by line
// and combines the changes (the diff3 algorithm) under these rules:
//
//   - A change made by one side only is taken.
//   - A change made identically by both sides is taken once.
//   - Changes of the two sides that touch a common base line conflict,
//     also when one side deletes lines the other edits.
//   - Changes to adjacent lines do not conflict, unlike in git: two people
//     editing neighbouring items of a list is the everyday case in a wiki,
//     and each line still holds exactly what one of them wrote. So an edit
//     of line 3 and an edit of line 4 merge, and an insertion right before
//     or after lines the other side changed is placed before or after that
//     change.
//   - Insertions by both sides at the same place in base conflict unless
//     they are identical: there is no right order for them. So does an
//     insertion between two lines that the other side changed as one block.
//   - Inside a conflict, leading and trailing lines on which theirs and
//     mine agree are taken out of the conflict as clean text; Base keeps
//     the whole base part.
//   - Whether the text ends with a newline is merged on its own, as a
//     yes/no value: the side that changed it from base wins. An empty text
//     has no say, so deleting all text does not decide it.
//
// CRLF line ends are normalised to LF first, and the merged text uses LF.
// The result is never the product of fuzzy matching: every line of Text
// comes from base, theirs or mine at a position their diffs agree on. A
// diff that runs out of time (Options.Timeout) is coarser, which can only
// add conflicts. Merge3 returns an error wrapping ErrTooLarge when a text is
// over opt.MaxBytes.
func Merge3(base, theirs, mine string, opt Options) (*MergeResult, error) {
	deadline, maxBytes := opt.limits()
	for _, t := range []struct{ what, text string }{{"base", base}, {"theirs", theirs}, {"mine", mine}} {
		if err := checkSize(t.what, t.text, maxBytes); err != nil {
			return nil, err
		}
	}
	base, theirs, mine = normalize(base), normalize(theirs), normalize(mine)
	switch {
	case theirs == mine, base == mine:
		return cleanResult(theirs), nil
	case base == theirs:
		return cleanResult(mine), nil
	}
	return merge3(base, theirs, mine, deadline)
}

// cleanResult is the merge result that is simply text.
func cleanResult(text string) *MergeResult {
	m := &MergeResult{Text: text}
	if text != "" {
		m.Regions = []Region{{Text: text}}
	}
	return m
}

// hunk replaces base lines [start, end) with lines; start == end is a pure
// insertion before base line start.
type hunk struct {
	start, end int
	lines      []string
}

// overlaps reports whether hunks of the two sides touch a common base line,
// or insert at the same place; this is the conflict rule of Merge3. An
// insertion overlaps a change when it falls strictly between the changed
// lines. Hunks that only meet at a boundary do not overlap.
func overlaps(a, b hunk) bool {
	if a.start == a.end && b.start == b.end {
		return a.start == b.start
	}
	return a.start < b.end && b.start < a.end
}

// cluster is a run of hunks from both sides that overlap in a chain; it
// spans base lines [start, end).
type cluster struct {
	start, end   int
	theirs, mine []hunk
}

// merge3 is Merge3 without the shortcuts, on normalised texts; tests call
// it directly to exercise the algorithm on trivial merges too.
func merge3(base, theirs, mine string, deadline time.Time) (*MergeResult, error) {
	// Every text gets a final newline for the line diffs, so that adding
	// a line after an unterminated last line does not count as changing
	// it; the final newline is merged separately below.
	baseText, baseNoEOL := withEOL(base)
	theirsText, theirsNoEOL := withEOL(theirs)
	mineText, mineNoEOL := withEOL(mine)
	baseLines := splitLines(baseText)
	theirsHunks, err := hunksOf(baseText, theirsText, deadline)
	if err != nil {
		return nil, err
	}
	mineHunks, err := hunksOf(baseText, mineText, deadline)
	if err != nil {
		return nil, err
	}

	var out output
	pos := 0
	for _, c := range clusters(theirsHunks, mineHunks) {
		out.clean(baseLines[pos:c.start])
		pos = c.end
		t := apply(baseLines, c.theirs, c.start, c.end)
		if len(c.mine) == 0 {
			out.clean(t)
			continue
		}
		m := apply(baseLines, c.mine, c.start, c.end)
		if len(c.theirs) == 0 || slices.Equal(t, m) {
			out.clean(m)
			continue
		}
		pre := commonPrefix(t, m)
		suf := commonSuffix(t[pre:], m[pre:])
		out.clean(t[:pre])
		out.conflict(&Conflict{
			Base:      trimAll(baseLines[c.start:c.end]),
			Theirs:    trimAll(t[pre : len(t)-suf]),
			Mine:      trimAll(m[pre : len(m)-suf]),
			BaseStart: c.start + 1,
		})
		out.clean(t[len(t)-suf:])
	}
	out.clean(baseLines[pos:])

	// An empty side has no final line, so it keeps base's choice.
	noEOL := baseNoEOL
	if theirs != "" && theirsNoEOL != baseNoEOL {
		noEOL = theirsNoEOL
	} else if mine != "" && mineNoEOL != baseNoEOL {
		noEOL = mineNoEOL
	}
	return out.result(noEOL), nil
}

// withEOL returns text with a final newline, and whether it lacked one.
// The empty text stays empty: it has no last line to terminate.
func withEOL(text string) (string, bool) {
	if text != "" && !strings.HasSuffix(text, "\n") {
		return text + "\n", true
	}
	return text, false
}

// hunksOf returns the changes from base to side, in base order.
func hunksOf(base, side string, deadline time.Time) ([]hunk, error) {
	blocks, err := lineDiff(base, side, deadline)
	if err != nil {
		return nil, err
	}
	var hunks []hunk
	pos := 0
	open := false // whether the last hunk is still growing
	for _, b := range blocks {
		if b.op == Equal {
			pos += len(b.lines)
			open = false
			continue
		}
		if !open {
			hunks = append(hunks, hunk{start: pos, end: pos})
			open = true
		}
		h := &hunks[len(hunks)-1]
		if b.op == Delete {
			pos += len(b.lines)
			h.end = pos
		} else {
			h.lines = append(h.lines, b.lines...)
		}
	}
	return hunks, nil
}

// clusters groups the hunks of both sides into clusters of overlapping
// hunks, in base order. Hunks are visited sorted by start and then end (so
// an insertion comes before a change starting at the same line); then a
// hunk overlaps an earlier hunk of the other side only if it overlaps the
// last one in the current cluster, because the hunks of one side are
// separated by at least one unchanged line.
func clusters(theirs, mine []hunk) []cluster {
	var cs []cluster
	add := func(h hunk, isTheirs bool) {
		if n := len(cs); n > 0 {
			c := &cs[n-1]
			other := c.theirs
			if isTheirs {
				other = c.mine
			}
			if len(other) > 0 && overlaps(h, other[len(other)-1]) {
				c.end = max(c.end, h.end)
				if isTheirs {
					c.theirs = append(c.theirs, h)
				} else {
					c.mine = append(c.mine, h)
				}
				return
			}
		}
		c := cluster{start: h.start, end: h.end}
		if isTheirs {
			c.theirs = []hunk{h}
		} else {
			c.mine = []hunk{h}
		}
		cs = append(cs, c)
	}
	i, j := 0, 0
	for i < len(theirs) || j < len(mine) {
		if j == len(mine) || (i < len(theirs) && !hunkLess(mine[j], theirs[i])) {
			add(theirs[i], true)
			i++
		} else {
			add(mine[j], false)
			j++
		}
	}
	return cs
}

func hunkLess(a, b hunk) bool {
	return a.start < b.start || (a.start == b.start && a.end < b.end)
}

// apply returns one side's version of base lines [start, end), given that
// side's hunks within that range.
func apply(base []string, hunks []hunk, start, end int) []string {
	var out []string
	pos := start
	for _, h := range hunks {
		out = append(out, base[pos:h.start]...)
		out = append(out, h.lines...)
		pos = h.end
	}
	return append(out, base[pos:end]...)
}

func commonPrefix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// trimAll returns the lines without their terminators, never nil.
func trimAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = trimEOL(l)
	}
	return out
}

// output collects the regions of a merge.
type output struct {
	regions   []Region
	pending   strings.Builder // clean text not yet in a region
	conflicts int
}

func (o *output) clean(lines []string) {
	for _, l := range lines {
		o.pending.WriteString(l)
	}
}

func (o *output) flush() {
	if o.pending.Len() > 0 {
		o.regions = append(o.regions, Region{Text: o.pending.String()})
		o.pending.Reset()
	}
}

func (o *output) conflict(c *Conflict) {
	o.flush()
	var b strings.Builder
	b.WriteString("<<<<<<< theirs\n")
	for _, l := range c.Theirs {
		b.WriteString(l + "\n")
	}
	b.WriteString("=======\n")
	for _, l := range c.Mine {
		b.WriteString(l + "\n")
	}
	b.WriteString(">>>>>>> mine\n")
	o.regions = append(o.regions, Region{Text: b.String(), Conflict: c})
	o.conflicts++
}

// result finishes the merge. The missing final newline is applied only to
// clean text: conflict markers must stay on lines of their own.
func (o *output) result(noEOL bool) *MergeResult {
	o.flush()
	if n := len(o.regions); noEOL && n > 0 && o.regions[n-1].Conflict == nil {
		// A text of one empty line without its newline is no text at all.
		if text := strings.TrimSuffix(o.regions[n-1].Text, "\n"); text != "" {
			o.regions[n-1].Text = text
		} else {
			o.regions = o.regions[:n-1]
		}
	}
	var b strings.Builder
	for _, r := range o.regions {
		b.WriteString(r.Text)
	}
	return &MergeResult{Text: b.String(), Regions: o.regions, Conflicts: o.conflicts}
}
