package markdown

import (
	"context"
	"strings"
	"testing"
)

// reducingResolver resolves every path to /-/files/{path}; the paths in
// large carry the query of their reduced version, as the wiki does for a
// large image.
func reducingResolver(large ...string) PathResolver {
	return func(p string) Link {
		for _, l := range large {
			if p == l {
				return Link{URL: "/-/files/" + p + "?w=800", Exists: true}
			}
		}
		return Link{URL: "/-/files/" + p, Exists: true}
	}
}

func TestReducedImagesLinkToTheOriginal(t *testing.T) {
	rel := reducingResolver("groot.png")
	for _, tc := range []struct{ name, src, want string }{
		{"large image", "Zie ![Plattegrond](groot.png) hier.\n",
			`<p>Zie <a href="/-/files/groot.png"><img src="/-/files/groot.png?w=800" alt="Plattegrond" loading="lazy"></a> hier.</p>`},
		{"small image", "![Logo](klein.png)\n",
			`<p><img src="/-/files/klein.png" alt="Logo" loading="lazy"></p>`},
		{"already in a link", "[![Plattegrond](groot.png)](kaart.pdf)\n",
			`<p><a href="/-/files/kaart.pdf"><img src="/-/files/groot.png?w=800" alt="Plattegrond" loading="lazy"></a></p>`},
		{"a link to a large image", "[de kaart](groot.png)\n",
			`<p><a href="/-/files/groot.png">de kaart</a></p>`},
		{"title kept", "![Kaart](groot.png \"De wijk\")\n",
			`<p><a href="/-/files/groot.png"><img src="/-/files/groot.png?w=800" alt="Kaart" title="De wijk" loading="lazy"></a></p>`},
	} {
		doc, err := New().RenderPage(context.Background(), []byte(tc.src), nil, rel)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(doc.HTML)); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// Wrapping an image must not end the walk of what follows it: the
// wikilinks, links and images after it in the same paragraph are still
// resolved and counted.
func TestReducedImageKeepsTheRestOfTheParagraph(t *testing.T) {
	src := "![a](groot.png) en [[Beleid]] en ![b](groot.png) en [c](klein.png) ![d](klein.png)\n"
	resolve := func(target string) Link { return Link{URL: "/" + target, Exists: true} }
	doc, err := New().RenderPage(context.Background(), []byte(src), resolve, reducingResolver("groot.png"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(doc.HTML)
	if n := strings.Count(html, `<a href="/-/files/groot.png"><img src="/-/files/groot.png?w=800"`); n != 2 {
		t.Errorf("%d large images linked, want 2: %s", n, html)
	}
	for _, want := range []string{`href="/Beleid"`, `<a href="/-/files/klein.png">c</a>`, `<img src="/-/files/klein.png" alt="d" loading="lazy">`} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s in %s", want, html)
		}
	}
	if len(doc.Links) != 1 || doc.Links[0] != "Beleid" {
		t.Errorf("links %v", doc.Links)
	}
}
