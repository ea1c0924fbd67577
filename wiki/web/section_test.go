package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const sectionSrc = "# Ontwerp\n\nInleiding.\n\n## Doel\n\nDelen.\n\n## Kanalen\n\nTelefoon.\n\n### Balie\n\nOpen.\n"

func TestViewHasSectionEditLinks(t *testing.T) {
	tw := newTestWiki(t)
	tw.commitPage("Secties", sectionSrc)
	_, body := tw.get("/Secties")
	doc := parseHTML(t, body)
	var links []string
	for _, a := range find(doc, "a") {
		if strings.Contains(attr(a, "href"), "?section=") {
			links = append(links, attr(a, "href")+" "+text(a))
		}
	}
	// The "# Ontwerp" title is section 1 and shown as the page title.
	want := []string{"/-/edit/Secties?section=2 bewerken: Doel", "/-/edit/Secties?section=3 bewerken: Kanalen", "/-/edit/Secties?section=4 bewerken: Balie"}
	if strings.Join(links, "|") != strings.Join(want, "|") {
		t.Fatalf("section links = %q", links)
	}
	// An old revision has none.
	_, old := tw.get("/Secties?rev=" + tw.revision("Secties"))
	if strings.Contains(old, "?section=") {
		t.Fatal("an old version offers section edits")
	}
}

func TestSectionEditsMergeAcrossSections(t *testing.T) {
	tw := newTestWiki(t)
	base := tw.commitPage("Secties", sectionSrc)
	open := func(n string) url.Values {
		code, body := tw.get("/-/edit/Secties?section=" + n)
		if code != http.StatusOK {
			t.Fatalf("open section %s: %d", n, code)
		}
		v := url.Values{}
		for _, k := range []string{"base", "mode", "section", "content"} {
			x, _ := formValue(t, body, k)
			v.Set(k, x)
		}
		return v
	}
	anna, bram := open("2"), open("3")
	if anna.Get("content") != "## Doel\n\nDelen.\n\n" || anna.Get("base") != base || anna.Get("mode") != "section" {
		t.Fatalf("section 2 opened as %v", anna)
	}
	if bram.Get("content") != "## Kanalen\n\nTelefoon.\n\n### Balie\n\nOpen.\n" {
		t.Fatalf("section 3 opened as %q", bram.Get("content"))
	}
	anna.Set("content", "## Doel\n\nKennis delen.\n")
	bram.Set("content", "## Kanalen\n\nTelefoon en chat.\n\n### Balie\n\nOpen.\n")
	anna.Set("author_name", "Anna")
	bram.Set("author_name", "Bram")
	for _, v := range []url.Values{anna, bram} {
		if code, body, _ := tw.postForm("/-/edit/Secties", v); code != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", code, body)
		}
	}
	want := "# Ontwerp\n\nInleiding.\n\n## Doel\n\nKennis delen.\n\n## Kanalen\n\nTelefoon en chat.\n\n### Balie\n\nOpen.\n"
	if got := tw.read("Secties"); got != want {
		t.Fatalf("page after both saves:\n got %q\nwant %q", got, want)
	}
	if msg := lastMessage(t, tw, "Secties"); msg != "Sectie 'Kanalen' bewerkt" {
		t.Fatalf("default summary = %q", msg)
	}
}

func TestSectionMissingOpensWholePage(t *testing.T) {
	tw := newTestWiki(t)
	tw.commitPage("Secties", sectionSrc)
	code, body := tw.get("/-/edit/Secties?section=9")
	content, _ := formValue(t, body, "content")
	if code != http.StatusOK || content != sectionSrc {
		t.Fatalf("%d, content %q", code, content)
	}
}

func TestDefaultSummaryNamesSection(t *testing.T) {
	tw := newTestWiki(t)
	rev := tw.commitPage("Secties", sectionSrc)
	code, _, _ := tw.postForm("/-/edit/Secties", url.Values{"base": {rev},
		"content": {strings.Replace(sectionSrc, "Telefoon.", "Telefoon!", 1)}})
	if code != http.StatusSeeOther {
		t.Fatalf("save: %d", code)
	}
	if msg := lastMessage(t, tw, "Secties"); msg != "Sectie 'Kanalen' bewerkt" {
		t.Fatalf("default summary = %q", msg)
	}
	code, _, _ = tw.postForm("/-/edit/Secties", url.Values{"base": {tw.revision("Secties")},
		"content": {sectionSrc}, "message": {"  Mijn eigen  "}})
	if code != http.StatusSeeOther || lastMessage(t, tw, "Secties") != "Mijn eigen" {
		t.Fatalf("own summary: %d %q", code, lastMessage(t, tw, "Secties"))
	}
}
