package markdown

import (
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// Patterns for the attributes that our own renderers emit. They are anchored
// so that a value must match whole; bluemonday's built-in id pattern is
// not, and would also drop ids written only in non-Latin letters.
var (
	headingID  = regexp.MustCompile(`^[\p{L}\p{M}\p{N}_-]+$`)
	footnoteID = regexp.MustCompile(`^fn(ref[0-9]*)?:[0-9]+$`)
	linkClass  = regexp.MustCompile(`^(wikilink|wikilink wikilink-missing|wikilink-missing|footnote-ref|footnote-backref)$`)
	linkRole   = regexp.MustCompile(`^doc-(noteref|backlink)$`)
	spanClass  = regexp.MustCompile(`^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$`)
	codeClass  = regexp.MustCompile(`^language-[\p{L}\p{N}_.+#-]+$`)
	printable  = regexp.MustCompile(`^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$`)
)

// newPolicy builds the sanitiser applied to every rendered page. It starts
// from bluemonday's policy for user-generated content and adds exactly the
// classes, ids and attributes that goldmark, its extensions and this
// package produce. Raw HTML never reaches it (goldmark runs without
// WithUnsafe), so it is the second line of defence, not the only one.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()

	// Only web and mail links; no javascript:, vbscript:, data: or file:.
	p.AllowURLSchemes("http", "https", "mailto")

	// Internal links (wikilinks, footnotes, TOC) need no nofollow. External
	// ones get nofollow against link spam and noreferrer so that page names
	// do not leak to other sites; noreferrer implies noopener.
	p.RequireNoFollowOnLinks(false)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	p.RequireNoReferrerOnFullyQualifiedLinks(true)

	// Heading anchors and footnotes.
	p.AllowAttrs("id").Matching(headingID).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("id").Matching(footnoteID).OnElements("sup", "li")
	p.AllowAttrs("class").Matching(exactly("footnotes", "chroma")).OnElements("div")
	p.AllowAttrs("role").Matching(exactly("doc-endnotes")).OnElements("div")
	p.AllowAttrs("role").Matching(linkRole).OnElements("a")

	// Wikilinks and footnote links; link titles are escaped on output, so
	// any printable text is fine (UGCPolicy's pattern rejects ':' and quotes).
	p.AllowAttrs("class").Matching(linkClass).OnElements("a")
	p.AllowAttrs("title").Matching(printable).OnElements("a", "img")

	// Relative links and images: a missing target is marked, and images
	// load lazily.
	p.AllowAttrs("class").Matching(exactly(fileMissingClass)).OnElements("img")
	p.AllowAttrs("loading").Matching(exactly("lazy")).OnElements("img")

	// The notice above a page shown as source.
	p.AllowAttrs("class").Matching(exactly(noticeClass)).OnElements("p")

	// Table of contents.
	p.AllowAttrs("class").Matching(exactly("toc")).OnElements("nav")
	p.AllowAttrs("aria-label").Matching(exactly(tocLabel)).OnElements("nav")

	// Task lists: a disabled checkbox, and classes so the theme can drop
	// the bullet.
	p.AllowAttrs("type").Matching(exactly("checkbox")).OnElements("input")
	p.AllowAttrs("checked").Matching(booleanAttr("checked")).OnElements("input")
	p.AllowAttrs("disabled").Matching(booleanAttr("disabled")).OnElements("input")
	// The task's text as the checkbox's name (tasklist.go); bluemonday
	// escapes it, and text is all it can hold.
	p.AllowAttrs("aria-label").OnElements("input")
	p.AllowAttrs("class").Matching(exactly(taskItemClass)).OnElements("li")
	p.AllowAttrs("class").Matching(exactly(taskListClass)).OnElements("ul", "ol")

	// Chroma highlighting (CSS classes, never inline styles), the
	// wikilink-invalid marker, and the language class of code blocks that
	// chroma does not know.
	p.AllowAttrs("class").Matching(spanClass).OnElements("span")
	p.AllowAttrs("class").Matching(exactly("chroma")).OnElements("pre")
	p.AllowAttrs("tabindex").Matching(exactly("0")).OnElements("pre")
	p.AllowAttrs("class").Matching(codeClass).OnElements("code")
	p.AllowAttrs("class").Matching(exactly("lntable")).OnElements("table")
	p.AllowAttrs("class").Matching(exactly("lntd")).OnElements("td")

	// Formulas and diagrams (math.go): their source as text, in elements
	// that diagrams.js finds by class.
	p.AllowAttrs("class").Matching(exactly(mathDisplayClass)).OnElements("div")
	p.AllowAttrs("class").Matching(exactly(mermaidSourceClass)).OnElements("pre")

	return p
}

// exactly matches any one of the given literal values, whole.
func exactly(values ...string) *regexp.Regexp {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexp.QuoteMeta(v)
	}
	return regexp.MustCompile(`^(` + strings.Join(quoted, "|") + `)$`)
}

// booleanAttr matches an HTML boolean attribute: empty or its own name.
func booleanAttr(name string) *regexp.Regexp {
	return regexp.MustCompile(`^(|` + regexp.QuoteMeta(name) + `)$`)
}
