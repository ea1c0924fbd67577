package markdown

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"slices"
	"testing"
)

// renames returns a rename function for RewriteLinks that maps targets
// exactly as written, and records every target it is asked about.
func renames(m map[string]string, asked *[]string) func(string) (string, bool) {
	return func(target string) (string, bool) {
		if asked != nil {
			*asked = append(*asked, target)
		}
		to, ok := m[target]
		return to, ok
	}
}

func TestRewriteLinks(t *testing.T) {
	oldNew := map[string]string{"Oud": "Nieuw", "Map/Oud": "Archief/Één pagina"}
	tests := []struct {
		name   string
		src    string
		rename map[string]string // nil means oldNew
		want   string
		n      int
	}{
		{name: "plain", src: "[[Oud]]", want: "[[Nieuw]]", n: 1},
		{name: "label", src: "[[Oud|de oude pagina]]", want: "[[Nieuw|de oude pagina]]", n: 1},
		{name: "section", src: "[[Oud#Tweede Sectie]]", want: "[[Nieuw#Tweede Sectie]]", n: 1},
		{name: "section and label", src: "[[Oud#Kop|hier]]", want: "[[Nieuw#Kop|hier]]", n: 1},
		{name: "escaped pipe outside table", src: `[[Oud\|label]]`, want: `[[Nieuw\|label]]`, n: 1},
		{name: "escaped pipe in table", src: "| a | b |\n|---|---|\n| [[Oud\\|label]] | [[Oud]] |\n",
			want: "| a | b |\n|---|---|\n| [[Nieuw\\|label]] | [[Nieuw]] |\n", n: 2},
		{name: "table header", src: "| [[Oud]] |\n|---|\n| x |\n", want: "| [[Nieuw]] |\n|---|\n| x |\n", n: 1},
		{name: "spaces kept", src: "[[  Oud  #  Kop  |  label  ]]", want: "[[  Nieuw  #  Kop  |  label  ]]", n: 1},
		{name: "empty label", src: "[[Oud|]]", want: "[[Nieuw|]]", n: 1},
		{name: "folder", src: "[[Map/Oud]] [[Oud]]", want: "[[Archief/Één pagina]] [[Nieuw]]", n: 2},
		{name: "same-page section", src: "[[#Oud]] [[Oud]]", want: "[[#Oud]] [[Nieuw]]", n: 1},
		{name: "several on a line", src: "[[Oud]], [[Ander]] en [[Oud|x]][[Oud#y]].", want: "[[Nieuw]], [[Ander]] en [[Nieuw|x]][[Nieuw#y]].", n: 3},
		{name: "list", src: "- [[Oud]]\n- [ ] [[Oud|taak]]\n  1. *[[Oud]]*\n", want: "- [[Nieuw]]\n- [ ] [[Nieuw|taak]]\n  1. *[[Nieuw]]*\n", n: 3},
		{name: "headings", src: "# [[Oud]]\n\nZie\n=== \n\n## Over [[Oud|oud]] ##\n\nOver [[Oud]]\n---\n",
			want: "# [[Nieuw]]\n\nZie\n=== \n\n## Over [[Nieuw|oud]] ##\n\nOver [[Nieuw]]\n---\n", n: 3},
		{name: "footnotes", src: "Tekst[^1] en [[Oud]].\n\n[^1]: Zie [[Oud|daar]].\n\nSlot [[Oud]]\n",
			want: "Tekst[^1] en [[Nieuw]].\n\n[^1]: Zie [[Nieuw|daar]].\n\nSlot [[Nieuw]]\n", n: 3},
		{name: "blockquote", src: "> [[Oud]]\n>\n> > [[Oud]]\n> - [[Oud]]\n", want: "> [[Nieuw]]\n>\n> > [[Nieuw]]\n> - [[Nieuw]]\n", n: 3},
		{name: "tabs", src: ">\t[[Oud]]\n-\t[[Oud]]\n\n\t- [[Oud]]\n", want: ">\t[[Nieuw]]\n-\t[[Nieuw]]\n\n\t- [[Nieuw]]\n", n: 3},
		{name: "code span", src: "`[[Oud]]` [[Oud]] ``a [[Oud]]``", want: "`[[Oud]]` [[Nieuw]] ``a [[Oud]]``", n: 1},
		{name: "fenced code", src: "```\n[[Oud]]\n```\n~~~go\n// [[Oud]]\n~~~\n[[Oud]]\n", want: "```\n[[Oud]]\n```\n~~~go\n// [[Oud]]\n~~~\n[[Nieuw]]\n", n: 1},
		{name: "indented code", src: "    [[Oud]]\n\n[[Oud]]\n", want: "    [[Oud]]\n\n[[Nieuw]]\n", n: 1},
		{name: "escaped", src: `\[[Oud]] \\[[Oud]]`, want: `\[[Oud]] \\[[Nieuw]]`, n: 1},
		{name: "raw HTML", src: "<div>\n[[Oud]]\n</div>\n\n<span title=\"[[Oud]]\">[[Oud]]</span>\n", want: "<div>\n[[Oud]]\n</div>\n\n<span title=\"[[Oud]]\">[[Nieuw]]</span>\n", n: 1},
		{name: "in Markdown link", src: "[zie [[Oud]]](https://example.com) [x](/u \"[[Oud]]\")", want: "[zie [[Oud]]](https://example.com) [x](/u \"[[Oud]]\")", n: 0},
		{name: "autolink and URL", src: "<https://x.nl/[[Oud]]> https://x.nl/[[Oud]] www.x.nl [[Oud]]", want: "<https://x.nl/[[Oud]]> https://x.nl/[[Oud]] www.x.nl [[Nieuw]]", n: 1},
		{name: "not links", src: "[[Oud [[Oud\n]] [[a]Oud]] [[[Oud]]]", want: "[[Oud [[Oud\n]] [[a]Oud]] [[[Nieuw]]]", n: 1},
		{name: "TOC marker", src: "[[_TOC_]]\n\n[[_TOC_|inhoud]]\n", rename: map[string]string{"_TOC_": "X"}, want: "[[_TOC_]]\n\n[[X|inhoud]]\n", n: 1},
		{name: "front matter", src: "---\ntitle: \"[[Oud]]\"\ntags: [a]\n---\n[[Oud]] en [[Oud|x]]\n", want: "---\ntitle: \"[[Oud]]\"\ntags: [a]\n---\n[[Nieuw]] en [[Nieuw|x]]\n", n: 2},
		{name: "malformed front matter", src: "---\ntitle: [[Oud]] [open\n---\n[[Oud]]\n", want: "---\ntitle: [[Oud]] [open\n---\n[[Nieuw]]\n", n: 1},
		{name: "guarded thematic break", src: "---\n[[Oud]] staat [[Oud|hier]]\n", want: "---\n[[Nieuw]] staat [[Nieuw|hier]]\n", n: 2},
		{name: "CRLF", src: "---\r\ntitle: T\r\n---\r\n[[Oud]]\r\n\r\n| a |\r\n|---|\r\n| [[Oud\\|b]] |\r\n", want: "---\r\ntitle: T\r\n---\r\n[[Nieuw]]\r\n\r\n| a |\r\n|---|\r\n| [[Nieuw\\|b]] |\r\n", n: 2},
		{name: "multi-byte text before", src: "Één café, ĳs en 🎉👩‍👩‍👧: [[Oud]] ë [[Map/Oud|ü]]", want: "Één café, ĳs en 🎉👩‍👩‍👧: [[Nieuw]] ë [[Archief/Één pagina|ü]]", n: 2},
		{name: "multi-byte target", src: "[[Één]]", rename: map[string]string{"Één": "Twee 🎉"}, want: "[[Twee 🎉]]", n: 1},
		{name: "shorter and longer", src: "[[Oud]] [[Lange naam]]", rename: map[string]string{"Oud": "A much longer name", "Lange naam": "K"}, want: "[[A much longer name]] [[K]]", n: 2},
		{name: "not renamed", src: "[[Ander]] [[oud]] [[Oude]]", want: "[[Ander]] [[oud]] [[Oude]]", n: 0},
		{name: "unwritable targets", src: "[[Oud]] [[Oud|x]] [[Oud#s]]",
			rename: map[string]string{"Oud": "C#"}, want: "[[Oud]] [[Oud|x]] [[Oud#s]]", n: 0},
		{name: "trailing backslash", src: `[[Oud]] [[Oud|x]] [[Oud#s|x]]`,
			rename: map[string]string{"Oud": `a\`}, want: `[[Oud]] [[Oud|x]] [[a\#s|x]]`, n: 1},
		{name: "empty document", src: "", want: "", n: 0},
	}
	r := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.rename
			if m == nil {
				m = oldNew
			}
			got, n := r.RewriteLinks([]byte(tt.src), renames(m, nil))
			if string(got) != tt.want || n != tt.n {
				t.Errorf("RewriteLinks(%q)\n = %q, %d\nwant %q, %d", tt.src, got, n, tt.want, tt.n)
			}
		})
	}
}

// TestRewriteLinksUnwritable checks that a new target that would not
// read back as itself is never written.
func TestRewriteLinksUnwritable(t *testing.T) {
	long := string(bytes.Repeat([]byte("a"), maxWikiLinkLen))
	r := New()
	for _, to := range []string{"", "a|b", "a#b", "a]]b", "a]b", "a[b", "a\nb", "a\rb", " a", "a ", "\ta", long} {
		src := "[[Oud]] [[Oud|x]] [[Oud#s]] | [[Oud\\|y]] |"
		got, n := r.RewriteLinks([]byte(src), renames(map[string]string{"Oud": to}, nil))
		if string(got) != src || n != 0 {
			t.Errorf("rename to %q: %q, %d", to, got, n)
		}
	}
}

// TestRewriteLinksAsksAsWritten checks that rename sees each target as
// the parser trims it, once per link, and nothing else.
func TestRewriteLinksAsksAsWritten(t *testing.T) {
	var asked []string
	src := "[[ A ]] [[b#c]] [[#d]] `[[e]]` [[ F \\|g]] [[A]]\n\n[^1]: [[h]]\n\n[[i]][^1]"
	got, n := New().RewriteLinks([]byte(src), renames(nil, &asked))
	if string(got) != src || n != 0 {
		t.Errorf("= %q, %d", got, n)
	}
	// In the order written, although goldmark moves footnotes to the end.
	want := []string{"A", "b", "F", "A", "h", "i"}
	slices.Sort(asked)
	slices.Sort(want)
	if !reflect.DeepEqual(asked, want) {
		t.Errorf("asked %q, want %q", asked, want)
	}
}

// TestRewriteLinksKeepsSrc checks that src is not modified, and is
// returned as is when nothing changes.
func TestRewriteLinksKeepsSrc(t *testing.T) {
	src := []byte("[[Oud]] en [[Ander]]")
	orig := bytes.Clone(src)
	r := New()
	got, _ := r.RewriteLinks(src, renames(map[string]string{"Oud": "Nieuw"}, nil))
	if !bytes.Equal(src, orig) || string(got) != "[[Nieuw]] en [[Ander]]" {
		t.Errorf("src %q, got %q", src, got)
	}
	same, _ := r.RewriteLinks(src, renames(nil, nil))
	if &same[0] != &src[0] {
		t.Error("unchanged result is a copy")
	}
}

// TestLinks checks that Links agrees with Render's Document.Links.
func TestLinks(t *testing.T) {
	page, err := os.ReadFile("testdata/page.md")
	if err != nil {
		t.Fatal(err)
	}
	r := New()
	for _, src := range append(rewriteSeeds(), string(page)) {
		if d := render(t, r, src, nil); !reflect.DeepEqual(r.Links([]byte(src)), d.Links) {
			t.Errorf("Links(%q) = %q, Render gives %q", src, r.Links([]byte(src)), d.Links)
		}
	}
	// Render takes a leading h1 out as the title; its links still count
	// for renames.
	if got := r.Links([]byte("# Over [[A]]\n\n[[B]]")); !reflect.DeepEqual(got, []string{"A", "B"}) {
		t.Errorf("Links with title = %q", got)
	}
}

// rewriteSeeds are the pages of TestRewriteLinks, also the fuzz corpus.
func rewriteSeeds() []string {
	return []string{
		"[[Oud]] [[Oud|label]] [[Oud#Sec]] [[Oud#Sec|l]] [[#Sec]] [[Oud\\|l]]",
		"| a | b |\n|---|---|\n| [[Oud\\|label]] | [[Oud]] `[[Oud]]` |\n",
		"- [[Oud]]\n- [ ] [[Oud|taak]]\n  1. *[[Oud]]*\n\n> [[Oud]]\n>\n> > [[Oud]]\n",
		"## Over [[Oud|oud]] ##\n\nOver [[Oud]]\n---\n",
		"Tekst[^1] en [[Oud]].\n\n[^1]: Zie [[Oud|daar]].\n\nSlot [[B]]\n",
		"`[[Oud]]` ```\n[[Oud]]\n```\n\n    [[Oud]]\n\n\\[[Oud]] [zie [[Oud]]](/x)\n",
		"---\ntitle: \"[[Oud]]\"\n---\n[[Oud]]\n",
		"---\n[[Oud]] staat hier\n",
		"---\r\ntitle: T\r\n---\r\n[[Oud]]\r\n",
		"Één café 🎉👩‍👩‍👧: [[Oud]] ë [[Map/Oud|ü]]",
		"[[_TOC_]]\n\n<span>[[Oud]]</span> https://x.nl/[[Oud]]",
	}
}

// FuzzRewriteLinks checks, for any page, that rewriting changes only link
// targets: an identity or empty mapping leaves the page as it is, and
// renaming one target X to Y gives the same links with Y for X, which
// renaming back turns into the original page.
func FuzzRewriteLinks(f *testing.F) {
	for _, s := range rewriteSeeds() {
		f.Add(s)
	}
	const y = "Nieuwe pagina é"
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		spans, skipped := r.targetSpans([]byte(src))
		if skipped > 0 {
			t.Fatalf("%d links of %q not found in the source", skipped, src)
		}

		// Identity: every link is rewritten, to the same bytes.
		var asked []string
		got, n := r.RewriteLinks([]byte(src), func(target string) (string, bool) {
			asked = append(asked, target)
			return target, true
		})
		if string(got) != src || n != len(spans) || len(asked) != len(spans) {
			t.Fatalf("identity on %q: %q, %d of %d links", src, got, n, len(spans))
		}

		// Nothing renamed.
		if got, n := r.RewriteLinks([]byte(src), renames(nil, nil)); string(got) != src || n != 0 {
			t.Fatalf("no renames on %q: %q, %d", src, got, n)
		}

		if len(spans) == 0 {
			return
		}
		x := spans[0].target
		if x == y {
			return
		}
		occurrences := 0
		for _, s := range spans {
			if s.target == x {
				occurrences++
				if s.bodyStop-s.bodyStart+len(y) > maxWikiLinkLen-10 {
					return // too long to take y; covered by TestRewriteLinksUnwritable
				}
			}
		}
		got, n = r.RewriteLinks([]byte(src), renames(map[string]string{x: y}, nil))
		if n != occurrences {
			t.Fatalf("%q -> %q in %q: rewrote %d of %d links:\n%q", x, y, src, n, occurrences, got)
		}
		var want []string
		for _, l := range r.Links([]byte(src)) {
			if l == x {
				l = y
			}
			if !slices.Contains(want, l) {
				want = append(want, l)
			}
		}
		if links := r.Links(got); !reflect.DeepEqual(links, want) {
			t.Fatalf("%q -> %q in %q:\n%q\nhas links %q, want %q", x, y, src, got, links, want)
		}
		// Render leaves out a leading h1 that holds the title, which may
		// come or go with its text; what it lists is a subset of want.
		if doc, err := r.Render(context.Background(), got, nil); err == nil {
			for _, l := range doc.Links {
				if !slices.Contains(want, l) {
					t.Fatalf("%q -> %q in %q:\n%q\nrenders link %q, want only %q", x, y, src, got, l, want)
				}
			}
		}
		if !bytes.Contains([]byte(src), []byte(y)) {
			back, m := r.RewriteLinks(got, renames(map[string]string{y: x}, nil))
			if string(back) != src || m != n {
				t.Fatalf("%q -> %q -> %q in %q: %q, %d links back of %d", x, y, x, src, back, m, n)
			}
		}
	})
}
