package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// atomFeed is what the tests read of an Atom feed.
type atomFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string   `xml:"title"`
	Entries []struct {
		Title string `xml:"title"`
		Link  struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Author struct {
			Name string `xml:"name"`
		} `xml:"author"`
	} `xml:"entry"`
}

func (tw *testWiki) feed(path string) atomFeed {
	tw.t.Helper()
	code, body, hdr := tw.do("GET", path, "", "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/atom+xml") {
		tw.t.Fatalf("GET %s: %d %s", path, code, hdr.Get("Content-Type"))
	}
	var f atomFeed
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		tw.t.Fatalf("%s is not Atom: %v", path, err)
	}
	return f
}

// history builds a small history: Anna edits the WMO page, Bram another
// page, Carla the WMO page again.
func (tw *testWiki) history3() (anna, bram, carla string) {
	tw.t.Helper()
	var lines []string
	for i := range 30 {
		lines = append(lines, "Regel "+string(rune('a'+i%26))+" nummer "+strings.Repeat("x", i))
	}
	middle := strings.Join(lines, "\n") + "\n"
	r, _ := tw.put("WMO-loket/Ontwerp", "Regel een\nRegel twee door Anna\nRegel drie\n"+middle+"slot\n", tw.revision("WMO-loket/Ontwerp"), "Anna")
	anna = r.revision
	r, _ = tw.put("Beleid/Visie", "Visie\n", "", "Bram")
	bram = r.revision
	r, _ = tw.put("WMO-loket/Ontwerp", "Regel een door Carla\nRegel twee door Anna\nRegel drie\n"+middle+"slot door Carla\n", anna, "Carla")
	carla = r.revision
	return
}

func TestRecentFiltersAndFeeds(t *testing.T) {
	tw := newTestWiki(t)
	anna, bram, carla := tw.history3()

	_, body := tw.get("/-/recent?author=Bram")
	if !strings.Contains(body, "Beleid/Visie") || strings.Contains(body, "Carla") {
		t.Fatalf("author filter:\n%s", body)
	}
	_, body = tw.get("/-/recent?folder=WMO-loket")
	if strings.Contains(body, "Beleid/Visie") || !strings.Contains(body, "Carla") || !strings.Contains(body, "Anna") {
		t.Fatalf("folder filter:\n%s", body)
	}
	_, body = tw.get("/-/recent?until=2000-01-01")
	if !strings.Contains(body, "Geen wijzigingen gevonden") {
		t.Fatal("period filter kept changes from after its end")
	}
	if code, _ := tw.get("/-/recent?since=gisteren"); code != 400 {
		t.Fatalf("bad date: %d", code)
	}
	code, body := tw.get("/-/contributions/" + url.PathEscape("Anna"))
	if code != 200 || !strings.Contains(body, "Bijdragen van Anna") || strings.Contains(body, "Beleid/Visie") {
		t.Fatalf("contributions: %d", code)
	}

	folder := tw.feed("/-/recent.atom?folder=WMO-loket")
	if len(folder.Entries) != 3 { // Anna, Carla, and the seed commit
		t.Fatalf("folder feed has %d entries", len(folder.Entries))
	}
	page := tw.feed("/-/history.atom/WMO-loket/Ontwerp")
	if len(page.Entries) != 3 || page.Entries[0].Author.Name != "Carla" {
		t.Fatalf("page feed: %+v", page.Entries)
	}
	// Every entry links to the diff of its own change.
	for i, want := range []string{carla, anna} {
		u, _ := url.Parse(page.Entries[i].Link.Href)
		if u.Path != "/-/diff/WMO-loket/Ontwerp" || u.Query().Get("to") != want {
			t.Errorf("entry %d links to %s, want the diff to %s", i, u, want)
		}
		if code, _ := tw.get(u.RequestURI()); code != 200 {
			t.Errorf("entry %d link: %d", i, code)
		}
	}
	all := tw.feed("/-/recent.atom")
	if len(all.Entries) != 4 || !strings.Contains(all.Entries[1].Link.Href, "/-/diff/Beleid/Visie?to="+bram) {
		t.Fatalf("recent feed: %+v", all.Entries)
	}
}

func TestBlame(t *testing.T) {
	tw := newTestWiki(t)
	anna, _, carla := tw.history3()
	code, body := tw.get("/-/api/pages/WMO-loket/Ontwerp/blame")
	var b struct {
		Lines []struct {
			Line     int
			Text     string
			Revision string
			Author   struct{ Name string }
		}
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil || code != 200 {
		t.Fatalf("blame: %d %v", code, err)
	}
	if len(b.Lines) != 34 || b.Lines[0].Revision != carla || b.Lines[1].Revision != anna || b.Lines[1].Author.Name != "Anna" || b.Lines[2].Text != "Regel drie" {
		t.Fatalf("blame lines: %+v", b.Lines[:3])
	}
	code, body = tw.get("/-/blame/WMO-loket/Ontwerp")
	if code != 200 || !strings.Contains(body, "Regel twee door Anna") || !strings.Contains(body, anna[:8]) {
		t.Fatalf("blame page: %d", code)
	}
	if code, _ := tw.get("/-/api/pages/Bestaat/Niet/blame"); code != 404 {
		t.Fatalf("blame of missing page: %d", code)
	}
}

func TestCompareViews(t *testing.T) {
	tw := newTestWiki(t)
	anna, _, carla := tw.history3()
	base := "/-/diff/WMO-loket/Ontwerp?from=" + anna + "&to=" + carla
	_, unified := tw.get(base)
	if !strings.Contains(unified, "<details>") || !strings.Contains(unified, "ongewijzigde regels tonen") {
		t.Error("unified view does not fold the unchanged run")
	}
	if !strings.Contains(unified, `rel="prev"`) {
		t.Error("no link to the previous change")
	}
	_, split := tw.get(base + "&view=split")
	doc := parseHTML(t, split)
	var paired bool
	for _, tr := range find(doc, "tr") {
		var cls []string
		for _, td := range find(tr, "td") {
			cls = append(cls, attr(td, "class"))
		}
		if strings.Join(cls, " ") == "ln text del ln text ins" {
			paired = true
		}
	}
	if !paired {
		t.Errorf("side-by-side view does not put the changed line next to its new version:\n%s", split)
	}
	_, rendered := tw.get(base + "&view=rendered")
	if !strings.Contains(rendered, `<ins class="block">`) || !strings.Contains(rendered, "door Carla") {
		t.Errorf("rendered view:\n%s", rendered)
	}
	// The first change of the page: the next-change link leads on.
	_, first := tw.get("/-/diff/WMO-loket/Ontwerp?to=" + anna)
	if !strings.Contains(first, `rel="next"`) {
		t.Error("no link to the next change")
	}
}

func TestHistoryShowsLineCounts(t *testing.T) {
	tw := newTestWiki(t)
	tw.history3()
	_, body := tw.get("/-/history/WMO-loket/Ontwerp")
	if !strings.Contains(body, "+32") || !strings.Contains(body, "+2</span> <span class=\"minus\" aria-hidden=\"true\">−2</span><span class=\"visually-hidden\">2 regels toegevoegd, 2 regels verwijderd</span>") {
		t.Fatalf("history lacks line counts:\n%s", body)
	}
}

func TestAPIRecentFilters(t *testing.T) {
	tw := newTestWiki(t)
	tw.history3()
	_, body := tw.get("/-/api/recent?author=Bram")
	var r struct{ Changes []struct{ Pages []string } }
	json.Unmarshal([]byte(body), &r)
	if len(r.Changes) != 1 || r.Changes[0].Pages[0] != "Beleid/Visie" {
		t.Fatalf("API author filter: %s", body)
	}
}

// TestFeedsShowNoEmailAddresses: the Atom feeds name the author of each
// change but never give an e-mail address, though the commit has one.
func TestFeedsShowNoEmailAddresses(t *testing.T) {
	tw := newTestWiki(t)
	code, body, _ := tw.postForm("/-/edit/WMO-loket/Ontwerp", url.Values{
		"content": {"Nieuwe tekst\n"}, "base": {tw.revision("WMO-loket/Ontwerp")}, "action": {"save"},
		"author_name": {"Anna"}, "author_email": {"anna.devries@gemeente.example.nl"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", code, body)
	}
	if r, err := tw.repo.Revision(context.Background(), tw.head()); err != nil || r.Author.Email != "anna.devries@gemeente.example.nl" {
		t.Fatalf("the commit does not carry the address, so the test would prove nothing: %+v %v", r, err)
	}
	for _, path := range []string{"/-/recent.atom", "/-/history.atom/WMO-loket/Ontwerp"} {
		_, body, _ := tw.do("GET", path, "", "")
		if strings.Contains(body, "anna.devries") || strings.Contains(body, "<email>") {
			t.Errorf("%s gives an e-mail address:\n%s", path, body)
		}
		if f := tw.feed(path); len(f.Entries) == 0 || f.Entries[0].Author.Name != "Anna" {
			t.Errorf("%s does not name the author: %+v", path, f.Entries)
		}
	}
}
