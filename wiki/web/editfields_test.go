package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// commitPage writes a page straight into the repository and returns its
// revision.
func (tw *testWiki) commitPage(name, content string) string {
	tw.t.Helper()
	_, err := tw.repo.Commit(context.Background(), wiki.Commit{Author: wiki.Author{Name: "test"}, Message: "test",
		Changes: []wiki.Change{{Name: wiki.Name(name), Content: []byte(content), Base: tw.revision(name)}}})
	if err != nil {
		tw.t.Fatal(err)
	}
	return tw.revision(name)
}

// formValue returns the value of the input named name in the first form
// that has one, and the text of a textarea of that name.
func formValue(t *testing.T, body, name string) (string, bool) {
	t.Helper()
	doc := parseHTML(t, body)
	for _, in := range find(doc, "input") {
		if attr(in, "name") == name {
			return attr(in, "value"), true
		}
	}
	for _, ta := range find(doc, "textarea") {
		if attr(ta, "name") == name {
			return text(ta), true
		}
	}
	return "", false
}

func (tw *testWiki) read(name string) string {
	tw.t.Helper()
	p, err := tw.repo.ReadPage(context.Background(), wiki.Name(name), "")
	if err != nil {
		tw.t.Fatal(err)
	}
	return string(p.Content)
}

func TestEditFieldsRoundTrip(t *testing.T) {
	tw := newTestWiki(t)
	src := "---\nauteur: Anna  \ntitle: Ontwerp loket\nextra:\n  - een\ntags: [wmo, zorg]\n---\n\n# Ontwerp\n\nTekst.\n"
	rev := tw.commitPage("Velden", src)
	code, body := tw.get("/-/edit/Velden")
	if code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	vals := url.Values{"base": {rev}}
	for _, n := range []string{"mode", "title", "tags", "lang", "content"} {
		v, ok := formValue(t, body, n)
		if !ok {
			t.Fatalf("the form has no %s", n)
		}
		vals.Set(n, v)
	}
	if vals.Get("title") != "Ontwerp loket" || vals.Get("tags") != "wmo, zorg" || vals.Get("mode") != "fields" ||
		strings.Contains(vals.Get("content"), "auteur") || !strings.Contains(vals.Get("content"), "# Ontwerp") {
		t.Fatalf("form = %v", vals)
	}
	// Saving as opened changes nothing.
	if code, _, _ := tw.postForm("/-/edit/Velden", vals); code != http.StatusSeeOther {
		t.Fatalf("save unchanged: %d", code)
	}
	if got := tw.read("Velden"); got != src || tw.revision("Velden") != rev {
		t.Fatalf("unchanged save changed the file: %q", got)
	}
	// A new title changes the title line and nothing else.
	vals.Set("title", "Ontwerp WMO-loket")
	if code, _, _ := tw.postForm("/-/edit/Velden", vals); code != http.StatusSeeOther {
		t.Fatalf("save title: %d", code)
	}
	want := strings.Replace(src, "title: Ontwerp loket", "title: Ontwerp WMO-loket", 1)
	if got := tw.read("Velden"); got != want {
		t.Fatalf("after title change:\n got %q\nwant %q", got, want)
	}
}

func TestEditFieldsFallBack(t *testing.T) {
	tw := newTestWiki(t)
	src := "---\n# opmerking\ntitle: X\n---\nTekst\n"
	tw.commitPage("Moeilijk", src)
	_, body := tw.get("/-/edit/Moeilijk")
	content, _ := formValue(t, body, "content")
	if _, has := formValue(t, body, "title"); has || content != src {
		t.Fatalf("front matter not in the text box: %q", content)
	}
	if !strings.Contains(body, "notice") || !strings.Contains(body, "---") {
		t.Fatal("no word on why the front matter is in the text")
	}
}

func TestEditFieldsMergeWithConcurrentEdit(t *testing.T) {
	tw := newTestWiki(t)
	rev := tw.commitPage("Samen", "---\ntitle: Oud\n---\nEen\n\nTwee\n")
	tw.commitPage("Samen", "---\ntitle: Oud\n---\nEen\n\nTwee, aangevuld\n")
	code, _, _ := tw.postForm("/-/edit/Samen", url.Values{"base": {rev}, "mode": {"fields"},
		"title": {"Nieuw"}, "content": {"Een\n\nTwee\n"}, "message": {"titel"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save: %d", code)
	}
	if got := tw.read("Samen"); got != "---\ntitle: Nieuw\n---\nEen\n\nTwee, aangevuld\n" {
		t.Fatalf("merged = %q", got)
	}
}

func TestNewPageFromTitleFolderTemplate(t *testing.T) {
	tw := newTestWiki(t)
	tw.commitPage("Sjablonen/Verslag", "---\ntitle: Verslag (sjabloon)\ntags: [verslag]\n---\n## Besluiten\n\n## Actiepunten\n")
	_, body := tw.get("/-/new")
	if !strings.Contains(body, `<option value="Sjablonen/Verslag">Verslag</option>`) || !strings.Contains(body, `<option value="WMO-loket">`) {
		t.Fatalf("templates or folders not offered:\n%s", body)
	}
	code, _, hdr := tw.do("GET", "/-/new?"+url.Values{"folder": {"WMO-loket"}, "title": {"Overleg 3/4"}, "template": {"Sjablonen/Verslag"}}.Encode(), "", "")
	loc := hdr.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/-/edit/WMO-loket/Overleg%203-4?") {
		t.Fatalf("new: %d %s", code, loc)
	}
	_, body = tw.get(loc)
	title, _ := formValue(t, body, "title")
	tags, _ := formValue(t, body, "tags")
	content, _ := formValue(t, body, "content")
	if title != "Overleg 3/4" || tags != "verslag" || content != "## Besluiten\n\n## Actiepunten\n" {
		t.Fatalf("editor prefilled with title %q tags %q content %q", title, tags, content)
	}
	code, _, _ = tw.postForm("/-/edit/WMO-loket/Overleg 3-4", url.Values{"base": {""}, "mode": {"fields"},
		"title": {title}, "tags": {tags}, "content": {content + "Niets.\n"}})
	if code != http.StatusSeeOther {
		t.Fatalf("create: %d", code)
	}
	if got := tw.read("WMO-loket/Overleg 3-4"); got != "---\ntitle: Overleg 3/4\ntags: [verslag]\n---\n## Besluiten\n\n## Actiepunten\nNiets.\n" {
		t.Fatalf("created = %q", got)
	}
	if msg := lastMessage(t, tw, "WMO-loket/Overleg 3-4"); msg != "Pagina aangemaakt" {
		t.Fatalf("default summary = %q", msg)
	}
	// A title that is the name adds no front matter; no template, no text.
	_, _, hdr = tw.do("GET", "/-/new?title=Gewoon", "", "")
	_, body = tw.get(hdr.Get("Location"))
	if title, _ := formValue(t, body, "title"); title != "" {
		t.Fatalf("title field = %q", title)
	}
	// Only pages under Sjablonen/ are templates.
	_, body = tw.get("/-/edit/Ander?template=Home")
	if c, _ := formValue(t, body, "content"); c != "" {
		t.Fatalf("a non-template was applied: %q", c)
	}
}

func lastMessage(t *testing.T, tw *testWiki, name string) string {
	t.Helper()
	h, err := tw.repo.History(context.Background(), wiki.Name(name), wiki.HistoryQuery{Limit: 1})
	if err != nil || len(h) == 0 {
		t.Fatalf("history: %v", err)
	}
	return h[0].Message
}
