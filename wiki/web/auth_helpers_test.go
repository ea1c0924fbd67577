package web_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// csrfMeta finds the CSRF token that the layout gives editor.js.
var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// addCSRF gives a form POST what a browser's would have: the CSRF cookie
// and the token of a page it was served with.
func (tw *testWiki) addCSRF(req *http.Request) {
	tw.t.Helper()
	resp, err := http.Get(tw.srv.URL + "/-/pages")
	if err != nil {
		tw.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfMeta.FindSubmatch(b)
	if m == nil {
		tw.t.Fatalf("no CSRF token in /-/pages (%d)", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	req.Header.Set("X-CSRF-Token", html.UnescapeString(string(m[1])))
}

// authOptions configure a wiki with accounts.
type authOptions struct {
	policy wiki.Policy
	// oidc, when set, configures single sign-on for a wiki at base.
	oidc       func(base string) *web.OIDCConfig
	trustProxy bool
	// noUsers leaves the account store empty (for the setup link).
	noUsers bool
	// now, when set, is the rate limiter's clock.
	now func() time.Time
	// configure, when set, changes the server's configuration last.
	configure func(*web.Config)
}

// authWiki is a wiki with a real account store, and its people:
//
//	anna  editor  Anna de Vries <anna@example.nl>
//	bram  reader  Bram Jansen <bram@example.nl>
//	carla admin   Carla Smit <carla@example.nl>
//	dirk  editor, group beleidsteam
type authWiki struct {
	*testWiki
	server   *web.Server
	accounts *accounts.Store
}

// passwords of the test users.
var passwords = map[string]string{
	"anna": "anna heeft een lang wachtwoord", "bram": "bram heeft een lang wachtwoord",
	"carla": "carla heeft een lang wachtwoord", "dirk": "dirk heeft een lang wachtwoord",
}

func newAuthWiki(t *testing.T, o authOptions) *authWiki {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = repo.Commit(context.Background(), wiki.Commit{
		Author: wiki.Author{Name: "wikiwerk"}, Message: "seed",
		Changes: []wiki.Change{
			{Name: "Home", Content: []byte("# Welkom\n\nZie [[WMO-loket/Ontwerp]] en [[Beleid/Visie]].\n")},
			{Name: "WMO-loket/Ontwerp", Content: []byte("Regel een\nRegel twee\nRegel drie\n")},
			{Name: "Beleid/Visie", Content: []byte("Onze visie, zie [[WMO-loket/Ontwerp]].\n")},
			{Name: "Intern/Team", Content: []byte("Het team\n")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Cheap hashes: the tests sign in often.
	store, err := accounts.OpenWith(filepath.Join(t.TempDir(), "accounts.db"), accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if !o.noUsers {
		for _, u := range []wiki.User{
			{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@example.nl", Role: wiki.RoleEditor},
			{Name: "bram", DisplayName: "Bram Jansen", Email: "bram@example.nl", Role: wiki.RoleReader},
			{Name: "carla", DisplayName: "Carla Smit", Email: "carla@example.nl", Role: wiki.RoleAdmin},
			{Name: "dirk", DisplayName: "Dirk Bakker", Email: "dirk@example.nl", Role: wiki.RoleEditor, Groups: []string{"beleidsteam"}},
		} {
			if _, err := store.Create(ctx, u, passwords[u.Name]); err != nil {
				t.Fatal(err)
			}
		}
	}
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	policy := o.policy
	if policy.Edit == "" {
		policy.Edit = wiki.Editors
	}
	srv := httptest.NewUnstartedServer(nil)
	var oidc *web.OIDCConfig
	if o.oidc != nil {
		oidc = o.oidc("http://" + srv.Listener.Addr().String())
	}
	cfg := web.Config{
		Wiki:         wiki.New(repo, wiki.Options{MaxPageBytes: 64 << 10}),
		Theme:        theme,
		Policy:       policy,
		Accounts:     store,
		OIDC:         oidc,
		TrustProxy:   o.trustProxy,
		MaxBodyBytes: 256 << 10,
		Logger:       slog.New(slog.DiscardHandler),
		Now:          o.now,
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	s, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s
	srv.Start()
	tw := &testWiki{t: t, srv: srv, repo: repo, dir: dir}
	t.Cleanup(func() { tw.srv.Close(); repo.Close(); store.Close() })
	return &authWiki{testWiki: tw, server: s, accounts: store}
}

// lastAuthor is the author of the newest commit.
func (aw *authWiki) lastAuthor() wiki.Author {
	aw.t.Helper()
	revs, err := aw.repo.Recent(context.Background(), wiki.HistoryQuery{Limit: 1})
	if err != nil || len(revs) == 0 {
		aw.t.Fatalf("log: %v", err)
	}
	return revs[0].Author
}

// audited reports whether the audit log has an event of kind whose
// subject and detail contain the strings given.
func (aw *authWiki) audited(kind, subject, detail string) bool {
	aw.t.Helper()
	events, err := aw.accounts.AuditLog(context.Background(), 1000)
	if err != nil {
		aw.t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == kind && strings.Contains(e.Subject, subject) && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

// browser is one person's browser: cookies kept, redirects not followed,
// the CSRF token taken from the last page it loaded.
type browser struct {
	t      *testing.T
	aw     *authWiki
	client *http.Client
	token  string
	header http.Header // added to every request
}

func (aw *authWiki) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: aw.t, aw: aw, header: http.Header{}, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedIn is a browser that has signed in with a password.
func (aw *authWiki) signedIn(name string) *browser {
	aw.t.Helper()
	b := aw.browser()
	b.get("/-/login")
	code, _, hdr := b.post("/-/login", url.Values{"name": {name}, "password": {passwords[name]}})
	if code != http.StatusSeeOther {
		aw.t.Fatalf("%s could not sign in: %d", name, code)
	}
	if hdr.Get("Location") != "/" {
		aw.t.Fatalf("after signing in %s goes to %q", name, hdr.Get("Location"))
	}
	return b
}

func (b *browser) do(method, path, ctype, body string, header ...string) (int, string, http.Header) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.aw.srv.URL+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if m := csrfMeta.FindSubmatch(raw); m != nil {
		b.token = html.UnescapeString(string(m[1]))
	}
	return resp.StatusCode, string(raw), resp.Header
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	return b.do(http.MethodGet, path, "", "")
}

// post submits a form with the CSRF token of the last page, as a browser
// does; a form that sets csrf_token itself keeps its own.
func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	if b.token == "" {
		b.get("/-/pages")
	}
	if _, ok := form["csrf_token"]; !ok {
		form = cloneValues(form)
		form.Set("csrf_token", b.token)
	}
	return b.do(http.MethodPost, path, "application/x-www-form-urlencoded", form.Encode())
}

// api sends a JSON API request with the session cookie and the CSRF
// header, as editor.js does.
func (b *browser) api(method, path, body string) (int, string, http.Header) {
	b.t.Helper()
	if b.token == "" {
		b.get("/-/pages")
	}
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	return b.do(method, path, ctype, body, "X-CSRF-Token", b.token)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// basic sends a request with HTTP Basic credentials and no cookies, as
// curl or a script does.
func (aw *authWiki) basic(user, secret, method, path, body string, header ...string) (int, string, http.Header) {
	aw.t.Helper()
	req, err := http.NewRequest(method, aw.srv.URL+path, strings.NewReader(body))
	if err != nil {
		aw.t.Fatal(err)
	}
	req.SetBasicAuth(user, secret)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		aw.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

// jsonBody encodes v for a request.
func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
