package main

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	shownLinkRe = regexp.MustCompile(`<p class="secret" id="wwLink">(http://[^<]+)</p>`)
	csrfRe      = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
)

// TestNewWikiRecordsPseudonyms runs the binary on a new data folder: the
// first admin, made with wikiwerk user add, invites a colleague on the
// web, the colleague chooses a password through the link and saves a
// page, and the history holds <login>@users.noreply.<domain> instead of
// the work addresses.
func TestNewWikiRecordsPseudonyms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	// The first admin is made before the first start, as the README
	// offers; the wiki is new all the same.
	mustRun(t, "eva heeft een wachtwoord\n", "user", "add", "-data", data, "-role", "admin", "-name", "Eva Visser", "-email", "eva@gemeente.nl", "eva")
	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data)
	// page loads a page in a browser-like client and returns its body and
	// CSRF token.
	page := func(c *http.Client, u string) (int, string, string) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		token := ""
		if m := csrfRe.FindSubmatch(b); m != nil {
			token = html.UnescapeString(string(m[1]))
		}
		return resp.StatusCode, string(b), token
	}
	post := func(c *http.Client, u string, form url.Values) (int, string, http.Header) {
		t.Helper()
		resp, err := c.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}

	eva, token := formClient(t, srv.url+"/-/login")
	if code, _, _ := post(eva, srv.url+"/-/login", url.Values{"csrf_token": {token}, "name": {"eva"}, "password": {"eva heeft een wachtwoord"}}); code != http.StatusSeeOther {
		t.Fatalf("eva signs in: %d", code)
	}
	_, _, token = page(eva, srv.url+"/-/admin/users")
	code, body, _ := post(eva, srv.url+"/-/admin/users", url.Values{"csrf_token": {token}, "name": {"anna"}, "display_name": {"Anna de Vries"},
		"email": {"anna@gemeente.nl"}, "role": {"editor"}, "how": {"invite"}})
	link := shownLinkRe.FindStringSubmatch(body)
	if code != 200 || link == nil {
		t.Fatalf("invite: %d\n%s", code, body)
	}
	anna, _ := formClient(t, srv.url+"/-/pages")
	_, _, token = page(anna, html.UnescapeString(link[1]))
	if code, _, _ := post(anna, html.UnescapeString(link[1]), url.Values{"csrf_token": {token}, "password": {"anna kiest een wachtwoord"},
		"password2": {"anna kiest een wachtwoord"}}); code != http.StatusSeeOther {
		t.Fatalf("anna accepts: %d", code)
	}
	code, body, token = page(anna, srv.url+"/-/edit/Nieuw")
	if code != 200 || token == "" {
		t.Fatalf("anna's editor: %d\n%s", code, body)
	}
	if code, _, _ := post(anna, srv.url+"/-/edit/Nieuw", url.Values{"csrf_token": {token}, "content": {"Door Anna.\n"}, "base": {""}}); code != http.StatusSeeOther {
		t.Fatalf("anna saves: %d", code)
	}
	srv.stop(t)

	log := git(t, filepath.Join(data, "content.git"), "log", "-1", "--format=%an <%ae>", "main")
	if log != "Anna de Vries <anna@users.noreply.wikiwerk.invalid>\n" {
		t.Fatalf("the commit's author: %q", log)
	}
	if b, err := os.ReadFile(filepath.Join(data, "settings.json")); err != nil || !strings.Contains(string(b), `"commit_email": "pseudonymous"`) {
		t.Fatalf("settings.json: %s %v", b, err)
	}
}
