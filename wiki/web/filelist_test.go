package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestFileListFilters(t *testing.T) {
	tw := newFileWiki(t, 1000)
	tw.commitFile("WMO-loket/Ontwerp/klantreis.png", string(pngBytes))
	tw.commitFile("WMO-loket/Ontwerp/Notulen juni.pdf", "%PDF-1.4")
	tw.commitFile("Beleid/Regels/data.bin", "x")
	code, page := tw.get("/-/files")
	if code != 200 || !strings.Contains(page, `href="/-/files/WMO-loket/Ontwerp/Notulen%20juni.pdf"`) ||
		!strings.Contains(page, `href="/-/files/Beleid/Regels/data.bin"`) || !strings.Contains(page, "3 bestanden") ||
		!strings.Contains(page, `href="/-/files-history/WMO-loket/Ontwerp/klantreis.png"`) {
		t.Fatalf("all files: %d %s", code, page)
	}
	for q, want := range map[string][]string{
		"?folder=WMO-loket":         {"klantreis.png", "Notulen juni.pdf"},
		"?type=image":               {"klantreis.png"},
		"?type=document":            {"Notulen juni.pdf"},
		"?name=NOTULEN":             {"Notulen juni.pdf"},
		"?folder=Beleid&type=other": {"data.bin"},
	} {
		_, page := tw.get("/-/files" + q)
		for _, name := range []string{"klantreis.png", "Notulen juni.pdf", "data.bin"} {
			shown := strings.Contains(page, ">"+name+"</a>")
			if shown != strings.Contains(strings.Join(want, "|"), name) {
				t.Errorf("%s: %s shown=%v", q, name, shown)
			}
		}
	}
	if _, page := tw.get("/-/files?name=nergens"); !strings.Contains(page, "Geen bestand past bij het filter.") {
		t.Errorf("no match: %s", page)
	}
	if _, page := tw.get("/-/files?type=image"); !strings.Contains(page, `<option value="image" selected>Afbeelding</option>`) {
		t.Errorf("the form does not keep the filter: %s", page)
	}
}

func TestFileHistoryShowsVersions(t *testing.T) {
	tw := newFileWiki(t, 1000)
	first := tw.commitFile("WMO-loket/Ontwerp/klantreis.png", string(pngBytes))
	res, err := tw.repo.Commit(context.Background(), wiki.Commit{Author: wiki.Author{Name: "git"}, Message: "v2",
		Changes: []wiki.Change{{File: "WMO-loket/Ontwerp/klantreis.png", Content: []byte(string(pngBytes) + "v2"), Base: first}}})
	if err != nil {
		t.Fatal(err)
	}
	second := res.Revision
	code, page := tw.get("/-/files-history/WMO-loket/Ontwerp/klantreis.png")
	if code != 200 {
		t.Fatalf("history: %d %s", code, page)
	}
	for _, want := range []string{
		`href="/-/files/WMO-loket/Ontwerp/klantreis.png?rev=` + first + `"`,
		`href="/-/files/WMO-loket/Ontwerp/klantreis.png?rev=` + second + `"`,
		`<img src="/-/files/WMO-loket/Ontwerp/klantreis.png?rev=` + first + `"`,
		`<img src="/-/files/WMO-loket/Ontwerp/klantreis.png?rev=` + second + `"`,
		"26 B", "24 B", ">git<",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("missing %s in %s", want, page)
		}
	}
	if code, _ := tw.get("/-/files-history/WMO-loket/Ontwerp/nooit.png"); code != http.StatusNotFound {
		t.Errorf("history of a file that never was: %d", code)
	}
}
