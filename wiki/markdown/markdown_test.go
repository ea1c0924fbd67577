package markdown

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"
)

// has returns a check that the output has an element tag whose attributes
// include all of attrs (use "" as value to only require presence) and,
// if text is not "", whose text content is text.
func has(tag string, attrs map[string]string, text string) func(*testing.T, Document) {
	return func(t *testing.T, d Document) {
		t.Helper()
		for _, n := range elements(t, string(d.HTML), tag) {
			ok := text == "" || textContent(n) == text
			for k, want := range attrs {
				got, present := attr(n, k)
				if !present || (want != "" && got != want) {
					ok = false
				}
			}
			if ok {
				return
			}
		}
		t.Errorf("no <%s %v> with text %q in\n%s", tag, attrs, text, d.HTML)
	}
}

// hasNo returns a check that no element tag is in the output.
func hasNo(tag string) func(*testing.T, Document) {
	return func(t *testing.T, d Document) {
		t.Helper()
		if n := elements(t, string(d.HTML), tag); len(n) > 0 {
			t.Errorf("unexpected <%s> in\n%s", tag, d.HTML)
		}
	}
}

// contains and lacks check the raw output text.
func contains(s string) func(*testing.T, Document) {
	return func(t *testing.T, d Document) {
		t.Helper()
		if !strings.Contains(string(d.HTML), s) {
			t.Errorf("output lacks %q:\n%s", s, d.HTML)
		}
	}
}

func lacks(s string) func(*testing.T, Document) {
	return func(t *testing.T, d Document) {
		t.Helper()
		if strings.Contains(string(d.HTML), s) {
			t.Errorf("output has %q:\n%s", s, d.HTML)
		}
	}
}

// links checks Document.Links.
func links(want ...string) func(*testing.T, Document) {
	return func(t *testing.T, d Document) {
		t.Helper()
		if len(want) == 0 && len(d.Links) == 0 {
			return
		}
		if !reflect.DeepEqual(d.Links, want) {
			t.Errorf("Links = %q, want %q", d.Links, want)
		}
	}
}

// anchorsResolve checks that every same-page link points at an id that
// exists in the output, and that no id occurs twice.
func anchorsResolve(t *testing.T, d Document) {
	t.Helper()
	ids := map[string]int{}
	var hrefs []string
	walk(parseHTML(t, string(d.HTML)), func(n *html.Node) {
		if id, ok := attr(n, "id"); ok {
			ids[id]++
		}
		if href, ok := attr(n, "href"); ok && strings.HasPrefix(href, "#") {
			hrefs = append(hrefs, href)
		}
	})
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q occurs %d times", id, n)
		}
	}
	for _, href := range hrefs {
		id, err := url.PathUnescape(href[1:])
		if err != nil || ids[id] == 0 {
			t.Errorf("link %q has no target in\n%s", href, d.HTML)
		}
	}
}

func TestRender(t *testing.T) {
	type check = func(*testing.T, Document)
	tests := []struct {
		name   string
		src    string
		checks []check
	}{
		{"paragraph", "Hallo *wereld*", []check{has("em", nil, "wereld"), has("p", nil, "Hallo wereld")}},
		{"table with alignment", "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |", []check{
			has("th", map[string]string{"align": "left"}, "a"),
			has("td", map[string]string{"align": "center"}, "2"),
			has("td", map[string]string{"align": "right"}, "3"),
			lacks("style="),
		}},
		{"strikethrough", "~~weg~~", []check{has("del", nil, "weg")}},
		{"task list", "- [ ] open\n- [x] klaar\n", []check{
			has("input", map[string]string{"type": "checkbox", "disabled": ""}, ""),
			has("input", map[string]string{"type": "checkbox", "checked": ""}, ""),
			// Each box is named by its task, for screen readers.
			has("input", map[string]string{"aria-label": "open"}, ""),
			has("input", map[string]string{"aria-label": "klaar", "checked": ""}, ""),
			has("li", map[string]string{"class": taskItemClass}, " open"),
			has("ul", map[string]string{"class": taskListClass}, ""),
		}},
		{"task label is text only", "- [ ] <b>vet</b> & \"x\"\n", []check{
			has("input", map[string]string{"aria-label": `vet & "x"`}, ""), hasNo("b"),
		}},
		{"plain list has no task classes", "- a\n- b\n", []check{lacks("task-list"), hasNo("input")}},
		{"autolink", "Zie https://example.com/pad?q=1 en www.example.org.", []check{
			has("a", map[string]string{"href": "https://example.com/pad?q=1", "rel": "nofollow noreferrer"}, "https://example.com/pad?q=1"),
			has("a", map[string]string{"href": "http://www.example.org"}, "www.example.org"),
		}},
		{"email autolink", "Mail info@example.nl", []check{has("a", map[string]string{"href": "mailto:info@example.nl"}, "info@example.nl")}},
		{"external link is nofollow", "[x](https://example.com)", []check{has("a", map[string]string{"rel": "nofollow noreferrer"}, "x")}},
		{"relative link is followed", "[x](Andere/Pagina)", []check{has("a", map[string]string{"href": "Andere/Pagina"}, "x"), lacks("nofollow")}},
		{"footnotes", "Tekst[^1] en meer[^noot].\n\n[^1]: Eerste.\n[^noot]: Tweede.\n", []check{
			has("a", map[string]string{"href": "#fn:1", "class": "footnote-ref"}, "1"),
			has("li", map[string]string{"id": "fn:1"}, ""),
			has("li", map[string]string{"id": "fn:2"}, ""),
			has("sup", map[string]string{"id": "fnref:1"}, ""),
			has("a", map[string]string{"href": "#fnref:1", "class": "footnote-backref"}, ""),
			has("div", map[string]string{"class": "footnotes"}, ""),
			anchorsResolve,
		}},
		{"heading ids", "tekst\n\n# Intro\n## Intro\n## Intro\n### Één & twee\n## Intro 1\n## ***\n## !!!", []check{
			has("h2", map[string]string{"id": "intro"}, "Intro"),
			has("h3", map[string]string{"id": "intro-1"}, "Intro"),
			has("h3", map[string]string{"id": "intro-2"}, "Intro"),
			has("h4", map[string]string{"id": "één--twee"}, "Één & twee"),
			has("h3", map[string]string{"id": "intro-1-1"}, "Intro 1"),
			has("h3", map[string]string{"id": "heading-1"}, "!!!"),
			anchorsResolve,
		}},
		{"## under the title is h2", "# Titel\n\n## Stappen\n### Eerst\n", []check{
			has("h2", map[string]string{"id": "stappen"}, "Stappen"),
			has("h3", map[string]string{"id": "eerst"}, "Eerst"),
			hasNo("h1"), hasNo("h4"),
		}},
		{"TOC marker", "[[_TOC_]]\n\n# Titel\n## Een\n### Een.a\n## Twee\n##### Diep\n", []check{
			has("nav", map[string]string{"class": "toc", "aria-label": tocLabel}, ""),
			has("a", map[string]string{"href": "#titel"}, "Titel"),
			has("a", map[string]string{"href": "#eena"}, "Een.a"),
			has("a", map[string]string{"href": "#twee"}, "Twee"),
			lacks(`href="#diep"`),
			lacks("_TOC_"),
			anchorsResolve,
			nestedTOC,
		}},
		{"TOC marker [TOC]", "[TOC]\n\n## A\n## B\n", []check{has("nav", nil, ""), has("a", map[string]string{"href": "#b"}, "B")}},
		{"TOC marker after headings", "## A\n\n[toc]\n", []check{has("nav", nil, ""), has("a", map[string]string{"href": "#a"}, "A")}},
		{"TOC without headings renders nothing", "[TOC]\n\ntekst", []check{hasNo("nav"), lacks("TOC")}},
		{"TOC marker inside text is no TOC", "zie [TOC] hier\n\n## A", []check{hasNo("nav"), contains("[TOC]")}},
		{"TOC entry text is escaped", "[TOC]\n\n## a <b> & \"c\"\n", []check{has("a", map[string]string{"href": "#a---c"}, `a  & "c"`), hasNo("b")}},
		{"highlighted code", "```go\nfunc main() { return }\n```\n", []check{
			has("pre", map[string]string{"class": "chroma"}, ""),
			has("span", map[string]string{"class": "kd"}, "func"),
			lacks("style="),
		}},
		{"code with line numbers", "```go {linenos=table,hl_lines=[1]}\nfunc main() {}\n```\n", []check{has("span", map[string]string{"class": "kd"}, "func"), lacks("style=")}},
		{"unknown language keeps class", "```foo\nx\n```\n", []check{has("code", map[string]string{"class": "language-foo"}, "x\n")}},
		{"indented code", "    <b>x</b>\n", []check{has("code", nil, "<b>x</b>\n"), hasNo("b")}},
		{"raw HTML is dropped", "a <b>b</b> c\n\n<div>blok</div>\n", []check{hasNo("b"), lacks("blok")}},
		{"image", "![alt tekst](/plaatje.png \"titel\")", []check{has("img", map[string]string{"src": "/plaatje.png", "alt": "alt tekst", "title": "titel"}, "")}},
		{"link title with punctuation", `[x](/a "Wet (2015): art. 3")`, []check{has("a", map[string]string{"title": "Wet (2015): art. 3"}, "x")}},
	}
	r := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := render(t, r, tt.src, testResolver("Bestaat"))
			for _, c := range tt.checks {
				c(t, d)
			}
			if p := unsafeHTML(t, string(d.HTML)); len(p) > 0 {
				t.Errorf("unsafe output %v", p)
			}
		})
	}
}

// nestedTOC checks that h3 entries sit in a list inside their h2's item.
func nestedTOC(t *testing.T, d Document) {
	t.Helper()
	for _, a := range elements(t, string(d.HTML), "a") {
		if href, _ := attr(a, "href"); href != "#eena" {
			continue
		}
		// a -> li -> ul -> li (of "Een") -> a
		li := a.Parent.Parent.Parent
		if li == nil || li.Data != "li" || textContent(li.FirstChild) != "Een" {
			t.Errorf("Een.a is not nested under Een:\n%s", d.HTML)
		}
		return
	}
	t.Errorf("no TOC entry for Een.a")
}

func TestWikiLinks(t *testing.T) {
	type check = func(*testing.T, Document)
	exists := map[string]string{"class": "wikilink"}
	tests := []struct {
		name   string
		src    string
		checks []check
	}{
		{"existing", "[[Bestaat]]", []check{
			has("a", map[string]string{"class": "wikilink", "href": "/Bestaat"}, "Bestaat"),
			lacks("nofollow"), links("Bestaat"),
		}},
		{"label and spaces", "[[  Bestaat  |  Mooie naam  ]]", []check{
			has("a", map[string]string{"class": "wikilink", "href": "/Bestaat"}, "Mooie naam"), links("Bestaat"),
		}},
		{"folder", "[[WMO-loket/Ontwerp]]", []check{
			has("a", map[string]string{"href": "/WMO-loket/Ontwerp"}, "WMO-loket/Ontwerp"), links("WMO-loket/Ontwerp"),
		}},
		{"escaped segments", "[[Map/Één pagina]]", []check{has("a", map[string]string{"href": "/Map/%C3%89%C3%A9n%20pagina"}, "Map/Één pagina")}},
		{"anchor", "[[Bestaat#Tweede Sectie]]", []check{
			has("a", map[string]string{"class": "wikilink", "href": "/Bestaat#tweede-sectie"}, "Bestaat#Tweede Sectie"), links("Bestaat"),
		}},
		{"anchor and label", "[[Bestaat#Één|hier]]", []check{has("a", map[string]string{"href": "/Bestaat#%C3%A9%C3%A9n"}, "hier")}},
		{"same-page anchor", "[[#Stap 2]]\n\n## Stap 2\n", []check{has("a", map[string]string{"href": "#stap-2"}, "#Stap 2"), anchorsResolve, links()}},
		{"missing", "[[Nieuw]]", []check{
			has("a", map[string]string{"class": "wikilink wikilink-missing", "href": "/Nieuw", "title": missingTitle}, "Nieuw"),
			links("Nieuw"),
		}},
		{"empty anchor is dropped", "[[Bestaat#!!!]]", []check{has("a", map[string]string{"href": "/Bestaat"}, "Bestaat#!!!")}},
		{"missing drops anchor", "[[Nieuw#Kop]]", []check{has("a", map[string]string{"href": "/Nieuw"}, "Nieuw#Kop")}},
		{"invalid", "[[a:b]]", []check{has("span", map[string]string{"class": "wikilink-invalid"}, "a:b"), hasNo("a"), links("a:b")}},
		{"label with HTML", `[[Bestaat|<b>&amp; "x"</b>]]`, []check{has("a", exists, `<b>&amp; "x"</b>`), hasNo("b")}},
		{"label with pipe", "[[Bestaat|a|b]]", []check{has("a", exists, "a|b")}},
		{"in heading", "## Zie [[Bestaat|de pagina]]", []check{
			has("h2", map[string]string{"id": "zie-de-pagina"}, "Zie de pagina"), has("a", exists, "de pagina"),
		}},
		{"in list item", "- [[Bestaat]]\n- [ ] [[Bestaat|taak]]", []check{has("a", exists, "Bestaat"), has("a", exists, "taak"), has("input", map[string]string{"aria-label": "taak"}, "")}},
		{"in table", "| x |\n|---|\n| [[Bestaat]] |", []check{has("td", nil, "Bestaat"), has("a", exists, "Bestaat")}},
		{"label in table", "| x |\n|---|\n| [[Bestaat\\|label]] |", []check{has("a", map[string]string{"href": "/Bestaat"}, "label")}},
		{"in link text", "[zie [[Bestaat]]](https://example.com)", []check{
			has("a", map[string]string{"href": "https://example.com"}, "zie Bestaat"), lacks("wikilink"), links(),
		}},
		{"dedup in order", "[[B]] [[A]] [[B]] [[A#x]] [[C|c]]", []check{links("B", "A", "C")}},
		{"next to normal link", "[[Bestaat]] en [tekst](/pad) en [ref][r]\n\n[r]: /ref", []check{
			has("a", exists, "Bestaat"), has("a", map[string]string{"href": "/pad"}, "tekst"), has("a", map[string]string{"href": "/ref"}, "ref"),
		}},
		{"with footnote", "[[Bestaat]][^1]\n\n[^1]: noot", []check{has("a", exists, "Bestaat"), has("li", map[string]string{"id": "fn:1"}, "")}},
		{"not in code span", "`[[Bestaat]]`", []check{has("code", nil, "[[Bestaat]]"), hasNo("a"), links()}},
		{"not in fenced code", "```\n[[Bestaat]]\n```", []check{has("code", nil, "[[Bestaat]]\n"), hasNo("a"), links()}},
		{"not in highlighted code", "```go\n// [[Bestaat]]\n```", []check{contains("[[Bestaat]]"), hasNo("a"), links()}},
		{"not in indented code", "    [[Bestaat]]", []check{has("code", nil, "[[Bestaat]]\n"), hasNo("a"), links()}},
		{"escaped bracket", `\[[Bestaat]]`, []check{hasNo("a"), has("p", nil, "[[Bestaat]]"), links()}},
		{"empty", "[[]] [[ ]] [[|x]] [[#]]", []check{hasNo("a"), hasNo("span"), links()}},
		{"nested brackets", "[[a]b]] [[a[b]]", []check{hasNo("span"), links()}},
		{"across lines", "[[Be\nstaat]]", []check{hasNo("a"), links()}},
		{"unclosed", "[[Bestaat", []check{hasNo("a"), contains("[[Bestaat")}},
	}
	r := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := render(t, r, tt.src, testResolver("Bestaat", "B", "WMO-loket/Ontwerp", "Map/Één pagina"))
			for _, c := range tt.checks {
				c(t, d)
			}
			if p := unsafeHTML(t, string(d.HTML)); len(p) > 0 {
				t.Errorf("unsafe output %v", p)
			}
		})
	}
}

func TestResolverCalledOncePerTarget(t *testing.T) {
	calls := map[string]int{}
	resolve := func(target string) Link {
		calls[target]++
		return Link{URL: "/" + target, Exists: true}
	}
	render(t, New(), "[[A]] [[B]] [[A|x]] [[A#y]]", resolve)
	if want := map[string]int{"A": 1, "B": 1}; !reflect.DeepEqual(calls, want) {
		t.Errorf("calls = %v, want %v", calls, want)
	}
}

func TestNilResolver(t *testing.T) {
	d := render(t, New(), "[[A]]", nil)
	has("span", map[string]string{"class": "wikilink-invalid"}, "A")(t, d)
}

func TestFrontMatter(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		title     string
		tags      []string
		checks    []func(*testing.T, Document)
		notInHTML string
	}{
		{name: "title and tag list", src: "---\ntitle: Ontwerp WMO-loket\ntags: [wmo, ontwerp, wmo]\n---\n# Kop\n",
			title: "Ontwerp WMO-loket", tags: []string{"wmo", "ontwerp"}, notInHTML: "title"},
		{name: "comma-separated tags", src: "---\ntags: \" a, b ,,c \"\n---\ntekst\n", tags: []string{"a", "b", "c"}, notInHTML: "tags"},
		{name: "numeric title", src: "---\ntitle: 2024\n---\n", title: "2024"},
		{name: "scalar tag", src: "---\ntags: 7\n---\n", tags: []string{"7"}},
		{name: "title list is ignored", src: "---\ntitle: [a, b]\ntags: {a: b}\n---\n"},
		{name: "title is data, not HTML", src: "---\ntitle: <script>alert(1)</script>\n---\ntekst\n",
			title: "<script>alert(1)</script>", notInHTML: "alert"},
		{name: "leading h1 is the title", src: "# Kop\n\n# Tweede\n", title: "Kop", checks: []func(*testing.T, Document){hasNo("h1"), lacks("Kop"), has("h2", nil, "Tweede")}},
		{name: "leading h1 repeating the title", src: "---\ntitle: Kop\n---\n# Kop\n\ntekst\n", title: "Kop", checks: []func(*testing.T, Document){hasNo("h1"), hasNo("h2")}},
		{name: "malformed is shown as code", src: "---\ntitle: [niet dicht\n---\n# Kop\n", checks: []func(*testing.T, Document){
			has("code", nil, "title: [niet dicht\n"), has("h2", nil, "Kop"), lacks("<!--"), lacks("yaml"),
		}},
		{name: "not a map", src: "---\n- a\n- b\n---\ntekst\n", checks: []func(*testing.T, Document){has("p", nil, "tekst")}},
		{name: "thematic break without closing line", src: "---\nLet op: dit blijft staan\n", checks: []func(*testing.T, Document){
			has("hr", nil, ""), has("p", nil, "Let op: dit blijft staan"),
		}},
		{name: "thematic break before heading", src: "---\n# Kop\n\ntekst\n", checks: []func(*testing.T, Document){
			has("hr", nil, ""), has("h2", nil, "Kop"), has("p", nil, "tekst"),
		}},
		{name: "longer rule is no front matter", src: "-----\ntitle: x\n-----\n", checks: []func(*testing.T, Document){has("hr", nil, "")}},
		{name: "empty list item first", src: "-\nkey: value\n-\n", checks: []func(*testing.T, Document){contains("key: value")}},
		{name: "empty front matter", src: "---\n---\ntekst\n", checks: []func(*testing.T, Document){has("p", nil, "tekst"), hasNo("hr")}},
		{name: "CRLF", src: "---\r\ntitle: Windows\r\n---\r\ntekst\r\n", title: "Windows", checks: []func(*testing.T, Document){has("p", nil, "tekst")}},
	}
	r := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := render(t, r, tt.src, nil)
			if d.Title != tt.title {
				t.Errorf("Title = %q, want %q", d.Title, tt.title)
			}
			if !reflect.DeepEqual(d.Tags, tt.tags) {
				t.Errorf("Tags = %q, want %q", d.Tags, tt.tags)
			}
			if tt.notInHTML != "" && strings.Contains(string(d.HTML), tt.notInHTML) {
				t.Errorf("front matter %q rendered:\n%s", tt.notInHTML, d.HTML)
			}
			for _, c := range tt.checks {
				c(t, d)
			}
		})
	}
}

// TestRenderRecoversPanic checks that a panic below Render becomes an
// error instead of taking the server down.
func TestRenderRecoversPanic(t *testing.T) {
	_, err := New().Render(context.Background(), []byte("[[x]]"), func(string) Link { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want the panic as an error", err)
	}
}

func TestHeadings(t *testing.T) {
	d := render(t, New(), "# Één\n\ntekst\n\n## Met `code` en *nadruk*\n### [[Bestaat|Link]] &amp; \\*\n# Één\n", testResolver("Bestaat"))
	// The leading h1 became the title; the rest moved one level down.
	if d.Title != "Één" {
		t.Errorf("Title = %q", d.Title)
	}
	want := []Heading{
		{Level: 3, Text: "Met code en nadruk", ID: "met-code-en-nadruk"},
		{Level: 4, Text: "Link & *", ID: "link--"},
		{Level: 2, Text: "Één", ID: "één"},
	}
	if !reflect.DeepEqual(d.Headings, want) {
		t.Errorf("Headings = %+v\nwant %+v", d.Headings, want)
	}
}

func TestSlugLimit(t *testing.T) {
	long := strings.Repeat("é", 500)
	if s := slug(long); len(s) > maxSlugLen || s == "" {
		t.Errorf("slug of %d bytes has %d bytes", len(long), len(s))
	}
}

func TestHighlightCSS(t *testing.T) {
	css, err := HighlightCSS(DefaultHighlightStyle)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".chroma", ".chroma .kd"} {
		if !strings.Contains(css, want) {
			t.Errorf("stylesheet lacks %q", want)
		}
	}
	if _, err := HighlightCSS("geen-stijl"); err == nil {
		t.Error("unknown style: no error")
	}
}

// TestConcurrentRender renders from many goroutines at once; run with
// -race it proves the Renderer shares no per-render state.
func TestConcurrentRender(t *testing.T) {
	r := New()
	srcs := []string{"[TOC]\n# A\n## B\n[[Bestaat]]", "---\ntitle: T\n---\n[[X]][^1]\n\n[^1]: n", "```go\nfunc f() {}\n```"}
	want := make([]Document, len(srcs))
	for i, s := range srcs {
		want[i] = render(t, r, s, testResolver("Bestaat"))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % len(srcs)
				d, err := r.Render(context.Background(), []byte(srcs[k]), testResolver("Bestaat"))
				if err != nil || !reflect.DeepEqual(d, want[k]) {
					errs <- fmt.Errorf("render %d: %v, got %+v", k, err, d)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestManyEqualHeadings guards against quadratic id allocation: 20,000
// equal headings took minutes before the per-base counter, which tried
// x-1, x-2, ... for every heading. Doubling the headings must at most
// about double the bytes allocated (a count, unlike a time, that does not
// depend on the machine).
func TestManyEqualHeadings(t *testing.T) {
	const n = 20000
	headings := func(n int) string { return "tekst\n\n" + strings.Repeat("# x\n", n) + "# x-5\n# x 1\n" }
	r := New()
	if half, whole := allocated(t, r, []byte(headings(n/2))), allocated(t, r, []byte(headings(n))); float64(whole)/float64(half) >= 2.5 {
		t.Errorf("doubling the headings multiplied the bytes allocated by %.2f", float64(whole)/float64(half))
	}
	src := headings(n)
	d := render(t, r, src, nil)
	seen := map[string]bool{}
	for _, h := range d.Headings {
		if seen[h.ID] {
			t.Fatalf("duplicate id %q", h.ID)
		}
		seen[h.ID] = true
	}
	if got := d.Headings[n-1].ID; got != fmt.Sprintf("x-%d", n-1) {
		t.Errorf("last x heading has id %q", got)
	}
	if got := d.Headings[n].ID; got != "x-5-1" {
		t.Errorf("heading x-5 has id %q", got)
	}
}
