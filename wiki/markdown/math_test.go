package markdown

import (
	"context"
	"strings"
	"testing"
)

// renderMath renders src with a fresh renderer and returns the HTML.
func renderMath(t *testing.T, src string) string {
	t.Helper()
	doc, err := New().Render(context.Background(), []byte(src), nil)
	if err != nil {
		t.Fatalf("render %q: %v", src, err)
	}
	if doc.OverBudget {
		t.Fatalf("render %q: over budget (%s)", src, doc.Limit)
	}
	return string(doc.HTML)
}

// formulas returns the text of every element of tag with class in s.
func formulas(t *testing.T, s, tag, class string) []string {
	t.Helper()
	var out []string
	for _, n := range elements(t, s, tag) {
		if c, _ := attr(n, "class"); c == class {
			out = append(out, textContent(n))
		}
	}
	return out
}

func TestMathInline(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"formula", "Energie: $E = mc^2$.", []string{"E = mc^2"}},
		{"two", "$a$ en $b_1$", []string{"a", "b_1"}},
		{"price euro and dollar", "Het kost €5 en $10.", nil},
		{"two prices", "Van $5 tot $10 per maand.", nil},
		{"closer before digit", "tussen $5 en$10", nil},
		{"space after opener", "$ x$", nil},
		{"space before closer", "$x $", nil},
		{"escaped opener", `\$x$`, nil},
		{"escaped closer", `$a\$b$`, []string{`a\$b`}},
		{"escaped backslash before closer", `$a\\$`, []string{`a\\`}},
		{"code span", "`$x$` en `a $b` c$", nil},
		{"code span before closer", "$a `b$` c", []string{"a `b"}},
		{"not across lines", "$a\nb$", nil},
		{"no markdown inside", "$a*b*c_d_$", []string{"a*b*c_d_"}},
		{"double dollar inline is text", "$$x$$ hier", nil},
		{"script stays text", "$<script>alert(1)</script>$", []string{"<script>alert(1)</script>"}},
		{"tex commands", `$\frac{1}{2} \cdot \alpha$`, []string{`\frac{1}{2} \cdot \alpha`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := renderMath(t, c.src)
			got := formulas(t, out, "span", mathInlineClass)
			if strings.Join(got, "\x00") != strings.Join(c.want, "\x00") {
				t.Errorf("%q: formulas %q, want %q\nHTML: %s", c.src, got, c.want, out)
			}
			if bad := unsafeHTML(t, out); len(bad) > 0 {
				t.Errorf("%q: unsafe HTML %v", c.src, bad)
			}
		})
	}
}

func TestMathInlineKeepsText(t *testing.T) {
	// What is not a formula reads as written, dollars included.
	for _, src := range []string{"Het kost €5 en $10.", "Van $5 tot $10.", `\$x$`} {
		out := renderMath(t, src)
		want := strings.ReplaceAll(src, `\$`, "$")
		if got := textContent(parseHTML(t, out)[0]); !strings.Contains(got, want) {
			t.Errorf("%q renders as text %q", src, got)
		}
	}
}

func TestMathDisplay(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"own lines", "$$\nE = mc^2\n$$\n", []string{"E = mc^2\n"}},
		{"one line", "$$ \\sum_i x_i $$\n", []string{" \\sum_i x_i "}},
		{"after text", "De formule:\n$$\na^2\n$$\nKlaar.", []string{"a^2\n"}},
		{"closing with tex", "$$a\nb$$", []string{"a", "b"}},
		{"in a list", "- punt\n\n  $$\n  x\n  $$\n", []string{"x\n"}},
		{"in a quote", "> $$\n> y\n> $$\n", []string{"y\n"}},
		{"in a code block", "```\n$$\nx\n$$\n```\n", nil},
		{"indented code", "    $$\n    x\n    $$\n", nil},
		{"dollar line", "$$$ verdienen\n", nil},
		{"script", "$$\n</div><script>alert(1)</script>\n$$", []string{"</div><script>alert(1)</script>\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := renderMath(t, c.src)
			got := formulas(t, out, "div", mathDisplayClass)
			if c.name == "closing with tex" && len(got) == 1 {
				got = strings.Split(strings.TrimSpace(got[0]), "\n")
			}
			if strings.Join(got, "\x00") != strings.Join(c.want, "\x00") {
				t.Errorf("%q: display formulas %q, want %q\nHTML: %s", c.src, got, c.want, out)
			}
			if bad := unsafeHTML(t, out); len(bad) > 0 {
				t.Errorf("%q: unsafe HTML %v", c.src, bad)
			}
		})
	}
}

func TestMermaidFence(t *testing.T) {
	src := "```mermaid\ngraph TD\n  A[\"<img src=x onerror=alert(1)>\"] --> B\n```\n"
	out := renderMath(t, src)
	got := formulas(t, out, "pre", mermaidSourceClass)
	want := "graph TD\n  A[\"<img src=x onerror=alert(1)>\"] --> B\n"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("mermaid source %q, want %q\nHTML: %s", got, want, out)
	}
	if len(elements(t, out, "img")) != 0 || strings.Contains(out, "chroma") {
		t.Errorf("mermaid source became markup or was highlighted: %s", out)
	}
}

// TestMathLinear checks that lines full of unclosed "$" stay within the
// budget: every opener finds its closer by index, not by scanning.
func TestMathLinear(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("$a ", 200_000),
		strings.Repeat("$$\n", 100_000),
		strings.Repeat("$a$", 100_000),
	} {
		doc, err := New().Render(context.Background(), []byte(src), nil)
		if err != nil || doc.OverBudget {
			t.Errorf("%.12q...: err %v, over budget %v", src, err, doc.OverBudget)
		}
	}
}
