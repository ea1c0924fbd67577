package search

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestParsePage(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      page
	}{
		{"front matter", "---\ntitle: Ontwerp\ntags: [wmo, ontwerp]\nlang: EN\n---\n# Kop\n\nTekst *nadruk* en `code`.\n",
			page{Title: "Ontwerp", Tags: []string{"wmo", "ontwerp"}, Lang: "en", Headings: []string{"Kop"}, Body: "Tekst nadruk en code."}},
		{"h1 title", "Intro.\n\n# Titel\n\n## Eén\n\n### Twee &amp; drie\n\n- a\n- b\n",
			page{Title: "Titel", Headings: []string{"Eén", "Twee & drie"}, Body: "Intro.\na\nb"}},
		{"no title", "Gewoon tekst\nover twee regels.\n",
			page{Body: "Gewoon tekst over twee regels."}},
		{"comma tags, unknown lang", "---\ntags: a, b, a\nlang: fr\n---\nx\n",
			page{Tags: []string{"a", "b"}, Body: "x"}},
		{"malformed front matter", "---\ntitle: [\n---\nx\n", page{Body: "title: [\nx"}},
		{"thematic break first", "---\n\nTekst: waarde\n", page{Body: "Tekst: waarde"}},
		{"links and wikilinks", "Zie [de site](https://example.nl) en [[WMO-loket/Ontwerp|het ontwerp]], [[Beleid#Doelen]] en https://a.example ![foto](x.png).\n",
			page{Body: "Zie de site en het ontwerp, Beleid Doelen en https://a.example foto."}},
		{"code and html", "```go\nfunc main() {}\n```\n\n<div>weg</div>\n\nTekst <b>vet</b>.\n",
			page{Body: "func main() {}\nTekst vet."}},
		{"table", "| a | b |\n|---|---|\n| een | twee |\n",
			page{Body: "a  b\neen  twee"}},
		{"escapes", `Geen \*nadruk\* &lt;tag&gt;` + "\n", page{Body: "Geen *nadruk* <tag>"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := parsePage([]byte(c.src))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("parsePage:\n got %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestParseText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []term
	}{
		{"aanvraag  beschikking", []term{{kindWord, "aanvraag", false}, {kindWord, "beschikking", false}}},
		{`"eigen kracht" -bezwaar`, []term{{kindPhrase, "eigen kracht", false}, {kindWord, "bezwaar", true}}},
		{`keuken* -"oud archief" -keu*`, []term{{kindPrefix, "keuken", false}, {kindPhrase, "oud archief", true}, {kindPrefix, "keu", true}}},
		{"WMO-loket k*", []term{{kindPhrase, "WMO loket", false}, {kindWord, "k", false}}},
		{"wmo-lok*", []term{{kindWord, "wmo", false}, {kindPrefix, "lok", false}}},
		// No operators but ours: bleve's syntax is text.
		{`title:x AND (y OR z)^3 ~ "open`, []term{{kindPhrase, "title x", false}, {kindWord, "AND", false}, {kindWord, "y", false},
			{kindWord, "OR", false}, {kindPhrase, "z 3", false}, {kindPhrase, "open", false}}},
		{"- * \"\" financiële", []term{{kindWord, "financiële", false}}},
	} {
		got := parseText(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseText(%q):\n got %v\nwant %v", c.in, got, c.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	body := "Begin <b>" + strings.Repeat("vul ", 100) + "de aanvraag en de financiële aanvraag. " + strings.Repeat("na ", 100)
	i := strings.Index(body, "aanvraag")
	j := strings.Index(body, "financiële")
	k := strings.LastIndex(body, "aanvraag")
	got := string(snippet(body, []span{{k, k + 8}, {i, i + 8}, {j, j + len("financiële")}, {i, i + 4}, {-1, 3}, {j + 1, j + 3}}))
	if !strings.HasPrefix(got, "… ") || !strings.HasSuffix(got, " …") {
		t.Errorf("snippet %q is not cut on both sides", got)
	}
	if !strings.Contains(got, "de <mark>aanvraag</mark> en de <mark>financiële</mark> <mark>aanvraag</mark>.") {
		t.Errorf("snippet %q", got)
	}
	if got := string(snippet("a <b> & c", nil)); got != "a &lt;b&gt; &amp; c" {
		t.Errorf("no matches: %q", got)
	}
}

func TestVersionMismatchRebuilds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "search")
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.idx.SetInternal(keyCheckpoint, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := ix.idx.SetInternal(keyVersion, []byte("wikiwerk-search-0")); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Rebuilt() == nil {
		t.Error("an index of another mapping version was kept")
	}
	if cp, _ := ix.Checkpoint(t.Context()); cp != "" {
		t.Errorf("checkpoint %q after a rebuild", cp)
	}
	ix.Close()
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ix.Rebuilt() != nil {
		t.Errorf("the rebuilt index was rebuilt again: %v", ix.Rebuilt())
	}
	ix.Close()
}

// fakeSource serves blobs from a map; everything else is not found.
type fakeSource map[string]string

func (f fakeSource) ReadBlob(_ context.Context, id string) ([]byte, error) {
	if b, ok := f[id]; ok {
		return []byte(b), nil
	}
	return nil, wiki.ErrNotFound
}

func (fakeSource) Revision(context.Context, string) (*wiki.Revision, error) {
	return nil, wiki.ErrNotFound
}

func (fakeSource) Snapshot(context.Context) (*wiki.Snapshot, error) { return wiki.EmptySnapshot(), nil }

// TestApplySkipsMissingContent: a blob that cannot be read is skipped
// (retrying would block the index for good), the rest applied, and an
// oversized page indexed up to the limit.
func TestApplySkipsMissingContent(t *testing.T) {
	big := strings.Repeat("vulling ", maxPageBytes/8) + "voorbijdegrens"
	ix, err := Open(t.TempDir(), Options{Source: fakeSource{"a": "# A\n\nDe aanvraag.\n", "c": big}})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	err = ix.Apply(t.Context(), wiki.ChangeSet{To: "x", Reset: true, Files: []wiki.FileDelta{
		{Path: "A.md", Kind: wiki.Added, Blob: "a"},
		{Path: "B.md", Kind: wiki.Added, Blob: "b"},
		{Path: "C.md", Kind: wiki.Added, Blob: "c"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if cp, _ := ix.Checkpoint(t.Context()); cp != "x" {
		t.Errorf("checkpoint %q", cp)
	}
	if n, _ := ix.DocCount(); n != 2 {
		t.Errorf("%d documents, want 2", n)
	}
	for q, want := range map[string]int{"aanvragen": 1, "vulling": 1, "voorbijdegrens": 0} {
		if res, err := ix.Search(t.Context(), Query{Text: q}); err != nil || res.Total != want {
			t.Errorf("%s: %d hits (%v), want %d", q, res.Total, err, want)
		}
	}
	if got := truncate([]byte("aë"), 2); string(got) != "a" {
		t.Errorf("truncate cut a rune: %q", got)
	}
}

// TestBombIsIndexedBySource: a page over the renderer's budgets (100,000
// nested block quotes, which a plain Markdown parser takes tens of seconds
// over) is indexed by its text, not parsed without bounds.
func TestBombIsIndexedBySource(t *testing.T) {
	ix, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	src := []byte("---\ntitle: Bom\n---\nzeldzaamwoord " + strings.Repeat(">", 100000) + " x\n")
	p, err := ix.parseBounded(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Bom" || !strings.Contains(p.Body, "zeldzaamwoord") {
		t.Fatalf("parsed bomb: title %q, body %.60q", p.Title, p.Body)
	}
}
