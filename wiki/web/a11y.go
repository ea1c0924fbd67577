package web

import (
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Current reports whether href (a path, as the layout's menus link it) is
// the page being shown, so that the header menu and the page actions
// mark it with aria-current="page" (WCAG 1.3.1: where you are is not told
// by colour or position alone). The query is ignored: an old version is
// still the page's "view" tab.
func (b base) Current(href string) bool {
	p := b.Path
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if href == "/" {
		href = wiki.FrontPage.URL()
	}
	return p == href
}
