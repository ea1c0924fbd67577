package wiki

import (
	"errors"
	"net/url"
	"strings"
	"testing"
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
		{strings.Repeat("a", MaxNameBytes), strings.Repeat("a", MaxNameBytes), strings.Repeat("a", MaxNameBytes) + ".md", "/" + strings.Repeat("a", MaxNameBytes)},
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
		"\xff", "a\xc3", strings.Repeat("a", MaxNameBytes+1),
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

// FuzzName checks the invariants of page names on arbitrary input: a
// parsed name is valid UTF-8, NFC, within the length limit, never reaches
// into .git or above the root, parses to itself, and survives the round
// trips through its file path and its URL.
func FuzzName(f *testing.F) {
	for _, s := range []string{"Home", "WMO-loket/Ontwerp", "a//b", "../x", ".git/config", "Café", "Cafe\u0301", "100% zeker", "a#b", "a?b", "🙂/x", "-/x", "x.git"} {
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
			if seg == "" || strings.HasPrefix(seg, ".") {
				t.Fatalf("ParseName(%q) = %q has segment %q", s, n, seg)
			}
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
