package blameindex

import "math"

// The line diff that blame runs on is git's own (xdiff, as git blame uses
// it by default): lines that only one side has are set aside first (and
// lines that have many matches where they sit among such lines), Myers'
// divide-and-conquer diff runs on the rest, and the groups of changed
// lines are then slid to where git puts them, with the indent heuristic.
// Where equally short diffs exist, which happens with repeated lines such
// as blank ones, git's choice decides which copy of a line keeps its old
// author; doing as git does makes the index answer as git blame does.
// The heuristics git uses to cut expensive diffs short are left out: they
// only start beyond 256 edits between two versions, and the work budget
// bounds those diffs instead.

// Constants of git's xdiff (xdiff/xdiffi.c, xdiff/xprepare.c).
const (
	xdlMaxEqLimit      = 1024
	xdlSimscanWindow   = 100
	xdlKpdisRun        = 4
	maxIndent          = 200
	maxBlanks          = 20
	indentMaxSliding   = 100
	startOfFilePenalty = 1
	endOfFilePenalty   = 21
	totalBlankWeight   = -30
	postBlankWeight    = 6
	relIndentPenalty   = -4
	relIndentBlank     = 10
	relOutdentPenalty  = 24
	relOutdentBlank    = 17
	relDedentPenalty   = 23
	relDedentBlank     = 17
	indentWeight       = 60
)

// xfile is one side of a diff: its lines and which of them are changed.
type xfile struct {
	recs []uint32
	// rchg[i+1] tells whether line i is changed; rchg[0] and
	// rchg[len(recs)+1] are always false, as in xdiff.
	rchg []bool
	// rindex and ha are the lines that take part in the Myers diff: their
	// positions and ids.
	rindex []int
	ha     []uint32
}

func newXfile(recs []uint32) *xfile {
	return &xfile{recs: recs, rchg: make([]bool, len(recs)+2)}
}

func (f *xfile) chg(i int) bool       { return f.rchg[i+1] }
func (f *xfile) setChg(i int, v bool) { f.rchg[i+1] = v }

// matchLines returns, for each line of b, the line of a it is kept from
// in git's diff from a to b, or -1 for a line b adds. indent gives a line's
// indentation as git measures it (-1 for a blank line). budget bounds the
// Myers work across calls: once it is spent, what is left counts as
// changed, which makes blame coarser (lines credited to a newer revision),
// never inconsistent.
func matchLines(a, b []uint32, indent func(uint32) int, budget *int) []int32 {
	x1, x2 := newXfile(a), newXfile(b)
	// xdl_trim_ends: the common prefix and suffix take no part.
	lim := min(len(a), len(b))
	start := 0
	for start < lim && a[start] == b[start] {
		start++
	}
	suffix := 0
	for suffix < lim-start && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	end1, end2 := len(a)-suffix, len(b)-suffix // exclusive
	if start < end1 || start < end2 {
		cleanupRecords(x1, x2, start, end1, end2)
		d := &xdiff{x1: x1, x2: x2, budget: budget}
		n := len(x1.ha) + len(x2.ha) + 3
		d.kvdf, d.kvdb = make([]int, 2*n+2), make([]int, 2*n+2)
		d.koff = len(x2.ha) + 1
		d.recsCmp(0, len(x1.ha), 0, len(x2.ha))
		changeCompact(x1, x2, indent)
		changeCompact(x2, x1, indent)
	}
	m := make([]int32, len(b))
	i := 0
	for j := range b {
		m[j] = -1
		if x2.chg(j) {
			continue
		}
		for i < len(a) && x1.chg(i) {
			i++
		}
		if i < len(a) {
			m[j] = int32(i)
			i++
		}
	}
	return m
}

// bogosqrt is xdiff's integer square root approximation.
func bogosqrt(n int) int {
	i := 1
	for ; n > 0; n >>= 2 {
		i <<= 1
	}
	return i
}

// cleanupRecords is xdl_cleanup_records: of the lines between the common
// prefix and suffix, those the other side does not have are changed
// outright, and those it has many times are too when they sit among such
// lines; the rest go to the Myers diff.
func cleanupRecords(x1, x2 *xfile, start, end1, end2 int) {
	count1 := make(map[uint32]int, len(x1.recs))
	for _, r := range x1.recs {
		count1[r]++
	}
	count2 := make(map[uint32]int, len(x2.recs))
	for _, r := range x2.recs {
		count2[r]++
	}
	classify := func(x *xfile, end int, other map[uint32]int) []byte {
		mlim := min(bogosqrt(len(x.recs)), xdlMaxEqLimit)
		dis := make([]byte, len(x.recs)+1)
		for i := start; i < end; i++ {
			switch nm := other[x.recs[i]]; {
			case nm == 0:
				dis[i] = 0
			case nm >= mlim:
				dis[i] = 2
			default:
				dis[i] = 1
			}
		}
		return dis
	}
	dis1 := classify(x1, end1, count2)
	dis2 := classify(x2, end2, count1)
	keep := func(x *xfile, dis []byte, end int) {
		for i := start; i < end; i++ {
			if dis[i] == 1 || (dis[i] == 2 && !cleanMmatch(dis, i, start, end-1)) {
				x.rindex = append(x.rindex, i)
				x.ha = append(x.ha, x.recs[i])
			} else {
				x.setChg(i, true)
			}
		}
	}
	keep(x1, dis1, end1)
	keep(x2, dis2, end2)
}

// cleanMmatch is xdl_clean_mmatch: whether a line with many matches, at
// i, sits in a run of lines without a match, between s and e (inclusive).
func cleanMmatch(dis []byte, i, s, e int) bool {
	if i-s > xdlSimscanWindow {
		s = i - xdlSimscanWindow
	}
	if e-i > xdlSimscanWindow {
		e = i + xdlSimscanWindow
	}
	rdis0, rpdis0 := 0, 1
	for r := 1; i-r >= s; r++ {
		if dis[i-r] == 0 {
			rdis0++
		} else if dis[i-r] == 2 {
			rpdis0++
		} else {
			break
		}
	}
	if rdis0 == 0 {
		return false
	}
	rdis1, rpdis1 := 0, 1
	for r := 1; i+r <= e; r++ {
		if dis[i+r] == 0 {
			rdis1++
		} else if dis[i+r] == 2 {
			rpdis1++
		} else {
			break
		}
	}
	if rdis1 == 0 {
		return false
	}
	rdis1 += rdis0
	rpdis1 += rpdis0
	return rpdis1*xdlKpdisRun < rpdis1+rdis1
}

// xdiff is the state of one Myers diff (xdl_recs_cmp and xdl_split).
type xdiff struct {
	x1, x2     *xfile
	kvdf, kvdb []int // indexed by diagonal + koff
	koff       int
	budget     *int
}

// recsCmp marks the changed lines between ha1[off1:lim1] and
// ha2[off2:lim2].
func (d *xdiff) recsCmp(off1, lim1, off2, lim2 int) {
	ha1, ha2 := d.x1.ha, d.x2.ha
	for off1 < lim1 && off2 < lim2 && ha1[off1] == ha2[off2] {
		off1++
		off2++
	}
	for off1 < lim1 && off2 < lim2 && ha1[lim1-1] == ha2[lim2-1] {
		lim1--
		lim2--
	}
	switch {
	case off1 == lim1:
		for ; off2 < lim2; off2++ {
			d.x2.setChg(d.x2.rindex[off2], true)
		}
	case off2 == lim2:
		for ; off1 < lim1; off1++ {
			d.x1.setChg(d.x1.rindex[off1], true)
		}
	default:
		i1, i2, ok := d.split(off1, lim1, off2, lim2)
		if !ok {
			for ; off1 < lim1; off1++ {
				d.x1.setChg(d.x1.rindex[off1], true)
			}
			for ; off2 < lim2; off2++ {
				d.x2.setChg(d.x2.rindex[off2], true)
			}
			return
		}
		d.recsCmp(off1, i1, off2, i2)
		d.recsCmp(i1, lim1, i2, lim2)
	}
}

// split is xdl_split without its cut-off heuristics: a point where a
// shortest edit script crosses the middle diagonal band. ok is false when
// the budget ran out.
func (d *xdiff) split(off1, lim1, off2, lim2 int) (int, int, bool) {
	ha1, ha2 := d.x1.ha, d.x2.ha
	kvdf, kvdb, o := d.kvdf, d.kvdb, d.koff
	dmin, dmax := off1-lim2, lim1-off2
	fmid, bmid := off1-off2, lim1-lim2
	odd := (fmid-bmid)&1 != 0
	fmin, fmax := fmid, fmid
	bmin, bmax := bmid, bmid
	kvdf[fmid+o] = off1
	kvdb[bmid+o] = lim1
	for {
		*d.budget -= fmax - fmin + bmax - bmin + 2
		if *d.budget < 0 {
			return 0, 0, false
		}
		if fmin > dmin {
			fmin--
			kvdf[fmin-1+o] = -1
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			kvdf[fmax+1+o] = -1
		} else {
			fmax--
		}
		for k := fmax; k >= fmin; k -= 2 {
			var i1 int
			if kvdf[k-1+o] >= kvdf[k+1+o] {
				i1 = kvdf[k-1+o] + 1
			} else {
				i1 = kvdf[k+1+o]
			}
			i2 := i1 - k
			for i1 < lim1 && i2 < lim2 && ha1[i1] == ha2[i2] {
				i1++
				i2++
			}
			kvdf[k+o] = i1
			if odd && bmin <= k && k <= bmax && kvdb[k+o] <= i1 {
				return i1, i2, true
			}
		}
		if bmin > dmin {
			bmin--
			kvdb[bmin-1+o] = math.MaxInt
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			kvdb[bmax+1+o] = math.MaxInt
		} else {
			bmax--
		}
		for k := bmax; k >= bmin; k -= 2 {
			var i1 int
			if kvdb[k-1+o] < kvdb[k+1+o] {
				i1 = kvdb[k-1+o]
			} else {
				i1 = kvdb[k+1+o] - 1
			}
			i2 := i1 - k
			for i1 > off1 && i2 > off2 && ha1[i1-1] == ha2[i2-1] {
				i1--
				i2--
			}
			kvdb[k+o] = i1
			if !odd && fmin <= k && k <= fmax && i1 <= kvdf[k+o] {
				return i1, i2, true
			}
		}
	}
}

// group is a run of changed lines [start, end) of one side; an empty
// group is the place between two unchanged lines.
type group struct{ start, end int }

func (f *xfile) groupInit(g *group) {
	g.start, g.end = 0, 0
	for f.chg(g.end) {
		g.end++
	}
}

func (f *xfile) groupNext(g *group) bool {
	if g.end == len(f.recs) {
		return false
	}
	g.start = g.end + 1
	g.end = g.start
	for f.chg(g.end) {
		g.end++
	}
	return true
}

func (f *xfile) groupPrevious(g *group) bool {
	if g.start == 0 {
		return false
	}
	g.end = g.start - 1
	g.start = g.end
	for f.chg(g.start - 1) {
		g.start--
	}
	return true
}

func (f *xfile) slideDown(g *group) bool {
	if g.end < len(f.recs) && f.recs[g.start] == f.recs[g.end] {
		f.setChg(g.start, false)
		g.start++
		f.setChg(g.end, true)
		g.end++
		for f.chg(g.end) {
			g.end++
		}
		return true
	}
	return false
}

func (f *xfile) slideUp(g *group) bool {
	if g.start > 0 && f.recs[g.start-1] == f.recs[g.end-1] {
		g.start--
		f.setChg(g.start, true)
		g.end--
		f.setChg(g.end, false)
		for f.chg(g.start - 1) {
			g.start--
		}
		return true
	}
	return false
}

// changeCompact is xdl_change_compact: each group of changed lines of x
// is slid as far down as it goes, merging with the groups it meets, and
// then back up to line up with a change in the other side, or else to
// the place the indent heuristic likes best.
func changeCompact(x, other *xfile, indent func(uint32) int) {
	var g, og group
	x.groupInit(&g)
	other.groupInit(&og)
	for {
		if g.end != g.start {
			var groupsize, earliestEnd int
			endMatchingOther := -1
			for {
				groupsize = g.end - g.start
				endMatchingOther = -1
				for x.slideUp(&g) {
					other.groupPrevious(&og)
				}
				earliestEnd = g.end
				if og.end > og.start {
					endMatchingOther = g.end
				}
				for x.slideDown(&g) {
					other.groupNext(&og)
					if og.end > og.start {
						endMatchingOther = g.end
					}
				}
				if groupsize == g.end-g.start {
					break
				}
			}
			switch {
			case g.end == earliestEnd:
				// It cannot move.
			case endMatchingOther != -1:
				for og.end == og.start {
					x.slideUp(&g)
					other.groupPrevious(&og)
				}
			default:
				shift := max(earliestEnd, g.end-groupsize-1, g.end-indentMaxSliding)
				bestShift := -1
				var best splitScore
				for ; shift <= g.end; shift++ {
					var s splitScore
					s.add(measureSplit(x, shift, indent))
					s.add(measureSplit(x, shift-groupsize, indent))
					if bestShift == -1 || s.cmp(best) <= 0 {
						best, bestShift = s, shift
					}
				}
				for g.end > bestShift {
					x.slideUp(&g)
					other.groupPrevious(&og)
				}
			}
		}
		if !x.groupNext(&g) {
			break
		}
		other.groupNext(&og)
	}
}

type splitMeasurement struct {
	endOfFile             bool
	indent                int
	preBlank, preIndent   int
	postBlank, postIndent int
}

func measureSplit(x *xfile, split int, indent func(uint32) int) splitMeasurement {
	var m splitMeasurement
	if split >= len(x.recs) {
		m.endOfFile = true
		m.indent = -1
	} else {
		m.indent = indent(x.recs[split])
	}
	m.preIndent = -1
	for i := split - 1; i >= 0; i-- {
		m.preIndent = indent(x.recs[i])
		if m.preIndent != -1 {
			break
		}
		m.preBlank++
		if m.preBlank == maxBlanks {
			m.preIndent = 0
			break
		}
	}
	m.postIndent = -1
	for i := split + 1; i < len(x.recs); i++ {
		m.postIndent = indent(x.recs[i])
		if m.postIndent != -1 {
			break
		}
		m.postBlank++
		if m.postBlank == maxBlanks {
			m.postIndent = 0
			break
		}
	}
	return m
}

type splitScore struct{ effectiveIndent, penalty int }

func (s *splitScore) add(m splitMeasurement) {
	if m.preIndent == -1 && m.preBlank == 0 {
		s.penalty += startOfFilePenalty
	}
	if m.endOfFile {
		s.penalty += endOfFilePenalty
	}
	postBlank := 0
	if m.indent == -1 {
		postBlank = 1 + m.postBlank
	}
	totalBlank := m.preBlank + postBlank
	s.penalty += totalBlankWeight * totalBlank
	s.penalty += postBlankWeight * postBlank
	ind := m.indent
	if ind == -1 {
		ind = m.postIndent
	}
	anyBlanks := totalBlank != 0
	s.effectiveIndent += ind
	pick := func(withBlank, without int) int {
		if anyBlanks {
			return withBlank
		}
		return without
	}
	switch {
	case ind == -1, m.preIndent == -1:
	case ind > m.preIndent:
		s.penalty += pick(relIndentBlank, relIndentPenalty)
	case ind == m.preIndent:
	case m.postIndent != -1 && m.postIndent > ind:
		s.penalty += pick(relOutdentBlank, relOutdentPenalty)
	default:
		s.penalty += pick(relDedentBlank, relDedentPenalty)
	}
}

func (s splitScore) cmp(o splitScore) int {
	c := 0
	if s.effectiveIndent > o.effectiveIndent {
		c = 1
	} else if s.effectiveIndent < o.effectiveIndent {
		c = -1
	}
	return indentWeight*c + s.penalty - o.penalty
}

// lineIndent is git's get_indent: the width of a line's leading
// whitespace (a tab to the next multiple of 8), -1 for a line that is all
// whitespace.
func lineIndent(line string) int {
	ret := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case ' ':
			ret++
		case '\t':
			ret += 8 - ret%8
		case '\n', '\r', '\f', '\v':
		default:
			return ret
		}
		if ret >= maxIndent {
			return maxIndent
		}
	}
	return -1
}
