package wiki

import (
	"fmt"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestSkeleton(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
		why  string
	}{
		{"Home", "H\u043Eme", true, "Cyrillic о"},
		{"Home", "HOME", true, "case"},
		{"Home", "home", true, "case"},
		{"Home", "h\u043Eme", true, "case and Cyrillic о"},
		{"Home", "H0me", true, "digit zero (UTS #39: 0 looks like O)"},
		{"Home", "\u041Dome", true, "Cyrillic capital Н"},
		{"Home", "\uFF28\uFF4F\uFF4D\uFF45", true, "full-width letters"},
		{"Home", "\U0001D407\U0001D428\U0001D426\U0001D41E", true, "mathematical bold letters"},
		{"Home", "Hor\u0578e", true, "Armenian ո for n in rn"},
		{"Home", "Horne", true, "rn looks like m (kept from UTS #39)"},
		{"WMO-loket/Ontwerp", "W\u041C\u041E-loket/Ontwerp", true, "Cyrillic М and О"},
		{"WMO-loket/Ontwerp", "WMO-Ioket/Ontwerp", true, "capital I for l"},
		{"WMO-loket/Ontwerp", "WMO-1oket/Ontwerp", true, "digit 1 for l"},
		{"Café", "Cafe\u0301", true, "composed and decomposed é"},
		{"Café", "CAFÉ", true, "case with an accent"},
		{"Straße", "STRASSE", true, "full case folding"},
		{"\u0133s", "ijs", true, "the ĳ ligature"},
		{"Financiële regeling", "Financie\u0308le regeling", true, "decomposed ë"},
		{"\u2764\uFE0F Team", "\u2764 Team", true, "a variation selector does not show"},
		{"Home", "Ho\u200Bme", true, "an invisible character does not show"},
		// The price of the choices documented on Skeleton.
		{"Modem", "Modern", true, "rn looks like m"},
		{"Stem", "Stern", true, "rn looks like m"},
		{"ISO", "LSO", true, "capital I reads as l, which folds like L"},
		{"Blok 1", "Blok L", true, "digit 1 reads as l, which folds like L"},

		{"Home", "Homes", false, "a letter more"},
		{"Home", "Hone", false, "another letter"},
		{"Café", "Cafe", false, "an accent shows"},
		{"Financiële regeling", "Financiele regeling", false, "a diaeresis shows"},
		{"Jeugdzorg 2026", "Jeugdzorg 2025", false, "another digit"},
		{"Mail", "Mall", false, "i has a dot, l has none"},
		{"ill", "lll", false, "lower-case i has a dot"},
		{"Beleid/Zorg", "Beleid-Zorg", false, "a slash is not a hyphen"},
	}
	for _, c := range cases {
		ka, kb := Skeleton(c.a), Skeleton(c.b)
		if (ka == kb) != c.same {
			t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q; want same = %v (%s)", c.a, ka, c.b, kb, c.same, c.why)
		}
		if allValidNames(c.a, c.b) {
			if got := ConfusableWith(MustParseName(c.a), MustParseName(c.b)); got != c.same {
				t.Errorf("ConfusableWith(%q, %q) = %v, want %v (%s)", c.a, c.b, got, c.same, c.why)
			}
		}
	}
}

// allValidNames reports whether every one of names is a valid page name.
func allValidNames(names ...string) bool {
	for _, s := range names {
		if _, err := ParseName(s); err != nil {
			return false
		}
	}
	return true
}

// TestSkeletonCaseTwins checks that names differing only in case share a
// skeleton, except where a capital looks like a different letter than its
// lower case does; ConfusableWith still pairs those by Fold.
func TestSkeletonCaseTwins(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"WMO-loket/Ontwerp", "wmo-LOKET/ontwerp", true},
		{"Jeugdzorg", "JEUGDZORG", true},
		{"Überblick", "überblick", true},
		{"ᎠᎡ", "ꭰꭱ", false}, // Cherokee capitals look like Latin D and R
		{"Ill", "ill", false},
		{"Ελλάδα", "ΕΛΛΆΔΑ", false}, // capital Λ looks like Latin ʌ, λ does not
		{"IJsselmeer", "ijsselmeer", false},
	} {
		if same := Skeleton(c.a) == Skeleton(c.b); same != c.same {
			t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q; want same = %v", c.a, Skeleton(c.a), c.b, Skeleton(c.b), c.same)
		}
		if !ConfusableWith(MustParseName(c.a), MustParseName(c.b)) {
			t.Errorf("ConfusableWith(%q, %q) = false for case twins", c.a, c.b)
		}
	}
}

// TestSkeletonSettles checks every assigned character: its skeleton
// settles within three passes, well inside the bound, is its own skeleton
// and is the same whether the character is composed or decomposed.
func TestSkeletonSettles(t *testing.T) {
	if testing.Short() {
		t.Skip("checks every Unicode character")
	}
	most := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf, unicode.Co) {
			continue // unassigned or a surrogate
		}
		s := string(r)
		key, passes := skeleton(s)
		most = max(most, passes)
		if passes > 3 {
			t.Errorf("skeleton of U+%04X took %d passes", r, passes)
		}
		if again := Skeleton(key); again != key {
			t.Errorf("skeleton of U+%04X is %q, whose skeleton is %q", r, key, again)
		}
		if d := norm.NFD.String(s); d != s && Skeleton(d) != key {
			t.Errorf("U+%04X: skeleton %q, decomposed %q", r, key, Skeleton(d))
		}
	}
	t.Logf("at most %d passes", most)
}

// TestFoldIsStable checks, for every character, that folding is
// idempotent and folds all case variants of the character alike.
func TestFoldIsStable(t *testing.T) {
	if testing.Short() {
		t.Skip("checks every Unicode character")
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if 0xD800 <= r && r < 0xE000 {
			continue // surrogates
		}
		key := foldCase(string(r))
		if again := foldCase(key); again != key {
			t.Errorf("U+%04X folds to %+q, which folds to %+q", r, key, again)
		}
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if k := foldCase(string(o)); k != key {
				t.Errorf("U+%04X folds to %+q, its case twin U+%04X to %+q", r, key, o, k)
			}
		}
	}
}

func ExampleSkeleton() {
	for _, s := range []string{"Home", "HOME", "H\u043Eme", "H0me", "Homes"} {
		fmt.Printf("%s %q\n", s, Skeleton(s))
	}
	// Output:
	// Home "horne"
	// HOME "horne"
	// Hоme "horne"
	// H0me "horne"
	// Homes "hornes"
}

func ExampleConfusableWith() {
	home := MustParseName("Home")
	for _, s := range []string{"home", "H\u043Eme", "Homepage"} {
		fmt.Println(s, ConfusableWith(MustParseName(s), home))
	}
	// Output:
	// home true
	// Hоme true
	// Homepage false
}
