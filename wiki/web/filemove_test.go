package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRenameAndDeleteFileFromTheWeb: the history page of a file links to
// its rename and delete forms, which work without JavaScript; a stale base
// is refused and changes nothing.
func TestRenameAndDeleteFileFromTheWeb(t *testing.T) {
	tw := newTestWiki(t)
	if code, body, _ := tw.do("PUT", "/-/api/files/WMO-loket/Ontwerp/schets.txt", "text/plain", "schets"); code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	_, view := tw.get("/WMO-loket/Ontwerp")
	for _, want := range []string{`href="/-/file-rename/WMO-loket/Ontwerp/schets.txt"`, `href="/-/file-delete/WMO-loket/Ontwerp/schets.txt"`} {
		if !strings.Contains(view, want) {
			t.Errorf("the page's list of files lacks %s", want)
		}
	}
	_, hist := tw.get("/-/files-history/WMO-loket/Ontwerp/schets.txt")
	for _, want := range []string{`href="/-/file-rename/WMO-loket/Ontwerp/schets.txt"`, `href="/-/file-delete/WMO-loket/Ontwerp/schets.txt"`} {
		if !strings.Contains(hist, want) {
			t.Errorf("the file's history lacks %s", want)
		}
	}
	formValues := func(path string) url.Values {
		t.Helper()
		code, body := tw.get(path)
		if code != 200 {
			t.Fatalf("%s: %d\n%s", path, code, body)
		}
		v := url.Values{}
		for _, in := range find(parseHTML(t, body), "input") {
			if name := attr(in, "name"); name != "" {
				v.Set(name, attr(in, "value"))
			}
		}
		return v
	}

	v := formValues("/-/file-rename/WMO-loket/Ontwerp/schets.txt")
	if v.Get("to") != "WMO-loket/Ontwerp/schets.txt" || v.Get("base") == "" {
		t.Fatalf("rename form: %v", v)
	}
	stale := url.Values{"to": {"ander.txt"}, "base": {strings.Repeat("0", 40)}}
	before := tw.head()
	if code, body, _ := tw.postForm("/-/file-rename/WMO-loket/Ontwerp/schets.txt", stale); code != http.StatusConflict || !strings.Contains(body, "intussen veranderd") {
		t.Errorf("stale rename: %d\n%s", code, body)
	}
	if tw.head() != before {
		t.Fatal("a stale rename wrote a commit")
	}
	v.Set("to", "klantreis.txt")
	v.Set("author_name", "Anna")
	if code, body, hdr := tw.postForm("/-/file-rename/WMO-loket/Ontwerp/schets.txt", v); code != http.StatusSeeOther || hdr.Get("Location") != "/WMO-loket/Ontwerp#attachments" {
		t.Fatalf("rename: %d %s\n%s", code, hdr.Get("Location"), body)
	}
	if code, body := tw.get("/-/files/WMO-loket/Ontwerp/klantreis.txt"); code != 200 || body != "schets" {
		t.Errorf("renamed file: %d %q", code, body)
	}
	if code, _ := tw.get("/-/files/WMO-loket/Ontwerp/schets.txt"); code != 404 {
		t.Errorf("old name: %d", code)
	}

	v = formValues("/-/file-delete/WMO-loket/Ontwerp/klantreis.txt")
	if code, body, _ := tw.postForm("/-/file-delete/WMO-loket/Ontwerp/klantreis.txt", v); code != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", code, body)
	}
	if code, _ := tw.get("/-/files/WMO-loket/Ontwerp/klantreis.txt"); code != 404 {
		t.Errorf("deleted file: %d", code)
	}
	// The history keeps it.
	if _, hist := tw.get("/-/files-history/WMO-loket/Ontwerp/klantreis.txt"); !strings.Contains(hist, "verwijderd") && !strings.Contains(hist, "deleted") {
		t.Errorf("the history of the deleted file does not say so:\n%s", hist)
	}
}
