package wiki_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestFieldsRoundTrip(t *testing.T) {
	for _, src := range []string{
		"",
		"Geen front matter.\n",
		"---\ntitle: Ontwerp WMO-loket\ntags: [wmo, dienstverlening]\n---\n\n# Ontwerp\n",
		"---\nauthor: Anna\ntitle:   'Het ''loket'''\nextra:\n  - een\n  - twee\ntags: wmo, zorg\nlang: en\nstatus: concept # nog niet af\n---\nTekst\n",
		"---\n---\nLeeg blok.\n",
		"---\ntitle: \"Ontwerp: \\\"fase\\\" 2\"\n---\n",
	} {
		sp, ok := wiki.SplitFields(src)
		if !ok {
			t.Errorf("%q: not split", src)
			continue
		}
		if got := sp.Join(sp.Fields, sp.Body); got != src {
			t.Errorf("round trip changed the file:\n got %q\nwant %q", got, src)
		}
	}
}

func TestFieldsReadValues(t *testing.T) {
	src := "---\nauthor: Anna\ntitle: 'Het ''loket'''\ntags: [wmo, \"zorg: thuis\"]\nlang: en\n---\nTekst\n"
	sp, ok := wiki.SplitFields(src)
	if !ok {
		t.Fatal("not split")
	}
	if sp.Fields.Title != "Het 'loket'" || sp.Fields.Lang != "en" || !slices.Equal(sp.Fields.Tags, []string{"wmo", "zorg: thuis"}) || sp.Body != "Tekst\n" {
		t.Fatalf("fields = %+v, body %q", sp.Fields, sp.Body)
	}
}

func TestFieldsChangeOnlyWhatChanged(t *testing.T) {
	src := "---\nauthor: Anna  \ntitle: Oud\nextra:\n  - een\ntags: [a, b]\n---\nTekst\n"
	sp, _ := wiki.SplitFields(src)
	f := sp.Fields
	f.Title = "Nieuw: met dubbele punt"
	got := sp.Join(f, sp.Body)
	want := "---\nauthor: Anna  \ntitle: \"Nieuw: met dubbele punt\"\nextra:\n  - een\ntags: [a, b]\n---\nTekst\n"
	if got != want {
		t.Fatalf("title change:\n got %q\nwant %q", got, want)
	}
	f = sp.Fields
	f.Title, f.Lang, f.Tags = "", "fy", []string{"b", "c"}
	got = sp.Join(f, "Anders\n")
	want = "---\nauthor: Anna  \nextra:\n  - een\ntags: [b, c]\nlang: fy\n---\nAnders\n"
	if got != want {
		t.Fatalf("other changes:\n got %q\nwant %q", got, want)
	}
	// Emptying every field of a page with only fields drops the block.
	sp, _ = wiki.SplitFields("---\ntitle: X\n---\nTekst\n")
	if got := sp.Join(wiki.PageFields{}, sp.Body); got != "Tekst\n" {
		t.Fatalf("emptied = %q", got)
	}
	// A new page gets a block only when a field is set.
	if got := (wiki.SplitPage{}).Join(wiki.PageFields{Title: "true"}, "Hoi\n"); got != "---\ntitle: \"true\"\n---\nHoi\n" {
		t.Fatalf("new = %q", got)
	}
}

func TestFieldsFallBackOnWhatTheyCannotHold(t *testing.T) {
	for _, src := range []string{
		"---\n# een opmerking\ntitle: X\n---\n",
		"---\ntitle: >\n  lange\n  titel\n---\n",
		"---\ntags:\n  - a\n  - b\n---\n",
		"---\ntitle: a\ntitle: b\n---\n",
		"---\ntitle: X\n\nauthor: Y\n---\n",
		"---\ntitle: X # opmerking\n---\n",
		"---\ntitle: \"met \\n escape\"\n---\n",
		"---\ntitle: X\r\n---\r\n",
		"---\nniet afgesloten\n",
		"---\n[lijst, als, document]\n---\n",
	} {
		if _, ok := wiki.SplitFields(src); ok {
			t.Errorf("%q was split; it should be shown as text", src)
		}
	}
}

func TestParseTags(t *testing.T) {
	if got := wiki.ParseTags(" wmo, ,zorg , wmo,"); strings.Join(got, "|") != "wmo|zorg" {
		t.Fatalf("ParseTags = %q", got)
	}
}
