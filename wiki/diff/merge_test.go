package diff

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// lines builds a text from its lines, each terminated by "\n".
func lines(ls ...string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

func TestMerge3(t *testing.T) {
	base := lines("a", "b", "c", "d", "e")
	long := strings.Repeat("Één lange regel met woorden, ", 100<<10/30)
	longBase := lines("kop", long, "midden", long+"tweede", "staart")
	tests := []struct {
		name                string
		base, theirs, mine  string
		want                string
		conflicts           []Conflict // nil: no conflicts expected
		wantTextOnConflicts string     // checked when not empty
	}{
		// One side only, both sides identically.
		{name: "only theirs", base: base, theirs: lines("a", "B", "c", "d", "e"), mine: base,
			want: lines("a", "B", "c", "d", "e")},
		{name: "only mine", base: base, theirs: base, mine: lines("a", "b", "c", "D", "e"),
			want: lines("a", "b", "c", "D", "e")},
		{name: "identical edits", base: base, theirs: lines("a", "B", "c", "d", "e"), mine: lines("a", "B", "c", "d", "e"),
			want: lines("a", "B", "c", "d", "e")},
		{name: "identical edit plus one more", base: base, theirs: lines("a", "B", "c", "d", "e"), mine: lines("a", "B", "c", "D", "e"),
			want: lines("a", "B", "c", "D", "e")},
		{name: "identical deletion", base: base, theirs: lines("a", "c", "d", "e"), mine: lines("a", "c", "d", "E"),
			want: lines("a", "c", "d", "E")},

		// Separate and adjacent edits merge.
		{name: "separate edits", base: base, theirs: lines("A", "b", "c", "d", "e"), mine: lines("a", "b", "c", "d", "E"),
			want: lines("A", "b", "c", "d", "E")},
		{name: "adjacent edits", base: base, theirs: lines("a", "B", "c", "d", "e"), mine: lines("a", "b", "C", "d", "e"),
			want: lines("a", "B", "C", "d", "e")},
		{name: "adjacent multi-line edits", base: base, theirs: lines("A", "B", "c", "d", "e"), mine: lines("a", "b", "C", "D", "E"),
			want: lines("A", "B", "C", "D", "E")},
		{name: "insertion after a line the other side edits", base: base, theirs: lines("a", "B", "c", "d", "e"), mine: lines("a", "b", "x", "c", "d", "e"),
			want: lines("a", "B", "x", "c", "d", "e")},
		{name: "insertion before a line the other side edits", base: base, theirs: lines("a", "b", "C", "d", "e"), mine: lines("a", "b", "x", "c", "d", "e"),
			want: lines("a", "b", "x", "C", "d", "e")},
		{name: "deletion next to an edit", base: base, theirs: lines("a", "c", "d", "e"), mine: lines("a", "b", "C", "d", "e"),
			want: lines("a", "C", "d", "e")},
		{name: "insertion where the other side deleted the line before", base: base, theirs: lines("a", "c", "d", "e"), mine: lines("a", "b", "x", "c", "d", "e"),
			want: lines("a", "x", "c", "d", "e")},
		{name: "insertions at different places", base: base, theirs: lines("a", "x", "b", "c", "d", "e"), mine: lines("a", "b", "y", "c", "d", "e"),
			want: lines("a", "x", "b", "y", "c", "d", "e")},
		{name: "identical insertions", base: base, theirs: lines("a", "x", "b", "c", "d", "e"), mine: lines("a", "x", "b", "c", "d", "E"),
			want: lines("a", "x", "b", "c", "d", "E")},
		{name: "list items added at both ends", base: lines("- een", "- twee"), theirs: lines("- nul", "- een", "- twee"), mine: lines("- een", "- twee", "- drie"),
			want: lines("- nul", "- een", "- twee", "- drie")},

		// Conflicts.
		{name: "same line edited differently", base: base, theirs: lines("a", "B1", "c", "d", "e"), mine: lines("a", "B2", "c", "d", "e"),
			conflicts:           []Conflict{{Base: []string{"b"}, Theirs: []string{"B1"}, Mine: []string{"B2"}, BaseStart: 2}},
			wantTextOnConflicts: "a\n<<<<<<< theirs\nB1\n=======\nB2\n>>>>>>> mine\nc\nd\ne\n"},
		{name: "overlapping ranges", base: base, theirs: lines("a", "B", "C", "d", "e"), mine: lines("a", "b", "C2", "D", "e"),
			conflicts: []Conflict{{Base: []string{"b", "c", "d"}, Theirs: []string{"B", "C", "d"}, Mine: []string{"b", "C2", "D"}, BaseStart: 2}}},
		{name: "chain of overlaps", base: base, theirs: lines("A", "B", "c", "D", "E"), mine: lines("a", "X", "X", "X", "e"),
			conflicts: []Conflict{{Base: []string{"a", "b", "c", "d", "e"}, Theirs: []string{"A", "B", "c", "D", "E"}, Mine: []string{"a", "X", "X", "X", "e"}, BaseStart: 1}}},
		{name: "insertions at the same place", base: base, theirs: lines("a", "b", "x", "c", "d", "e"), mine: lines("a", "b", "y", "c", "d", "e"),
			conflicts: []Conflict{{Base: []string{}, Theirs: []string{"x"}, Mine: []string{"y"}, BaseStart: 3}}},
		{name: "insertions at the same place, common first line", base: base, theirs: lines("a", "b", "x", "y", "c", "d", "e"), mine: lines("a", "b", "x", "z", "c", "d", "e"),
			conflicts:           []Conflict{{Base: []string{}, Theirs: []string{"y"}, Mine: []string{"z"}, BaseStart: 3}},
			wantTextOnConflicts: "a\nb\nx\n<<<<<<< theirs\ny\n=======\nz\n>>>>>>> mine\nc\nd\ne\n"},
		{name: "insertion extended by the other side", base: base, theirs: lines("a", "x", "b", "c", "d", "e"), mine: lines("a", "x", "y", "b", "c", "d", "e"),
			conflicts: []Conflict{{Base: []string{}, Theirs: []string{}, Mine: []string{"y"}, BaseStart: 2}}},
		{name: "deletion against edit", base: base, theirs: lines("a", "c", "d", "e"), mine: lines("a", "B", "c", "d", "e"),
			conflicts: []Conflict{{Base: []string{"b"}, Theirs: []string{}, Mine: []string{"B"}, BaseStart: 2}}},
		{name: "edit against deletion", base: base, theirs: lines("a", "b", "C", "d", "e"), mine: lines("a", "b", "e"),
			conflicts: []Conflict{{Base: []string{"c", "d"}, Theirs: []string{"C", "d"}, Mine: []string{}, BaseStart: 3}}},
		{name: "insertion inside a replaced block", base: base, theirs: lines("a", "BC", "d", "e"), mine: lines("a", "b", "x", "c", "d", "e"),
			conflicts: []Conflict{{Base: []string{"b", "c"}, Theirs: []string{"BC"}, Mine: []string{"b", "x", "c"}, BaseStart: 2}}},
		{name: "first line", base: base, theirs: lines("A1", "b", "c", "d", "e"), mine: lines("A2", "b", "c", "d", "E"),
			conflicts:           []Conflict{{Base: []string{"a"}, Theirs: []string{"A1"}, Mine: []string{"A2"}, BaseStart: 1}},
			wantTextOnConflicts: "<<<<<<< theirs\nA1\n=======\nA2\n>>>>>>> mine\nb\nc\nd\nE\n"},
		{name: "last line", base: base, theirs: lines("A", "b", "c", "d", "E1"), mine: lines("a", "b", "c", "d", "E2"),
			conflicts: []Conflict{{Base: []string{"e"}, Theirs: []string{"E1"}, Mine: []string{"E2"}, BaseStart: 5}}},
		{name: "both append", base: base, theirs: lines("a", "b", "c", "d", "e", "f"), mine: lines("a", "b", "c", "d", "e", "g"),
			conflicts:           []Conflict{{Base: []string{}, Theirs: []string{"f"}, Mine: []string{"g"}, BaseStart: 6}},
			wantTextOnConflicts: "a\nb\nc\nd\ne\n<<<<<<< theirs\nf\n=======\ng\n>>>>>>> mine\n"},
		{name: "two conflicts", base: base, theirs: lines("A1", "b", "c", "d", "E1"), mine: lines("A2", "b", "C", "d", "E2"),
			conflicts: []Conflict{
				{Base: []string{"a"}, Theirs: []string{"A1"}, Mine: []string{"A2"}, BaseStart: 1},
				{Base: []string{"e"}, Theirs: []string{"E1"}, Mine: []string{"E2"}, BaseStart: 5},
			}},

		// Deleting everything.
		{name: "theirs deleted everything, mine unchanged", base: base, theirs: "", mine: base, want: ""},
		{name: "both deleted everything", base: base, theirs: "", mine: "", want: ""},
		{name: "theirs deleted everything, mine edited", base: lines("a", "b"), theirs: "", mine: lines("a", "B"),
			conflicts: []Conflict{{Base: []string{"a", "b"}, Theirs: []string{}, Mine: []string{"a", "B"}, BaseStart: 1}}},
		{name: "mine deleted everything, theirs edited", base: lines("a", "b"), theirs: lines("A", "b"), mine: "",
			conflicts: []Conflict{{Base: []string{"a", "b"}, Theirs: []string{"A", "b"}, Mine: []string{}, BaseStart: 1}}},

		// Empty base: both created the page.
		{name: "created identically", base: "", theirs: lines("a", "b"), mine: lines("a", "b"), want: lines("a", "b")},
		{name: "created differently", base: "", theirs: lines("a", "b"), mine: lines("c"),
			conflicts:           []Conflict{{Base: []string{}, Theirs: []string{"a", "b"}, Mine: []string{"c"}, BaseStart: 1}},
			wantTextOnConflicts: "<<<<<<< theirs\na\nb\n=======\nc\n>>>>>>> mine\n"},
		{name: "created by one side", base: "", theirs: "", mine: "x", want: "x"},

		// Final newline.
		{name: "append after unterminated last line", base: "a\nb", theirs: "a\nb\nc", mine: "A\nb", want: "A\nb\nc"},
		{name: "theirs removes final newline", base: lines("a", "b"), theirs: "a\nb", mine: lines("A", "b"), want: "A\nb"},
		{name: "theirs adds final newline, mine edits last line", base: "a\nb", theirs: "a\nb\n", mine: "a\nB", want: "a\nB\n"},
		{name: "both remove final newline", base: lines("a", "b", "c"), theirs: "a\nb\nc", mine: "A\nb\nc", want: "A\nb\nc"},
		{name: "mine removes final newline and edits", base: lines("a", "b", "c"), theirs: lines("A", "b", "c"), mine: "a\nb\nC", want: "A\nb\nC"},
		{name: "deleting all text has no say on final newline", base: "a", theirs: "", mine: "a\nb", want: "b"},
		{name: "unterminated conflict keeps markers on their own lines", base: "a\nb", theirs: "a\nB1", mine: "a\nB2",
			conflicts:           []Conflict{{Base: []string{"b"}, Theirs: []string{"B1"}, Mine: []string{"B2"}, BaseStart: 2}},
			wantTextOnConflicts: "a\n<<<<<<< theirs\nB1\n=======\nB2\n>>>>>>> mine\n"},
		{name: "unterminated after conflict", base: "a\nb\nc", theirs: "A1\nb\nc", mine: "A2\nb\nc",
			conflicts:           []Conflict{{Base: []string{"a"}, Theirs: []string{"A1"}, Mine: []string{"A2"}, BaseStart: 1}},
			wantTextOnConflicts: "<<<<<<< theirs\nA1\n=======\nA2\n>>>>>>> mine\nb\nc"},

		// Line ends.
		{name: "CRLF everywhere", base: "a\r\nb\r\nc\r\n", theirs: "A\r\nb\r\nc\r\n", mine: "a\r\nb\r\nC\r\n", want: lines("A", "b", "C")},
		{name: "CRLF against LF", base: "a\r\nb\r\nc\r\n", theirs: lines("A", "b", "c"), mine: "a\r\nb\r\nC\r\n", want: lines("A", "b", "C")},
		{name: "CRLF only change", base: lines("a", "b"), theirs: "a\r\nb\r\n", mine: lines("a", "B"), want: lines("a", "B")},

		// Multi-byte text.
		{name: "diacritics and emoji", base: lines("Coördinatie", "Één café", "Gezin 👨‍👩‍👧‍👦", "Vlag 🇳🇱"),
			theirs: lines("Coördinatie", "Één café ☕", "Gezin 👨‍👩‍👧‍👦", "Vlag 🇳🇱"),
			mine:   lines("Coördinatie", "Één café", "Gezin 👨‍👩‍👧", "Vlag 🇳🇱"),
			want:   lines("Coördinatie", "Één café ☕", "Gezin 👨‍👩‍👧", "Vlag 🇳🇱")},
		{name: "emoji conflict", base: lines("ruïne", "👩‍💻"), theirs: lines("ruïne", "👩‍🔬"), mine: lines("ruïne", "👩‍🚀"),
			conflicts: []Conflict{{Base: []string{"👩‍💻"}, Theirs: []string{"👩‍🔬"}, Mine: []string{"👩‍🚀"}, BaseStart: 2}}},
		{name: "invalid UTF-8 passes through", base: lines("a\xff", "b"), theirs: lines("a\xfe", "b"), mine: lines("a\xff", "B"), want: lines("a\xfe", "B")},

		// Very long lines.
		{name: "100 KB lines, separate edits", base: longBase,
			theirs: lines("kop", long+"!", "midden", long+"tweede", "staart"),
			mine:   lines("kop", long, "midden", long+"tweede", "STAART"),
			want:   lines("kop", long+"!", "midden", long+"tweede", "STAART")},
		{name: "100 KB lines, same line", base: longBase,
			theirs: lines("kop", long, "midden", long+"tweede!", "staart"),
			mine:   lines("kop", long, "midden", "!"+long+"tweede", "staart"),
			conflicts: []Conflict{{Base: []string{long + "tweede"}, Theirs: []string{long + "tweede!"},
				Mine: []string{"!" + long + "tweede"}, BaseStart: 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Merge3(tt.base, tt.theirs, tt.mine, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkMerge(t, m)
			if tt.conflicts == nil {
				if m.Conflicts != 0 {
					t.Fatalf("%d conflicts, want none; text:\n%s", m.Conflicts, abbreviate(m.Text))
				}
				if m.Text != tt.want {
					t.Errorf("text = %q, want %q", abbreviate(m.Text), abbreviate(tt.want))
				}
				return
			}
			var got []Conflict
			for _, r := range m.Regions {
				if r.Conflict != nil {
					got = append(got, *r.Conflict)
				}
			}
			if !reflect.DeepEqual(got, tt.conflicts) {
				t.Errorf("conflicts:\n got %+v\nwant %+v", abbreviateConflicts(got), abbreviateConflicts(tt.conflicts))
			}
			if tt.wantTextOnConflicts != "" && m.Text != tt.wantTextOnConflicts {
				t.Errorf("text = %q, want %q", m.Text, tt.wantTextOnConflicts)
			}
		})
	}
}

func abbreviateConflicts(cs []Conflict) []Conflict {
	short := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = abbreviate(l)
		}
		return out
	}
	out := make([]Conflict, len(cs))
	for i, c := range cs {
		out[i] = Conflict{Base: short(c.Base), Theirs: short(c.Theirs), Mine: short(c.Mine), BaseStart: c.BaseStart}
	}
	return out
}

// checkMerge verifies the invariants of any MergeResult.
func checkMerge(t *testing.T, m *MergeResult) {
	t.Helper()
	var b strings.Builder
	n := 0
	for i, r := range m.Regions {
		b.WriteString(r.Text)
		if r.Conflict != nil {
			n++
		} else if r.Text == "" || (i > 0 && m.Regions[i-1].Conflict == nil) {
			t.Errorf("clean region %d is empty or follows another clean region", i)
		}
	}
	if b.String() != m.Text {
		t.Errorf("regions join to %q, Text is %q", abbreviate(b.String()), abbreviate(m.Text))
	}
	if n != m.Conflicts {
		t.Errorf("%d conflict regions, Conflicts = %d", n, m.Conflicts)
	}
}

// edit replaces base lines [start, end) with lines, on one side.
type edit struct {
	start, end int
	lines      []string
	theirs     bool
}

// applyEdits applies sorted, non-overlapping edits to base; it is the
// independent oracle for the property tests.
func applyEdits(base []string, edits []edit) []string {
	var out []string
	pos := 0
	for _, e := range edits {
		out = append(out, base[pos:e.start]...)
		out = append(out, e.lines...)
		pos = e.end
	}
	return append(out, base[pos:]...)
}

// randomEdits returns sorted edits of a base of n lines, each given to
// theirs or mine at random. Edits of one side always have an unchanged
// line between them (else they are one change). When adjacent is false,
// all edits do; when true, edits of different sides may touch, but two
// insertions never share a place.
func randomEdits(rng *rand.Rand, n int, adjacent bool) []edit {
	var edits []edit
	pos := 0
	lastEnd := map[bool]int{true: -2, false: -2}
	for id := 0; ; id++ {
		theirs := rng.IntN(2) == 0
		start := pos + rng.IntN(4)
		if len(edits) > 0 && !adjacent {
			start = max(start, edits[len(edits)-1].end+1)
		}
		start = max(start, lastEnd[theirs]+1)
		kind := rng.IntN(3) // 0 replace, 1 delete, 2 insert
		if start >= n {
			kind = 2
		}
		if kind == 2 && len(edits) > 0 {
			if prev := edits[len(edits)-1]; prev.start == prev.end && prev.end == start {
				start++
			}
		}
		if start > n {
			return edits
		}
		e := edit{start: start, end: start, theirs: theirs}
		if kind != 2 {
			e.end = min(start+1+rng.IntN(3), n)
		}
		if kind != 1 {
			for k := range 1 + rng.IntN(3) {
				side := "mine"
				if theirs {
					side = "theirs"
				}
				e.lines = append(e.lines, fmt.Sprintf("%s edit %d regel %d: één ✏️", side, id, k))
			}
		}
		edits = append(edits, e)
		pos = e.end
		lastEnd[theirs] = e.end
	}
}

// TestMerge3Property merges random edit sets whose edits do not overlap
// and checks that the merge is clean and equals applying all edits.
func TestMerge3Property(t *testing.T) {
	for _, adjacent := range []bool{false, true} {
		for seed := uint64(1); seed <= 1000; seed++ {
			if !checkProperty(t, seed, adjacent) {
				return
			}
		}
	}
}

func checkProperty(t *testing.T, seed uint64, adjacent bool) bool {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	n := rng.IntN(60)
	base := make([]string, n)
	for i := range base {
		base[i] = fmt.Sprintf("regel %d – café 👩‍💻 %d", i, rng.IntN(1000))
	}
	edits := randomEdits(rng, n, adjacent)
	var theirsEdits, mineEdits []edit
	for _, e := range edits {
		if e.theirs {
			theirsEdits = append(theirsEdits, e)
		} else {
			mineEdits = append(mineEdits, e)
		}
	}
	noEOL := rng.IntN(4) == 0
	join := func(ls []string) string { return joinLines(ls, noEOL) }
	b, th, mi := join(base), join(applyEdits(base, theirsEdits)), join(applyEdits(base, mineEdits))
	want := join(applyEdits(base, edits))
	if rng.IntN(5) == 0 { // CRLF on some sides must not matter
		th = strings.ReplaceAll(th, "\n", "\r\n")
	}
	m, err := Merge3(b, th, mi, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Conflicts != 0 || m.Text != want {
		t.Errorf("seed %d (adjacent %v): %d conflicts\nedits %+v\nbase %q\ntheirs %q\nmine %q\ngot  %q\nwant %q",
			seed, adjacent, m.Conflicts, edits, b, th, mi, m.Text, want)
		return false
	}
	checkMerge(t, m)
	// Swapping the sides gives the same text.
	if s, _ := Merge3(b, mi, th, Options{}); s.Conflicts != 0 || s.Text != want {
		t.Errorf("seed %d (adjacent %v): swapped sides give %q with %d conflicts, want %q", seed, adjacent, s.Text, s.Conflicts, want)
		return false
	}
	return true
}

// FuzzMerge3Edits runs the property test on fuzzer-chosen seeds.
func FuzzMerge3Edits(f *testing.F) {
	f.Add(uint64(1), false)
	f.Add(uint64(2), true)
	f.Fuzz(func(t *testing.T, seed uint64, adjacent bool) {
		checkProperty(t, seed, adjacent)
	})
}

// FuzzMerge3 checks that Merge3 never panics and that merges with an
// unchanged side give the other side. It calls merge3 too, which has no
// shortcut for those cases, so the algorithm itself is exercised.
func FuzzMerge3(f *testing.F) {
	seeds := [][3]string{
		{"a\nb\nc\n", "a\nB\nc\n", "a\nb\nC\n"},
		{"a\nb", "a\nb\n", "a\nB"},
		{"", "x", "y\n"},
		{"a\r\nb\r\n", "a\nb\n", "\r\n"},
		{"één\n👩‍💻\n", "een\n👩‍💻\n", "één\n👩‍🔬"},
		{"\n\n\n", "\n", "\n\n\n\n"},
		{"a\nb\na\nb\n", "a\nb\n", "b\na\n"},
		{"x\xff\n", "\xfe", "x\xff\ny"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, base, theirs, mine string) {
		m, err := Merge3(base, theirs, mine, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkMerge(t, m)
		if m.Conflicts == 0 {
			s, err := Merge3(base, mine, theirs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Conflicts != 0 || s.Text != m.Text {
				t.Errorf("swapped sides: %q (%d conflicts), want %q", s.Text, s.Conflicts, m.Text)
			}
		}
		b, th, mi := normalize(base), normalize(theirs), normalize(mine)
		deadline := time.Now().Add(time.Second)
		for _, c := range []struct {
			name               string
			base, theirs, mine string
			want               string
		}{
			{"x with itself", b, b, b, b},
			{"mine unchanged", b, th, b, th},
			{"theirs unchanged", b, b, mi, mi},
			{"same edit", b, th, th, th},
		} {
			for _, fn := range []func(b, t, m string) (*MergeResult, error){
				func(b, t, m string) (*MergeResult, error) { return Merge3(b, t, m, Options{}) },
				func(b, t, m string) (*MergeResult, error) { return merge3(b, t, m, deadline) },
			} {
				got, err := fn(c.base, c.theirs, c.mine)
				if err != nil {
					t.Fatal(err)
				}
				checkMerge(t, got)
				if got.Conflicts != 0 || got.Text != c.want {
					t.Errorf("%s: %q (%d conflicts), want %q", c.name, got.Text, got.Conflicts, c.want)
				}
			}
		}
	})
}

// FuzzCompare checks that a diff always rebuilds both texts and that
// Unified is empty exactly when the texts are equal.
func FuzzCompare(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc")
	f.Add("De aanvraag wordt binnen 8 weken beoordeeld", "De aanvraag wordt binnen 6 weken beoordeeld")
	f.Add("👩‍💻\r\n", "👩‍🔬\n\xff")
	f.Fuzz(func(t *testing.T, old, new string) {
		r, err := Compare(old, new, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, old, new, r)
		u, err := Unified(old, new, "a", "b", 3, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if (u == "") != (normalize(old) == normalize(new)) {
			t.Errorf("Unified = %q for old %q, new %q", u, old, new)
		}
	})
}

// TestMerge3Timeout checks that a merge whose diffs run out of time is
// coarser, never wrong: it may report conflicts, but clean text is right.
func TestMerge3Timeout(t *testing.T) {
	var base, theirs, mine, want strings.Builder
	for i := range 3000 {
		line := fmt.Sprintf("regel %d\n", i)
		base.WriteString(line)
		switch i % 100 {
		case 10:
			theirs.WriteString("theirs " + line)
			mine.WriteString(line)
			want.WriteString("theirs " + line)
		case 60:
			theirs.WriteString(line)
			mine.WriteString("mine " + line)
			want.WriteString("mine " + line)
		default:
			theirs.WriteString(line)
			mine.WriteString(line)
			want.WriteString(line)
		}
	}
	m, err := Merge3(base.String(), theirs.String(), mine.String(), Options{Timeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	checkMerge(t, m)
	if m.Conflicts == 0 && m.Text != want.String() {
		t.Errorf("clean merge after timeout is wrong")
	}
	t.Logf("%d conflicts after a timeout", m.Conflicts)
	m, err = Merge3(base.String(), theirs.String(), mine.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Conflicts != 0 || m.Text != want.String() {
		t.Errorf("merge with the default timeout: %d conflicts", m.Conflicts)
	}
}
