package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// linksOf asks the API what a page links to and what links to it.
func (nw *navWiki) linksOf(name string) (out, back []string) {
	nw.t.Helper()
	code, body := nw.get("/-/api/pages/" + wiki.MustParseName(name).EscapedPath() + "/links")
	var l struct {
		Links     []string `json:"links"`
		Backlinks []string `json:"backlinks"`
	}
	if err := json.Unmarshal([]byte(body), &l); code != 200 || err != nil || l.Links == nil || l.Backlinks == nil {
		nw.t.Fatalf("links of %s: %d %v %s", name, code, err, body)
	}
	return l.Links, l.Backlinks
}

// listed returns the pages a list links to inside <main>, in order,
// without the page actions and the layout around it.
func listed(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, m := range find(parseHTML(t, body), "main") {
		for _, ul := range find(m, "ul") {
			if !strings.Contains(attr(ul, "class"), "nav-list") {
				continue
			}
			for _, a := range find(ul, "a") {
				u, _ := url.PathUnescape(attr(a, "href"))
				out = append(out, strings.TrimPrefix(u, "/"))
			}
		}
	}
	return out
}

func TestLinksWantedOrphansAndTags(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	out, back := nw.linksOf("WMO-loket/Ontwerp")
	if !slices.Equal(out, []string{}) || !slices.Equal(back, []string{"Home", "WMO-loket/Klantreis"}) {
		t.Errorf("Ontwerp: links %v, backlinks %v", out, back)
	}
	out, back = nw.linksOf("WMO-loket/Klantreis")
	if !slices.Equal(out, []string{"Nog niet", "WMO-loket/Ontwerp"}) || !slices.Equal(back, []string{"Home"}) {
		t.Errorf("Klantreis: links %v, backlinks %v", out, back)
	}

	// What links here, as a page.
	code, body := nw.get("/-/links/WMO-loket/Ontwerp")
	if code != 200 || !slices.Equal(listed(t, body), []string{"Home", "WMO-loket/Klantreis"}) ||
		!strings.Contains(body, "<h1>Links van en naar Ontwerp van het loket</h1>") {
		t.Errorf("links page: %d %v\n%s", code, listed(t, body), body)
	}
	if _, body := nw.get("/WMO-loket/Ontwerp"); !strings.Contains(body, `href="/-/links/WMO-loket/Ontwerp"`) {
		t.Error("the page actions do not link to what links here")
	}
	// A missing page that is linked to: its backlinks and a way to
	// create it; one that nobody wants: 404.
	if code, body := nw.get("/-/links/Nog%20niet"); code != 200 || !slices.Equal(listed(t, body), []string{"Home", "WMO-loket/Klantreis"}) ||
		!strings.Contains(body, `href="/-/edit/Nog%20niet"`) {
		t.Errorf("links of a wanted page: %d %v", code, listed(t, body))
	}
	if code, _ := nw.get("/-/links/Niemand/Wil/Dit"); code != 404 {
		t.Errorf("links of a page nobody wants: %d", code)
	}

	// Wanted pages: how many want each, and a create link.
	_, body = nw.get("/-/wanted")
	if !strings.Contains(body, `<span class="wanted-name">Nog niet</span>`) || !strings.Contains(body, "gewenst door 2 pagina&#39;s:") ||
		!strings.Contains(body, `href="/-/edit/Nog%20niet"`) {
		t.Errorf("wanted:\n%s", body)
	}
	// Orphans: Los and Beleid/Visie; never Home.
	_, body = nw.get("/-/orphans")
	if got := listed(t, body); !slices.Equal(got, []string{"Beleid/Visie", "Los"}) {
		t.Errorf("orphans = %v", got)
	}
	// Tags: wmo on two pages (written wmo and WMO), ontwerp on one.
	_, body = nw.get("/-/tags")
	if !strings.Contains(body, `href="/-/tags/ontwerp"`) || !strings.Contains(body, "2 pagina&#39;s") {
		t.Errorf("tags:\n%s", body)
	}
	_, body = nw.get("/-/tags/Wmo")
	if got := listed(t, body); !slices.Equal(got, []string{"WMO-loket/Klantreis", "WMO-loket/Ontwerp"}) {
		t.Errorf("pages tagged wmo = %v", got)
	}
	if code, _ := nw.get("/-/tags/bestaat-niet"); code != 404 {
		t.Errorf("an unknown tag: %d", code)
	}
	if _, body := nw.get("/WMO-loket/Ontwerp"); !strings.Contains(body, `<a class="tag" href="/-/tags/wmo">wmo</a>`) {
		t.Errorf("the page's tags do not link to their lists:\n%s", body)
	}

	// A save: Los links to Beleid/Visie and creates Nog niet's wish.
	nw.save("Los", "Zie [[Beleid/Visie]] en [het verhaal](WMO-loket/Klantreis.md).\n")
	if _, back := nw.linksOf("Beleid/Visie"); !slices.Equal(back, []string{"Los"}) {
		t.Errorf("backlinks of Visie after a save: %v", back)
	}
	if _, back := nw.linksOf("WMO-loket/Klantreis"); !slices.Equal(back, []string{"Home", "Los"}) {
		t.Errorf("a relative Markdown link is no backlink: %v", back)
	}
	if _, body := nw.get("/-/orphans"); !slices.Equal(listed(t, body), []string{"Los"}) {
		t.Errorf("orphans after a save = %v", listed(t, body))
	}
	// Creating a wanted page takes it off the list.
	nw.save("Nog niet", "Nu wel.\n")
	if _, body := nw.get("/-/wanted"); strings.Contains(body, "Nog niet") {
		t.Errorf("a created page is still wanted:\n%s", body)
	}

	// A rename that updates links: the wikilinks follow the page (the
	// Markdown link of Klantreis keeps leading to the old name, whose
	// stub redirects), and the stub is no orphan and not in the tree of
	// pages.
	code, body, _ = nw.do("POST", "/-/api/pages/WMO-loket/Ontwerp/rename", "application/json",
		`{"to": "WMO-loket/Ontwerp 2025", "base": "`+nw.revision("WMO-loket/Ontwerp")+`", "update_links": true}`)
	if code != 200 {
		t.Fatalf("rename: %d %s", code, body)
	}
	nw.sync()
	if _, back := nw.linksOf("WMO-loket/Ontwerp 2025"); !slices.Equal(back, []string{"Home", "WMO-loket/Ontwerp"}) {
		t.Errorf("backlinks after the rename: %v", back)
	}
	if out, _ := nw.linksOf("Home"); !slices.Equal(out, []string{"Nog niet", "WMO-loket/Klantreis", "WMO-loket/Ontwerp 2025"}) {
		t.Errorf("Home links to %v after the rename", out)
	}
	if _, body := nw.get("/-/links/WMO-loket/Ontwerp%202025"); !strings.Contains(body, "(doorverwijzing)") {
		t.Errorf("the stub is not marked as a redirect:\n%s", body)
	}
	if _, body := nw.get("/-/orphans"); !slices.Equal(listed(t, body), []string{"Los"}) {
		t.Errorf("orphans after the rename = %v", listed(t, body))
	}
	if _, tagged := nw.graph.Tagged("ontwerp"); !slices.Equal(tagged, []wiki.Name{"WMO-loket/Ontwerp 2025"}) {
		t.Errorf("tag after the rename: %v", tagged)
	}
	_, body = nw.get("/-/pages")
	tree := treeNames(t, body)
	if slices.Contains(tree, "WMO-loket/Ontwerp") || !slices.Contains(tree, "WMO-loket/Ontwerp 2025") {
		t.Errorf("all pages after the rename: %v", tree)
	}

	// A delete: its links go, and what only it linked to is orphaned.
	code, _, _ = nw.do("DELETE", "/-/api/pages/Los?base="+nw.revision("Los"), "", "")
	if code != 200 {
		t.Fatalf("delete: %d", code)
	}
	nw.sync()
	if _, back := nw.linksOf("Beleid/Visie"); len(back) != 0 {
		t.Errorf("backlinks from a deleted page: %v", back)
	}
	if _, body := nw.get("/-/orphans"); !slices.Equal(listed(t, body), []string{"Beleid/Visie"}) {
		t.Errorf("orphans after the delete = %v", listed(t, body))
	}
}

// treeNames returns the pages the tree of all pages links to, with the
// folders they are in.
func treeNames(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, div := range find(parseHTML(t, body), "div") {
		if attr(div, "id") != "wwTree" {
			continue
		}
		for _, a := range find(div, "a") {
			u, _ := url.PathUnescape(attr(a, "href"))
			out = append(out, strings.TrimPrefix(u, "/"))
		}
	}
	return out
}

func TestAllPagesTree(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	nw.save("Financiële steun", "# Financiële steun\n\nBijzondere bijstand.\n")
	code, body := nw.get("/-/pages")
	if code != 200 {
		t.Fatalf("all pages: %d", code)
	}
	want := []string{"Beleid/Visie", "Financiële steun", "Home", "Los", "WMO-loket/Klantreis", "WMO-loket/Ontwerp"}
	if got := treeNames(t, body); !slices.Equal(got, want) {
		t.Errorf("tree = %v, want %v", got, want)
	}
	doc := parseHTML(t, body)
	// Folders are nested lists, titles and last changes shown.
	var nested bool
	for _, li := range find(doc, "li") {
		if strings.Contains(text(li), "WMO-loket/") && len(find(li, "ul")) == 1 && len(find(li, "a")) == 2 {
			nested = true
		}
	}
	if !nested {
		t.Errorf("WMO-loket is not a folder with two pages:\n%s", body)
	}
	if !strings.Contains(body, ">Ontwerp van het loket</a> <span class=\"tree-name\">Ontwerp</span>") ||
		!strings.Contains(body, "gewijzigd door Wim Werk op 1 maart 2024 12:00") {
		t.Errorf("titles or last changes missing:\n%s", body)
	}
	// The filter, without JavaScript: a query parameter, accents and
	// letter case ignored, on name and title.
	for filter, want := range map[string][]string{
		"financiele": {"Financiële steun"},
		"LOKET":      {"WMO-loket/Klantreis", "WMO-loket/Ontwerp"},
		"vision":     {"Beleid/Visie"},
		"niets":      nil,
	} {
		_, body := nw.get("/-/pages?filter=" + url.QueryEscape(filter))
		if got := treeNames(t, body); !slices.Equal(got, want) {
			t.Errorf("filter %q = %v, want %v", filter, got, want)
		}
	}
	if _, body := nw.get("/-/pages?filter=loket"); !strings.Contains(body, "2 van de 6 pagina&#39;s passen bij &#34;loket&#34;.") {
		t.Errorf("the count of a filtered list:\n%s", body)
	}
	// The filter field is labelled; the lists are linked.
	labels := map[string]bool{}
	for _, l := range find(doc, "label") {
		labels[attr(l, "for")] = true
	}
	if !labels["wwFilter"] {
		t.Error("the filter has no label")
	}
	for _, href := range []string{`href="/-/wanted"`, `href="/-/orphans"`, `href="/-/tags"`} {
		if !strings.Contains(body, href) {
			t.Errorf("all pages does not link %s", href)
		}
	}
}

func TestBreadcrumbs(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	_, body := nw.get("/WMO-loket/Ontwerp")
	var trail []string
	var current string
	for _, nav := range find(parseHTML(t, body), "nav") {
		if attr(nav, "aria-label") != "Kruimelpad" {
			continue
		}
		for _, a := range find(nav, "a") {
			trail = append(trail, text(a)+" "+attr(a, "href"))
			if attr(a, "aria-current") == "page" {
				current = text(a)
			}
		}
	}
	want := []string{"Voorpagina /Home", "WMO-loket /WMO-loket", "Ontwerp van het loket /WMO-loket/Ontwerp"}
	if !slices.Equal(trail, want) || current != "Ontwerp van het loket" {
		t.Errorf("trail %v, current %q", trail, current)
	}
	if _, body := nw.get("/Home"); strings.Contains(body, `aria-label="Kruimelpad"`) {
		t.Error("the front page has a trail")
	}
	if _, body := nw.get("/Los"); !strings.Contains(body, `<a href="/Los" aria-current="page">Los</a>`) {
		t.Errorf("a top-level page's trail:\n%s", body)
	}
}

func TestNewPage(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	code, body := nw.get("/-/new?folder=WMO-loket")
	if code != 200 {
		t.Fatalf("new page form: %d", code)
	}
	doc := parseHTML(t, body)
	labels := map[string]bool{}
	for _, l := range find(doc, "label") {
		labels[attr(l, "for")] = true
	}
	var folder string
	for _, f := range find(doc, "form") {
		if attr(f, "action") != "/-/new" {
			continue
		}
		for _, in := range find(f, "input") {
			if !labels[attr(in, "id")] {
				t.Errorf("field %s has no label", attr(in, "name"))
			}
			if attr(in, "name") == "folder" {
				folder = attr(in, "value")
			}
		}
	}
	if folder != "WMO-loket" {
		t.Errorf("the folder field holds %q", folder)
	}
	if !strings.Contains(body, `<option value="Beleid">`) {
		t.Error("the existing folders are not offered")
	}
	// The header's link fills in the folder of the page.
	if _, body := nw.get("/WMO-loket/Ontwerp"); !strings.Contains(body, `href="/-/new?folder=WMO-loket"`) {
		t.Error("the header's new-page link does not carry the folder")
	}

	code, _, hdr := nw.do("GET", "/-/new?folder=%2FWMO-loket%2F&title=Nieuwe+aanpak", "", "")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/edit/WMO-loket/Nieuwe%20aanpak" {
		t.Errorf("submit: %d to %q", code, hdr.Get("Location"))
	}
	code, _, hdr = nw.do("GET", "/-/new?folder=&title=Bovenaan", "", "")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/-/edit/Bovenaan" {
		t.Errorf("submit without a folder: %d to %q", code, hdr.Get("Location"))
	}
	if code, body := nw.get("/-/new?folder=WMO-loket&title=Ontwerp"); code != http.StatusConflict || !strings.Contains(body, "De pagina WMO-loket/Ontwerp bestaat al.") {
		t.Errorf("an existing page: %d\n%s", code, body)
	}
	if code, body := nw.get("/-/new?folder=WMO-loket&title=.geheim"); code != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
		t.Errorf("an invalid name: %d\n%s", code, body)
	}
	if code, _ := nw.get("/-/new?folder=WMO-loket&title="); code != http.StatusBadRequest {
		t.Errorf("no title: %d", code)
	}
}

// TestNavigationListsAreAccessible: one h1, headings in order, and every
// field labelled, on every new page.
func TestNavigationListsAreAccessible(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	for _, path := range []string{"/-/search", "/-/search?q=aanvraag", "/-/search?q=niets+hier", "/-/links/Home", "/-/wanted", "/-/orphans", "/-/tags", "/-/tags/wmo", "/-/pages", "/-/new"} {
		_, body := nw.get(path)
		doc := parseHTML(t, body)
		if n := len(find(doc, "h1")); n != 1 {
			t.Errorf("%s has %d h1", path, n)
		}
		level := 1
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && len(n.Data) == 2 && n.Data[0] == 'h' && n.Data[1] >= '1' && n.Data[1] <= '6' {
				l := int(n.Data[1] - '0')
				if l > level+1 {
					t.Errorf("%s: <%s> %q after h%d", path, n.Data, text(n), level)
				}
				level = l
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		labels := map[string]bool{}
		for _, l := range find(doc, "label") {
			labels[attr(l, "for")] = true
		}
		for _, in := range find(doc, "input") {
			if attr(in, "type") != "hidden" && !labels[attr(in, "id")] {
				t.Errorf("%s: input %s has no label", path, attr(in, "name"))
			}
		}
	}
}
