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
//
// Besides the structural rules (no empty parts, no "." or "..", no part
// starting with ".", no backslash, at most MaxNameBytes, not "-" first, not
// ending in ".git"), a name is refused when it
//
//   - contains a character that is invisible or changes how the text
//     around it is shown: control characters, format characters (Unicode
//     category Cf: bidirectional controls such as U+202E, zero-width
//     characters such as U+200B, the byte order mark U+FEFF, the soft
//     hyphen), variation selectors and the other default-ignorable code
//     points, line and paragraph separators, private-use characters and
//     code points that are unassigned in the Unicode version Go knows.
//     Such a name could pass for another, or reorder itself on screen.
//     Emoji are fine, including their invisible glue: U+FE0E and U+FE0F
//     directly after a symbol (a red heart is U+2764 U+FE0F), and U+200D
//     between two symbols (U+1F469 U+200D U+1F4BB, woman technologist);
//   - contains a space other than U+0020 (a no-break space, U+3000, ...);
//   - contains a character Windows forbids in file names (<>:"|?*);
//   - has a part that starts with a space or ends with a space or a dot,
//     which Windows drops, so a clone there could not check the file out;
//   - has a part that Windows reserves for a device (CON, PRN, AUX, NUL,
//     CONIN$, CONOUT$, COM0-COM9, LPT0-LPT9, COM¹-COM³, LPT¹-LPT³, in any
//     case, alone or followed by spaces or an extension: "con.txt");
//   - has a part "git~1", the short name Windows gives ".git", which git
//     refuses to check out on every system.
//
// Names that differ only in case, or that look alike (Skeleton), are
// valid here; the Store refuses a new one that collides with an existing
// page.
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
	case len(path.Base(s))+len(PageExt) > 255:
		// The page's file is its last part plus ".md", and no common
		// file system takes a file name over 255 bytes.
		return "", invalidName(s, fmt.Sprintf("its last part is longer than %d bytes", 255-len(PageExt)))
	case strings.ContainsRune(s, '\\'):
		return "", invalidName(s, "it contains a backslash")
	case strings.HasSuffix(strings.ToLower(s), ".git"):
		return "", invalidName(s, `it ends in ".git"`)
	}
	// The length check above bounds this slice.
	runes := []rune(s)
	for i, r := range runes {
		var prev, next rune
		if i > 0 {
			prev = runes[i-1]
		}
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		if why := runeProblem(prev, r, next); why != "" {
			return "", invalidName(s, why)
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
		case strings.HasPrefix(seg, " "):
			return "", invalidName(s, "a part may not start with a space")
		case strings.HasSuffix(seg, " "):
			return "", invalidName(s, "a part may not end with a space: Windows drops it, so a clone there could not check the file out")
		case strings.HasSuffix(seg, "."):
			return "", invalidName(s, `a part may not end with ".": Windows drops it, so a clone there could not check the file out`)
		case i == 0 && seg == "-":
			return "", invalidName(s, `"-" is reserved for wiki actions`)
		case isWindowsDevice(seg):
			return "", invalidName(s, fmt.Sprintf("%q names a device on Windows (as CON, PRN, AUX, NUL, COM1-9 and LPT1-9 do, with any extension), so a clone there could not check the file out", seg))
		case strings.EqualFold(seg, "git~1"):
			return "", invalidName(s, fmt.Sprintf(`%q is the short name Windows gives ".git", so git refuses to check it out`, seg))
		}
	}
	return Name(s), nil
}

// runeProblem says why r may not appear in a name between prev and next
// (0 at either end), or returns "" if it may.
func runeProblem(prev, r, next rune) string {
	switch {
	case r < utf8.RuneSelf && !unicode.IsControl(r) && !strings.ContainsRune(windowsReserved, r):
		return "" // printable ASCII, the common case, without table look-ups
	case r == utf8.RuneError:
		return "it contains " + describeRune(r) + ", which stands for text that could not be read"
	case unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp):
		return "it contains a control character (" + describeRune(r) + ")"
	case r == '\uFEFF':
		return "it contains a byte order mark (" + describeRune(r) + "), an invisible character"
	case unicode.Is(unicode.Bidi_Control, r):
		return "it contains " + describeRune(r) + ", an invisible character that changes the direction of the text around it"
	case isEmojiGlue(prev, r, next):
		return ""
	case unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point):
		return "it contains an invisible character (" + describeRune(r) + ")"
	case r != ' ' && (unicode.Is(unicode.Zs, r) || r == '\u2800'):
		return "it contains a special space (" + describeRune(r) + "); use an ordinary space"
	case unicode.Is(unicode.Co, r):
		return "it contains a private-use character (" + describeRune(r) + "), which looks different on every system"
	case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs):
		// What is left after the cases above is unassigned (Cn): how
		// such a code point will look and behave is unknown. Surrogates
		// (Cs) cannot occur in valid UTF-8.
		return fmt.Sprintf("it contains %s, which is not a character in Unicode %s, the version this wiki knows", describeRune(r), unicode.Version)
	case strings.ContainsRune(windowsReserved, r):
		return fmt.Sprintf("it contains %q, which is not allowed in file names", r)
	}
	return ""
}

// isEmojiGlue reports whether the invisible r is part of an emoji: a
// variation selector choosing the text or emoji form of the symbol before
// it (phone keyboards type a red heart as U+2764 U+FE0F), or a zero width
// joiner between two symbols that it joins into one (U+1F469 U+200D
// U+1F4BB, woman technologist). A skin tone (U+1F3FB-U+1F3FF) may precede
// a joiner. Anywhere else these characters only hide a difference between
// two names.
func isEmojiGlue(prev, r, next rune) bool {
	switch r {
	case '\uFE0E', '\uFE0F':
		return unicode.Is(unicode.So, prev)
	case '\u200D':
		return (unicode.Is(unicode.So, prev) || prev == '\uFE0F' || ('\U0001F3FB' <= prev && prev <= '\U0001F3FF')) &&
			unicode.Is(unicode.So, next)
	}
	return false
}

// describeRune names r for an error message: "U+202E RIGHT-TO-LEFT
// OVERRIDE" for the characters people are likely to meet, else "U+E000".
func describeRune(r rune) string {
	name := ""
	switch r {
	case '\u0085':
		name = "NEXT LINE"
	case '\u00A0':
		name = "NO-BREAK SPACE"
	case '\u00AD':
		name = "SOFT HYPHEN"
	case '\u034F':
		name = "COMBINING GRAPHEME JOINER"
	case '\u061C':
		name = "ARABIC LETTER MARK"
	case '\u180E':
		name = "MONGOLIAN VOWEL SEPARATOR"
	case '\u200B':
		name = "ZERO WIDTH SPACE"
	case '\u200C':
		name = "ZERO WIDTH NON-JOINER"
	case '\u200D':
		name = "ZERO WIDTH JOINER"
	case '\u200E':
		name = "LEFT-TO-RIGHT MARK"
	case '\u200F':
		name = "RIGHT-TO-LEFT MARK"
	case '\u2028':
		name = "LINE SEPARATOR"
	case '\u2029':
		name = "PARAGRAPH SEPARATOR"
	case '\u202A':
		name = "LEFT-TO-RIGHT EMBEDDING"
	case '\u202B':
		name = "RIGHT-TO-LEFT EMBEDDING"
	case '\u202C':
		name = "POP DIRECTIONAL FORMATTING"
	case '\u202D':
		name = "LEFT-TO-RIGHT OVERRIDE"
	case '\u202E':
		name = "RIGHT-TO-LEFT OVERRIDE"
	case '\u202F':
		name = "NARROW NO-BREAK SPACE"
	case '\u2060':
		name = "WORD JOINER"
	case '\u2066':
		name = "LEFT-TO-RIGHT ISOLATE"
	case '\u2067':
		name = "RIGHT-TO-LEFT ISOLATE"
	case '\u2068':
		name = "FIRST STRONG ISOLATE"
	case '\u2069':
		name = "POP DIRECTIONAL ISOLATE"
	case '\u2800':
		name = "BRAILLE PATTERN BLANK"
	case '\u3000':
		name = "IDEOGRAPHIC SPACE"
	case '\uFE0E':
		name = "VARIATION SELECTOR-15"
	case '\uFE0F':
		name = "VARIATION SELECTOR-16"
	case '\uFEFF':
		name = "ZERO WIDTH NO-BREAK SPACE"
	case '\uFFFD':
		name = "REPLACEMENT CHARACTER"
	}
	if name == "" {
		return fmt.Sprintf("U+%04X", r)
	}
	return fmt.Sprintf("U+%04X %s", r, name)
}

// isWindowsDevice reports whether Windows treats the file name seg as a
// device: the stem (up to the first dot, trailing spaces removed) is a
// reserved name in any case. "con.txt" and "NUL .tar.gz" are devices,
// "Console" and "COM10" are not.
func isWindowsDevice(seg string) bool {
	stem, _, _ := strings.Cut(seg, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if rest, ok := strings.CutPrefix(stem, "COM"); ok {
		return isDeviceNumber(rest)
	}
	if rest, ok := strings.CutPrefix(stem, "LPT"); ok {
		return isDeviceNumber(rest)
	}
	return false
}

// isDeviceNumber reports whether s numbers a COM or LPT port: one ASCII
// digit or one of the superscript digits ¹ ² ³, which Windows also accepts.
func isDeviceNumber(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return size == len(s) && (('0' <= r && r <= '9') || r == '¹' || r == '²' || r == '³')
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
func (n Name) Fold() string { return foldCase(string(n)) }

// foldCase applies full Unicode case folding ("Straße" and "STRASSE" both
// become "strasse"), then lower case. The second step mends
// golang.org/x/text/cases, whose Fold turns upper-case Cherokee into lower
// case and lower case into upper (TestFoldIsStable), so that without it
// "Ꭰ" and "ꭰ", which are one file on Windows, would not fold alike.
func foldCase(s string) string {
	// A Caser may keep state, so each call makes its own.
	return strings.Map(unicode.ToLower, cases.Fold().String(s))
}
