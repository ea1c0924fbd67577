package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRenameFromTheWeb(t *testing.T) {
	tw := newTestWiki(t)
	name := "WMO-loket/Ontwerp"
	code, body := tw.get("/-/rename/" + name)
	if code != 200 || !strings.Contains(body, `name="to"`) {
		t.Fatalf("rename form: %d", code)
	}
	code, _, hdr := tw.postForm("/-/rename/"+name, url.Values{"base": {tw.revision(name)}, "to": {"WMO-loket/Archief/Ontwerp"}, "update_links": {"1"}, "author_name": {"Anna"}})
	if code != http.StatusSeeOther {
		t.Fatalf("rename: %d", code)
	}
	_, view := tw.get(hdr.Get("Location"))
	if !strings.Contains(view, "Hernoemd vanaf WMO-loket/Ontwerp") {
		t.Fatal("no renamed notice")
	}
	// Home linked to the page: its link now points at the new name.
	if got := tw.content("Home"); !strings.Contains(got, "[[WMO-loket/Archief/Ontwerp]]") {
		t.Fatalf("Home after rename: %q", got)
	}
	// The old URL redirects, and says so.
	code, _, hdr = tw.do("GET", "/"+name, "", "")
	if code != http.StatusFound || !strings.HasPrefix(hdr.Get("Location"), "/WMO-loket/Archief/Ontwerp?redirected-from=") {
		t.Fatalf("old name: %d %s", code, hdr.Get("Location"))
	}
	_, view = tw.get(hdr.Get("Location"))
	if !strings.Contains(view, "Doorverwezen vanaf") {
		t.Fatal("no redirected-from notice")
	}
	if code, _ := tw.get("/" + name + "?redirect=no"); code != 200 {
		t.Fatalf("redirect page itself: %d", code)
	}
	// History shows the rename.
	if _, body := tw.get("/-/history/WMO-loket/Archief/Ontwerp"); !strings.Contains(body, "Rename WMO-loket/Ontwerp to WMO-loket/Archief/Ontwerp") {
		t.Fatal("history does not show the rename")
	}
	// Renaming onto an existing page is refused and keeps the form.
	code, body, _ = tw.postForm("/-/rename/Home", url.Values{"base": {tw.revision("Home")}, "to": {"WMO-loket/Archief/Ontwerp"}})
	if code != http.StatusConflict || !strings.Contains(body, `value="WMO-loket/Archief/Ontwerp"`) {
		t.Fatalf("rename onto existing: %d", code)
	}
}

func TestDeleteAndRestoreFromTheWeb(t *testing.T) {
	tw := newTestWiki(t)
	name := "WMO-loket/Ontwerp"
	if code, body, _ := tw.do("PUT", "/-/api/files/WMO-loket/Ontwerp/schets.txt", "text/plain", "schets"); code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	code, body := tw.get("/-/delete/" + name)
	if code != 200 || !strings.Contains(body, `name="base"`) {
		t.Fatalf("delete form: %d", code)
	}
	// The form says which files go with the page.
	if !strings.Contains(body, `<a href="/-/files/WMO-loket/Ontwerp/schets.txt">WMO-loket/Ontwerp/schets.txt</a>`) {
		t.Errorf("the delete form does not list the page's file:\n%s", body)
	}
	code, _, _ = tw.postForm("/-/delete/"+name, url.Values{"base": {tw.revision(name)}, "message": {"Dubbel"}, "author_name": {"Bram"}})
	if code != http.StatusSeeOther {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := tw.get("/-/files/WMO-loket/Ontwerp/schets.txt"); code != 404 {
		t.Errorf("the page's file after deleting the page: %d", code)
	}
	code, body = tw.get("/" + name)
	if code != 404 || !strings.Contains(body, "verwijderd door Bram") || !strings.Contains(body, "Laatste versie terugzetten") {
		t.Fatalf("deleted page view: %d\n%s", code, body)
	}
	doc := parseHTML(t, body)
	values := url.Values{}
	for _, in := range find(doc, "input") {
		values.Set(attr(in, "name"), attr(in, "value"))
	}
	// The restore button asks first, naming the version.
	if code, body := tw.get("/-/revert/" + name + "?" + values.Encode()); code != 200 || !strings.Contains(body, "is verwijderd") {
		t.Fatalf("restore confirmation: %d\n%s", code, body)
	}
	code, _, _ = tw.postForm("/-/revert/"+name, values)
	if code != http.StatusSeeOther {
		t.Fatalf("restore: %d", code)
	}
	if got := tw.content(name); got != "Regel een\nRegel twee\nRegel drie\n" {
		t.Fatalf("restored text %q", got)
	}
	if code, body := tw.get("/-/files/WMO-loket/Ontwerp/schets.txt"); code != 200 || body != "schets" {
		t.Errorf("the page's file after restoring the page: %d %q", code, body)
	}
	_, body = tw.get("/-/history/" + name)
	for _, want := range []string{"Dubbel", "Restore WMO-loket/Ontwerp from"} {
		if !strings.Contains(body, want) {
			t.Errorf("history lacks %q", want)
		}
	}
}

func TestRevertFromOldVersion(t *testing.T) {
	tw := newTestWiki(t)
	name := "WMO-loket/Ontwerp"
	old := tw.revision(name)
	tw.put(name, "Nieuw\n", old, "Anna")
	code, body := tw.get("/" + name + "?rev=" + old)
	if code != 200 || !strings.Contains(body, "Deze versie terugzetten") {
		t.Fatalf("old version view: %d", code)
	}
	// The button asks first: a page that names the version by date and
	// author and asks why.
	doc := parseHTML(t, body)
	var confirm string
	for _, f := range find(doc, "form") {
		if attr(f, "method") == "get" && strings.HasPrefix(attr(f, "action"), "/-/revert/") {
			q := url.Values{}
			for _, in := range find(f, "input") {
				q.Set(attr(in, "name"), attr(in, "value"))
			}
			confirm = attr(f, "action") + "?" + q.Encode()
		}
	}
	if confirm == "" {
		t.Fatalf("the old version has no restore button asking first:\n%s", body)
	}
	code, body = tw.get(confirm)
	if code != 200 || !strings.Contains(body, "de versie van") || !strings.Contains(body, "door wikiwerk ("+old[:8]+")") ||
		!strings.Contains(body, `name="message" type="text" required`) {
		t.Fatalf("confirmation page: %d\n%s", code, body)
	}
	if tw.content(name) != "Nieuw\n" {
		t.Fatal("asking changed the page")
	}
	code, _, _ = tw.postForm("/-/revert/"+name, url.Values{"revision": {old}, "base": {tw.revision(name)}, "message": {"Terug naar het origineel"}})
	if code != http.StatusSeeOther || tw.content(name) != "Regel een\nRegel twee\nRegel drie\n" {
		t.Fatalf("revert: %d %q", code, tw.content(name))
	}
	if _, body := tw.get("/-/history/" + name); !strings.Contains(body, "Terug naar het origineel") {
		t.Error("the reason is not in the history")
	}
	if code, _ := tw.get("/-/revert/" + name); code != http.StatusBadRequest {
		t.Errorf("confirmation page without a version: %d, want 400", code)
	}
}

func TestMoveAPI(t *testing.T) {
	tw := newTestWiki(t)
	name := "WMO-loket/Ontwerp"
	base := tw.revision(name)
	code, body, _ := tw.do("POST", "/-/api/pages/"+name+"/rename", "application/json", `{"to":"Ontwerp","base":"`+base+`","update_links":true}`)
	var ren struct {
		Name, Revision string
		Updated        []string
	}
	json.Unmarshal([]byte(body), &ren)
	if code != 200 || ren.Name != "Ontwerp" || len(ren.Updated) != 1 {
		t.Fatalf("rename: %d %s", code, body)
	}
	if code, _, _ := tw.do("POST", "/-/api/pages/"+name+"/rename", "application/json", `{"to":"X","base":"`+base+`"}`); code != 409 {
		t.Fatalf("stale rename: %d", code)
	}
	if code, _, _ := tw.do("POST", "/-/api/pages/Ontwerp/rename", "application/json", `{"to":"../x","base":"`+ren.Revision+`"}`); code != 400 {
		t.Fatalf("rename to bad name: %d", code)
	}
	tw.put("Ontwerp", "Anders\n", ren.Revision, "Bram")
	code, body, _ = tw.do("POST", "/-/api/pages/Ontwerp/revert", "application/json", `{"revision":"`+ren.Revision+`"}`)
	if code != 200 || tw.content("Ontwerp") != "Regel een\nRegel twee\nRegel drie\n" {
		t.Fatalf("revert: %d %s", code, body)
	}
	code, _, _ = tw.do("DELETE", "/-/api/pages/Ontwerp?base="+tw.revision("Ontwerp"), "", "")
	if code != 200 {
		t.Fatalf("delete: %d", code)
	}
	var hist struct{ Revisions []struct{ Revision string } }
	_, body = tw.get("/-/api/pages/Ontwerp/history")
	json.Unmarshal([]byte(body), &hist)
	code, _, _ = tw.do("POST", "/-/api/pages/Ontwerp/revert", "application/json", `{"revision":"`+hist.Revisions[1].Revision+`"}`)
	if code != 200 || tw.content("Ontwerp") != "Regel een\nRegel twee\nRegel drie\n" {
		t.Fatalf("restore through the API: %d", code)
	}
}
