package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// testWiki is a server over a real repository in a temporary folder.
type testWiki struct {
	t    *testing.T
	srv  *httptest.Server
	repo *storage.Repo
	dir  string
}

type options struct{ readOnly bool }

func newTestWiki(t *testing.T, opts ...options) *testWiki {
	t.Helper()
	var o options
	if len(opts) > 0 {
		o = opts[0]
	}
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = repo.Commit(context.Background(), wiki.Commit{
		Author: wiki.Author{Name: "wikiwerk"}, Message: "seed",
		Changes: []wiki.Change{
			{Name: "Home", Content: []byte("# Welkom\n\nZie [[WMO-loket/Ontwerp]] en [[Nog niet]].\n\n## Doel\n\nDelen.\n")},
			{Name: "WMO-loket/Ontwerp", Content: []byte("Regel een\nRegel twee\nRegel drie\n")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The embedded theme, so that the shipped templates are what is tested.
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{
		Wiki:           wiki.New(repo, wiki.Options{MaxPageBytes: 64 << 10}),
		Theme:          theme,
		AnonymousEdits: !o.readOnly,
		MaxBodyBytes:   256 << 10,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	tw := &testWiki{t: t, srv: httptest.NewServer(s), repo: repo, dir: dir}
	t.Cleanup(func() { tw.srv.Close(); repo.Close() })
	return tw
}

// do sends a request and returns the status and body.
func (tw *testWiki) do(method, path, contentType, body string, header ...string) (int, string, http.Header) {
	tw.t.Helper()
	req, err := http.NewRequest(method, tw.srv.URL+path, strings.NewReader(body))
	if err != nil {
		tw.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if method == http.MethodPost && contentType == "application/x-www-form-urlencoded" {
		// A browser's form carries the CSRF token of the page it is on.
		tw.addCSRF(req)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		tw.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (tw *testWiki) get(path string) (int, string) {
	code, body, _ := tw.do("GET", path, "", "")
	return code, body
}

func (tw *testWiki) postForm(path string, form url.Values) (int, string, http.Header) {
	return tw.do("POST", path, "application/x-www-form-urlencoded", form.Encode())
}

func (tw *testWiki) head() string {
	snap, _ := tw.repo.Snapshot(context.Background())
	return snap.Head
}

func (tw *testWiki) revision(name string) string {
	snap, _ := tw.repo.Snapshot(context.Background())
	return pageRev(snap, wiki.Name(name))
}

func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// find returns the elements with the given tag.
func find(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func TestViewPage(t *testing.T) {
	tw := newTestWiki(t)
	code, body := tw.get("/Home")
	if code != 200 {
		t.Fatalf("GET /Home = %d", code)
	}
	doc := parseHTML(t, body)
	if h1 := find(doc, "h1"); len(h1) != 1 {
		t.Fatalf("page has %d h1 elements, want exactly 1", len(h1))
	}
	if lang := attr(find(doc, "html")[0], "lang"); lang != "nl" {
		t.Errorf("lang = %q", lang)
	}
	for _, landmark := range []string{"header", "main", "footer", "nav"} {
		if len(find(doc, landmark)) == 0 {
			t.Errorf("no <%s> landmark", landmark)
		}
	}
	var existing, missing bool
	for _, a := range find(doc, "a") {
		switch attr(a, "href") {
		case "/WMO-loket/Ontwerp":
			existing = strings.Contains(attr(a, "class"), "wikilink")
		case "/-/edit/Nog%20niet":
			missing = strings.Contains(attr(a, "class"), "wikilink-missing")
		}
	}
	if !existing || !missing {
		t.Errorf("wikilinks: existing %v, missing-as-create %v\n%s", existing, missing, body)
	}
	if code, _ := tw.get("/-/static/wikiwerk.css"); code != 200 {
		t.Errorf("stylesheet: %d", code)
	}
	if code, _ := tw.get("/-/static/highlight.css"); code != 200 {
		t.Errorf("highlight stylesheet: %d", code)
	}
	code, _, hdr := tw.do("GET", "/", "", "")
	if code != http.StatusFound || hdr.Get("Location") != "/Home" {
		t.Errorf("GET / = %d to %q", code, hdr.Get("Location"))
	}
}

func TestSecurityHeaders(t *testing.T) {
	tw := newTestWiki(t)
	_, _, hdr := tw.do("GET", "/Home", "", "")
	csp := hdr.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	if hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", hdr.Get("X-Content-Type-Options"))
	}
}

func TestMissingPageOffersCreate(t *testing.T) {
	tw := newTestWiki(t)
	code, body := tw.get("/Nieuw/Onderwerp")
	if code != 404 || !strings.Contains(body, `href="/-/edit/Nieuw/Onderwerp"`) {
		t.Fatalf("missing page: %d\n%s", code, body)
	}
}

func TestEditFormIsAccessible(t *testing.T) {
	tw := newTestWiki(t)
	code, body := tw.get("/-/edit/WMO-loket/Ontwerp")
	if code != 200 {
		t.Fatalf("edit form: %d", code)
	}
	doc := parseHTML(t, body)
	labels := map[string]bool{}
	for _, l := range find(doc, "label") {
		labels[attr(l, "for")] = true
	}
	for _, tag := range []string{"input", "textarea"} {
		for _, f := range find(doc, tag) {
			if attr(f, "type") == "hidden" {
				continue
			}
			if id := attr(f, "id"); !labels[id] {
				t.Errorf("<%s name=%q id=%q> has no label", tag, attr(f, "name"), id)
			}
		}
	}
	ta := find(doc, "textarea")[0]
	if got := text(ta); got != "Regel een\nRegel twee\nRegel drie\n" {
		t.Errorf("textarea holds %q", got)
	}
	var base string
	for _, in := range find(doc, "input") {
		if attr(in, "name") == "base" {
			base = attr(in, "value")
		}
	}
	if base != tw.revision("WMO-loket/Ontwerp") {
		t.Errorf("base = %q, want the page's revision", base)
	}
}

func TestSaveTwiceAndReviewHistory(t *testing.T) {
	tw := newTestWiki(t)
	name := "WMO-loket/Ontwerp"
	rev0 := tw.revision(name)
	code, _, hdr := tw.postForm("/-/edit/"+name, url.Values{
		"content": {"Regel een\r\nRegel twee aangepast\r\nRegel drie\r\n"}, "base": {rev0},
		"message": {"Tweede regel aangepast"}, "author_name": {"Anna de Vries"}, "author_email": {"anna@example.nl"},
	})
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/WMO-loket/Ontwerp") {
		t.Fatalf("save 1: %d %s", code, hdr.Get("Location"))
	}
	rev1 := tw.revision(name)
	code, _, _ = tw.postForm("/-/edit/"+name, url.Values{
		"content": {"Regel een\nRegel twee aangepast\nRegel drie\nRegel vier\n"}, "base": {rev1},
		"message": {"Regel vier"}, "author_name": {"Bram Jansen"},
	})
	if code != http.StatusSeeOther {
		t.Fatalf("save 2: %d", code)
	}
	rev2 := tw.revision(name)

	// CRLF from the browser is stored as LF.
	p, _ := tw.repo.ReadPage(context.Background(), wiki.Name(name), rev1)
	if string(p.Content) != "Regel een\nRegel twee aangepast\nRegel drie\n" {
		t.Fatalf("stored text = %q", p.Content)
	}

	_, body := tw.get("/-/history/" + name)
	for _, want := range []string{"Anna de Vries", "Bram Jansen", "Tweede regel aangepast", "Regel vier", rev1, rev2} {
		if !strings.Contains(body, want) {
			t.Errorf("history lacks %q", want)
		}
	}
	code, body = tw.get("/-/diff/" + name + "?from=" + rev0 + "&to=" + rev1)
	if code != 200 || !regexp.MustCompile(`<ins>\s*aangepast</ins>`).MatchString(body) {
		t.Fatalf("diff: %d, no word highlight\n%s", code, body)
	}
	code, body = tw.get("/WMO-loket/Ontwerp?rev=" + rev1)
	if code != 200 || strings.Contains(body, "Regel vier") || !strings.Contains(body, "Anna de Vries") {
		t.Fatalf("old revision view: %d\n%s", code, body)
	}
	code, body, hdr = tw.do("GET", "/-/raw/"+name+"?rev="+rev1, "", "")
	if code != 200 || hdr.Get("Content-Type") != "text/markdown; charset=utf-8" || body != "Regel een\nRegel twee aangepast\nRegel drie\n" {
		t.Fatalf("raw: %d %q %q", code, hdr.Get("Content-Type"), body)
	}
}

func TestStaleFormSaveKeepsText(t *testing.T) {
	tw := newTestWiki(t)
	name := "WMO-loket/Ontwerp"
	rev0 := tw.revision(name)
	tw.postForm("/-/edit/"+name, url.Values{"content": {"Anna's versie\n"}, "base": {rev0}, "author_name": {"Anna"}})
	head := tw.head()
	mine := "Mijn <b>eigen</b> tekst & meer\n"
	code, body, _ := tw.postForm("/-/edit/"+name, url.Values{"content": {mine}, "base": {rev0}, "author_name": {"Bram"}})
	if code != http.StatusConflict {
		t.Fatalf("stale save: %d", code)
	}
	doc := parseHTML(t, body)
	areas := map[string]string{}
	for _, a := range find(doc, "textarea") {
		areas[attr(a, "id")] = text(a)
	}
	if areas["wwText"] != mine || areas["wwCurrent"] != "Anna's versie\n" {
		t.Fatalf("conflict form does not hold both texts:\n%s", body)
	}
	if tw.head() != head {
		t.Fatal("a stale save moved main")
	}
	// Saving again from the form as shown now succeeds: the base moved on.
	for _, in := range find(doc, "input") {
		if attr(in, "name") == "base" && attr(in, "value") != tw.revision(name) {
			t.Fatalf("conflict form base = %q, want current %q", attr(in, "value"), tw.revision(name))
		}
	}
}

func TestInvalidNamesAreRefused(t *testing.T) {
	tw := newTestWiki(t)
	head := tw.head()
	for _, name := range []string{"../x", ".git/config", "a//b", "a/./b", "x%01y", "x%00y", "-/x", "a\\b", "x.git", "%2e%2e/x"} {
		if code, _ := tw.get("/" + name); code != 400 {
			t.Errorf("GET /%s = %d, want 400", name, code)
		}
		if code, _, _ := tw.postForm("/-/edit/"+name, url.Values{"content": {"x"}}); code != 400 {
			t.Errorf("POST /-/edit/%s = %d, want 400", name, code)
		}
		code, body, _ := tw.do("PUT", "/-/api/pages/"+name, "application/json", `{"content":"x"}`)
		if code != 400 || !strings.Contains(body, `"error"`) {
			t.Errorf("PUT /-/api/pages/%s = %d %s, want 400 JSON", name, code, body)
		}
	}
	if tw.head() != head {
		t.Fatal("an invalid name changed the repository")
	}
}

func TestAPI(t *testing.T) {
	tw := newTestWiki(t)
	type saved struct {
		Name, Revision    string
		Merged, Committed bool
	}
	put := func(name, body string) (int, string) {
		code, b, _ := tw.do("PUT", "/-/api/pages/"+name, "application/json", body)
		return code, b
	}

	code, body := put("Beleid/Nieuw", `{"content":"Eerste\n","message":"Nieuw beleid","author":{"name":"Carla","email":"carla@example.nl"}}`)
	var s saved
	json.Unmarshal([]byte(body), &s)
	if code != 201 || s.Name != "Beleid/Nieuw" || len(s.Revision) != 40 {
		t.Fatalf("create: %d %s", code, body)
	}
	code, body = put("Beleid/Nieuw", `{"content":"Tweede\n","base":"`+s.Revision+`"}`)
	var s2 saved
	json.Unmarshal([]byte(body), &s2)
	if code != 200 || s2.Revision == s.Revision || !s2.Committed {
		t.Fatalf("update: %d %s", code, body)
	}
	head := tw.head()
	code, body = put("Beleid/Nieuw", `{"content":"Tweede\n","base":"`+s2.Revision+`"}`)
	if code != 200 || tw.head() != head || !strings.Contains(body, `"committed":false`) {
		t.Fatalf("unchanged save: %d %s (head moved: %v)", code, body, tw.head() != head)
	}
	// A stale base: 409 with the current text; nothing written.
	code, body = put("Beleid/Nieuw", `{"content":"Derde\n","base":"`+s.Revision+`"}`)
	var conflict struct {
		Error   string
		Current struct{ Content, Revision string }
	}
	json.Unmarshal([]byte(body), &conflict)
	if code != 409 || conflict.Error != "conflict" || conflict.Current.Content != "Tweede\n" || conflict.Current.Revision != s2.Revision {
		t.Fatalf("stale save: %d %s", code, body)
	}
	// Creating a page that exists is a conflict, not an overwrite.
	if code, _ = put("Beleid/Nieuw", `{"content":"Over\n"}`); code != 409 {
		t.Fatalf("create over existing: %d", code)
	}
	if code, _ = put("beleid/nieuw", `{"content":"Over\n"}`); code != 409 {
		t.Fatalf("create with other case: %d", code)
	}

	code, body = tw.get("/-/api/pages/Beleid/Nieuw")
	var page struct {
		Name, Content, Revision string
		Author                  wiki.Author
	}
	json.Unmarshal([]byte(body), &page)
	if code != 200 || page.Content != "Tweede\n" || page.Author.Name != "Anonymous" || page.Revision != s2.Revision {
		t.Fatalf("get: %d %s", code, body)
	}
	code, body = tw.get("/-/api/pages/Beleid/Nieuw?rev=" + s.Revision)
	json.Unmarshal([]byte(body), &page)
	if code != 200 || page.Content != "Eerste\n" || page.Author != (wiki.Author{Name: "Carla", Email: "carla@example.nl"}) {
		t.Fatalf("get at revision: %d %s", code, body)
	}
	if code, _ = tw.get("/-/api/pages/Bestaat/Niet"); code != 404 {
		t.Fatalf("get missing: %d", code)
	}

	code, body = tw.get("/-/api/pages/Beleid/Nieuw/history?limit=1")
	var hist struct {
		Revisions []struct {
			Revision, Message string
			Author            wiki.Author
		}
	}
	json.Unmarshal([]byte(body), &hist)
	if code != 200 || len(hist.Revisions) != 1 || hist.Revisions[0].Revision != s2.Revision {
		t.Fatalf("history: %d %s", code, body)
	}
	code, body = tw.get("/-/api/pages/Beleid/Nieuw/history?before=" + s2.Revision)
	json.Unmarshal([]byte(body), &hist)
	if code != 200 || len(hist.Revisions) != 1 || hist.Revisions[0].Message != "Nieuw beleid" {
		t.Fatalf("history page 2: %d %s", code, body)
	}

	code, body = tw.get("/-/api/pages/Beleid/Nieuw/diff?from=" + s.Revision + "&to=" + s2.Revision)
	var d struct{ From, To, Diff string }
	json.Unmarshal([]byte(body), &d)
	if code != 200 || d.From != s.Revision || !strings.Contains(d.Diff, "-Eerste\n+Tweede\n") {
		t.Fatalf("diff: %d %s", code, body)
	}

	code, body = tw.get("/-/api/pages")
	if code != 200 || !strings.Contains(body, `"name":"Beleid/Nieuw"`) || !strings.Contains(body, `"name":"Home"`) {
		t.Fatalf("list: %d %s", code, body)
	}
	code, body = tw.get("/-/api/recent?limit=2")
	var recent struct {
		Changes []struct {
			Revision string
			Pages    []string
		}
	}
	json.Unmarshal([]byte(body), &recent)
	if code != 200 || len(recent.Changes) != 2 || recent.Changes[0].Pages[0] != "Beleid/Nieuw" {
		t.Fatalf("recent: %d %s", code, body)
	}

	// Delete: stale base refused, right base accepted.
	code, _, _ = tw.do("DELETE", "/-/api/pages/Beleid/Nieuw?base="+s.Revision, "", "")
	if code != 409 {
		t.Fatalf("stale delete: %d", code)
	}
	code, _, _ = tw.do("DELETE", "/-/api/pages/Beleid/Nieuw?base="+s2.Revision, "", "")
	if code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ = tw.get("/-/api/pages/Beleid/Nieuw"); code != 404 {
		t.Fatalf("deleted page: %d", code)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	tw := newTestWiki(t)
	head := tw.head()
	cases := []struct {
		name, method, path, ctype, body string
		want                            int
	}{
		{"invalid UTF-8 JSON", "PUT", "/-/api/pages/X", "application/json", "{\"content\":\"\xff\xfe\"}", 400},
		{"invalid UTF-8 form", "POST", "/-/edit/X", "application/x-www-form-urlencoded", "content=%ff%fe", 400},
		{"NUL in text", "PUT", "/-/api/pages/X", "application/json", `{"content":"a\u0000b"}`, 400},
		{"not JSON", "PUT", "/-/api/pages/X", "application/json", `content=x`, 400},
		{"no content field", "PUT", "/-/api/pages/X", "application/json", `{"message":"x"}`, 400},
		{"unknown field", "PUT", "/-/api/pages/X", "application/json", `{"content":"x","contnet":"y"}`, 400},
		{"body over the limit", "PUT", "/-/api/pages/X", "application/json", `{"content":"` + strings.Repeat("a", 300<<10) + `"}`, 413},
		{"page over the limit", "PUT", "/-/api/pages/X", "application/json", `{"content":"` + strings.Repeat("a", 100<<10) + `"}`, 413},
		{"author with newline", "PUT", "/-/api/pages/X", "application/json", `{"content":"x","author":{"name":"a\nb"}}`, 400},
		{"bad revision", "GET", "/-/api/pages/Home?rev=nope", "", "", 400},
		{"unknown revision", "GET", "/-/api/pages/Home?rev=" + strings.Repeat("0", 40), "", "", 404},
		{"bad limit", "GET", "/-/api/recent?limit=-1", "", "", 400},
		{"delete without base", "DELETE", "/-/api/pages/Home", "", "", 400},
		{"unknown API call", "GET", "/-/api/nothing", "", "", 404},
	}
	for _, c := range cases {
		code, body, hdr := tw.do(c.method, c.path, c.ctype, c.body)
		if code != c.want {
			t.Errorf("%s: %d, want %d (%s)", c.name, code, c.want, body)
		}
		if strings.HasPrefix(c.path, "/-/api/") && !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s: API error is %s, not JSON", c.name, hdr.Get("Content-Type"))
		}
		if !strings.HasPrefix(c.path, "/-/api/") && !strings.Contains(body, "<html") {
			t.Errorf("%s: HTML error is not a themed page", c.name)
		}
	}
	if tw.head() != head {
		t.Fatal("bad input changed the repository")
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	tw := newTestWiki(t, options{readOnly: true})
	head := tw.head()
	if code, _ := tw.get("/-/edit/Home"); code != 403 {
		t.Errorf("edit form: %d", code)
	}
	if code, _, _ := tw.postForm("/-/edit/Home", url.Values{"content": {"x"}}); code != 403 {
		t.Errorf("form save: %d", code)
	}
	if code, _, _ := tw.do("PUT", "/-/api/pages/Home", "application/json", `{"content":"x"}`); code != 403 {
		t.Errorf("API save: %d", code)
	}
	if code, _, _ := tw.do("DELETE", "/-/api/pages/Home?base="+tw.revision("Home"), "", ""); code != 403 {
		t.Errorf("API delete: %d", code)
	}
	if _, body := tw.get("/Home"); strings.Contains(body, `href="/-/edit/Home"`) {
		t.Error("read-only view shows an edit link")
	}
	if tw.head() != head {
		t.Fatal("read-only wiki was changed")
	}
}

func TestRecentAndFeed(t *testing.T) {
	tw := newTestWiki(t)
	rev := tw.revision("WMO-loket/Ontwerp")
	tw.do("PUT", "/-/api/pages/WMO-loket/Ontwerp", "application/json", `{"content":"nieuw\n","base":"`+rev+`","message":"Ontwerp herschreven","author":{"name":"Anna"}}`)
	code, body := tw.get("/-/recent")
	if code != 200 || !strings.Contains(body, "Ontwerp herschreven") || !strings.Contains(body, "Anna") {
		t.Fatalf("recent: %d\n%s", code, body)
	}
	code, body, hdr := tw.do("GET", "/-/recent.atom", "", "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %s", code, hdr.Get("Content-Type"))
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Title   string   `xml:"title"`
		Entries []struct {
			Title string `xml:"title"`
			ID    string `xml:"id"`
			Link  struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Author struct {
				Name string `xml:"name"`
			} `xml:"author"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("feed is not Atom XML: %v\n%s", err, body)
	}
	if len(feed.Entries) != 2 {
		t.Fatalf("feed has %d entries, want 2", len(feed.Entries))
	}
	e := feed.Entries[0]
	if e.Title != "Ontwerp herschreven" || e.Author.Name != "Anna" || !strings.Contains(e.Link.Href, "/-/diff/WMO-loket/Ontwerp?to=") {
		t.Fatalf("feed entry: %+v", e)
	}
	// The entry's link leads to the diff of that change.
	u, _ := url.Parse(e.Link.Href)
	if code, body := tw.get(u.RequestURI()); code != 200 || !strings.Contains(body, "nieuw") {
		t.Fatalf("feed link %s: %d", u, code)
	}
}

func TestHealthAndLanguage(t *testing.T) {
	tw := newTestWiki(t)
	if code, body := tw.get("/-/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	_, body, _ := tw.do("GET", "/Home", "", "", "Accept-Language", "en-GB,en;q=0.9")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Recent changes") {
		t.Fatal("English was not chosen for an English browser")
	}
	code, _, hdr := tw.do("GET", "/-/lang/en?back=//evil.example/", "", "")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/" {
		t.Fatalf("language switch redirect: %d %q", code, hdr.Get("Location"))
	}
}

// TestTemplatesUseKnownMessages fails when a template asks for a message
// key that has no translation (it would show the bare key to users).
func TestTemplatesUseKnownMessages(t *testing.T) {
	theme, _ := themes.Open("")
	keyRe := regexp.MustCompile(`\.T "([a-z0-9-]+)"`)
	files, _ := fs.Glob(theme, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(theme, f)
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			if !web.KnownMessage(m[1]) {
				t.Errorf("%s uses unknown message %q", f, m[1])
			}
		}
	}
}

// TestGitSeesWebEdits checks that edits from the web are plain git: the
// CLI sees them and fsck is clean.
func TestGitSeesWebEdits(t *testing.T) {
	tw := newTestWiki(t)
	tw.do("PUT", "/-/api/pages/Nieuw", "application/json", `{"content":"Hallo\n","author":{"name":"Anna","email":""}}`)
	out, err := exec.Command("git", "-C", tw.dir, "fsck", "--strict", "--no-dangling").CombinedOutput()
	if err != nil {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
	out, err = exec.Command("git", "-C", tw.dir, "log", "-1", "--format=%an <%ae>", "main").CombinedOutput()
	if err != nil || string(out) != "Anna <>\n" {
		t.Fatalf("git log: %q %v", out, err)
	}
}

// TestResolveConflictHunkByHunk: two people change the same line; the
// second gets the conflict form, keeps both versions of the conflicting
// line, and the result holds both edits and the untouched lines.
func TestResolveConflictHunkByHunk(t *testing.T) {
	tw := newTestWiki(t)
	name := "WMO-loket/Ontwerp"
	rev0 := tw.revision(name)
	tw.postForm("/-/edit/"+name, url.Values{"content": {"Regel een\nRegel twee van Anna\nRegel drie\n"}, "base": {rev0}, "author_name": {"Anna"}})
	code, body, _ := tw.postForm("/-/edit/"+name, url.Values{"content": {"Regel een\nRegel twee van Bram\nRegel drie\n"}, "base": {rev0}, "author_name": {"Bram"}, "message": {"Bram's zin"}})
	if code != http.StatusConflict {
		t.Fatalf("overlapping save: %d", code)
	}
	// Post the resolution form back as a browser would, choosing "both".
	doc := parseHTML(t, body)
	var form *html.Node
	for _, f := range find(doc, "form") {
		if strings.Contains(attr(f, "class"), "resolve") {
			form = f
		}
	}
	if form == nil {
		t.Fatalf("no resolution form:\n%s", body)
	}
	values := url.Values{}
	for _, in := range find(form, "input") {
		switch attr(in, "type") {
		case "hidden":
			values.Add(attr(in, "name"), attr(in, "value"))
		case "radio":
			if attr(in, "value") == "both" {
				values.Set(attr(in, "name"), "both")
			}
		}
	}
	if !strings.Contains(text(form), "Regel twee van Anna") || !strings.Contains(text(form), "Regel twee van Bram") {
		t.Fatalf("the conflict does not show both versions:\n%s", body)
	}
	code, _, hdr := tw.postForm("/-/edit/"+name, values)
	if code != http.StatusSeeOther {
		t.Fatalf("resolution save: %d", code)
	}
	if got := tw.content(name); got != "Regel een\nRegel twee van Anna\nRegel twee van Bram\nRegel drie\n" {
		t.Fatalf("resolved text = %q", got)
	}
	_, view := tw.get(hdr.Get("Location"))
	if !strings.Contains(view, "Opgeslagen") {
		t.Fatalf("no saved notice after resolving")
	}
	if r, _ := tw.repo.Revision(context.Background(), tw.revision(name)); r.Author.Name != "Bram" || r.Message != "Bram's zin" {
		t.Fatalf("resolution commit: %+v", r)
	}
}

// TestMergedSaveSaysWithWhom: edits of different lines from the same base
// merge, and the page says whose change it was merged with.
func TestMergedSaveSaysWithWhom(t *testing.T) {
	tw := newTestWiki(t)
	name := "WMO-loket/Ontwerp"
	rev0 := tw.revision(name)
	tw.postForm("/-/edit/"+name, url.Values{"content": {"Regel een van Anna\nRegel twee\nRegel drie\n"}, "base": {rev0}, "author_name": {"Anna"}})
	code, _, hdr := tw.postForm("/-/edit/"+name, url.Values{"content": {"Regel een\nRegel twee\nRegel drie van Bram\n"}, "base": {rev0}, "author_name": {"Bram"}})
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "merged=") {
		t.Fatalf("merged save: %d %s", code, hdr.Get("Location"))
	}
	if got := tw.content(name); got != "Regel een van Anna\nRegel twee\nRegel drie van Bram\n" {
		t.Fatalf("merged text = %q", got)
	}
	_, view := tw.get(hdr.Get("Location"))
	if !strings.Contains(view, "samengevoegd met de wijziging van Anna") {
		t.Fatalf("the page does not say it merged with Anna's change")
	}
	res, _ := tw.put(name, "Regel een van Anna\nRegel twee via API\nRegel drie\n", tw.historyLast(name, 1), "Carla")
	if res.code != 200 || !res.merged {
		t.Fatalf("API merge: %+v", res)
	}
}

// TestLanguageSwitchStaysOnSite: the back parameter cannot send a user to
// another site, whatever browsers strip from URLs.
func TestLanguageSwitchStaysOnSite(t *testing.T) {
	tw := newTestWiki(t)
	for _, back := range []string{"//evil.example/", "/%09/evil.example", "/%0a/evil.example", "/\\evil.example", "https://evil.example/", "/%0c/evil.example"} {
		_, _, hdr := tw.do("GET", "/-/lang/en?back="+back, "", "")
		if hdr.Get("Location") != "/" {
			t.Errorf("back=%s redirects to %q", back, hdr.Get("Location"))
		}
	}
	if _, _, hdr := tw.do("GET", "/-/lang/en?back=/Home", "", ""); hdr.Get("Location") != "/Home" {
		t.Errorf("a local back path is not kept: %q", hdr.Get("Location"))
	}
}

// pageRev is the last revision of a page in a snapshot, "" if missing.
func pageRev(s *wiki.Snapshot, n wiki.Name) string {
	p, _ := s.Page(n)
	return p.Revision
}
