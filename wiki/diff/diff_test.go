package diff

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// render shows a diff as lines "<op><old>,<new> <text>", spans in [brackets].
func render(r *Result) []string {
	var out []string
	for _, l := range r.Lines {
		op := map[Op]string{Equal: " ", Insert: "+", Delete: "-"}[l.Op]
		text := l.Text
		if l.Spans != nil {
			text = renderSpans(l.Spans)
		}
		out = append(out, op+strconv.Itoa(l.Old)+","+strconv.Itoa(l.New)+" "+text)
	}
	return out
}

func renderSpans(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		if s.Changed {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name           string
		old, new       string
		want           []string
		added, removed int
	}{
		{"equal", "a\nb\n", "a\nb\n", []string{" 1,1 a", " 2,2 b"}, 0, 0},
		{"both empty", "", "", nil, 0, 0},
		{"modify middle", "a\nb\nc\n", "a\nB\nc\n",
			[]string{" 1,1 a", "-2,0 [b]", "+0,2 [B]", " 3,3 c"}, 1, 1},
		{"create", "", "a\nb\n", []string{"+0,1 a", "+0,2 b"}, 2, 0},
		{"delete all", "a\nb\n", "", []string{"-1,0 a", "-2,0 b"}, 0, 2},
		{"insert and delete", "a\nb\nc\n", "x\na\nc\n",
			[]string{"+0,1 x", " 1,2 a", "-2,0 b", " 3,3 c"}, 1, 1},
		{"more deleted than inserted", "a\nb\nc\nd\n", "a\nB\nd\n",
			[]string{" 1,1 a", "-2,0 [b]", "-3,0 c", "+0,2 [B]", " 4,3 d"}, 1, 2},
		{"final newline added", "a\nb", "a\nb\n",
			[]string{" 1,1 a", "-2,0 b", "+0,2 b"}, 1, 1},
		{"CRLF equals LF", "a\r\nb\r\n", "a\nb\n", []string{" 1,1 a", " 2,2 b"}, 0, 0},
		{"lone CR kept", "a\rb\n", "a\nb\n",
			[]string{"-1,0 a[\rb]", "+0,1 a", "+0,2 b"}, 2, 1},
		{"Dutch sentence", "De aanvraag wordt binnen 8 weken beoordeeld\n", "De aanvraag wordt binnen 6 weken beoordeeld\n",
			[]string{"-1,0 De aanvraag wordt binnen [8] weken beoordeeld", "+0,1 De aanvraag wordt binnen [6] weken beoordeeld"}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compare(tt.old, tt.new, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := render(r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lines:\n got %q\nwant %q", got, tt.want)
			}
			if r.Added != tt.added || r.Removed != tt.removed {
				t.Errorf("added/removed = %d/%d, want %d/%d", r.Added, r.Removed, tt.added, tt.removed)
			}
			checkResult(t, tt.old, tt.new, r)
		})
	}
}

// checkResult verifies the invariants of any Result: both texts can be
// rebuilt from it, line numbers count up, and spans join to the line.
func checkResult(t *testing.T, old, new string, r *Result) {
	t.Helper()
	old, new = normalize(old), normalize(new)
	var o, n []string
	oldN, newN := 0, 0
	for _, l := range r.Lines {
		if l.Op != Insert {
			oldN++
			o = append(o, l.Text)
			if l.Old != oldN {
				t.Errorf("line %q: Old = %d, want %d", l.Text, l.Old, oldN)
			}
		} else if l.Old != 0 {
			t.Errorf("inserted line %q has Old = %d", l.Text, l.Old)
		}
		if l.Op != Delete {
			newN++
			n = append(n, l.Text)
			if l.New != newN {
				t.Errorf("line %q: New = %d, want %d", l.Text, l.New, newN)
			}
		} else if l.New != 0 {
			t.Errorf("deleted line %q has New = %d", l.Text, l.New)
		}
		if l.Spans != nil {
			var b strings.Builder
			for i, s := range l.Spans {
				if s.Text == "" || (i > 0 && l.Spans[i-1].Changed == s.Changed) {
					t.Errorf("line %q: spans not minimal: %+v", l.Text, l.Spans)
				}
				b.WriteString(s.Text)
			}
			if b.String() != l.Text {
				t.Errorf("spans %+v do not join to line %q", l.Spans, l.Text)
			}
		}
	}
	if got := joinLines(o, r.oldNoEOL); got != old {
		t.Errorf("old rebuilt as %q, want %q", got, old)
	}
	if got := joinLines(n, r.newNoEOL); got != new {
		t.Errorf("new rebuilt as %q, want %q", got, new)
	}
}

func joinLines(lines []string, noEOL bool) string {
	if len(lines) == 0 {
		return ""
	}
	s := strings.Join(lines, "\n")
	if !noEOL {
		s += "\n"
	}
	return s
}

func TestWordSpans(t *testing.T) {
	tests := []struct {
		name         string
		a, b         string
		wantA, wantB string
	}{
		{"number", "De aanvraag wordt binnen 8 weken beoordeeld", "De aanvraag wordt binnen 6 weken beoordeeld",
			"De aanvraag wordt binnen [8] weken beoordeeld", "De aanvraag wordt binnen [6] weken beoordeeld"},
		{"neighbouring words are one change", "binnen 8 weken beoordeeld", "binnen 6 dagen beoordeeld",
			"binnen [8 weken] beoordeeld", "binnen [6 dagen] beoordeeld"},
		{"diacritics are letters", "Hij is één keer geweest, zeiden ze", "Hij is twee keer geweest, zeiden ze",
			"Hij is [één] keer geweest, zeiden ze", "Hij is [twee] keer geweest, zeiden ze"},
		{"combining accent stays in its word", "de cafe\u0301 is open", "de cafe is open",
			"de [cafe\u0301] is open", "de [cafe] is open"},
		{"diaeresis", "coördinatie en reünie", "coordinatie en reünie",
			"[coördinatie] en reünie", "[coordinatie] en reünie"},
		{"ZWJ emoji is one token", "Team 👩‍💻 klaar", "Team 👩‍🔬 klaar",
			"Team [👩‍💻] klaar", "Team [👩‍🔬] klaar"},
		{"skin tone is part of the emoji", "Goed 👍🏽 gedaan", "Goed 👍🏿 gedaan",
			"Goed [👍🏽] gedaan", "Goed [👍🏿] gedaan"},
		{"flag is one token", "Taal: 🇳🇱 Nederlands", "Taal: 🇧🇪 Nederlands",
			"Taal: [🇳🇱] Nederlands", "Taal: [🇧🇪] Nederlands"},
		{"punctuation", "Zie [de regels](Regels).", "Zie [de regels](Regels)!",
			"Zie [de regels](Regels)[.]", "Zie [de regels](Regels)[!]"},
		{"word added", "Meld je aan", "Meld je vandaag aan", "Meld je aan", "Meld je [vandaag ]aan"},
		{"nothing in common", "alpha beta", "gamma delta", "[alpha beta]", "[gamma delta]"},
		{"empty old", "", "nieuw", "", "[nieuw]"},
		{"same text", "gelijk", "gelijk", "gelijk", "gelijk"},
		{"invalid UTF-8 kept", "a \xff b", "a \xfe b", "a [\xff] b", "a [\xfe] b"},
		{"CJK per character", "我喜欢猫", "我喜欢狗", "我喜欢[猫]", "我喜欢[狗]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sa, sb := wordSpans(tt.a, tt.b, time.Now().Add(time.Second))
			if sa == nil || sb == nil {
				t.Fatalf("spans of a pair must not be nil")
			}
			if got := renderSpans(sa); got != tt.wantA {
				t.Errorf("old spans %q, want %q", got, tt.wantA)
			}
			if got := renderSpans(sb); got != tt.wantB {
				t.Errorf("new spans %q, want %q", got, tt.wantB)
			}
		})
	}
}

func TestWordSpansExpiredDeadline(t *testing.T) {
	sa, sb := wordSpans("een twee", "een drie", time.Now().Add(-time.Second))
	if want := []Span{{"een twee", true}}; !reflect.DeepEqual(sa, want) {
		t.Errorf("old spans %+v, want %+v", sa, want)
	}
	if want := []Span{{"een drie", true}}; !reflect.DeepEqual(sb, want) {
		t.Errorf("new spans %+v, want %+v", sb, want)
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"De  aanvraag, 8 weken!", []string{"De", "  ", "aanvraag", ",", " ", "8", " ", "weken", "!"}},
		{"ruïne één_twee", []string{"ruïne", " ", "één_twee"}},
		{"👨‍👩‍👧‍👦x", []string{"👨‍👩‍👧‍👦", "x"}},
		{"1️⃣🇳🇱🇧🇪", []string{"1\ufe0f\u20e3", "🇳🇱", "🇧🇪"}},
		{"🏴󠁧󠁢󠁳󠁣󠁴󠁿!", []string{"🏴󠁧󠁢󠁳󠁣󠁴󠁿", "!"}},
		{"a\xffb", []string{"a", "\xff", "b"}},
		{"日本語", []string{"日", "本", "語"}},
	}
	for _, tt := range tests {
		got := tokenize(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCompareLimits(t *testing.T) {
	big := strings.Repeat("x", 101)
	for _, args := range [][2]string{{big, "a"}, {"a", big}} {
		if _, err := Compare(args[0], args[1], Options{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Compare over MaxBytes: err = %v, want ErrTooLarge", err)
		}
	}
	if _, err := Unified(big, "", "a", "b", 3, Options{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Unified over MaxBytes: err = %v, want ErrTooLarge", err)
	}
	if _, err := Merge3("", "", big, Options{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Merge3 over MaxBytes: err = %v, want ErrTooLarge", err)
	}
	// More lines than go-diff can number must be refused, not panic.
	many := strings.Repeat("\n", maxLines)
	if _, err := Compare(many, "x", Options{MaxBytes: 4 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Compare with %d lines: err = %v, want ErrTooLarge", maxLines, err)
	}
	// The default limit takes a 2 MiB page.
	page := strings.Repeat("Een regel tekst van een wikipagina.\n", (2<<20)/36)
	if _, err := Compare(page, page+"x\n", Options{}); err != nil {
		t.Errorf("Compare of a %d byte page: %v", len(page), err)
	}
}

func TestCompareLongLine(t *testing.T) {
	long := strings.Repeat("woord ", 100<<10/6)
	changed := long[:len(long)/2] + "ANDERS " + long[len(long)/2:]
	r, err := Compare("kop\n"+long+"\nstaart\n", "kop\n"+changed+"\nstaart\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, "kop\n"+long+"\nstaart\n", "kop\n"+changed+"\nstaart\n", r)
	if r.Added != 1 || r.Removed != 1 {
		t.Fatalf("added/removed = %d/%d, want 1/1", r.Added, r.Removed)
	}
	var changedText []string
	for _, s := range r.Lines[2].Spans {
		if s.Changed {
			changedText = append(changedText, s.Text)
		}
	}
	if len(changedText) != 1 || strings.TrimSpace(changedText[0]) != "ANDERS" {
		t.Errorf("changed spans of the long line = %q, want just ANDERS", changedText)
	}
}

func TestCompareTimeout(t *testing.T) {
	// A tiny timeout must still give a correct (if coarse) diff.
	var a, b strings.Builder
	for i := range 3000 {
		a.WriteString("regel " + strconv.Itoa(i) + "\n")
		if i%7 != 0 {
			b.WriteString("regel " + strconv.Itoa(i) + "\n")
		} else {
			b.WriteString("gewijzigd " + strconv.Itoa(i) + "\n")
		}
	}
	r, err := Compare(a.String(), b.String(), Options{Timeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, a.String(), b.String(), r)
}

func TestHunks(t *testing.T) {
	var lines []string
	for i := 1; i <= 20; i++ {
		lines = append(lines, "l"+strconv.Itoa(i))
	}
	old := strings.Join(lines, "\n") + "\n"
	changed := append([]string(nil), lines...)
	changed[4] = "L5"   // line 5
	changed[14] = "L15" // line 15
	new := strings.Join(changed, "\n") + "\n"
	r, err := Compare(old, new, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type header struct{ os, ol, ns, nl, n int }
	headers := func(hs []Hunk) []header {
		var out []header
		for _, h := range hs {
			out = append(out, header{h.OldStart, h.OldLines, h.NewStart, h.NewLines, len(h.Lines)})
		}
		return out
	}
	tests := []struct {
		context int
		want    []header
	}{
		{3, []header{{2, 7, 2, 7, 8}, {12, 7, 12, 7, 8}}},
		{4, []header{{1, 9, 1, 9, 10}, {11, 9, 11, 9, 10}}},
		{5, []header{{1, 20, 1, 20, 22}}}, // 9 equal lines between: 2*5 >= 9
		{0, []header{{5, 1, 5, 1, 2}, {15, 1, 15, 1, 2}}},
		{-1, []header{{5, 1, 5, 1, 2}, {15, 1, 15, 1, 2}}},
		{100, []header{{1, 20, 1, 20, 22}}},
	}
	for _, tt := range tests {
		if got := headers(r.Hunks(tt.context)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Hunks(%d) = %v, want %v", tt.context, got, tt.want)
		}
	}

	// Pure insertions and deletions use the "line before" convention.
	r, _ = Compare("a\nb\n", "a\nx\nb\n", Options{})
	if got, want := headers(r.Hunks(0)), []header{{1, 0, 2, 1, 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("insertion hunk = %v, want %v", got, want)
	}
	r, _ = Compare("", "a\n", Options{})
	if got, want := headers(r.Hunks(3)), []header{{0, 0, 1, 1, 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("creation hunk = %v, want %v", got, want)
	}
	r, _ = Compare("a\nb\n", "b\n", Options{})
	if got, want := headers(r.Hunks(0)), []header{{1, 1, 0, 0, 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("deletion hunk = %v, want %v", got, want)
	}
	r, _ = Compare("a\n", "a\n", Options{})
	if hs := r.Hunks(3); hs != nil {
		t.Errorf("Hunks of equal texts = %v, want nil", hs)
	}
}

// TestCompareManyLines crosses the line counts where go-diff's line runes
// change encoding length and skip the surrogate range.
func TestCompareManyLines(t *testing.T) {
	var a, b strings.Builder
	for i := range 70000 {
		line := "r" + strconv.Itoa(i) + "\n"
		a.WriteString(line)
		if i%1000 == 999 {
			b.WriteString("x" + line)
		} else {
			b.WriteString(line)
		}
	}
	r, err := Compare(a.String(), b.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, a.String(), b.String(), r)
	if r.Added != 70 || r.Removed != 70 {
		t.Errorf("added/removed = %d/%d, want 70/70", r.Added, r.Removed)
	}
}

func TestCompareLinesOnly(t *testing.T) {
	old, new := "De aanvraag wordt binnen 8 weken beoordeeld\nslot\n", "De aanvraag wordt binnen 6 weken beoordeeld\nslot\n"
	full, err := Compare(old, new, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := Compare(old, new, Options{LinesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Lines) != len(lines.Lines) || full.Added != lines.Added || full.Removed != lines.Removed {
		t.Fatalf("LinesOnly changes the lines: %+v vs %+v", lines, full)
	}
	for i, l := range lines.Lines {
		if l.Spans != nil {
			t.Errorf("line %d has spans with LinesOnly", i)
		}
		if l.Op != full.Lines[i].Op || l.Old != full.Lines[i].Old || l.New != full.Lines[i].New {
			t.Errorf("line %d differs", i)
		}
	}
	if full.Lines[0].Spans == nil {
		t.Error("without LinesOnly a modified line has spans")
	}
}
