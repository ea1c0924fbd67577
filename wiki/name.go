package wiki

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxNameBytes is the longest page name accepted, in bytes after NFC
// normalisation. With ".md" appended it still fits a 255-byte file name on
// every common file system, so a clone can always be checked out.
const MaxNameBytes = 255

// PageExt is the extension of page files in the content repository.
const PageExt = ".md"

// windowsReserved are characters that cannot appear in a file name on
// Windows. Rejecting them keeps every page checkout-able in a clone there.
const windowsReserved = `<>:"|?*`

// Name is a validated, NFC-normalised page name: a slash-separated path such
// as "WMO-loket/Ontwerp". The zero value is not a valid name; obtain one from
// ParseName or ParsePath.
//
// The mapping is:
//
//	name  WMO-loket/Ontwerp
//	file  WMO-loket/Ontwerp.md      (Path)
//	URL   /WMO-loket/Ontwerp        (URL, each segment escaped)
type Name string

// ParseName validates s as a page name and returns it NFC-normalised.
// It returns an error wrapping ErrInvalidName that says what is wrong.
func ParseName(s string) (Name, error) {
	if !utf8.ValidString(s) {
		return "", invalidName(s, "it is not valid UTF-8")
	}
	s = norm.NFC.String(s)
	switch {
	case s == "":
		return "", invalidName(s, "it is empty")
	case len(s) > MaxNameBytes:
		return "", invalidName(s, fmt.Sprintf("it is longer than %d bytes", MaxNameBytes))
	case strings.ContainsRune(s, '\\'):
		return "", invalidName(s, "it contains a backslash")
	case strings.HasSuffix(strings.ToLower(s), ".git"):
		return "", invalidName(s, `it ends in ".git"`)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			return "", invalidName(s, "it contains a control character")
		}
		if strings.ContainsRune(windowsReserved, r) {
			return "", invalidName(s, fmt.Sprintf("it contains %q, which is not allowed in file names", r))
		}
	}
	for i, seg := range strings.Split(s, "/") {
		switch {
		case seg == "":
			return "", invalidName(s, "it has an empty part (a leading, trailing or double slash)")
		case seg == "." || seg == "..":
			return "", invalidName(s, `"." and ".." are not allowed as parts`)
		case strings.HasPrefix(seg, "."):
			return "", invalidName(s, `a part may not start with "."`)
		case strings.TrimSpace(seg) != seg:
			return "", invalidName(s, "a part may not start or end with a space")
		case i == 0 && seg == "-":
			return "", invalidName(s, `"-" is reserved for wiki actions`)
		}
	}
	return Name(s), nil
}

// MustParseName is ParseName for names known to be valid, such as constants.
// It panics on an invalid name.
func MustParseName(s string) Name {
	n, err := ParseName(s)
	if err != nil {
		panic(err)
	}
	return n
}

// ParsePath maps a file path in the content repository to the page it holds.
// It reports false for files that are not pages (attachments, names that
// would not validate, or files that are not in NFC form, which could not be
// reached by a URL).
func ParsePath(p string) (Name, bool) {
	base, ok := strings.CutSuffix(p, PageExt)
	if !ok {
		return "", false
	}
	n, err := ParseName(base)
	if err != nil || string(n) != base {
		return "", false
	}
	return n, true
}

func invalidName(s, why string) error {
	return fmt.Errorf("%w: %q: %s", ErrInvalidName, s, why)
}

// String returns the name as written, e.g. "WMO-loket/Ontwerp".
func (n Name) String() string { return string(n) }

// Path returns the file that holds the page in the content repository.
func (n Name) Path() string { return string(n) + PageExt }

// URL returns the page's URL path ("/WMO-loket/Ontwerp"), each segment
// escaped so that the name survives the round trip through a browser.
func (n Name) URL() string { return "/" + n.EscapedPath() }

// EscapedPath returns the name with each segment path-escaped and no leading
// slash, for building action URLs such as "/-/edit/" + n.EscapedPath().
func (n Name) EscapedPath() string {
	segs := strings.Split(string(n), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// Title is the last segment of the name, the page's default display title.
func (n Name) Title() string { return path.Base(string(n)) }

// Folder is the name's parent folder ("WMO-loket" for "WMO-loket/Ontwerp"),
// or "" for a top-level page.
func (n Name) Folder() string {
	i := strings.LastIndexByte(string(n), '/')
	if i < 0 {
		return ""
	}
	return string(n)[:i]
}

// Fold returns a case-folded key under which two names that differ only by
// letter case compare equal. Such names would collide in a clone on a
// case-insensitive file system.
func (n Name) Fold() string {
	// A Caser may keep state, so each call makes its own.
	return cases.Fold().String(string(n))
}
