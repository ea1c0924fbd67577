package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/wikiwerk/wikiwerk/gitserver"
	"github.com/wikiwerk/wikiwerk/links"
	"github.com/wikiwerk/wikiwerk/search"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

var (
	_ web.Searcher  = (*search.Index)(nil)
	_ web.LinkGraph = (*links.Graph)(nil)
)

// navPages are the pages of a wiki with search and navigation.
var navPages = map[string]string{
	"Home": "# Welkom\n\nZie [[WMO-loket/Ontwerp]], [[WMO-loket/Klantreis]] en [[Nog niet]].\n",
	"WMO-loket/Ontwerp": "---\ntitle: Ontwerp van het loket\ntags: [wmo, ontwerp]\n---\n" +
		"Het loket behandelt elke aanvraag voor huishoudelijke hulp binnen acht weken.\n\n## Beschikking\n\nDe beschikking volgt op het keukentafelgesprek.\n",
	"WMO-loket/Klantreis": "---\ntags: [WMO]\n---\n# Klantreis\n\nDe klantreis van een inwoner met een aanvraag. Zie [het ontwerp](Ontwerp.md) en [[Nog niet]].\n",
	"Beleid/Visie":        "---\nlang: en\n---\n# Vision\n\nOur vision on applications for support at home.\n",
	"Los":                 "Een pagina waar geen andere pagina naar linkt, over parkeervergunningen.\n",
}

// navWiki is a wiki with a real search index and link graph, both
// subscribed to the change feed of a real repository.
type navWiki struct {
	*authWiki
	ix    *search.Index
	graph *links.Graph
	subs  []wiki.Subscription
}

type navOptions struct {
	policy wiki.Policy
	// accounts gives the wiki the people of newAuthWiki; without it edits
	// are anonymous.
	accounts bool
	// git serves the repository under /wiki.git/, pushes allowed.
	git bool
	// noSearch and noLinks leave the index or the graph out.
	noSearch, noLinks bool
	// searcher, when set, stands in for the index.
	searcher web.Searcher
}

func newNavWiki(t *testing.T, o navOptions) *navWiki {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	c := wiki.Commit{Author: wiki.Author{Name: "Wim Werk", Email: "wim@example.nl"}, Message: "seed", Time: time.Date(2024, 3, 1, 12, 0, 0, 0, time.Local)}
	for name, text := range navPages {
		c.Changes = append(c.Changes, wiki.Change{Name: wiki.MustParseName(name), Content: []byte(text)})
	}
	if _, err := repo.Commit(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	nw := &navWiki{}
	cfg := web.Config{
		Wiki:         wiki.New(repo, wiki.Options{MaxPageBytes: 64 << 10}),
		Policy:       o.policy,
		MaxBodyBytes: 256 << 10,
		Logger:       slog.New(slog.DiscardHandler),
	}
	if cfg.Theme, err = themes.Open(""); err != nil {
		t.Fatal(err)
	}
	if !o.noSearch {
		if nw.ix, err = search.Open(filepath.Join(root, "search"), search.Options{Source: repo}); err != nil {
			t.Fatal(err)
		}
		nw.subscribe(t, repo, nw.ix)
		t.Cleanup(func() { nw.ix.Close() })
		cfg.Search = nw.ix
	}
	if o.searcher != nil {
		cfg.Search = o.searcher
	}
	if !o.noLinks {
		if nw.graph, err = links.Open(filepath.Join(root, "links"), links.Options{Source: repo}); err != nil {
			t.Fatal(err)
		}
		nw.subscribe(t, repo, nw.graph)
		t.Cleanup(func() { nw.graph.Close() })
		cfg.Links = nw.graph
	}
	var store *accounts.Store
	if o.accounts {
		store, err = accounts.OpenWith(filepath.Join(root, "accounts.db"), accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		for _, u := range []wiki.User{
			{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@example.nl", Role: wiki.RoleEditor},
			{Name: "bram", DisplayName: "Bram Jansen", Email: "bram@example.nl", Role: wiki.RoleReader},
			{Name: "carla", DisplayName: "Carla Smit", Email: "carla@example.nl", Role: wiki.RoleAdmin},
		} {
			if _, err := store.Create(context.Background(), u, passwords[u.Name]); err != nil {
				t.Fatal(err)
			}
		}
		cfg.Accounts = store
		if cfg.Policy.Edit == "" {
			cfg.Policy.Edit = wiki.Editors
		}
	} else {
		cfg.AnonymousEdits = true
	}
	if o.git {
		cfg.Git = gitserver.New(gitserver.Config{Repo: repo, Authorize: func(*http.Request, gitserver.Access) error { return nil }, Logger: cfg.Logger})
	}
	s, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tw := &testWiki{t: t, srv: httptest.NewServer(s), repo: repo, dir: dir}
	t.Cleanup(tw.srv.Close)
	nw.authWiki = &authWiki{testWiki: tw, server: s, accounts: store}
	nw.sync()
	return nw
}

// subscribe subscribes a consumer, to be closed before it is.
func (nw *navWiki) subscribe(t *testing.T, repo *storage.Repo, c wiki.Consumer) {
	t.Helper()
	sub, err := repo.Subscribe(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	nw.subs = append(nw.subs, sub)
	t.Cleanup(func() { sub.Close() })
}

// sync waits until the index and the graph have applied main.
func (nw *navWiki) sync() {
	nw.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, sub := range nw.subs {
		if err := sub.Sync(ctx); err != nil {
			nw.t.Fatalf("sync: %v (last apply: %v)", err, sub.Err())
		}
		if err := sub.Err(); err != nil {
			nw.t.Fatalf("apply: %v", err)
		}
	}
}

// save saves a page from the editor form, anonymously, and waits for the
// index and the graph.
func (nw *navWiki) save(name, content string) {
	nw.t.Helper()
	code, body, _ := nw.postForm("/-/edit/"+wiki.MustParseName(name).EscapedPath(), url.Values{
		"content": {content}, "base": {nw.revision(name)}, "author_name": {"Anna"}, "action": {"save"}})
	if code != http.StatusSeeOther {
		nw.t.Fatalf("save %s: %d\n%s", name, code, body)
	}
	nw.sync()
}

// searchAPI runs a search through the API.
type searchAnswer struct {
	Total   int `json:"total"`
	Results []struct {
		Name, Title, Folder, Snippet, Revision, Author string
		Time                                           time.Time
		Score                                          float64
	} `json:"results"`
}

func (nw *navWiki) searchAPI(query url.Values) searchAnswer {
	nw.t.Helper()
	code, body := nw.get("/-/api/search?" + query.Encode())
	if code != 200 {
		nw.t.Fatalf("search API %s: %d %s", query.Encode(), code, body)
	}
	var a searchAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		nw.t.Fatalf("search API: %v\n%s", err, body)
	}
	return a
}

func (a searchAnswer) names() []string {
	var out []string
	for _, r := range a.Results {
		out = append(out, r.Name)
	}
	return out
}

// resultNames are the pages the search page links to as results.
func resultNames(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, ol := range find(parseHTML(t, body), "ol") {
		if attr(ol, "class") != "results" {
			continue
		}
		for _, h3 := range find(ol, "h3") {
			for _, a := range find(h3, "a") {
				u, _ := url.PathUnescape(attr(a, "href"))
				out = append(out, strings.TrimPrefix(u, "/"))
			}
		}
	}
	return out
}

func TestSearchFindsWhatIsSavedOnTheWeb(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	// Stemming and folding: "aanvragen" finds "aanvraag".
	if got := nw.searchAPI(url.Values{"q": {"aanvragen"}}).names(); !slices.Contains(got, "WMO-loket/Ontwerp") || !slices.Contains(got, "WMO-loket/Klantreis") {
		t.Errorf("aanvragen finds %v", got)
	}
	// Once the index has consumed the save (nw.sync), the very next
	// request finds it; how long that takes is measured by
	// BenchmarkSearch in package search ("commit to findable"), not
	// judged here.
	nw.save("Parkeren", "# Parkeren\n\nDe gemeente geeft een bewonersvergunning af.\n")
	code, body := nw.get("/-/search?q=bewonersvergunning")
	if code != 200 || !slices.Equal(resultNames(t, body), []string{"Parkeren"}) {
		t.Fatalf("search after a save: %d %v\n%s", code, resultNames(t, body), body)
	}
	if !strings.Contains(body, "<mark>bewonersvergunning</mark>") {
		t.Errorf("the snippet does not mark the match:\n%s", body)
	}
	// The header's field holds the query on the search page.
	for _, in := range find(parseHTML(t, body), "input") {
		if attr(in, "id") == "wwSearch" && attr(in, "value") != "bewonersvergunning" {
			t.Errorf("the header field holds %q", attr(in, "value"))
		}
	}
	// A changed page is found by its new text only; a deleted one not
	// at all.
	nw.save("Parkeren", "# Parkeren\n\nEen vergunning voor een tweede auto.\n")
	if got := nw.searchAPI(url.Values{"q": {"bewonersvergunning"}}); got.Total != 0 {
		t.Errorf("old text still found: %v", got.names())
	}
	code, _, _ = nw.do("DELETE", "/-/api/pages/Parkeren?base="+nw.revision("Parkeren"), "", "")
	if code != 200 {
		t.Fatalf("delete: %d", code)
	}
	nw.sync()
	if got := nw.searchAPI(url.Values{"q": {"tweede auto"}}); got.Total != 0 {
		t.Errorf("a deleted page is found: %v", got.names())
	}
}

// TestSearchSeesGitPush: a commit pushed with the git CLI becomes
// searchable without a restart, and shows up in the link graph.
func TestSearchSeesGitPush(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	nw := newNavWiki(t, navOptions{git: true})
	work := t.TempDir()
	gitCLI := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		home := t.TempDir()
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+home, "GIT_CONFIG_GLOBAL="+filepath.Join(home, "cfg"),
			"GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
			"GIT_AUTHOR_NAME=Greet Git", "GIT_AUTHOR_EMAIL=greet@example.nl",
			"GIT_COMMITTER_NAME=Greet Git", "GIT_COMMITTER_EMAIL=greet@example.nl")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	gitCLI(work, "clone", nw.srv.URL+"/wiki.git", "wiki")
	clone := filepath.Join(work, "wiki")
	if err := os.MkdirAll(filepath.Join(clone, "Afval"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(clone, "Afval", "Containers.md"), []byte("---\ntags: [afval]\n---\n# Containers\n\nOndergrondse containers voor restafval. Zie [[Los]].\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitCLI(clone, "add", ".")
	gitCLI(clone, "commit", "-m", "Containers uit git")
	gitCLI(clone, "push", "origin", "main")
	nw.sync()
	got := nw.searchAPI(url.Values{"q": {"restafval"}})
	if got.Total != 1 || got.Results[0].Name != "Afval/Containers" || got.Results[0].Author != "Greet Git" {
		t.Fatalf("the pushed page in search: %+v", got)
	}
	if got := nw.searchAPI(url.Values{"q": {"containers"}, "tag": {"afval"}, "folder": {"Afval"}}); got.Total != 1 {
		t.Errorf("the pushed page with filters: %+v", got)
	}
	var l struct{ Links, Backlinks []string }
	_, body := nw.get("/-/api/pages/Los/links")
	if err := json.Unmarshal([]byte(body), &l); err != nil || !slices.Equal(l.Backlinks, []string{"Afval/Containers"}) {
		t.Errorf("backlinks of Los after the push: %v %s", err, body)
	}
}

func TestSearchFiltersAndPaging(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	// 25 pages with the same word, in one commit by Bram.
	c := wiki.Commit{Author: wiki.Author{Name: "Bram Jansen", Email: "bram@example.nl"}, Message: "veel", Time: time.Date(2025, 6, 15, 10, 0, 0, 0, time.Local)}
	for i := range 25 {
		c.Changes = append(c.Changes, wiki.Change{Name: wiki.MustParseName(fmt.Sprintf("Archief/Notulen %02d", i)), Content: []byte(fmt.Sprintf("---\ntags: [notulen]\n---\nNotulen van de stuurgroep, vergadering %d.\n", i))})
	}
	if _, err := nw.repo.Commit(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	nw.sync()

	code, body := nw.get("/-/search?q=stuurgroep")
	first := resultNames(t, body)
	if code != 200 || len(first) != 20 || !strings.Contains(body, "Pagina 1 tot en met 20 van de 25 gevonden pagina&#39;s.") {
		t.Fatalf("first page: %d %d results\n%s", code, len(first), body)
	}
	next := ""
	for _, a := range find(parseHTML(t, body), "a") {
		if attr(a, "rel") == "next" {
			next = attr(a, "href")
		}
		if attr(a, "rel") == "prev" {
			t.Error("the first page links to a previous one")
		}
	}
	if next != "/-/search?page=2&q=stuurgroep" {
		t.Fatalf("next = %q", next)
	}
	_, body = nw.get(next)
	second := resultNames(t, body)
	if len(second) != 5 || !strings.Contains(body, `rel="prev"`) || strings.Contains(body, `rel="next"`) {
		t.Fatalf("second page: %v\n%s", second, body)
	}
	all := append(slices.Clone(first), second...)
	slices.Sort(all)
	if len(slices.Compact(all)) != 25 {
		t.Errorf("the two pages do not hold 25 different pages: %v", all)
	}
	if _, body := nw.get("/-/search?q=stuurgroep&page=9"); !strings.Contains(body, "Zo ver gaan de 25 resultaten niet.") {
		t.Errorf("past the end:\n%s", body)
	}

	for _, tc := range []struct {
		query url.Values
		want  []string
	}{
		{url.Values{"q": {"aanvraag"}, "folder": {"WMO-loket"}}, []string{"WMO-loket/Klantreis", "WMO-loket/Ontwerp"}},
		{url.Values{"q": {"aanvraag"}, "folder": {"Archief"}}, nil},
		{url.Values{"tag": {"wmo"}}, []string{"WMO-loket/Klantreis", "WMO-loket/Ontwerp"}},
		{url.Values{"tag": {"ontwerp"}}, []string{"WMO-loket/Ontwerp"}},
		{url.Values{"q": {"vergadering 7"}, "author": {"bram"}}, []string{"Archief/Notulen 07"}},
		{url.Values{"q": {"aanvraag"}, "author": {"Bram Jansen"}}, nil},
		{url.Values{"q": {"aanvraag"}, "since": {"2024-03-01"}, "until": {"2024-03-01"}}, []string{"WMO-loket/Klantreis", "WMO-loket/Ontwerp"}},
		{url.Values{"q": {"aanvraag"}, "until": {"2024-02-29"}}, nil},
		{url.Values{"q": {"stuurgroep"}, "since": {"2025-06-16"}}, nil},
		{url.Values{"q": {"support"}}, []string{"Beleid/Visie"}},
	} {
		got := nw.searchAPI(tc.query).names()
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("API %s = %v, want %v", tc.query.Encode(), got, tc.want)
		}
		_, body := nw.get("/-/search?" + tc.query.Encode())
		got = resultNames(t, body)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("page %s = %v, want %v", tc.query.Encode(), got, tc.want)
		}
	}
	// Filters are form fields that keep their values, and open.
	_, body = nw.get("/-/search?q=aanvraag&folder=WMO-loket&tag=wmo")
	doc := parseHTML(t, body)
	values := map[string]string{}
	for _, in := range find(doc, "input") {
		values[attr(in, "name")+"#"+attr(in, "id")] = attr(in, "value")
	}
	if values["folder#wwFolder"] != "WMO-loket" || values["tag#wwTag"] != "wmo" || values["q#wwQuery"] != "aanvraag" {
		t.Errorf("the form holds %v", values)
	}
	if d := find(doc, "details"); len(d) != 1 || !hasAttr(d[0], "open") {
		t.Error("the filters of a filtered search are not open")
	}
	if code, body := nw.get("/-/search?q=x&since=gisteren"); code != 400 || !strings.Contains(body, "&#34;gisteren&#34; is geen datum") {
		t.Errorf("a bad date: %d\n%s", code, body)
	}
	if code, body := nw.get("/-/api/search?q=x&limit=veel"); code != 400 || !strings.Contains(body, `"error"`) {
		t.Errorf("a bad limit: %d %s", code, body)
	}
	if got := nw.searchAPI(url.Values{"q": {"stuurgroep"}, "limit": {"10"}, "offset": {"20"}}); got.Total != 25 || len(got.Results) != 5 {
		t.Errorf("limit and offset: total %d, %d results", got.Total, len(got.Results))
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func TestSearchNoResults(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	code, body := nw.get("/-/search?q=ontwxrq+klantreis")
	if code != 200 || len(resultNames(t, body)) != 0 {
		t.Fatalf("no results: %d %v", code, resultNames(t, body))
	}
	if !strings.Contains(body, "Geen pagina gevonden met ontwxrq klantreis.") {
		t.Errorf("the page does not say nothing was found:\n%s", body)
	}
	var dym string
	for _, a := range find(parseHTML(t, body), "a") {
		if strings.Contains(attr(a, "href"), "q=ontwerp") {
			dym = attr(a, "href")
		}
	}
	if dym == "" {
		t.Fatalf("no did-you-mean link:\n%s", body)
	}
	if _, body := nw.get(dym); !slices.Contains(resultNames(t, body), "WMO-loket/Klantreis") {
		t.Errorf("the corrected query %s does not find the page:\n%s", dym, body)
	}
	// A query that is a valid page name offers to create that page.
	_, body = nw.get("/-/search?q=" + url.QueryEscape("Subsidie/Aanvraagformulier"))
	if !strings.Contains(body, `href="/-/edit/Subsidie/Aanvraagformulier"`) || !strings.Contains(body, "Maak de pagina Subsidie/Aanvraagformulier aan") {
		t.Errorf("no offer to create the page:\n%s", body)
	}
	// A query naming an existing page says so.
	_, body = nw.get("/-/search?q=Los")
	if !strings.Contains(body, "Er is een pagina met precies deze naam:") {
		t.Errorf("the exact page is not pointed at:\n%s", body)
	}
	// Nothing to search: the form, no results section.
	if code, body := nw.get("/-/search"); code != 200 || strings.Contains(body, "wwResultsHeading") {
		t.Errorf("empty search: %d\n%s", code, body)
	}
}

// TestSearchRespectsReadPolicy: in a wiki only for signed-in people,
// search, suggestions, OpenSearch and every list refuse anonymous
// visitors and answer signed-in ones. Protected folders restrict edits,
// not reads: their pages are found by everybody who may read, but the
// offer to create a page there is only for those who may.
func TestSearchRespectsReadPolicy(t *testing.T) {
	nw := newNavWiki(t, navOptions{accounts: true, policy: wiki.Policy{Read: wiki.SignedIn, Edit: wiki.Editors,
		Protected: []wiki.Protected{{Prefix: "Beleid"}}}})
	anon := nw.browser()
	for _, path := range []string{"/-/search?q=aanvraag", "/-/api/search?q=aanvraag", "/-/api/search/suggest?q=wmo", "/-/opensearch.xml",
		"/-/links/Home", "/-/api/pages/Home/links", "/-/wanted", "/-/orphans", "/-/tags", "/-/tags/wmo", "/-/pages", "/-/new"} {
		code, body, _ := anon.get(path)
		if code != http.StatusUnauthorized || strings.Contains(body, "Ontwerp van het loket") || strings.Contains(body, "aanvraag voor") {
			t.Errorf("anonymous GET %s: %d\n%s", path, code, body)
		}
	}
	bram := nw.signedIn("bram")
	code, body, _ := bram.get("/-/api/search?q=vision")
	if code != 200 || !strings.Contains(body, `"Beleid/Visie"`) {
		t.Errorf("a reader searches a protected folder: %d %s", code, body)
	}
	if _, body, _ := bram.get("/-/search?q=Nieuw"); strings.Contains(body, "/-/edit/Nieuw") {
		t.Error("a reader is offered to create a page")
	}
	anna := nw.signedIn("anna")
	if _, body, _ := anna.get("/-/search?q=Nieuw"); !strings.Contains(body, `href="/-/edit/Nieuw"`) {
		t.Error("an editor is not offered to create a page")
	}
	if _, body, _ := anna.get("/-/search?q=" + url.QueryEscape("Beleid/Nieuw")); strings.Contains(body, "/-/edit/Beleid/Nieuw") {
		t.Error("an editor is offered to create a page in a protected folder")
	}
	carla := nw.signedIn("carla")
	if _, body, _ := carla.get("/-/search?q=" + url.QueryEscape("Beleid/Nieuw")); !strings.Contains(body, `href="/-/edit/Beleid/Nieuw"`) {
		t.Error("an admin is not offered to create a page in a protected folder")
	}
	// Wanted pages in a protected folder: listed, creatable only by
	// those who may.
	nw.save2(carla, "Home", "[[Beleid/Gewenst]]\n")
	_, body, _ = anna.get("/-/wanted")
	if !strings.Contains(body, "Beleid/Gewenst") || strings.Contains(body, `href="/-/edit/Beleid/Gewenst"`) {
		t.Errorf("wanted for an editor:\n%s", body)
	}
	if _, body, _ := carla.get("/-/wanted"); !strings.Contains(body, `href="/-/edit/Beleid/Gewenst"`) {
		t.Errorf("wanted for an admin:\n%s", body)
	}
	// The reader reads the lists.
	for _, path := range []string{"/-/links/Home", "/-/orphans", "/-/tags/wmo", "/-/pages"} {
		if code, _, _ := bram.get(path); code != 200 {
			t.Errorf("reader GET %s: %d", path, code)
		}
	}
	if code, _, _ := bram.get("/-/new"); code != http.StatusForbidden {
		t.Errorf("a reader opens the new-page form: %d", code)
	}
}

// save2 saves a page as a signed-in browser, from the API.
func (nw *navWiki) save2(b *browser, name, content string) {
	nw.t.Helper()
	body, _ := json.Marshal(map[string]string{"content": content, "base": nw.revision(name)})
	if code, out, _ := b.api("PUT", "/-/api/pages/"+wiki.MustParseName(name).EscapedPath(), string(body)); code != 200 && code != 201 {
		nw.t.Fatalf("save %s: %d %s", name, code, out)
	}
	nw.sync()
}

// TestSearchEscapesMarkup: a page titled and filled with markup shows
// it as text in results, snippets and suggestions.
func TestSearchEscapesMarkup(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	nw.save("Gevaar", "---\ntitle: <script>alert(1)</script> titel\n---\nTekst <script>alert(2)</script> en <img src=x onerror=alert(3)> gevaarlijk.\n")
	code, body := nw.get("/-/search?q=gevaarlijk")
	if code != 200 || !slices.Equal(resultNames(t, body), []string{"Gevaar"}) {
		t.Fatalf("search: %d\n%s", code, body)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatalf("markup from the page in the results:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; titel") {
		t.Errorf("the title is not shown escaped:\n%s", body)
	}
	// The snippet is HTML with <mark> and nothing else.
	for _, p := range find(parseHTML(t, body), "p") {
		if attr(p, "class") != "snippet" {
			continue
		}
		for c := p.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data != "mark" {
				t.Errorf("the snippet holds <%s>", c.Data)
			}
		}
		if !strings.Contains(text(p), "gevaarlijk") {
			t.Errorf("snippet %q", text(p))
		}
	}
	code, body = nw.get("/-/api/search/suggest?q=" + url.QueryEscape("<script"))
	if code != 200 || strings.Contains(body, "<script>") {
		t.Errorf("suggest: %d %s", code, body)
	}
	code, body = nw.get("/-/search?q=" + url.QueryEscape(`"><script>alert(1)</script>`))
	if code != 200 || strings.Contains(body, "<script>alert(1)") {
		t.Errorf("a query with markup: %d\n%s", code, body)
	}
}

func TestSearchAPIShapes(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	_, body := nw.get("/-/api/search?q=beschikking")
	var raw struct {
		Total   int              `json:"total"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil || raw.Total != 1 || len(raw.Results) != 1 {
		t.Fatalf("search: %v %s", err, body)
	}
	for _, k := range []string{"name", "title", "snippet", "revision", "time", "author", "score"} {
		if _, ok := raw.Results[0][k]; !ok {
			t.Errorf("a result has no %q: %v", k, raw.Results[0])
		}
	}
	if raw.Results[0]["name"] != "WMO-loket/Ontwerp" || raw.Results[0]["title"] != "Ontwerp van het loket" || raw.Results[0]["author"] != "Wim Werk" {
		t.Errorf("result %v", raw.Results[0])
	}
	code, body := nw.get("/-/api/search/suggest?q=ont")
	var sug struct {
		Pages []struct{ Name, Title, URL string }
	}
	if err := json.Unmarshal([]byte(body), &sug); code != 200 || err != nil || len(sug.Pages) == 0 ||
		sug.Pages[0].Name != "WMO-loket/Ontwerp" || sug.Pages[0].Title != "Ontwerp van het loket" || sug.Pages[0].URL != "/WMO-loket/Ontwerp" {
		t.Errorf("suggest: %d %v %s", code, err, body)
	}
	if _, body := nw.get("/-/api/search/suggest?q="); body != "{\"pages\":[]}\n" {
		t.Errorf("empty suggest: %s", body)
	}
	if code, body, _ := nw.do("POST", "/-/api/search", "application/json", "{}"); code < 400 || !strings.Contains(body, `"error"`) {
		t.Errorf("POST search: %d %s", code, body)
	}
	// The OpenSearch description names the search page of this host.
	code, body, hdr := nw.do("GET", "/-/opensearch.xml", "", "")
	var osd struct {
		XMLName   xml.Name
		ShortName string
		URLs      []struct {
			Type     string `xml:"type,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Url"`
	}
	if err := xml.Unmarshal([]byte(body), &osd); code != 200 || err != nil || osd.XMLName.Space != "http://a9.com/-/spec/opensearch/1.1/" ||
		!strings.HasPrefix(hdr.Get("Content-Type"), "application/opensearchdescription+xml") {
		t.Fatalf("opensearch: %d %v %v\n%s", code, err, hdr, body)
	}
	if osd.URLs[0].Type != "text/html" || osd.URLs[0].Template != nw.srv.URL+"/-/search?q={searchTerms}" {
		t.Errorf("opensearch URL %+v", osd.URLs)
	}
}

func TestSearchSwitchedOff(t *testing.T) {
	nw := newNavWiki(t, navOptions{noSearch: true, noLinks: true})
	if code, body := nw.get("/-/search?q=aanvraag"); code != 200 || !strings.Contains(body, "Zoeken staat uit op deze wiki.") {
		t.Errorf("search page: %d\n%s", code, body)
	}
	for _, path := range []string{"/-/api/search?q=a", "/-/api/search/suggest?q=a", "/-/api/pages/Home/links"} {
		if code, body := nw.get(path); code != 404 || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if code, body := nw.get("/-/wanted"); code != 404 || !strings.Contains(body, "Deze lijst is er niet op deze wiki.") {
		t.Errorf("wanted: %d\n%s", code, body)
	}
	// All pages still works, without titles from the graph.
	if code, body := nw.get("/-/pages"); code != 200 || !strings.Contains(body, `href="/WMO-loket/Ontwerp"`) {
		t.Errorf("all pages: %d\n%s", code, body)
	}
}

// TestHeaderSearchOnEveryPage: every page has a search landmark with a
// labelled field that submits to the search page, and the OpenSearch link.
func TestHeaderSearchOnEveryPage(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	for _, path := range []string{"/Home", "/WMO-loket/Ontwerp", "/-/recent", "/-/pages", "/-/history/Home", "/-/edit/Home", "/-/search?q=x", "/Bestaat/Niet", "/-/wanted", "/-/new"} {
		_, body := nw.get(path)
		doc := parseHTML(t, body)
		var header *html.Node
		for _, h := range find(doc, "header") {
			if attr(h, "class") == "site" {
				header = h
			}
		}
		if header == nil {
			t.Errorf("%s: no site header", path)
			continue
		}
		var ok bool
		for _, f := range find(header, "form") {
			if attr(f, "role") != "search" || attr(f, "action") != "/-/search" || attr(f, "method") != "get" {
				continue
			}
			labels := map[string]bool{}
			for _, l := range find(f, "label") {
				labels[attr(l, "for")] = true
			}
			for _, in := range find(f, "input") {
				ok = ok || attr(in, "name") == "q" && labels[attr(in, "id")]
			}
		}
		if !ok {
			t.Errorf("%s: no labelled search field in the header", path)
		}
		var newPage, osd bool
		for _, a := range find(header, "a") {
			newPage = newPage || strings.HasPrefix(attr(a, "href"), "/-/new")
		}
		for _, l := range find(doc, "link") {
			osd = osd || attr(l, "rel") == "search" && attr(l, "type") == "application/opensearchdescription+xml" && attr(l, "href") == "/-/opensearch.xml"
		}
		if !newPage || !osd {
			t.Errorf("%s: new page link %v, OpenSearch link %v", path, newPage, osd)
		}
		for _, s := range find(doc, "script") {
			if attr(s, "src") == "" {
				t.Errorf("%s: an inline script", path)
			}
		}
	}
	if code, _ := nw.get("/-/static/search.js"); code != 200 {
		t.Errorf("search.js: %d", code)
	}
	if code, _ := nw.get("/-/static/search.css"); code != 200 {
		t.Errorf("search.css: %d", code)
	}
}

// buildingIndex is an index that says it is still being built, a third
// done.
type buildingIndex struct{ *search.Index }

func (buildingIndex) Progress() (done, total int, building bool) { return 100, 300, true }

func TestSearchSaysHowFarTheIndexIs(t *testing.T) {
	// An empty index, fed by nobody.
	ix, err := search.Open(filepath.Join(t.TempDir(), "search"), search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	nw := newNavWiki(t, navOptions{searcher: buildingIndex{ix}})
	for _, path := range []string{"/-/search", "/-/search?q=aanvraag"} {
		code, body := nw.get(path)
		if code != 200 || !strings.Contains(body, "De zoekindex wordt opgebouwd (100 van 300 pagina&#39;s, 33%): nog niet alles is te vinden.") {
			t.Errorf("%s while the index is built: %d\n%s", path, code, body)
		}
	}
}
