package wiki

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestParseNameValid(t *testing.T) {
	cases := []struct {
		in, name, path, url string
	}{
		{"Home", "Home", "Home.md", "/Home"},
		{"WMO-loket/Ontwerp", "WMO-loket/Ontwerp", "WMO-loket/Ontwerp.md", "/WMO-loket/Ontwerp"},
		{"Beleid/Zorg & welzijn", "Beleid/Zorg & welzijn", "Beleid/Zorg & welzijn.md", "/Beleid/Zorg%20&%20welzijn"},
		{"100% zeker", "100% zeker", "100% zeker.md", "/100%25%20zeker"},
		{"C#-notities", "C#-notities", "C#-notities.md", "/C%23-notities"},
		{"Café", "Café", "Café.md", "/Caf%C3%A9"},
		// Decomposed é (e + combining acute) is normalised to NFC.
		{"Cafe\u0301", "Café", "Café.md", "/Caf%C3%A9"},
		{"a-/b", "a-/b", "a-/b.md", "/a-/b"},
		{"x/-", "x/-", "x/-.md", "/x/-"},
		{"Notitie.md", "Notitie.md", "Notitie.md.md", "/Notitie.md"},
		{"🙂", "🙂", "🙂.md", "/%F0%9F%99%82"},
		// Ordinary Dutch names.
		{"Financiële regeling", "Financiële regeling", "Financiële regeling.md", "/Financi%C3%ABle%20regeling"},
		{"Überblick", "Überblick", "Überblick.md", "/%C3%9Cberblick"},
		{"Jeugdzorg 2026", "Jeugdzorg 2026", "Jeugdzorg 2026.md", "/Jeugdzorg%202026"},
		{"Naïef/Coördinatie", "Naïef/Coördinatie", "Naïef/Coördinatie.md", "/Na%C3%AFef/Co%C3%B6rdinatie"},
		{"IJsselmeer", "IJsselmeer", "IJsselmeer.md", "/IJsselmeer"},
		{"\u0133s", "\u0133s", "\u0133s.md", "/%C4%B3s"}, // ĳ, the ij ligature letter
		{"Notitie v1.2", "Notitie v1.2", "Notitie v1.2.md", "/Notitie%20v1.2"},
		// Near misses of the Windows device names are ordinary names.
		{"Console", "Console", "Console.md", "/Console"},
		{"Con Edison", "Con Edison", "Con Edison.md", "/Con%20Edison"},
		{"CON-overleg", "CON-overleg", "CON-overleg.md", "/CON-overleg"},
		{"Nul-meting/COM10", "Nul-meting/COM10", "Nul-meting/COM10.md", "/Nul-meting/COM10"},
		{"LPT", "LPT", "LPT.md", "/LPT"},
		{"Auxiliair", "Auxiliair", "Auxiliair.md", "/Auxiliair"},
		{"git~2", "git~2", "git~2.md", "/git~2"},
		// Emoji, with the invisible characters that belong to them: a
		// variation selector after a symbol, joiners between symbols.
		{"\u2764\uFE0F Team", "\u2764\uFE0F Team", "\u2764\uFE0F Team.md", "/%E2%9D%A4%EF%B8%8F%20Team"},
		{"\U0001F469\u200D\U0001F4BB", "\U0001F469\u200D\U0001F4BB", "\U0001F469\u200D\U0001F4BB.md", "/%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB"},
		{"\U0001F469\U0001F3FD\u200D\U0001F4BB", "\U0001F469\U0001F3FD\u200D\U0001F4BB", "\U0001F469\U0001F3FD\u200D\U0001F4BB.md", "/%F0%9F%91%A9%F0%9F%8F%BD%E2%80%8D%F0%9F%92%BB"},
		{"\U0001F3F3\uFE0F\u200D\U0001F308", "\U0001F3F3\uFE0F\u200D\U0001F308", "\U0001F3F3\uFE0F\u200D\U0001F308.md", "/%F0%9F%8F%B3%EF%B8%8F%E2%80%8D%F0%9F%8C%88"},
		{"\U0001F1F3\U0001F1F1 Nederland", "\U0001F1F3\U0001F1F1 Nederland", "\U0001F1F3\U0001F1F1 Nederland.md", "/%F0%9F%87%B3%F0%9F%87%B1%20Nederland"},
		// A look-alike is a valid name; the store refuses it next to the
		// name it imitates (see Skeleton).
		{"H\u043Eme", "H\u043Eme", "H\u043Eme.md", "/H%D0%BEme"},
		{strings.Repeat("a", 252), strings.Repeat("a", 252), strings.Repeat("a", 252) + ".md", "/" + strings.Repeat("a", 252)},
		{"b/" + strings.Repeat("a", MaxNameBytes-3), "b/" + strings.Repeat("a", MaxNameBytes-3), "b/" + strings.Repeat("a", MaxNameBytes-3) + ".md", "/b/" + strings.Repeat("a", MaxNameBytes-3)},
	}
	for _, c := range cases {
		n, err := ParseName(c.in)
		if err != nil {
			t.Errorf("ParseName(%q): %v", c.in, err)
			continue
		}
		if string(n) != c.name || n.Path() != c.path || n.URL() != c.url {
			t.Errorf("ParseName(%q) = %q, %q, %q; want %q, %q, %q", c.in, n, n.Path(), n.URL(), c.name, c.path, c.url)
		}
		if back, ok := ParsePath(n.Path()); !ok || back != n {
			t.Errorf("ParsePath(%q) = %q, %v", n.Path(), back, ok)
		}
	}
}

func TestParseNameInvalid(t *testing.T) {
	for _, in := range []string{
		"", "/", "/a", "a/", "a//b", ".", "..", "../x", "a/../b", "a/./b",
		".git", ".git/config", "a/.hidden", ".env",
		"a\x00b", "a\x01b", "a\nb", "a\tb", "a\u0085b", "a\u2028b", "a\x7fb",
		"a\\b", "-", "-/x", "-/edit/x",
		"x.git", "a/b.GIT", "a:b", "a*b", "a?b", "a|b", "a<b", "a>b", `a"b`,
		" lead", "trail ", "a/ b", "a /b",
		"\xff", "a\xc3", strings.Repeat("a", MaxNameBytes+1), strings.Repeat("a", 253),
	} {
		n, err := ParseName(in)
		if err == nil {
			t.Errorf("ParseName(%q) = %q, want an error", in, n)
			continue
		}
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseName(%q): %v does not wrap ErrInvalidName", in, err)
		}
	}
}

// TestParseNameRefusesDeceptive checks the names that could pass for
// another name, reorder themselves on screen or break a clone on Windows:
// each is refused, by ParseName and by ParsePath, with a message that says
// what is wrong.
func TestParseNameRefusesDeceptive(t *testing.T) {
	const device = "names a device on Windows"
	const dropped = "Windows drops it"
	cases := []struct {
		in, why string
	}{
		// Bidirectional controls.
		{"Factuur\u202Efdp.exe", "U+202E RIGHT-TO-LEFT OVERRIDE, an invisible character that changes the direction"},
		{"a\u202Ab", "U+202A LEFT-TO-RIGHT EMBEDDING"},
		{"a\u202Bb", "U+202B RIGHT-TO-LEFT EMBEDDING"},
		{"a\u202Cb", "U+202C POP DIRECTIONAL FORMATTING"},
		{"a\u202Db", "U+202D LEFT-TO-RIGHT OVERRIDE"},
		{"a\u200Eb", "U+200E LEFT-TO-RIGHT MARK"},
		{"a\u200Fb", "U+200F RIGHT-TO-LEFT MARK"},
		{"a\u061Cb", "U+061C ARABIC LETTER MARK"},
		{"a\u2066b\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"},
		{"a\u2067b", "U+2067 RIGHT-TO-LEFT ISOLATE"},
		{"a\u2068b", "U+2068 FIRST STRONG ISOLATE"},
		{"a\u2069b", "U+2069 POP DIRECTIONAL ISOLATE"},
		// Zero-width and other invisible characters.
		{"Ho\u200Bme", "invisible character (U+200B ZERO WIDTH SPACE)"},
		{"Home\u200B", "invisible character (U+200B ZERO WIDTH SPACE)"},
		{"Ho\u200Cme", "invisible character (U+200C ZERO WIDTH NON-JOINER)"},
		{"Ho\u200Dme", "invisible character (U+200D ZERO WIDTH JOINER)"},
		{"Ho\u2060me", "invisible character (U+2060 WORD JOINER)"},
		{"Ho\u2061me", "invisible character (U+2061)"},
		{"Ho\u2064me", "invisible character (U+2064)"},
		{"Ho\u00ADme", "invisible character (U+00AD SOFT HYPHEN)"},
		{"Ho\u180Eme", "invisible character (U+180E MONGOLIAN VOWEL SEPARATOR)"},
		{"Ho\u034Fme", "invisible character (U+034F COMBINING GRAPHEME JOINER)"},
		{"Ho\u3164me", "invisible character (U+3164)"},
		{"Home\uFE0F", "invisible character (U+FE0F VARIATION SELECTOR-16)"},
		{"\uFE0F\u2764", "invisible character (U+FE0F VARIATION SELECTOR-16)"},
		{"\u8449\U000E0100", "invisible character (U+E0100)"},
		{"\U0001F469\u200D", "invisible character (U+200D ZERO WIDTH JOINER)"},
		{"\U0001F3F4\U000E0067\U000E0062\U000E007F", "invisible character (U+E0067)"},
		// Byte order marks, at the start or inside.
		{"\uFEFFHome", "byte order mark (U+FEFF"},
		{"Ho\uFEFFme", "byte order mark (U+FEFF"},
		// Spaces that look like an ordinary one, or like none.
		{"Jeugdzorg\u00A02026", "special space (U+00A0 NO-BREAK SPACE); use an ordinary space"},
		{"a\u202Fb", "special space (U+202F NARROW NO-BREAK SPACE)"},
		{"a\u3000b", "special space (U+3000 IDEOGRAPHIC SPACE)"},
		{"a\u2009b", "special space (U+2009)"},
		{"a\u2800b", "special space (U+2800 BRAILLE PATTERN BLANK)"},
		// Private use and unassigned code points, and the replacement
		// character.
		{"a\uE000b", "private-use character (U+E000)"},
		{"a\U0010FFFDb", "private-use character (U+10FFFD)"},
		{"a\u0378b", "U+0378, which is not a character in Unicode"},
		{"a\uFFFEb", "U+FFFE, which is not a character in Unicode"},
		{"a\uFDD0b", "U+FDD0, which is not a character in Unicode"},
		{"a\uFFFDb", "U+FFFD REPLACEMENT CHARACTER"},
		{"a\u0085b", "control character (U+0085 NEXT LINE)"},
		{"a\u2028b", "control character (U+2028 LINE SEPARATOR)"},
		// Windows device names, in any part, any case, with or without an
		// extension or trailing spaces before it.
		{"CON", device}, {"con", device}, {"Con", device}, {"con.txt", device},
		{"aux/x", device}, {"Aux", device}, {"Map/aux", device}, {"a/AUX.tar.gz/b", device},
		{"NUL", device}, {"nul.md", device}, {"NUL .txt", device},
		{"PRN", device}, {"prn.pdf", device},
		{"CONIN$", device}, {"conout$", device}, {"CONOUT$.log", device},
		{"COM0", device}, {"COM1", device}, {"com5.x", device}, {"COM9", device},
		{"LPT0", device}, {"lpt1", device}, {"LPT9/x", device},
		{"COM\u00B9", device}, {"COM\u00B2.txt", device}, {"lpt\u00B3", device},
		// Parts Windows would silently rename.
		{"Map./Pagina", `may not end with ".": ` + dropped},
		{"Afkortingen/Etc.", `may not end with ".": ` + dropped},
		{"Map /Pagina", "may not end with a space: " + dropped},
		{"Map/ Pagina", "may not start with a space"},
		// The Windows short name of .git.
		{"GIT~1/config", `short name Windows gives ".git"`},
		{"a/git~1", `short name Windows gives ".git"`},
	}
	for _, c := range cases {
		n, err := ParseName(c.in)
		if err == nil {
			t.Errorf("ParseName(%q) = %q, want an error saying %q", c.in, n, c.why)
			continue
		}
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseName(%q): %v does not wrap ErrInvalidName", c.in, err)
		}
		if !strings.Contains(err.Error(), c.why) {
			t.Errorf("ParseName(%q): %q does not say %q", c.in, err, c.why)
		}
		if n, ok := ParsePath(c.in + PageExt); ok {
			t.Errorf("ParsePath(%q) = %q, want not a page", c.in+PageExt, n)
		}
	}
}

// TestParseNameErrorIsVisible checks that the message quotes a refused
// name with its invisible characters escaped, so that the message itself
// cannot be reordered or hide what it is about.
func TestParseNameErrorIsVisible(t *testing.T) {
	_, err := ParseName("Factuur\u202Efdp.exe")
	if err == nil || strings.ContainsRune(err.Error(), '\u202E') || !strings.Contains(err.Error(), `\u202e`) {
		t.Errorf("error %q shows the override instead of escaping it", err)
	}
}

func TestParsePathSkipsNonPages(t *testing.T) {
	for _, p := range []string{"logo.png", "Map/bijlage.pdf", ".gitattributes", "a/.b.md", "x.md/y", "Cafe\u0301.md", ".md"} {
		if n, ok := ParsePath(p); ok {
			t.Errorf("ParsePath(%q) = %q, want not a page", p, n)
		}
	}
}

func TestNameParts(t *testing.T) {
	n := MustParseName("WMO-loket/Ontwerp/Klantreis")
	if n.Title() != "Klantreis" || n.Folder() != "WMO-loket/Ontwerp" {
		t.Errorf("Title %q Folder %q", n.Title(), n.Folder())
	}
	if MustParseName("Home").Folder() != "" {
		t.Error("top-level page has a folder")
	}
	if MustParseName("WMO-Loket/ONTWERP").Fold() != MustParseName("wmo-loket/ontwerp").Fold() {
		t.Error("names differing by case fold differently")
	}
	if MustParseName("Straße").Fold() != MustParseName("STRASSE").Fold() {
		t.Error("full case folding is not applied")
	}
}

// urlToName decodes a URL path as the router does.
func urlToName(u string) (Name, error) {
	p, err := url.PathUnescape(strings.TrimPrefix(u, "/"))
	if err != nil {
		return "", err
	}
	return ParseName(p)
}

// windowsDevice matches, independently of isWindowsDevice, a path part
// that Windows takes for a device.
var windowsDevice = regexp.MustCompile(`(?i)^(con|prn|aux|nul|conin\$|conout\$|(com|lpt)[0-9\x{B9}\x{B2}\x{B3}]) *(\.|$)`)

// checkNoRefusedRune fails if the parsed name n holds a character that
// ParseName must refuse. It is written apart from runeProblem, from the
// rules as documented.
func checkNoRefusedRune(t *testing.T, n Name) {
	t.Helper()
	runes := []rune(string(n))
	for i, r := range runes {
		var prev, next rune
		if i > 0 {
			prev = runes[i-1]
		}
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		refused := false
		switch {
		case unicode.Is(unicode.Bidi_Control, r), r == '\uFEFF', r == '\uFFFD',
			unicode.In(r, unicode.Cc, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp):
			refused = true
		case r != ' ' && unicode.Is(unicode.Zs, r):
			refused = true
		case unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point):
			emojiVS := (r == '\uFE0E' || r == '\uFE0F') && unicode.Is(unicode.So, prev)
			emojiJoiner := r == '\u200D' && unicode.Is(unicode.So, next) &&
				(unicode.In(prev, unicode.So, unicode.Sk) || prev == '\uFE0F')
			refused = !emojiVS && !emojiJoiner
		case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z):
			refused = true // unassigned
		}
		if refused {
			t.Fatalf("ParseName accepted %q, which holds the refused character U+%04X", n, r)
		}
	}
}

// FuzzName checks the invariants of page names on arbitrary input: a
// parsed name is valid UTF-8, NFC, within the length limit, never reaches
// into .git or above the root, holds no invisible, bidirectional or
// unassigned character and no part Windows cannot check out, parses to
// itself, survives the round trips through its file path and its URL, and
// has a settled skeleton.
func FuzzName(f *testing.F) {
	for _, s := range []string{
		"Home", "WMO-loket/Ontwerp", "a//b", "../x", ".git/config", "Café", "Cafe\u0301", "100% zeker", "a#b", "a?b", "🙂/x", "-/x", "x.git",
		"H\u043Eme", "Ho\u200Bme", "a\u202Eb", "\uFEFFHome", "con.txt", "aux/x", "COM\u00B9", "Map./Pagina", "GIT~1/x",
		"\u2764\uFE0F Team", "\U0001F469\u200D\U0001F4BB", "Jeugdzorg\u00A02026", "Financiële regeling",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("ParseName(%q): error %v does not wrap ErrInvalidName", s, err)
			}
			return
		}
		str := string(n)
		if !utf8.ValidString(str) || !norm.NFC.IsNormalString(str) || len(str) > MaxNameBytes {
			t.Fatalf("ParseName(%q) = %q: not valid NFC within the limit", s, n)
		}
		for _, seg := range strings.Split(str, "/") {
			if seg == "" || strings.HasPrefix(seg, ".") || strings.HasPrefix(seg, " ") ||
				strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " ") ||
				windowsDevice.MatchString(seg) || strings.EqualFold(seg, "git~1") {
				t.Fatalf("ParseName(%q) = %q has segment %q", s, n, seg)
			}
		}
		checkNoRefusedRune(t, n)
		key, passes := skeleton(str)
		if passes >= skeletonPasses || Skeleton(key) != key {
			t.Fatalf("skeleton of %q has not settled: %q after %d passes", n, key, passes)
		}
		if !ConfusableWith(n, n) {
			t.Fatalf("%q is not confusable with itself", n)
		}
		if again, err := ParseName(str); err != nil || again != n {
			t.Fatalf("ParseName is not idempotent on %q: %q, %v", n, again, err)
		}
		if back, ok := ParsePath(n.Path()); !ok || back != n {
			t.Fatalf("path round trip of %q: %q, %v", n, back, ok)
		}
		if back, err := urlToName(n.URL()); err != nil || back != n {
			t.Fatalf("URL round trip of %q via %q: %q, %v", n, n.URL(), back, err)
		}
		if strings.ContainsAny(n.URL(), "?# ") {
			t.Fatalf("URL %q of %q is not escaped", n.URL(), n)
		}
	})
}
