package markdown

import (
	"context"
	"os"
	"testing"
)

// BenchmarkRender renders a realistic page of about 5 KB with tables,
// code, footnotes, a TOC and wikilinks.
func BenchmarkRender(b *testing.B) {
	src, err := os.ReadFile("testdata/page.md")
	if err != nil {
		b.Fatal(err)
	}
	r := New()
	resolve := testResolver("Handboek WMO", "Systemen/Zaaksysteem")
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(context.Background(), src, resolve); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchmarkPage checks that the benchmark page renders as intended, so
// the benchmark measures the real thing.
func TestBenchmarkPage(t *testing.T) {
	src, err := os.ReadFile("testdata/page.md")
	if err != nil {
		t.Fatal(err)
	}
	d := render(t, New(), string(src), testResolver("Handboek WMO"))
	if d.Title != "Ontwerp WMO-loket" || len(d.Tags) != 3 || len(d.Links) != 8 {
		t.Errorf("Title %q, Tags %q, Links %q", d.Title, d.Tags, d.Links)
	}
	for _, tag := range []string{"nav", "table", "pre", "input", "blockquote"} {
		if len(elements(t, string(d.HTML), tag)) == 0 {
			t.Errorf("no <%s>", tag)
		}
	}
	anchorsResolve(t, d)
	if p := unsafeHTML(t, string(d.HTML)); len(p) > 0 {
		t.Errorf("unsafe: %v", p)
	}
}
