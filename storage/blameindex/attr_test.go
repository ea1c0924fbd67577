package blameindex

import (
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestMatchLinesIsALongestCommonSubsequence: on random texts over a small
// alphabet (many repeated lines), the kept lines pair equal lines in
// order and are as many as a longest common subsequence has, unless some
// line has as many matches as makes git's diff set it aside.
func TestMatchLinesIsALongestCommonSubsequence(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	indent := func(id uint32) int {
		if id == 0 {
			return -1 // a blank line
		}
		return int(id % 3)
	}
	for n := 0; n < 3000; n++ {
		a := randomLines(r, r.IntN(30), 1+r.IntN(6))
		b := randomLines(r, r.IntN(30), 1+r.IntN(6))
		if r.IntN(2) == 0 {
			// An edit of a, as most diffs are.
			b = slices.Clone(a)
			for k := r.IntN(4); k > 0 && len(b) > 0; k-- {
				i := r.IntN(len(b))
				b = slices.Insert(slices.Delete(b, i, i+1), r.IntN(len(b)), uint32(r.IntN(6)))
			}
		}
		budget := diffBudget
		m := matchLines(a, b, indent, &budget)
		kept, last := 0, -1
		for j, i := range m {
			if i < 0 {
				continue
			}
			if int(i) <= last || a[i] != b[j] {
				t.Fatalf("a=%v b=%v: bad match %v", a, b, m)
			}
			last = int(i)
			kept++
		}
		// Like git, the diff sets aside lines with many matches among
		// lines without any: then it may keep fewer than it could.
		want := lcs(a, b)
		if kept > want || (kept < want && !manyMatches(a, b)) {
			t.Fatalf("a=%v b=%v: %d lines kept, a longest common subsequence has %d (%v)", a, b, kept, want, m)
		}
	}
}

// manyMatches reports whether a line of one text occurs in the other as
// often as makes xdiff treat it as a "many matches" line.
func manyMatches(a, b []uint32) bool {
	count := func(x []uint32) map[uint32]int {
		c := map[uint32]int{}
		for _, l := range x {
			c[l]++
		}
		return c
	}
	ca, cb := count(a), count(b)
	for l := range ca {
		if cb[l] >= bogosqrt(len(a)) || ca[l] >= bogosqrt(len(b)) {
			return true
		}
	}
	return false
}

func randomLines(r *rand.Rand, n, alphabet int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = uint32(r.IntN(alphabet))
	}
	return out
}

func lcs(a, b []uint32) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestMatchLinesBudget: a diff whose budget is spent still pairs only
// equal lines in order.
func TestMatchLinesBudget(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	a, b := randomLines(r, 2000, 50), randomLines(r, 2000, 50)
	budget := 100
	m := matchLines(a, b, func(uint32) int { return 0 }, &budget)
	last := -1
	for j, i := range m {
		if i >= 0 {
			if int(i) <= last || a[i] != b[j] {
				t.Fatalf("bad match at %d", j)
			}
			last = int(i)
		}
	}
}

func TestDerivePassesBlameToParentsInOrder(t *testing.T) {
	in := newInterner()
	text := func(s string) []uint32 { return in.lines([]byte(s)) }
	first := parentVersion{lines: text("a\nb\nc\n"), owners: []uint32{1, 2, 3}}
	other := parentVersion{lines: text("a\nx\nc\n"), owners: []uint32{1, 4, 5}}
	budget := diffBudget
	got := derive(in, text("a\nb\nx\nc\ny\n"), []parentVersion{first, other}, 9, &budget)
	// a, b and c are the first parent's; x comes from the other; y is new.
	if want := []uint32{1, 2, 4, 3, 9}; !slices.Equal(got, want) {
		t.Fatalf("owners %v, want %v", got, want)
	}
}

func TestEncodingRoundTrips(t *testing.T) {
	owners := []uint32{1, 1, 1, 7, 7, 300000, 1, 2}
	p, got, err := decodeAttribution(encodeAttribution(42, owners))
	if err != nil || p != 42 || !slices.Equal(got, owners) {
		t.Fatalf("attribution: %d %v %v", p, got, err)
	}
	if _, got, err := decodeAttribution(encodeAttribution(1, nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty attribution: %v %v", got, err)
	}
	for _, bad := range [][]byte{nil, {1}, {1, 5, 3, 2}, {1, 2, 3, 9}} {
		if _, _, err := decodeAttribution(bad); err == nil {
			t.Errorf("%v decoded", bad)
		}
	}
	rec := &pageRecord{head: "0123456789abcdef0123456789abcdef01234567", recent: []string{"89abcdef0123456789abcdef0123456789abcdef"}}
	back, err := decodePageRecord(rec.encode())
	if err != nil || back.head != rec.head || !slices.Equal(back.recent, rec.recent) {
		t.Fatalf("page record: %+v %v", back, err)
	}
	gone, err := decodePageRecord((&pageRecord{recent: rec.recent}).encode())
	if err != nil || gone.head != "" || len(gone.recent) != 1 {
		t.Fatalf("page record without a head: %+v %v", gone, err)
	}
}

// TestMatchLinesAgreesWithGitDiff: on random Markdown-like texts full of
// repeated lines (blank ones, list items, rules), the lines the diff
// counts as changed are exactly the ones `git diff` shows.
func TestMatchLinesAgreesWithGitDiff(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 3))
	pool := []string{"", "", "", "  - punt", "  - punt twee", "---", "# Kop", "tekst", "meer tekst", "\tcode", "    ingesprongen", "slot"}
	randomText := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = pool[r.IntN(len(pool))]
		}
		return out
	}
	for n := 0; n < 150; n++ {
		a := randomText(5 + r.IntN(40))
		b := slices.Clone(a)
		for k := 1 + r.IntN(5); k > 0; k-- {
			i := r.IntN(len(b) + 1)
			switch r.IntN(3) {
			case 0:
				b = slices.Insert(b, i, randomText(1+r.IntN(3))...)
			case 1:
				if i < len(b) {
					b = slices.Delete(b, i, min(len(b), i+1+r.IntN(2)))
				}
			default:
				if i < len(b) {
					b[i] = pool[r.IntN(len(pool))]
				}
			}
		}
		in := newInterner()
		join := func(l []string) []byte {
			if len(l) == 0 {
				return nil
			}
			return []byte(strings.Join(l, "\n") + "\n")
		}
		ta, tb := join(a), join(b)
		budget := diffBudget
		m := matchLines(in.lines(ta), in.lines(tb), in.indent, &budget)
		got := map[int]bool{} // changed lines of b, 1-based
		for j, i := range m {
			if i < 0 {
				got[j+1] = true
			}
		}
		pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.WriteFile(pa, ta, 0o644)
		os.WriteFile(pb, tb, 0o644)
		cmd := exec.Command("git", "diff", "--no-index", "--no-color", "--unified=0", "--", pa, pb)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, _ := cmd.Output() // exit status 1: the files differ
		want := map[int]bool{}
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(l, "@@ ") {
				continue
			}
			// @@ -a,b +c,d @@
			plus := strings.Fields(l)[2][1:]
			start, count := plus, "1"
			if i := strings.IndexByte(plus, ','); i >= 0 {
				start, count = plus[:i], plus[i+1:]
			}
			s, _ := strconv.Atoi(start)
			c, _ := strconv.Atoi(count)
			for k := 0; k < c; k++ {
				want[s+k] = true
			}
		}
		if !maps.Equal(got, want) {
			t.Fatalf("a=%q\nb=%q\nchanged lines of b: %v, git diff: %v\n%s", a, b, keys(got), keys(want), out)
		}
	}
}

func keys(m map[int]bool) []int {
	out := slices.Collect(maps.Keys(m))
	slices.Sort(out)
	return out
}
