package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

type presenceAnswer struct {
	Editors []struct {
		Name  string
		Since time.Time
	}
	Revision   string
	Changed    bool
	LastChange *struct {
		Revision string
		Author   wiki.Author
		Time     time.Time
		Message  string
	} `json:"last_change"`
}

// presence sends a heartbeat for page and decodes the answer.
func (tw *testWiki) presence(page, session, name, base string) presenceAnswer {
	tw.t.Helper()
	body, _ := json.Marshal(map[string]string{"session": session, "name": name, "base": base})
	code, resp, _ := tw.do("POST", "/-/api/presence/"+page, "application/json", string(body))
	if code != http.StatusOK {
		tw.t.Fatalf("presence %s for %s: %d %s", page, session, code, resp)
	}
	var a presenceAnswer
	if err := json.Unmarshal([]byte(resp), &a); err != nil {
		tw.t.Fatalf("presence answer %s: %v", resp, err)
	}
	if !strings.Contains(resp, `"editors":[`) {
		tw.t.Fatalf("editors must be a list, also when empty: %s", resp)
	}
	return a
}

func presentNames(a presenceAnswer) string {
	var out []string
	for _, e := range a.Editors {
		out = append(out, e.Name)
	}
	return strings.Join(out, ",")
}

// TestPresence: two people open the editor of one page; each sees the
// other but not themselves; when a third saves the page, both learn that
// it changed since their base, and by whom.
func TestPresence(t *testing.T) {
	tw := newTestWiki(t)
	const name = "WMO-loket/Ontwerp"
	rev0 := tw.revision(name)

	a := tw.presence(name, "anna-0123456789", "Anna", rev0)
	if len(a.Editors) != 0 || a.Changed || a.Revision != rev0 || a.LastChange == nil || a.LastChange.Revision != rev0 {
		t.Fatalf("first editor: %+v", a)
	}
	b := tw.presence(name, "bram-0123456789", "Bram", rev0)
	if presentNames(b) != "Anna" || b.Editors[0].Since.IsZero() {
		t.Fatalf("Bram sees %+v, want Anna", b.Editors)
	}
	if a = tw.presence(name, "anna-0123456789", "Anna", rev0); presentNames(a) != "Bram" {
		t.Fatalf("Anna sees %q, want only Bram", presentNames(a))
	}
	// Other pages have their own editors.
	if h := tw.presence("Home", "carla-0123456789", "Carla", tw.revision("Home")); len(h.Editors) != 0 {
		t.Fatalf("Home shows the editors of another page: %+v", h.Editors)
	}

	res, err := tw.put(name, "Regel een\nRegel twee door Carla\nRegel drie\n", rev0, "Carla")
	if err != nil || res.code != http.StatusOK {
		t.Fatalf("save by Carla: %+v %v", res, err)
	}
	a = tw.presence(name, "anna-0123456789", "Anna", rev0)
	if !a.Changed || a.Revision != res.revision || a.LastChange == nil || a.LastChange.Revision != res.revision ||
		a.LastChange.Author.Name != "Carla" || a.LastChange.Time.IsZero() {
		t.Fatalf("after Carla's save Anna gets %+v", a)
	}
	// From the new base nothing changed.
	if a = tw.presence(name, "anna-0123456789", "Anna", res.revision); a.Changed {
		t.Fatalf("from the current base: changed = true")
	}

	// Leaving: Bram closes the editor.
	if code, body, _ := tw.do("DELETE", "/-/api/presence/"+name+"?session=bram-0123456789", "", ""); code != http.StatusNoContent {
		t.Fatalf("leave: %d %s", code, body)
	}
	if a = tw.presence(name, "anna-0123456789", "Anna", res.revision); len(a.Editors) != 0 {
		t.Fatalf("after Bram left Anna sees %+v", a.Editors)
	}

	// A page being created: no revision, and nothing changed from "".
	n := tw.presence("Nieuw/Onderwerp", "anna-0123456789", "Anna", "")
	if n.Revision != "" || n.Changed || n.LastChange != nil {
		t.Fatalf("new page: %+v", n)
	}
	// Someone else creates it meanwhile.
	if res, _ := tw.put("Nieuw/Onderwerp", "Eerst!\n", "", "Dirk"); res.code != http.StatusCreated {
		t.Fatalf("create: %+v", res)
	}
	n = tw.presence("Nieuw/Onderwerp", "anna-0123456789", "Anna", "")
	if !n.Changed || n.Revision == "" || n.LastChange == nil || n.LastChange.Author.Name != "Dirk" {
		t.Fatalf("page created meanwhile: %+v", n)
	}
	// And deletes it: the last change is the deletion.
	if code, body, _ := tw.do("DELETE", "/-/api/pages/Nieuw/Onderwerp?base="+n.Revision, "", ""); code != http.StatusOK {
		t.Fatalf("delete: %d %s", code, body)
	}
	d := tw.presence("Nieuw/Onderwerp", "anna-0123456789", "Anna", n.Revision)
	if !d.Changed || d.Revision != "" || d.LastChange == nil || d.LastChange.Revision == n.Revision {
		t.Fatalf("page deleted meanwhile: %+v", d)
	}
}

func TestPresenceRefusesBadInput(t *testing.T) {
	tw := newTestWiki(t)
	rev := tw.revision("Home")
	body := func(session, name, base string) string {
		b, _ := json.Marshal(map[string]string{"session": session, "name": name, "base": base})
		return string(b)
	}
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"no session", "POST", "/-/api/presence/Home", body("", "Anna", rev), 400},
		{"short session", "POST", "/-/api/presence/Home", body("abc", "Anna", rev), 400},
		{"long session", "POST", "/-/api/presence/Home", body(strings.Repeat("a", 65), "Anna", rev), 400},
		{"session with odd characters", "POST", "/-/api/presence/Home", body("abc/def<ghi>", "Anna", rev), 400},
		{"long name", "POST", "/-/api/presence/Home", body("anna-0123456789", strings.Repeat("é", 201), rev), 400},
		{"name with newline", "POST", "/-/api/presence/Home", body("anna-0123456789", "An\nna", rev), 400},
		{"base not a revision", "POST", "/-/api/presence/Home", body("anna-0123456789", "Anna", "main"), 400},
		{"unknown field", "POST", "/-/api/presence/Home", `{"session":"anna-0123456789","nmae":"Anna"}`, 400},
		{"not JSON", "POST", "/-/api/presence/Home", `session=anna`, 400},
		{"invalid page name", "POST", "/-/api/presence/a/../b", body("anna-0123456789", "Anna", rev), 400},
		{"reserved page name", "POST", "/-/api/presence/-/x", body("anna-0123456789", "Anna", rev), 400},
		{"leave without session", "DELETE", "/-/api/presence/Home", "", 400},
		{"leave with invalid name", "DELETE", "/-/api/presence/.git/x?session=anna-0123456789", "", 400},
	}
	for _, c := range cases {
		code, resp, hdr := tw.do(c.method, c.path, "application/json", c.body)
		if code != c.want || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(resp, `"error"`) {
			t.Errorf("%s: %d %s (%s), want %d with a JSON error", c.name, code, resp, hdr.Get("Content-Type"), c.want)
		}
	}
	// The longest name allowed is fine.
	tw.presence("Home", "anna-0123456789", strings.Repeat("é", 200), rev)

	ro := newTestWiki(t, options{readOnly: true})
	if code, _, _ := ro.do("POST", "/-/api/presence/Home", "application/json", body("anna-0123456789", "Anna", rev)); code != http.StatusForbidden {
		t.Errorf("presence on a read-only wiki: %d, want 403", code)
	}
}

// TestEditorLoadsScript: the editor loads editor.js from the theme (no
// inline script, which the CSP forbids) and gives it what it needs.
func TestEditorLoadsScript(t *testing.T) {
	tw := newTestWiki(t)
	_, body := tw.get("/-/edit/WMO-loket/Ontwerp")
	doc := parseHTML(t, body)
	var src []string
	for _, s := range find(doc, "script") {
		if attr(s, "src") == "" {
			t.Errorf("inline script in the editor: %s", text(s))
		}
		src = append(src, attr(s, "src"))
	}
	// search.js (the header's jump-to-page) and diagrams.js are on every
	// page; paste.js and visual.js are parts of the editor.
	if strings.Join(src, " ") != "/-/static/search.js /-/static/diagrams.js /-/static/paste.js /-/static/visual.js /-/static/editor.js" {
		t.Fatalf("editor scripts = %q", src)
	}
	var form map[string]string
	for _, f := range find(doc, "form") {
		if attr(f, "class") == "editor" {
			form = map[string]string{}
			for _, a := range f.Attr {
				form[a.Key] = a.Val
			}
		}
	}
	if form["data-page"] != "WMO-loket/Ontwerp" || form["data-base"] != tw.revision("WMO-loket/Ontwerp") ||
		form["data-heartbeat-ms"] != "15000" || form["data-msg-draft-restore"] != "Herstel concept van %s" {
		t.Fatalf("editor form attributes: %v", form)
	}
	code, js, hdr := tw.do("GET", "/-/static/editor.js", "", "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/javascript") || !strings.Contains(js, "/-/api/presence/") {
		t.Fatalf("editor.js: %d %s", code, hdr.Get("Content-Type"))
	}
	// Pages that are not the editor load no script but the header's and
	// diagrams.js (which loads Mermaid and KaTeX only where needed).
	if _, view := tw.get("/WMO-loket/Ontwerp"); strings.Count(view, "<script") != 2 || !strings.Contains(view, `<script src="/-/static/search.js" defer></script>`) || !strings.Contains(view, `<script src="/-/static/diagrams.js" defer></script>`) {
		t.Fatal("the page view loads other scripts than search.js and diagrams.js")
	}
}
