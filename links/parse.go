package links

import (
	"context"
	"net/url"
	"path"
	"slices"
	"strings"

	"golang.org/x/net/html"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// parse reads what the graph needs of a page. It renders the page as the
// wiki does, so that title, tags and wikilinks are exactly those a reader
// sees (a link in a code block is none, a page beyond the renderer's
// limits has none), and takes the Markdown links from the rendered HTML.
// It fails only when ctx is done.
func (g *Graph) parse(ctx context.Context, name wiki.Name, content []byte) (*Page, error) {
	p := &Page{Name: name, Title: name.Title()}
	if to, ok := wiki.RedirectTarget(content); ok {
		p.Redirect = to
	}
	if len(content) == 0 {
		return p, nil
	}
	doc, err := g.md.Render(ctx, content, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The page's own fault (it took too long): it shows as its
		// source, without links.
		g.log.Warn("link graph: page not parsed", "page", name, "err", err)
		return p, nil
	}
	if doc.Title != "" {
		p.Title = doc.Title
	}
	p.Tags = doc.Tags
	seen := map[wiki.Name]bool{name: true}
	addLink := func(n wiki.Name) {
		if !seen[n] {
			seen[n] = true
			p.Links = append(p.Links, n)
		}
	}
	for _, t := range doc.Links {
		if n, err := wiki.ParseName(t); err == nil {
			addLink(n)
		}
	}
	for _, href := range hrefs(string(doc.HTML)) {
		if n, ok := pageLink(name, href); ok {
			addLink(n)
		}
	}
	slices.Sort(p.Links)
	return p, nil
}

// hrefs returns the targets of the <a> elements of rendered HTML. The
// renderer is given no resolver, so wikilinks are no <a>: these are the
// page's Markdown links (and its footnote and autolinks, which pageLink
// leaves out).
func hrefs(s string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			tag, more := z.TagName()
			if string(tag) != "a" {
				continue
			}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				if string(k) == "href" {
					out = append(out, string(v))
				}
			}
		}
	}
}

// pageLink returns the page that a Markdown link on page from leads to: a
// relative link to a .md file resolved against from's folder, as in a
// clone, or a link to a page's address in the wiki ("/Beleid/Visie").
// Links to other sites, to actions (/-/...), to a part of the same page or
// to attachments are none.
func pageLink(from wiki.Name, href string) (wiki.Name, bool) {
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.Path == "" {
		return "", false
	}
	p := u.Path
	if rest, ok := strings.CutPrefix(p, "/"); ok {
		if rest == "-" || strings.HasPrefix(rest, "-/") || rest == "wiki.git" || strings.HasPrefix(rest, "wiki.git/") {
			return "", false
		}
		if strings.HasSuffix(rest, wiki.PageExt) {
			return wiki.ParsePath(rest)
		}
		n, err := wiki.ParseName(rest)
		return n, err == nil
	}
	if !strings.HasSuffix(p, wiki.PageExt) {
		return "", false
	}
	full := path.Join(path.Dir(string(from)), p)
	if full == ".." || strings.HasPrefix(full, "../") {
		return "", false
	}
	return wiki.ParsePath(full)
}
