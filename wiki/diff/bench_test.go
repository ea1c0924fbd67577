package diff

import (
	"fmt"
	"strings"
	"testing"
)

// benchPage returns a 1,000-line Markdown page, with the lines at the
// given indexes rewritten.
func benchPage(edited map[int]string) string {
	var b strings.Builder
	for i := range 1000 {
		if s, ok := edited[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		switch i % 10 {
		case 0:
			fmt.Fprintf(&b, "## Paragraaf %d\n", i/10)
		case 5:
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, "- Punt %d: de aanvraag wordt binnen 8 weken beoordeeld door het WMO-loket (zie [regels](Regels)).\n", i)
		}
	}
	return b.String()
}

// scatteredEdits returns n edits spread over the page, starting at offset.
func scatteredEdits(n, offset int, word string) map[int]string {
	edits := make(map[int]string)
	for k := range n {
		i := offset + k*1000/n
		edits[i] = fmt.Sprintf("- Punt %d: de aanvraag wordt binnen 6 weken %s door het WMO-loket.", i, word)
	}
	return edits
}

func BenchmarkCompare(b *testing.B) {
	old, new := benchPage(nil), benchPage(scatteredEdits(20, 3, "beoordeeld"))
	b.SetBytes(int64(len(old) + len(new)))
	for b.Loop() {
		if _, err := Compare(old, new, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnified(b *testing.B) {
	old, new := benchPage(nil), benchPage(scatteredEdits(20, 3, "beoordeeld"))
	b.SetBytes(int64(len(old) + len(new)))
	for b.Loop() {
		if _, err := Unified(old, new, "a/Page.md", "b/Page.md", 3, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMerge3(b *testing.B) {
	// 20 scattered edits, alternately by each side, never on the same line.
	base := benchPage(nil)
	theirs := benchPage(scatteredEdits(10, 3, "bekeken"))
	mine := benchPage(scatteredEdits(10, 53, "gewogen"))
	b.SetBytes(int64(len(base) + len(theirs) + len(mine)))
	for b.Loop() {
		m, err := Merge3(base, theirs, mine, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if m.Conflicts != 0 {
			b.Fatalf("%d conflicts", m.Conflicts)
		}
	}
}
