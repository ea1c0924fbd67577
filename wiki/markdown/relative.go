package markdown

import (
	"net/url"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// PathResolver maps the destination of a relative Markdown link or image
// ("Ontwerp/klantreis.png", "../Beleid.md"; the path as written, with
// percent-escapes decoded and without "?query" or "#fragment") to a Link.
// A Link with URL "" leaves the destination as written. Render calls it
// once per distinct path.
//
// For a raster image too large to show as it is, the URL may carry the
// query of a reduced version ("/-/files/WMO-loket/Ontwerp/kaart.png?w=800"):
// an image then shows that URL and, unless it is already inside a link, is
// wrapped in a link to the original (the URL without its query); a link
// goes to the original. Link has no field for it, so the query is the
// convention: a resolved URL has no query otherwise.
type PathResolver func(path string) Link

// fileMissingClass marks a relative link or image whose target does not
// exist, styled like a link to a missing page.
const fileMissingClass = "wikilink-missing"

// relativeTarget returns the path and the "#fragment" (with its '#', or
// "") of dest when dest is a relative path: no scheme, no host, not
// starting with '/', and not only a fragment or query.
func relativeTarget(dest string) (path, fragment string, ok bool) {
	if dest == "" || strings.HasPrefix(dest, "/") || strings.HasPrefix(dest, "#") || strings.HasPrefix(dest, "?") || strings.ContainsAny(dest, "\\\x00") {
		return "", "", false
	}
	u, err := url.Parse(dest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || u.Path == "" {
		return "", "", false
	}
	if u.Fragment != "" {
		fragment = "#" + u.EscapedFragment()
	}
	return u.Path, fragment, true
}

// resolveRelative points the destination of a relative link or image at
// what resolve says, and marks a missing target. Images are loaded lazily
// whatever their destination.
func resolveRelative(n ast.Node, resolve PathResolver, cache map[string]Link) {
	var dest *[]byte
	switch n := n.(type) {
	case *ast.Link:
		dest = &n.Destination
	case *ast.Image:
		n.SetAttributeString("loading", "lazy")
		dest = &n.Destination
	default:
		return
	}
	if resolve == nil {
		return
	}
	path, fragment, ok := relativeTarget(string(*dest))
	if !ok {
		return
	}
	l, seen := cache[path]
	if !seen {
		l = resolve(path)
		cache[path] = l
	}
	if l.URL == "" {
		return
	}
	if l.Exists {
		original, _, reduced := strings.Cut(l.URL, "?")
		img, isImage := n.(*ast.Image)
		if !reduced || !isImage {
			*dest = []byte(original + fragment)
			return
		}
		*dest = []byte(l.URL + fragment)
		if !insideLink(img) {
			linkToOriginal(img, original)
		}
		return
	}
	*dest = []byte(l.URL)
	n.SetAttributeString("class", fileMissingClass)
	if link, ok := n.(*ast.Link); ok && link.Title == nil {
		n.SetAttributeString("title", missingTitle)
	}
}

// linkToOriginal wraps img, which shows a reduced version, in a link to
// the original. img is the node being walked (see prepare), so it is not
// moved: a moved node would end the walk of its siblings. A copy of it
// goes into the link, in img's place, and img is taken out of the tree
// with its next sibling kept, so that the walk carries on from there.
func linkToOriginal(img *ast.Image, original string) {
	parent, next := img.Parent(), img.NextSibling()
	if parent == nil {
		return
	}
	link := ast.NewLink()
	link.Destination = []byte(original)
	shown := ast.NewImage(ast.NewLink())
	shown.Destination, shown.Title = img.Destination, img.Title
	for _, a := range img.Attributes() {
		shown.SetAttribute(a.Name, a.Value)
	}
	for c := img.FirstChild(); c != nil; c = img.FirstChild() {
		shown.AppendChild(shown, c) // the alt text
	}
	link.AppendChild(link, shown)
	parent.InsertBefore(parent, img, link)
	parent.RemoveChild(parent, img)
	img.SetNextSibling(next)
}
