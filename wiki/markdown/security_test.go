package markdown

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	goldmarkhtml "github.com/yuin/goldmark/renderer/html"
)

// hostile is Markdown written to run script, restyle the page or smuggle
// attributes. raw marks the payloads that are dangerous HTML as they stand,
// which an unsanitised renderer with raw HTML enabled would pass through.
type hostile struct {
	src string
	raw bool
}

func hostileInputs() []hostile {
	return []hostile{
		{`<script>alert(1)</script>`, true},
		{`<img src=x onerror=alert(1)>`, true},
		{`<svg onload=alert(1)>`, true},
		{`<svg><script>alert(1)</script></svg>`, true},
		{`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`, true},
		{`<details open ontoggle=alert(1)>`, true},
		{`<iframe src="https://evil.example"></iframe>`, true},
		{`<iframe srcdoc="<script>alert(1)</script>"></iframe>`, true},
		{`<style>body{display:none}</style>`, true},
		{`<form action="https://evil.example"><input name=x><button>go</button></form>`, true},
		{`<a href="javascript:alert(1)">x</a>`, true},
		{`<a href="&#x6A;avascript:alert(1)">x</a>`, true},
		{`<a href="java&#09;script:alert(1)">x</a>`, true},
		{`<object data="javascript:alert(1)"></object>`, true},
		{`<embed src="javascript:alert(1)">`, true},
		{`<div onclick="alert(1)">x</div>`, true},
		{`<p style="background:url(javascript:alert(1))">x</p>`, true},
		{`<base href="javascript:alert(1)//">`, true},
		{`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`, true},
		{`<link rel=stylesheet href=https://evil.example/x.css>`, true},
		{`<template><script>alert(1)</script></template>`, true},
		{`<textarea><script>alert(1)</script></textarea>`, true},
		{`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, true},
		{`<!-- --><script>alert(1)</script> -->`, true},
		{"<a\nhref=\"java\nscript:alert(1)\">x</a>", true},
		{`[x](javascript:alert(1))`, false},
		{`[x](JaVaScRiPt:alert(1))`, false},
		{`[x](java&#09;script:alert(1))`, false},
		{`[x](&#106;avascript:alert(1))`, false},
		{`[x](&#x6a;avascript&#x3a;alert(1))`, false},
		{`[x](javascript&colon;alert(1))`, false},
		{`[x](javascript\:alert(1))`, false},
		{`[x]( javascript:alert(1))`, false},
		{`[x](<javascript:alert(1)>)`, false},
		{`[x](%6Aavascript:alert(1))`, false},
		{`![x](javascript:alert(1))`, false},
		{`[x](vbscript:msgbox(1))`, false},
		{`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`, false},
		{`![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`, false},
		{`![x](data:image/png;base64,iVBORw0KGgo=)`, false},
		{`[x](file:///etc/passwd)`, false},
		{"[x][r]\n\n[r]: javascript:alert(1)", false},
		{"[x][r]\n\n[r]: JAVASCRIPT:alert(1) \"t\"", false},
		{`[x](http://a "\" onmouseover=\"alert(1)")`, false},
		{`[x](http://a 'x" onmouseover="alert(1)')`, false},
		{`![x](https://a/b.png" onerror="alert(1))`, false},
		{`![x" onerror="alert(1)](https://a/b.png)`, false},
		{`<javascript:alert(1)>`, false},
		{`<JAVASCRIPT:alert(1)>`, false},
		{`<vbscript:msgbox(1)>`, false},
		{`<data:text/html,<script>alert(1)</script>>`, false},
		{`www.example.com/"onmouseover="alert(1)`, false},
		{`https://example.com/<script>alert(1)</script>`, false},
		{`[[" onmouseover="alert(1)]]`, false},
		{`[[javascript:alert(1)]]`, false},
		{`[[ JavaScript:alert(1) |klik]]`, false},
		{`[[data:text/html,x]]`, false},
		{`[[x|<script>alert(1)</script>]]`, false},
		{`[[x|" onmouseover="alert(1)]]`, false},
		{`[[x#" onmouseover="alert(1)]]`, false},
		{`[[#"><script>alert(1)</script>]]`, false},
		{"---\ntitle: <script>alert(1)</script>\ntags: [\"<img src=x onerror=alert(1)>\"]\n---\ntekst", false},
		{"---\ntitle: [<script>alert(1)</script>\n---\ntekst", false},
		{"```\"><script>alert(1)</script>\ncode\n```", false},
		{"```go {style=\"><script>alert(1)</script>\" linenos=table}\nfunc main() {}\n```", false},
		{"```html\n<script>alert(1)</script>\n```", false},
		{"`<script>alert(1)</script>`", false},
		{"[^1]\n\n[^1]: <script>alert(1)</script> [x](javascript:alert(1))", false},
		{"# <img src=x onerror=alert(1)>", false},
		{"[TOC]\n\n## <script>x</script> \" onmouseover=\"alert(1)", false},
		{"| <script>alert(1)</script> |\n|---|\n| [x](javascript:alert(1)) |", false},
		{"- [x] <img src=x onerror=alert(1)>", false},
		{"\x00<script>alert(1)</script>\x00", false},
		{"[x](javascript:alert(1)", false},
	}
}

// contexts put each payload in every kind of block, since each renders it
// through different code.
func contexts() []string {
	return []string{
		"%s",
		"tekst %s tekst",
		"- %s",
		"> %s",
		"# %s",
		"[TOC]\n\n## %s",
		"| a |\n|---|\n| %s |",
		"*%s*",
		"[link %s](/x)",
		"tekst[^1]\n\n[^1]: %s",
	}
}

func TestHostileInput(t *testing.T) {
	r := New()
	resolvers := map[string]Resolver{"wiki": testResolver("x"), "naive": naiveResolver}
	inputs := hostileInputs()
	if len(inputs) < 30 {
		t.Fatalf("only %d hostile inputs", len(inputs))
	}
	for i, h := range inputs {
		for _, c := range contexts() {
			for rname, resolve := range resolvers {
				src := fmt.Sprintf(c, h.src)
				doc, err := r.Render(context.Background(), []byte(src), resolve)
				if err != nil {
					t.Fatalf("%d %q: %v", i, src, err)
				}
				if p := unsafeHTML(t, string(doc.HTML)); len(p) > 0 {
					t.Errorf("%d %q (%s resolver): %v in\n%s", i, src, rname, p, doc.HTML)
				}
			}
		}
	}
}

// TestFrontMatterTitleIsData checks that the title comes back verbatim: it
// is text for html/template to escape, not HTML this package vouches for.
func TestFrontMatterTitleIsData(t *testing.T) {
	d := render(t, New(), "---\ntitle: <script>alert(1)</script> & co\n---\n", nil)
	if d.Title != "<script>alert(1)</script> & co" {
		t.Errorf("Title = %q", d.Title)
	}
	if strings.Contains(string(d.HTML), "script") {
		t.Errorf("title leaked into HTML: %s", d.HTML)
	}
}

// TestCheckerFlagsUnsafeHTML proves the checker can fail: each of these
// would run script or restyle the page.
func TestCheckerFlagsUnsafeHTML(t *testing.T) {
	unsafe := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`<IMG SRC=x OnError=alert(1)>`,
		`<svg><circle/></svg>`,
		`<math></math>`,
		`<iframe></iframe>`,
		`<object></object>`,
		`<embed>`,
		`<style>p{}</style>`,
		`<form></form>`,
		`<p style="color:red">x</p>`,
		`<input type="text">`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href=" JaVaScRiPt:alert(1)">x</a>`,
		`<a href="java&#09;script:alert(1)">x</a>`,
		`<a href="&#x6A;avascript:alert(1)">x</a>`,
		"<a href=\"\x01javascript:alert(1)\">x</a>",
		`<a href="vbscript:msgbox(1)">x</a>`,
		`<a href="data:text/html,x">x</a>`,
		`<img src="data:image/png;base64,AAAA">`,
	}
	for _, s := range unsafe {
		if len(unsafeHTML(t, s)) == 0 {
			t.Errorf("checker missed %q", s)
		}
	}
	safe := `<p><a href="/x" class="wikilink">x</a> <a href="https://example.com/javascript:x">y</a>` +
		`<input checked="" disabled="" type="checkbox"></p>`
	if p := unsafeHTML(t, safe); len(p) > 0 {
		t.Errorf("checker flags safe HTML: %v", p)
	}
}

// TestUnsanitisedRenderFails proves the hostile inputs are hostile: goldmark
// with raw HTML allowed and no sanitiser produces output the checker
// rejects, so TestHostileInput would catch a policy that let them through.
func TestUnsanitisedRenderFails(t *testing.T) {
	md := goldmark.New(goldmark.WithRendererOptions(goldmarkhtml.WithUnsafe()))
	for _, h := range hostileInputs() {
		if !h.raw {
			continue
		}
		var buf bytes.Buffer
		if err := md.Convert([]byte(h.src), &buf); err != nil {
			t.Fatal(err)
		}
		if len(unsafeHTML(t, buf.String())) == 0 {
			t.Errorf("unsanitised render of %q passes the checker:\n%s", h.src, buf.String())
		}
	}
}

// FuzzRender renders arbitrary input with a resolver that trusts its input
// and checks that the result is safe, that rendering never fails, and that
// ids stay unique.
func FuzzRender(f *testing.F) {
	for _, h := range hostileInputs() {
		f.Add(h.src)
	}
	f.Add("---\ntitle: T\ntags: a, b\n---\n[[_TOC_]]\n\n# A\n## A\n[[x#A|y]] [^1]\n\n[^1]: n\n\n```go\nfunc f() {}\n```\n- [ ] t\n\n| a |\n|:-:|\n| b |\n")
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		doc, err := r.Render(context.Background(), []byte(src), naiveResolver)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if p := unsafeHTML(t, string(doc.HTML)); len(p) > 0 {
			t.Fatalf("unsafe output %v:\n%s", p, doc.HTML)
		}
		seen := map[string]bool{}
		for _, h := range doc.Headings {
			if seen[h.ID] {
				t.Fatalf("duplicate heading id %q", h.ID)
			}
			seen[h.ID] = true
		}
	})
}
