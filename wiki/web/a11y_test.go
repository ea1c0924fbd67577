package web_test

import (
	"context"
	"html"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone database, whatever the machine has

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// newSiteWiki is a wiki branded with site, in time zone loc, with one
// page saved at 09:00 UTC on 1 December 2026 by Anna de Vries.
func newSiteWiki(t *testing.T, site web.Site, loc *time.Location, now ...time.Time) *testWiki {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit(context.Background(), wiki.Commit{
		Author: wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"}, Message: "Eerste versie",
		Time:    time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		Changes: []wiki.Change{{Name: "Home", Content: []byte("# Welkom\n\n## Doel\n\nZie [[Beleid]].\n")}},
	}); err != nil {
		t.Fatal(err)
	}
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{
		Wiki:           wiki.New(repo, wiki.Options{Location: loc}),
		Theme:          theme,
		AnonymousEdits: true,
		MaxBodyBytes:   256 << 10,
		Logger:         slog.New(slog.DiscardHandler),
		Site:           site,
		Now:            clockAt(now),
	})
	if err != nil {
		t.Fatal(err)
	}
	tw := &testWiki{t: t, srv: httptest.NewServer(s), repo: repo, dir: dir}
	t.Cleanup(func() { tw.srv.Close(); repo.Close() })
	return tw
}

// clockAt is a clock stopped at now[0], or nil (the real one).
func clockAt(now []time.Time) func() time.Time {
	if len(now) == 0 {
		return nil
	}
	return func() time.Time { return now[0] }
}

// TestSiteNameLogoAndStatement: -site-name and -logo brand the header and
// the window title; every footer links to /-/accessibility, which links
// to the organisation's statement when one is set and says that it is
// missing when not, in Dutch and English.
func TestSiteNameLogoAndStatement(t *testing.T) {
	tw := newSiteWiki(t, web.Site{Name: "Gemeentewiki Utrecht", Logo: "/-/static/logo.svg", AccessibilityStatement: "https://www.toegankelijkheidsverklaring.nl/register/1234"}, nil)
	code, body := tw.get("/Home")
	if code != 200 || !strings.Contains(body, `<title>Welkom · Gemeentewiki Utrecht</title>`) ||
		!strings.Contains(body, `<a class="brand" href="/"><img src="/-/static/logo.svg" alt="" class="logo"> Gemeentewiki Utrecht</a>`) {
		t.Fatalf("the layout does not show the site name and logo: %d\n%s", code, body)
	}
	if !strings.Contains(body, `<a href="/-/accessibility">Toegankelijkheid</a>`) {
		t.Errorf("the footer does not link to the accessibility page:\n%s", body)
	}
	// The language switch is in the header, in the language it offers.
	if header := body[strings.Index(body, "<header"):strings.Index(body, "</header>")]; !strings.Contains(header, `<a class="lang-switch" href="/-/lang/en?back=%2fHome" lang="en" hreflang="en">English</a>`) {
		t.Errorf("the header has no language switch:\n%s", header)
	}
	code, body = tw.get("/-/accessibility")
	if code != 200 || !strings.Contains(body, `<a href="https://www.toegankelijkheidsverklaring.nl/register/1234">toegankelijkheidsverklaring van Gemeentewiki Utrecht</a>`) ||
		!strings.Contains(body, "axe-core 4.14.1") || !strings.Contains(body, `<a href="/-/accessibility" aria-current="page">`) {
		t.Fatalf("accessibility page: %d\n%s", code, body)
	}
	_, body, _ = tw.do("GET", "/-/accessibility", "", "", "Accept-Language", "en")
	if !strings.Contains(body, "accessibility statement of Gemeentewiki Utrecht") || !strings.Contains(body, "What was tested") {
		t.Errorf("the accessibility page in English:\n%s", body)
	}

	plain := newSiteWiki(t, web.Site{}, nil)
	_, body = plain.get("/-/accessibility")
	if !strings.Contains(body, "<title>Toegankelijkheid · wikiwerk</title>") || !strings.Contains(body, "nog geen toegankelijkheidsverklaring gekoppeld") {
		t.Errorf("without a statement the page does not say so:\n%s", body)
	}
	if strings.Contains(body, `class="logo"`) {
		t.Error("a logo is shown without -logo")
	}
}

// TestValidSiteLink: a logo or statement address is a local path or a
// web address, never script.
func TestValidSiteLink(t *testing.T) {
	for _, ok := range []string{"", "/-/static/logo.svg", "https://example.nl/verklaring"} {
		if err := web.ValidSiteLink(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"javascript:alert(1)", "//evil.example/x.png", "logo.svg", "data:image/png;base64,AAAA", "https://"} {
		if err := web.ValidSiteLink(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestTimesInTheWikisZone: a time is shown in the wiki's time zone
// (-timezone): 09:00 UTC is 10:00 in Amsterdam in December.
func TestTimesInTheWikisZone(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	_, body := newSiteWiki(t, web.Site{}, ams).get("/-/history/Home")
	if !strings.Contains(body, "1 december 2026 10:00") {
		t.Errorf("the history does not show the time in Amsterdam:\n%s", body)
	}
	_, body = newSiteWiki(t, web.Site{}, nil).get("/-/history/Home")
	if !strings.Contains(body, "1 december 2026 09:00") {
		t.Errorf("without a zone the history does not show UTC:\n%s", body)
	}
}

// TestCurrentItemIsMarked: the header menu and the page actions mark the
// page shown with aria-current="page", one item per menu.
func TestCurrentItemIsMarked(t *testing.T) {
	tw := newSiteWiki(t, web.Site{}, nil)
	current := regexp.MustCompile(`<a href="([^"]+)" aria-current="page">`)
	for path, want := range map[string][]string{
		"/-/recent":         {"/-/recent"},
		"/Home":             {"/", "/Home"},
		"/-/history/Home":   {"/-/history/Home"},
		"/-/blame/Home":     {"/-/blame/Home"},
		"/-/edit/Home":      {"/-/edit/Home"},
		"/-/pages":          {"/-/pages"},
		"/-/accessibility":  {"/-/accessibility"},
		"/Home?rev=unknown": nil,
	} {
		_, body := tw.get(path)
		var got []string
		for _, m := range current.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if path == "/Home?rev=unknown" {
			continue // an error page; only that it renders matters
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s marks %v as current, want %v", path, got, want)
		}
	}
}

// TestHeadingsFollowTheTitle: "## Doel" under the page's title is an h2,
// so the outline does not skip a level.
func TestHeadingsFollowTheTitle(t *testing.T) {
	_, body := newSiteWiki(t, web.Site{}, nil).get("/Home")
	if !regexp.MustCompile(`<h1[^>]*>Welkom</h1>`).MatchString(body) || !strings.Contains(body, `<h2 id="doel">Doel</h2>`) {
		t.Errorf("the headings of the page:\n%s", body)
	}
}

// TestRenderedDiffHasContentLang: page text in a rendered comparison is
// marked with the wiki's content language, also on an English page.
func TestRenderedDiffHasContentLang(t *testing.T) {
	tw := newSiteWiki(t, web.Site{}, nil)
	_, body, _ := tw.do("GET", "/-/diff/Home?view=rendered&to="+tw.revision("Home"), "", "", "Accept-Language", "en")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, `<div class="markdown" lang="nl">`) {
		t.Errorf("the rendered comparison:\n%s", body)
	}
}

// TestPrintedPageSaysWhereFrom: on paper the page says which wiki, which
// address and which version it is (print.css shows .print-source).
func TestPrintedPageSaysWhereFrom(t *testing.T) {
	tw := newSiteWiki(t, web.Site{Name: "Gemeentewiki"}, nil)
	_, body := tw.get("/Home")
	want := `<p class="print-only print-source">Gemeentewiki · ` + tw.srv.URL + `/Home<br>Versie van 1 december 2026 09:00, door Anna de Vries (`
	if !strings.Contains(body, want) || !strings.Contains(body, `<link rel="stylesheet" href="/-/static/print.css" media="print">`) {
		t.Errorf("the page lacks %q or the print style sheet:\n%s", want, body)
	}
}

// TestErrorsInTheReadersLanguage: the common 400 and 404 errors of the
// domain, English in the code, read in Dutch on a Dutch page and stay as
// they were in English; the rest get a Dutch lead with the detail.
func TestErrorsInTheReadersLanguage(t *testing.T) {
	tw := newSiteWiki(t, web.Site{}, nil)
	for path, want := range map[string][2]string{
		"/-/history/Bestaat/Niet": {"De pagina Bestaat/Niet bestaat niet (meer).", "history of Bestaat/Niet: not found"},
		"/Home?rev=abc":           {"„abc” is geen geldige versie: een versie is een code van 40 tekens.", "is not a 40-character revision id"},
		"/-/diff/Home?from=0000000000000000000000000000000000000000": {"Versie 0000000000000000000000000000000000000000 bestaat niet.", "revision 0000000000000000000000000000000000000000: not found"},
		"/-/edit/a:b":                 {"„a:b” kan geen paginanaam zijn", "invalid page name"},
		"/-/files/Home/x.png":         {"Het bestand Home/x.png bestaat niet (meer).", "file Home/x.png: not found"},
		"/-/files-history/Home/x.txt": {"Niet gevonden. Details: not found", "not found"},
		"/Home?rev=0123456789abcdef0123456789abcdef01234567": {"De pagina Home bestaat niet (meer).", "not found"},
	} {
		code, nl := tw.get(path)
		if code < 400 || code >= 500 || !strings.Contains(html.UnescapeString(nl), want[0]) {
			t.Errorf("%s in Dutch: %d, want %q in\n%s", path, code, want[0], nl)
		}
		_, en, _ := tw.do("GET", path, "", "", "Accept-Language", "en")
		if !strings.Contains(html.UnescapeString(en), want[1]) {
			t.Errorf("%s in English lacks %q", path, want[1])
		}
	}
}

// TestRelativeTimesAndDays: times read relatively ("2 uur geleden") with
// the exact time and zone as tooltip and in <time datetime>, and recent
// changes are grouped under a heading per day, in the wiki's zone.
func TestRelativeTimesAndDays(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	tw := newSiteWiki(t, web.Site{}, ams, time.Date(2026, 12, 1, 11, 30, 0, 0, time.UTC))
	_, body := tw.get("/-/recent")
	for _, want := range []string{
		`<time datetime="2026-12-01T10:00:00+01:00" title="1 december 2026 10:00 CET">2 uur geleden</time>`,
		`<h2 class="day" id="day-2026-12-01">Vandaag</h2>`, `<ol class="recent" aria-labelledby="day-2026-12-01">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("recent changes lack %s:\n%s", want, body)
		}
	}
	// The line counts are read out as words, not "+3 −0".
	_, body = tw.get("/-/history/Home")
	if !strings.Contains(body, `<span class="plus" aria-hidden="true">+5</span> <span class="minus" aria-hidden="true">−0</span><span class="visually-hidden">5 regels toegevoegd, 0 regels verwijderd</span>`) {
		t.Errorf("the history's line counts:\n%s", body)
	}
	// The versions to compare are named by date and author.
	if !regexp.MustCompile(`<input type="radio" name="to" value="[0-9a-f]{40}" aria-label="naar: versie van 1 december 2026 10:00 door Anna de Vries \([0-9a-f]{8}\)"`).MatchString(body) {
		t.Errorf("the history's versions are not named by date and author:\n%s", body)
	}
	_, en, _ := tw.do("GET", "/-/history/Home", "", "", "Accept-Language", "en")
	if !strings.Contains(en, `title="1 December 2026 10:00 CET">2 hours ago</time>`) {
		t.Errorf("the history in English:\n%s", en)
	}
	_, body = newSiteWiki(t, web.Site{}, ams, time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)).get("/-/recent")
	if !strings.Contains(body, ">gisteren om 10:00</time>") || !strings.Contains(body, ">Gisteren</h2>") {
		t.Errorf("a change of yesterday:\n%s", body)
	}
	_, body = newSiteWiki(t, web.Site{}, ams, time.Date(2026, 12, 20, 8, 0, 0, 0, time.UTC)).get("/-/recent")
	if !strings.Contains(body, ">1 december 2026 10:00</time>") || !strings.Contains(body, ">dinsdag 1 december 2026</h2>") {
		t.Errorf("a change of weeks ago:\n%s", body)
	}
}
