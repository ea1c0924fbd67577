package markdown

import (
	"context"
	"strings"
	"testing"
)

// testPathResolver resolves like the wiki does for a page in folder "A":
// "x.md" to a page, anything else to a file; only the given paths exist.
func testPathResolver(calls *[]string, existing ...string) PathResolver {
	return func(p string) Link {
		*calls = append(*calls, p)
		if strings.HasPrefix(p, "../../") {
			return Link{}
		}
		for _, e := range existing {
			if e == p {
				return Link{URL: "/-/files/A/" + p, Exists: true}
			}
		}
		return Link{URL: "/-/files/A/" + p}
	}
}

func TestRelativeLinksAndImages(t *testing.T) {
	var calls []string
	src := "![reis](Ontwerp/klantreis.png) [doc](Ontwerp/doc.pdf#p2) [weg](weg.pdf) [weg2](weg.pdf)\n\n" +
		"[ext](https://example.org/x.png) ![ext](https://example.org/y.png) [abs](/Beleid) [anker](#kop) " +
		"[js](javascript:alert(1)) [boven](../../x.png) [spatie](Ontwerp/klant%20reis.png)\n"
	doc, err := New().RenderPage(context.Background(), []byte(src), nil, testPathResolver(&calls, "Ontwerp/klantreis.png", "Ontwerp/doc.pdf", "Ontwerp/klant reis.png"))
	if err != nil {
		t.Fatal(err)
	}
	h := string(doc.HTML)
	for _, want := range []string{
		`<img src="/-/files/A/Ontwerp/klantreis.png" alt="reis" loading="lazy"`,
		`<a href="/-/files/A/Ontwerp/doc.pdf#p2">doc</a>`,
		`<a href="/-/files/A/weg.pdf" class="wikilink-missing" title="create this page">weg</a>`,
		`href="https://example.org/x.png"`,
		`<img src="https://example.org/y.png" alt="ext" loading="lazy"`,
		`<a href="/Beleid">abs</a>`,
		`<a href="#kop">anker</a>`,
		`<a href="../../x.png">boven</a>`,
		`href="/-/files/A/Ontwerp/klant%20reis.png"`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %s in\n%s", want, h)
		}
	}
	if strings.Contains(h, "javascript") {
		t.Errorf("javascript: link kept: %s", h)
	}
	// Each distinct path is resolved once; absolute ones never.
	if strings.Join(calls, ",") != "Ontwerp/klantreis.png,Ontwerp/doc.pdf,weg.pdf,../../x.png,Ontwerp/klant reis.png" {
		t.Errorf("resolved %q", calls)
	}
}

func TestRelativeLinksWithoutResolver(t *testing.T) {
	doc, err := New().Render(context.Background(), []byte("![a](b.png) [c](d.md)\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := string(doc.HTML)
	if !strings.Contains(h, `<img src="b.png" alt="a" loading="lazy"`) || !strings.Contains(h, `<a href="d.md">c</a>`) {
		t.Errorf("got %s", h)
	}
}

// A careless PathResolver that returns a dangerous URL is still stopped by
// the sanitiser.
func TestRelativeResolverCannotInjectScript(t *testing.T) {
	evil := func(string) Link { return Link{URL: "javascript:alert(1)", Exists: true} }
	doc, err := New().RenderPage(context.Background(), []byte("[x](a.png) ![y](b.png)\n"), nil, evil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc.HTML), "javascript") {
		t.Errorf("got %s", doc.HTML)
	}
}
