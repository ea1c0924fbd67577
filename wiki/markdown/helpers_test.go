package markdown

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// testResolver behaves like the wiki's: names with characters a page name
// may not have are invalid, others get a per-segment escaped URL, and the
// given names exist.
func testResolver(existing ...string) Resolver {
	return func(target string) Link {
		if target == "" || strings.ContainsAny(target, `<>:"|?*\`) || strings.ContainsFunc(target, isControl) {
			return Link{}
		}
		segs := strings.Split(target, "/")
		for i, s := range segs {
			if s == "" || s == "." || s == ".." {
				return Link{}
			}
			segs[i] = url.PathEscape(s)
		}
		return Link{URL: "/" + strings.Join(segs, "/"), Exists: slices.Contains(existing, target)}
	}
}

// naiveResolver is a careless resolver that uses the target verbatim as
// the URL, so that the renderer and sanitiser alone must keep it safe.
func naiveResolver(target string) Link {
	return Link{URL: target, Exists: len(target)%2 == 0}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// parseHTML parses s the way a browser parses a page body fragment.
func parseHTML(t testing.TB, s string) []*html.Node {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatalf("parse output: %v", err)
	}
	return nodes
}

// walk calls fn for every node in nodes and their descendants.
func walk(nodes []*html.Node, fn func(*html.Node)) {
	for _, n := range nodes {
		fn(n)
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk([]*html.Node{c}, fn)
		}
	}
}

// elements returns all elements named tag in the fragment s.
func elements(t testing.TB, s, tag string) []*html.Node {
	t.Helper()
	var out []*html.Node
	walk(parseHTML(t, s), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

// attr returns the value of attribute key on n.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// textContent is the concatenated text below n.
func textContent(n *html.Node) string {
	var b strings.Builder
	walk([]*html.Node{n}, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// unsafeHTML lists what in the fragment s could run script or restyle the
// page: forbidden elements, event handler and style attributes, input
// other than a disabled checkbox, and URLs with a script or data scheme.
func unsafeHTML(t testing.TB, s string) []string {
	t.Helper()
	// Elements that can run script, load other documents, submit data or
	// restyle the page, and attributes that may hold a URL a browser loads
	// or navigates to.
	forbiddenElements := []string{
		"script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "link",
		"meta", "base", "form", "button", "textarea", "select", "svg", "math", "template", "noscript",
	}
	urlAttributes := []string{
		"href", "src", "action", "formaction", "xlink:href", "cite", "poster", "background",
		"data", "srcset", "ping", "longdesc", "lowsrc", "dynsrc", "codebase",
	}
	var problems []string
	walk(parseHTML(t, s), func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		tag := strings.ToLower(n.Data)
		if slices.Contains(forbiddenElements, tag) || n.Namespace != "" {
			problems = append(problems, "element <"+tag+">")
		}
		if tag == "input" {
			typ, _ := attr(n, "type")
			_, disabled := attr(n, "disabled")
			if typ != "checkbox" || !disabled {
				problems = append(problems, "input that is not a disabled checkbox")
			}
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if a.Namespace != "" {
				key = strings.ToLower(a.Namespace) + ":" + key
			}
			switch {
			case strings.HasPrefix(key, "on"):
				problems = append(problems, "event handler "+key+" on <"+tag+">")
			case key == "style" || key == "srcdoc":
				problems = append(problems, "attribute "+key+" on <"+tag+">")
			case slices.Contains(urlAttributes, key) && dangerousURL(a.Val):
				problems = append(problems, key+"="+a.Val+" on <"+tag+">")
			}
		}
	})
	return problems
}

// dangerousURL reports whether a browser would treat v as a javascript:,
// vbscript: or data: URL. Browsers drop tabs and newlines anywhere in a
// URL and leading control characters and spaces, so all of them go before
// the comparison.
func dangerousURL(v string) bool {
	v = strings.ToLower(strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, v))
	for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
		if strings.HasPrefix(v, scheme) {
			return true
		}
	}
	return false
}

// render renders src with resolve and fails the test on an error.
func render(t testing.TB, r *Renderer, src string, resolve Resolver) Document {
	t.Helper()
	doc, err := r.Render(context.Background(), []byte(src), resolve)
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return doc
}
