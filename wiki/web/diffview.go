package web

import (
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/diff"
)

// foldAfter is the length of an unchanged run worth folding; foldKeep is
// how many of its lines stay visible at each end, as context.
const (
	foldAfter = 8
	foldKeep  = 3
)

// diffRow is a row of the unified view: a line, or a folded run of
// unchanged lines shown on request ("show more" works without script as a
// <details> element).
type diffRow struct {
	Line   *diff.Line
	Folded []diff.Line
}

// unifiedRows folds the long unchanged runs of a diff.
func unifiedRows(lines []diff.Line) []diffRow {
	var rows []diffRow
	for i := 0; i < len(lines); {
		if lines[i].Op != diff.Equal {
			rows = append(rows, diffRow{Line: &lines[i]})
			i++
			continue
		}
		j := i
		for j < len(lines) && lines[j].Op == diff.Equal {
			j++
		}
		run := lines[i:j]
		keepStart, keepEnd := foldKeep, foldKeep
		if i == 0 {
			keepStart = 0
		}
		if j == len(lines) {
			keepEnd = 0
		}
		if len(run) <= foldAfter || len(run) <= keepStart+keepEnd {
			for k := range run {
				rows = append(rows, diffRow{Line: &run[k]})
			}
		} else {
			for k := 0; k < keepStart; k++ {
				rows = append(rows, diffRow{Line: &run[k]})
			}
			rows = append(rows, diffRow{Folded: run[keepStart : len(run)-keepEnd]})
			for k := len(run) - keepEnd; k < len(run); k++ {
				rows = append(rows, diffRow{Line: &run[k]})
			}
		}
		i = j
	}
	return rows
}

// blockGroup is a run of rendered blocks: changed blocks with one block of
// context each side, or a folded run of unchanged ones.
type blockGroup struct {
	Blocks []wiki.RenderedBlock
	Folded bool
}

// groupBlocks folds the unchanged blocks of a rendered comparison that are
// not next to a change, so that a reader sees the changes first.
func groupBlocks(blocks []wiki.RenderedBlock) []blockGroup {
	show := make([]bool, len(blocks))
	for i, b := range blocks {
		if b.Change != "equal" {
			for j := max(0, i-1); j <= min(len(blocks)-1, i+1); j++ {
				show[j] = true
			}
		}
	}
	var groups []blockGroup
	for i, b := range blocks {
		folded := !show[i]
		if n := len(groups); n > 0 && groups[n-1].Folded == folded {
			groups[n-1].Blocks = append(groups[n-1].Blocks, b)
			continue
		}
		groups = append(groups, blockGroup{Blocks: []wiki.RenderedBlock{b}, Folded: folded})
	}
	return groups
}

// splitRow is a row of the side-by-side view: the old line on the left,
// the new on the right; either may be missing.
type splitRow struct {
	Left, Right *diff.Line
	// Folded is a run of unchanged lines, each shown on both sides.
	Folded []diff.Line
}

// splitRows pairs the deleted and inserted lines of each change block, in
// order, so that a modified line sits next to its new version.
func splitRows(lines []diff.Line) []splitRow {
	var rows []splitRow
	var dels, ins []*diff.Line
	flush := func() {
		for i := 0; i < max(len(dels), len(ins)); i++ {
			var r splitRow
			if i < len(dels) {
				r.Left = dels[i]
			}
			if i < len(ins) {
				r.Right = ins[i]
			}
			rows = append(rows, r)
		}
		dels, ins = nil, nil
	}
	for _, r := range unifiedRows(lines) {
		switch {
		case r.Folded != nil:
			flush()
			rows = append(rows, splitRow{Folded: r.Folded})
		case r.Line.Op == diff.Delete:
			dels = append(dels, r.Line)
		case r.Line.Op == diff.Insert:
			ins = append(ins, r.Line)
		default:
			flush()
			rows = append(rows, splitRow{Left: r.Line, Right: r.Line})
		}
	}
	flush()
	return rows
}
