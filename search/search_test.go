package search_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/search"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

var (
	anna = wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"}
	bram = wiki.Author{Name: "Bram Jansen", Email: "bram@example.nl"}
)

var _ search.Source = (*storage.Repo)(nil)

// fixture is a repository with a search index subscribed to it.
type fixture struct {
	t    *testing.T
	repo *storage.Repo
	// repoDir and indexDir are the folders of both.
	repoDir, indexDir string
	ix                *search.Index
	sub               wiki.Subscription
	// resets counts the Reset change sets the index was given.
	resets *counter
}

type counter struct {
	mu   sync.Mutex
	n    int
	sets []wiki.ChangeSet
}

// recording passes change sets on to the index, counting resets.
type recording struct {
	*search.Index
	c *counter
}

func (r recording) Apply(ctx context.Context, cs wiki.ChangeSet) error {
	r.c.mu.Lock()
	if cs.Reset {
		r.c.n++
	}
	r.c.sets = append(r.c.sets, cs)
	r.c.mu.Unlock()
	return r.Index.Apply(ctx, cs)
}

func (c *counter) resets() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{t: t, repoDir: filepath.Join(root, "content.git"), indexDir: filepath.Join(root, "search")}
	r, err := storage.Init(f.repoDir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.repo = r
	t.Cleanup(func() { f.repo.Close() })
	f.open()
	return f
}

// open opens the index and subscribes it.
func (f *fixture) open() {
	f.t.Helper()
	ix, err := search.Open(f.indexDir, search.Options{Source: f.repo})
	if err != nil {
		f.t.Fatal(err)
	}
	f.ix = ix
	f.resets = &counter{}
	sub, err := f.repo.Subscribe(context.Background(), recording{ix, f.resets})
	if err != nil {
		f.t.Fatal(err)
	}
	f.sub = sub
	f.t.Cleanup(f.close)
}

// close unsubscribes and closes the index (again: a no-op).
func (f *fixture) close() {
	if f.sub != nil {
		f.sub.Close()
		f.sub = nil
	}
	if f.ix != nil {
		f.ix.Close()
	}
}

// sync waits until the index has applied main.
func (f *fixture) sync() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.sub.Sync(ctx); err != nil {
		f.t.Fatalf("sync: %v (last apply: %v)", err, f.sub.Err())
	}
	if err := f.sub.Err(); err != nil {
		f.t.Fatalf("apply: %v", err)
	}
}

// page is a page to commit.
type page struct {
	name, content string
}

// commit writes pages (an empty content deletes one) as one commit.
func (f *fixture) commit(who wiki.Author, when time.Time, pages ...page) string {
	f.t.Helper()
	ctx := context.Background()
	snap, _ := f.repo.Snapshot(ctx)
	var changes []wiki.Change
	for _, p := range pages {
		n := wiki.MustParseName(p.name)
		info, _ := snap.Page(n)
		changes = append(changes, wiki.Change{Name: n, Content: []byte(p.content), Delete: p.content == "", Base: info.Revision})
	}
	res, err := f.repo.Commit(ctx, wiki.Commit{Author: who, Message: "test", Time: when, Changes: changes})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Revision
}

func (f *fixture) search(q search.Query) search.Results {
	f.t.Helper()
	res, err := f.ix.Search(context.Background(), q)
	if err != nil {
		f.t.Fatalf("search %+v: %v", q, err)
	}
	return res
}

// names returns the names of the hits of a query.
func (f *fixture) names(q search.Query) []string {
	f.t.Helper()
	var out []string
	for _, h := range f.search(q).Hits {
		out = append(out, string(h.Name))
	}
	return out
}

// find asserts that text finds exactly want (in any order).
func (f *fixture) find(text string, want ...string) {
	f.t.Helper()
	got := f.names(search.Query{Text: text})
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		f.t.Errorf("search %q = %q, want %q", text, got, want)
	}
}

var t0 = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)

// wmo is a small Dutch wiki with one English page.
func wmo(f *fixture) {
	f.commit(anna, t0,
		page{"WMO-loket/Ontwerp", "---\ntitle: Ontwerp van het WMO-loket\ntags: [wmo, ontwerp]\n---\n\n" +
			"Het loket ontvangt de aanvraag van de inwoner.\n\n## Keukentafelgesprek\n\n" +
			"Na de melding volgt een keukentafelgesprek over eigen kracht en het netwerk.\n"},
		page{"WMO-loket/Beschikking", "# Beschikking\n\nDe consulent stuurt een beschikking binnen zes weken.\n\n" +
			"Voor bezwaar geldt een termijn.\n"},
		page{"Financien/Begroting", "# Begroting\n\nDe financiële paragraaf beschrijft de kracht van eigen middelen.\n"},
	)
	f.commit(bram, t0.Add(48*time.Hour),
		page{"WMO-loket/Archief/Oud", "# Oud archief\n\nDe keukentafel stond in de oude keuken.\n"},
		page{"English/Intake", "---\nlang: en\ntags: wmo\n---\n# Intake\n\nThe application is reviewed by the consultant.\n"},
	)
	f.sync()
}

func TestDutchStemming(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.find("aanvragen", "WMO-loket/Ontwerp")
	f.find("beschikkingen", "WMO-loket/Beschikking")
	f.find("meldingen", "WMO-loket/Ontwerp")
	// Words are ANDed.
	f.find("beschikking termijn", "WMO-loket/Beschikking")
	f.find("beschikking keukentafelgesprek")
	// A stop word does not make a Dutch page unfindable.
	f.find("de aanvraag", "WMO-loket/Ontwerp")
}

func TestDiacriticsFolded(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.find("financiele", "Financien/Begroting")
	f.find("financiële", "Financien/Begroting")
	f.find("FINANCIËLE", "Financien/Begroting")
	res := f.search(search.Query{Text: "financiele"})
	if got := string(res.Hits[0].Snippet); !strings.Contains(got, "De <mark>financiële</mark> paragraaf") {
		t.Errorf("snippet %q does not mark the folded word in place", got)
	}
}

func TestEnglishStemming(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.find("applications", "English/Intake")
	f.find("reviewing consultants", "English/Intake")
	// Stop words are ignored.
	f.find("the application", "English/Intake")
	f.find("de")
	// The Dutch analyzer does not stem English: "reviews" is a stem of
	// the English page only.
	f.find("reviews", "English/Intake")
}

func TestPhrase(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	// Begroting has "kracht van eigen", Ontwerp "eigen kracht".
	f.find(`eigen kracht`, "WMO-loket/Ontwerp", "Financien/Begroting")
	f.find(`"eigen kracht"`, "WMO-loket/Ontwerp")
	f.find(`"kracht eigen"`)
	// Punctuation inside a word makes a phrase.
	f.find("WMO-loket", "WMO-loket/Ontwerp")
	res := f.search(search.Query{Text: `"eigen kracht"`})
	if s := string(res.Hits[0].Snippet); !strings.Contains(s, "<mark>eigen</mark> <mark>kracht</mark>") {
		t.Errorf("phrase snippet %q", s)
	}
}

func TestPrefix(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.find("keuken*", "WMO-loket/Ontwerp", "WMO-loket/Archief/Oud")
	f.find("keukentafelg*", "WMO-loket/Ontwerp")
	// Prefixes are matched against words as written, not stems.
	f.find("aanvraa*", "WMO-loket/Ontwerp")
	// And against titles.
	f.find("begro*", "Financien/Begroting")
	res := f.search(search.Query{Text: "keukentafelg*"})
	if s := string(res.Hits[0].Snippet); !strings.Contains(s, "een <mark>keukentafelgesprek</mark> over") {
		t.Errorf("prefix snippet %q", s)
	}
	// A prefix longer than the indexed word starts.
	f.commit(anna, t0, page{"Reeks", "Over de keukentafelgesprekkenreeks.\n"})
	f.sync()
	f.find("keukentafelgesprekkenr*", "Reeks")
	res = f.search(search.Query{Text: "keukentafelgesprekkenr*"})
	if s := string(res.Hits[0].Snippet); !strings.Contains(s, "de <mark>keukentafelgesprekkenreeks</mark>.") {
		t.Errorf("long prefix snippet %q", s)
	}
}

func TestTypoTolerance(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.find("keukentafelgesprk", "WMO-loket/Ontwerp")
	f.find("keukntafelgesprik", "WMO-loket/Ontwerp") // two typos in a long word
	f.find("beschiking", "WMO-loket/Beschikking")
	f.find("melfing", "WMO-loket/Ontwerp")
	// Short words get no typos: "loke" is no "loket".
	f.find("loke")
	if got := f.ix.DidYouMean(context.Background(), search.Query{Text: "bezwaart termijn"}); got != "bezwaar termijn" {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := f.ix.DidYouMean(context.Background(), search.Query{Text: "beschikking"}); got != "" {
		t.Errorf("DidYouMean of a word that exists = %q", got)
	}
	if got := f.ix.DidYouMean(context.Background(), search.Query{Text: `"eigen krahct" keuken*`}); got != `"eigen kracht" keuken*` {
		t.Errorf("DidYouMean of a phrase = %q", got)
	}
}

func TestExclude(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.find("keuken* -archief", "WMO-loket/Ontwerp")
	f.find(`eigen kracht -"eigen kracht"`, "Financien/Begroting")
	f.find("keuken* -keukentafelg*", "WMO-loket/Archief/Oud")
	// Only an exclusion: every other page, newest first (the other two
	// have the same time).
	got := f.names(search.Query{Text: "-keuken*"})
	if len(got) != 3 || got[0] != "English/Intake" {
		t.Errorf("-keuken* = %q, want English/Intake first", got)
	}
	f.find("-keuken*", "English/Intake", "Financien/Begroting", "WMO-loket/Beschikking")
}

func TestRanking(t *testing.T) {
	f := newFixture(t)
	f.commit(anna, t0,
		page{"A", "# Notities\n\nIets over de planning, en nog eens planning, planning.\n"},
		page{"B", "# Planning\n\nDit gaat over iets anders.\n"},
		page{"C", "# Notities\n\n## Planning\n\nIets anders.\n"},
	)
	f.sync()
	got := f.names(search.Query{Text: "planning"})
	if want := []string{"B", "C", "A"}; !slices.Equal(got, want) {
		t.Errorf("ranking = %q, want title, then heading, then body: %q", got, want)
	}
}

func TestFilters(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	for _, c := range []struct {
		q    search.Query
		want []string
	}{
		{search.Query{Text: "keuken*", Folder: "WMO-loket"}, []string{"WMO-loket/Archief/Oud", "WMO-loket/Ontwerp"}},
		{search.Query{Text: "keuken*", Folder: "WMO-loket/Archief/"}, []string{"WMO-loket/Archief/Oud"}},
		{search.Query{Text: "keuken*", Folder: "WMO"}, nil},
		{search.Query{Folder: "WMO-loket"}, []string{"WMO-loket/Archief/Oud", "WMO-loket/Beschikking", "WMO-loket/Ontwerp"}},
		{search.Query{Tag: "wmo"}, []string{"English/Intake", "WMO-loket/Ontwerp"}},
		{search.Query{Tag: "WMO", Text: "aanvraag"}, []string{"WMO-loket/Ontwerp"}},
		{search.Query{Tag: "ontwerp", Folder: "English"}, nil},
		{search.Query{Author: "Bram Jansen"}, []string{"English/Intake", "WMO-loket/Archief/Oud"}},
		{search.Query{Author: "anna@example.nl", Text: "keuken*"}, []string{"WMO-loket/Ontwerp"}},
		{search.Query{Author: "anna"}, []string{"Financien/Begroting", "WMO-loket/Beschikking", "WMO-loket/Ontwerp"}},
		{search.Query{Author: "anna jansen"}, nil},
		{search.Query{Since: t0.Add(time.Hour)}, []string{"English/Intake", "WMO-loket/Archief/Oud"}},
		{search.Query{Until: t0.Add(time.Hour), Text: "keuken*"}, []string{"WMO-loket/Ontwerp"}},
		{search.Query{Since: t0, Until: t0.Add(48 * time.Hour)}, []string{"Financien/Begroting", "WMO-loket/Beschikking", "WMO-loket/Ontwerp"}},
	} {
		got := f.names(c.q)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%+v = %q, want %q", c.q, got, c.want)
		}
	}
	// The folder's own page is in the folder.
	f.commit(anna, t0, page{"WMO-loket", "# Loket\n\nOver de keukens.\n"})
	f.sync()
	f.find("keuken*", "WMO-loket", "WMO-loket/Ontwerp", "WMO-loket/Archief/Oud")
	if got := f.names(search.Query{Text: "keuken*", Folder: "WMO-loket/"}); len(got) != 3 {
		t.Errorf("folder filter with the folder's page: %q", got)
	}
	// Without text, newest first, with what a result page shows.
	res := f.search(search.Query{Folder: "WMO-loket/Archief", Limit: 1})
	if res.Total != 1 || len(res.Hits) != 1 {
		t.Fatalf("total %d, %d hits", res.Total, len(res.Hits))
	}
	h := res.Hits[0]
	if h.Name != "WMO-loket/Archief/Oud" || h.Title != "Oud archief" || h.Folder != "WMO-loket/Archief" ||
		h.Author != "Bram Jansen" || !h.Time.Equal(t0.Add(48*time.Hour)) || len(h.Revision) != 40 {
		t.Errorf("hit %+v", h)
	}
	res = f.search(search.Query{Text: "ontwerp"})
	if len(res.Hits) == 0 || res.Hits[0].Title != "Ontwerp van het WMO-loket" {
		t.Errorf("front matter title: %+v", res.Hits)
	}
	// The JSON is the API's.
	js, _ := json.Marshal(f.search(search.Query{Text: "beschikking"}))
	if !regexp.MustCompile(`^\{"total":1,"results":\[\{"name":"WMO-loket/Beschikking","title":"Beschikking","folder":"WMO-loket",` +
		`"snippet":"De consulent stuurt een \\u003cmark\\u003ebeschikking\\u003c/mark\\u003e binnen zes weken\. Voor bezwaar geldt een termijn\.",` +
		`"revision":"[0-9a-f]{40}","time":"2024-03-01T10:00:00Z","author":"Anna de Vries","score":[0-9.e-]+\}\]\}$`).Match(js) {
		t.Errorf("JSON %s", js)
	}
	js, _ = json.Marshal(f.search(search.Query{Text: "xyzzy"}))
	if string(js) != `{"total":0,"results":[]}` {
		t.Errorf("JSON of no results %s", js)
	}
}

func TestPermissions(t *testing.T) {
	f := newFixture(t)
	var pages []page
	for i := range 30 {
		folder := "Open"
		if i%3 == 0 {
			folder = "Geheim"
		}
		pages = append(pages, page{fmt.Sprintf("%s/Pagina %02d", folder, i), "# Pagina\n\nOver de aanvraag.\n"})
	}
	pages = append(pages, page{"Geheim/Plan", "# Plan\n\nHet reorganisatieplan.\n"})
	f.commit(anna, t0, pages...)
	f.sync()
	canRead := func(n wiki.Name) bool { return !strings.HasPrefix(string(n), "Geheim/") }

	all := f.search(search.Query{Text: "aanvraag", Limit: 100})
	if all.Total != 30 {
		t.Errorf("without CanRead: total %d, want 30", all.Total)
	}
	res := f.search(search.Query{Text: "aanvraag", CanRead: canRead, Limit: 7})
	if res.Total != 20 || len(res.Hits) != 7 {
		t.Errorf("total %d with %d hits, want 20 with 7", res.Total, len(res.Hits))
	}
	// Paging through the readable hits gives each once.
	seen := map[wiki.Name]bool{}
	for off := 0; off < 30; off += 7 {
		res := f.search(search.Query{Text: "aanvraag", CanRead: canRead, Limit: 7, Offset: off})
		for _, h := range res.Hits {
			if !canRead(h.Name) || seen[h.Name] {
				t.Errorf("hit %s at offset %d", h.Name, off)
			}
			seen[h.Name] = true
			if !strings.Contains(string(h.Snippet), "<mark>aanvraag</mark>") {
				t.Errorf("second pass snippet %q", h.Snippet)
			}
		}
	}
	if len(seen) != 20 {
		t.Errorf("paged through %d pages, want 20", len(seen))
	}
	// A hidden page's words are neither counted, nor suggested.
	if res := f.search(search.Query{Text: "reorganisatieplan", CanRead: canRead}); res.Total != 0 || len(res.Hits) != 0 {
		t.Errorf("hidden page found: %+v", res)
	}
	if got := f.ix.DidYouMean(context.Background(), search.Query{Text: "reorganisatieplam", CanRead: canRead}); got != "" {
		t.Errorf("DidYouMean reveals a hidden word: %q", got)
	}
	if got := f.ix.DidYouMean(context.Background(), search.Query{Text: "reorganisatieplam"}); got != "reorganisatieplan" {
		t.Errorf("DidYouMean for a reader of everything = %q", got)
	}
	// A reader who may see one page: the readable ones are the filter.
	one := func(n wiki.Name) bool { return n == "Open/Pagina 01" }
	if res := f.search(search.Query{Text: "aanvraag", CanRead: one}); res.Total != 1 || len(res.Hits) != 1 || res.Hits[0].Name != "Open/Pagina 01" {
		t.Errorf("one readable page: %+v", res)
	}
	if res := f.search(search.Query{Text: "aanvraag", CanRead: func(wiki.Name) bool { return false }}); res.Total != 0 || len(res.Hits) != 0 {
		t.Errorf("no readable page: %+v", res)
	}
	sugg, err := f.ix.Suggest(context.Background(), "pla", 10, canRead)
	if err != nil || len(sugg) != 0 {
		t.Errorf("Suggest shows a hidden page: %v %v", sugg, err)
	}
	if sugg, _ := f.ix.Suggest(context.Background(), "pag", 25, canRead); len(sugg) != 20 {
		t.Errorf("Suggest with CanRead: %d pages, want 20", len(sugg))
	}
}

func TestSuggest(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.commit(anna, t0, page{"Ontwerpen", "Lijst.\n"}, page{"Overleg/Wmo ontwerp", "Notulen.\n"})
	f.sync()
	ctx := context.Background()
	sugg := func(prefix string) []string {
		t.Helper()
		s, err := f.ix.Suggest(ctx, prefix, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range s {
			out = append(out, string(x.Name)+"="+x.Title)
		}
		return out
	}
	// Both have words starting so; the title that starts so comes first.
	got := sugg("wmo ont")
	if want := []string{"Overleg/Wmo ontwerp=Wmo ontwerp", "WMO-loket/Ontwerp=Ontwerp van het WMO-loket"}; !slices.Equal(got, want) {
		t.Errorf("wmo ont = %q, want %q", got, want)
	}
	got = sugg("ontw")
	if len(got) != 3 || got[0] != "Ontwerpen=Ontwerpen" {
		t.Errorf("ontw = %q (a name that starts so comes first)", got)
	}
	if got := sugg("beschik"); !slices.Equal(got, []string{"WMO-loket/Beschikking=Beschikking"}) {
		t.Errorf("beschik = %q", got)
	}
	if got := sugg("financien/beg"); !slices.Equal(got, []string{"Financien/Begroting=Begroting"}) {
		t.Errorf("financien/beg = %q", got)
	}
	if got := sugg("  "); len(got) != 0 {
		t.Errorf("empty prefix = %q", got)
	}
}

func TestRenameAndDelete(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	ctx := context.Background()
	snap, _ := f.repo.Snapshot(ctx)
	old := wiki.MustParseName("WMO-loket/Beschikking")
	info, _ := snap.Page(old)
	if _, err := f.repo.Commit(ctx, wiki.Commit{Author: bram, Message: "rename", Changes: []wiki.Change{
		{Name: old, Delete: true, Base: info.Revision},
		{Name: "Besluiten/Beschikking", Blob: info.Blob},
	}}); err != nil {
		t.Fatal(err)
	}
	f.sync()
	f.find("beschikking", "Besluiten/Beschikking")
	res := f.search(search.Query{Text: "beschikking"})
	if h := res.Hits[0]; h.Author != "Bram Jansen" || h.Folder != "Besluiten" {
		t.Errorf("renamed page's hit %+v", h)
	}
	f.commit(anna, time.Time{}, page{"Besluiten/Beschikking", ""})
	f.sync()
	f.find("beschikking")
	if n, _ := f.ix.DocCount(); n != 4 {
		t.Errorf("%d documents, want 4", n)
	}
	// An edit is reflected too.
	f.commit(anna, time.Time{}, page{"Financien/Begroting", "# Begroting\n\nAlleen nog de jaarrekening.\n"})
	f.sync()
	f.find("financiele")
	f.find("jaarrekening", "Financien/Begroting")
}

func TestAttachmentsAreNotIndexed(t *testing.T) {
	f := newFixture(t)
	_, err := f.repo.Commit(context.Background(), wiki.Commit{Author: anna, Message: "upload", Changes: []wiki.Change{
		{Name: "Plan", Content: []byte("Zie de bijlage.\n")},
		{File: "Plan/bijlage.txt", Content: []byte("aanvraag\n")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.sync()
	f.find("aanvraag")
	f.find("bijlage", "Plan")
}

func TestProgress(t *testing.T) {
	f := newFixture(t)
	if _, _, building := f.ix.Progress(); building {
		t.Error("a new index of an empty repository is building")
	}
	wmo(f)
	done, total, building := f.ix.Progress()
	if building || done != total || total == 0 {
		t.Errorf("after applying: %d/%d building=%v", done, total, building)
	}
	f.close()
	// A new index of a repository with pages is building until its
	// first change set is applied.
	ix, err := search.Open(filepath.Join(t.TempDir(), "other"), search.Options{Source: f.repo})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, _, building := ix.Progress(); !building {
		t.Error("a new index of a repository with pages is not building")
	}
}

func TestSnippetIsSafe(t *testing.T) {
	f := newFixture(t)
	f.commit(anna, t0, page{"Xss", "# Xss\n\nDe aanvraag <script>alert(1)</script> & `<mark>aanvraag</mark>` " +
		"<img src=x onerror=alert(2)> \"aanvraag\" 'x' [link](javascript:alert(3)) <b>vet</b>\n\n" +
		"<div onclick=\"alert(4)\">aanvraag</div>\n"})
	f.sync()
	res := f.search(search.Query{Text: "aanvraag"})
	if len(res.Hits) != 1 {
		t.Fatalf("hits %+v", res.Hits)
	}
	s := string(res.Hits[0].Snippet)
	tags := regexp.MustCompile(`<[^>]*>`).FindAllString(s, -1)
	for _, tag := range tags {
		if tag != "<mark>" && tag != "</mark>" {
			t.Errorf("snippet %q has markup %q", s, tag)
		}
	}
	if strings.Count(s, "<mark>") != strings.Count(s, "</mark>") || strings.Count(s, "<mark>") < 2 {
		t.Errorf("snippet %q: marks not balanced or missing", s)
	}
	if !strings.Contains(s, "&lt;mark&gt;<mark>aanvraag</mark>&lt;/mark&gt;") {
		t.Errorf("snippet %q: text that looks like a mark is not escaped", s)
	}
}

// TestRebuiltWhenRemoved: an index folder that is gone is built again
// from the repository by a Reset.
func TestRebuiltWhenRemoved(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.close()
	if err := os.RemoveAll(f.indexDir); err != nil {
		t.Fatal(err)
	}
	f.open()
	if cp, _ := f.ix.Checkpoint(context.Background()); cp != "" {
		t.Errorf("checkpoint of a new index %q", cp)
	}
	f.sync()
	f.find("aanvragen", "WMO-loket/Ontwerp")
	if f.resets.resets() != 1 {
		t.Errorf("%d resets, want 1", f.resets.resets())
	}
}

// TestRebuiltWhenDamaged: garbage where the index was is thrown away.
func TestRebuiltWhenDamaged(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.close()
	err := filepath.Walk(f.indexDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			err = os.WriteFile(p, []byte("garbage"), 0o644)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.open()
	if f.ix.Rebuilt() == nil {
		t.Error("Rebuilt() = nil for a damaged index")
	}
	f.sync()
	f.find("aanvragen", "WMO-loket/Ontwerp")
}

// TestCatchUpAfterCrash: commits made while the index was not running
// (a crash between the commit and the index update) are applied at the
// next start, as a difference from the checkpoint, not a rebuild.
func TestCatchUpAfterCrash(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	before, _ := f.ix.Checkpoint(context.Background())
	f.close()
	f.commit(anna, time.Time{}, page{"Nieuw/Pagina", "# Nieuw\n\nDe indicatie is vastgesteld.\n"}, page{"WMO-loket/Beschikking", ""})
	f.open()
	if cp, _ := f.ix.Checkpoint(context.Background()); cp != before {
		t.Errorf("checkpoint after reopen %q, want %q", cp, before)
	}
	// What was indexed before is known at once, read from the index.
	if s, _ := f.ix.Suggest(context.Background(), "ontw", 5, nil); len(s) != 1 || s[0].Title != "Ontwerp van het WMO-loket" {
		t.Errorf("Suggest after reopening: %+v", s)
	}
	if res := f.search(search.Query{Text: "aanvraag", CanRead: func(n wiki.Name) bool { return n != "WMO-loket/Ontwerp" }}); res.Total != 0 {
		t.Errorf("CanRead after reopening: %+v", res)
	}
	f.sync()
	f.find("indicaties", "Nieuw/Pagina")
	f.find("beschikking")
	if f.resets.resets() != 0 {
		t.Errorf("%d resets, want a catch-up from the checkpoint", f.resets.resets())
	}
	head, _ := f.repo.Snapshot(context.Background())
	if cp, _ := f.ix.Checkpoint(context.Background()); cp != head.Head {
		t.Errorf("checkpoint %q, want head %q", cp, head.Head)
	}
}

// TestHistoryRewritten: a checkpoint that is no longer in main's history
// gives a Reset, after which pages that are gone are gone.
func TestApplyReset(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	head, _ := f.repo.Snapshot(context.Background())
	// A reset as the feed sends after a rewrite: only two pages left.
	var files []wiki.FileDelta
	for p := range head.Pages() {
		if p.Name == "WMO-loket/Ontwerp" || p.Name == "English/Intake" {
			files = append(files, wiki.FileDelta{Path: p.Name.Path(), Kind: wiki.Added, Blob: p.Blob})
		}
	}
	f.close()
	ix, err := search.Open(f.indexDir, search.Options{Source: f.repo, BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	f.ix = ix
	if err := ix.Apply(context.Background(), wiki.ChangeSet{From: "", To: head.Head, Reset: true, Files: files}); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.DocCount(); n != 2 {
		t.Errorf("%d documents after a reset to 2 pages", n)
	}
	if done, total, building := ix.Progress(); done != 5 || total != 5 || building {
		t.Errorf("progress %d/%d %v, want 2 indexed + 3 deleted", done, total, building)
	}
	f.find("aanvraag", "WMO-loket/Ontwerp")
	f.find("beschikking")
}

// TestGitPush: a commit that reaches the repository through git, while
// the wiki was down, is searchable at the next start.
func TestGitPush(t *testing.T) {
	f := newFixture(t)
	wmo(f)
	f.close()
	if err := f.repo.Close(); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "work")
	git(t, "", "clone", "-q", f.repoDir, work)
	if err := os.MkdirAll(filepath.Join(work, "Gepusht"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "Gepusht", "Notitie.md"), []byte("# Notitie\n\nDe maatwerkvoorziening is toegekend.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, work, "add", ".")
	git(t, work, "-c", "user.name=Chris Git", "-c", "user.email=chris@example.nl", "commit", "-q", "-m", "via git")
	git(t, work, "push", "-q", "origin", "HEAD:main")

	r, err := storage.Open(f.repoDir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.repo = r
	f.open()
	f.sync()
	res := f.search(search.Query{Text: "maatwerkvoorzieningen"})
	if len(res.Hits) != 1 || res.Hits[0].Name != "Gepusht/Notitie" || res.Hits[0].Author != "Chris Git" {
		t.Errorf("pushed page: %+v", res.Hits)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
