package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// replicaGet reads u with the token as HTTP Basic password.
func replicaGet(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.SetBasicAuth("", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// replicaPut saves a page through the API with the token.
func replicaPut(t *testing.T, base, page, content, token string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"content": content, "base": "", "message": "replica test"})
	req, _ := http.NewRequest(http.MethodPut, base+"/-/api/pages/"+page, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfMetaRe = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// pageToken reads the CSRF token of the page at u with client.
func pageToken(t *testing.T, client *http.Client, u string) string {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfMetaRe.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on %s (%d)\n%s", u, resp.StatusCode, b)
	}
	return html.UnescapeString(string(m[1]))
}

// TestReplica runs a primary and a read replica as two processes, both
// closed to anonymous readers: a save on the primary becomes readable and
// searchable on the replica; writes sent to the replica (an API call with
// a token, a form saved in a session signed in through the replica) land
// on the primary under the user's name; a clone from the replica works;
// with the primary down the replica keeps serving page views, history and
// search, and refuses writes with 502; git fsck --strict is clean on both.
func TestReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildBinary(t)
	pdata, rdata := t.TempDir(), t.TempDir()
	mustRun(t, "annas wachtwoord is lang\n", "user", "add", "-data", pdata, "-role", "editor", "-name", "Anna de Vries", "-email", "anna@example.nl", "anna")
	mustRun(t, "carla heeft een lang wachtwoord\n", "user", "add", "-data", pdata, "-role", "admin", "-name", "Carla Admin", "carla")
	mustRun(t, "het wachtwoord van de replica\n", "user", "add", "-data", pdata, "-role", "reader", "replica")
	store := openAccounts(t, pdata)
	annaToken, _, err := store.NewToken(context.Background(), "anna", "api")
	if err != nil {
		t.Fatal(err)
	}
	replicaToken, _, err := store.NewToken(context.Background(), "replica", "replica")
	if err != nil {
		t.Fatal(err)
	}
	carlaToken, _, err := store.NewToken(context.Background(), "carla", "beheer")
	if err != nil {
		t.Fatal(err)
	}
	store.Close()

	primary := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", pdata, "-read", "signed-in")
	// The replica signs forms with the primary's key.
	key, err := os.ReadFile(filepath.Join(pdata, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rdata, keyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(replicaTokenEnv, replicaToken)
	t.Setenv(metricsTokenVar, "replica-metrics-token")
	replica := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", rdata, "-read", "signed-in",
		// An hour: what the primary saves can only arrive by the long poll
		// (GET /-/api/head) that wakes the replica.
		"-replica-of", primary.url, "-replica-interval", "1h")
	defer func() {
		if t.Failed() {
			t.Logf("replica log:\n%s", replica.logs)
		}
	}()
	waitFor(t, "the replica is ready", func() bool {
		time.Sleep(time.Second)
		code, body := replicaGet(t, replica.url+"/-/readyz", "")
		if code != http.StatusOK {
			t.Logf("readyz: %d %s", code, body)
		}
		return code == http.StatusOK
	})
	if code, _ := replicaGet(t, replica.url+"/Home", ""); code != http.StatusUnauthorized {
		t.Fatalf("anonymous read on the replica of a closed wiki: %d", code)
	}

	// The long poll that wakes the replica needs the right to read.
	if code, _ := replicaGet(t, primary.url+"/-/api/head", ""); code != http.StatusUnauthorized {
		t.Fatalf("anonymous long poll on a closed wiki: %d, want 401", code)
	}
	if code, body := replicaGet(t, primary.url+"/-/api/head?wait=1s&after=0000", replicaToken); code != http.StatusOK || !strings.Contains(body, `"head":"`) {
		t.Fatalf("long poll after another commit: %d %s", code, body)
	}

	// The replica's state: its admin page (admins only), JSON and metrics.
	if code, body := replicaGet(t, replica.url+"/-/admin/replica", carlaToken); code != http.StatusOK || !strings.Contains(body, "<code>"+primary.url+"</code>") || !strings.Contains(body, "Bijgewerkt") {
		t.Fatalf("the replica's admin page: %d\n%s", code, body)
	}
	if code, _ := replicaGet(t, replica.url+"/-/admin/replica", annaToken); code != http.StatusForbidden {
		t.Fatalf("the replica's admin page for an editor: %d, want 403", code)
	}
	if code, _ := replicaGet(t, primary.url+"/-/admin/replica", carlaToken); code != http.StatusNotFound {
		t.Fatalf("the replica page on the primary: %d, want 404", code)
	}
	var state struct {
		Fetched bool
		Behind  int
		Head    string
	}
	code, body := replicaGet(t, replica.url+"/-/api/replica", carlaToken)
	if err := json.Unmarshal([]byte(body), &state); err != nil || code != http.StatusOK || !state.Fetched || state.Head == "" {
		t.Fatalf("GET /-/api/replica: %d %s", code, body)
	}
	fams := scrape(t, replica.url+"/-/metrics", "replica-metrics-token")
	if v := value(fams, "wikiwerk_replica_lag_commits"); v != 0 {
		t.Fatalf("wikiwerk_replica_lag_commits = %v, want 0", v)
	}
	if v := value(fams, "wikiwerk_replica_last_fetch_age_seconds"); v < 0 {
		t.Fatalf("wikiwerk_replica_last_fetch_age_seconds = %v after a fetch", v)
	}
	if v := value(fams, "wikiwerk_replica_diverged"); v != 0 {
		t.Fatalf("wikiwerk_replica_diverged = %v", v)
	}

	// A save on the primary is readable and searchable on the replica.
	if code, body := replicaPut(t, primary.url, "Replica/Proef", "# Proef\n\nHet woord kwartelkoning staat hier.\n", annaToken); code != http.StatusCreated {
		t.Fatalf("save on the primary: %d %s", code, body)
	}
	waitFor(t, "the primary's save is on the replica", func() bool {
		code, body := replicaGet(t, replica.url+"/Replica/Proef", annaToken)
		return code == http.StatusOK && strings.Contains(body, "kwartelkoning")
	})
	waitFor(t, "the primary's save is found by the replica's search", func() bool {
		_, body := replicaGet(t, replica.url+"/-/api/search?q=kwartelkoning", annaToken)
		return strings.Contains(body, "Replica/Proef")
	})

	// An API write sent to the replica lands on the primary under Anna's
	// name, and the replica shows it.
	if code, body := replicaPut(t, replica.url, "Replica/ViaApi", "# Via de replica\n\nzilverreiger\n", annaToken); code != http.StatusCreated {
		t.Fatalf("API save through the replica: %d %s", code, body)
	}
	for _, base := range []string{primary.url, replica.url} {
		waitFor(t, "the API save is in the history at "+base, func() bool {
			_, body := replicaGet(t, base+"/-/api/pages/Replica/ViaApi/history", annaToken)
			return strings.Contains(body, "Anna de Vries")
		})
	}

	// A form save in a session signed in through the replica.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tok := pageToken(t, browser, replica.url+"/-/login")
	resp, err := browser.PostForm(replica.url+"/-/login", url.Values{"csrf_token": {tok}, "name": {"anna"}, "password": {"annas wachtwoord is lang"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in through the replica: %d", resp.StatusCode)
	}
	tok = pageToken(t, browser, replica.url+"/-/edit/Replica/Formulier")
	resp, err = browser.PostForm(replica.url+"/-/edit/Replica/Formulier", url.Values{"csrf_token": {tok}, "content": {"# Formulier\n\nopgeslagen via de replica\n"}, "base": {""}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form save through the replica: %d", resp.StatusCode)
	}
	// Read back at once, on the replica, in the session: the replica
	// fetched the write before answering it.
	resp, err = browser.Get(replica.url + "/Replica/Formulier")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "opgeslagen via de replica") {
		t.Fatalf("the form save read back on the replica: %d\n%s", resp.StatusCode, b)
	}
	_, hist := replicaGet(t, primary.url+"/-/api/pages/Replica/Formulier/history", annaToken)
	if !strings.Contains(hist, "Anna de Vries") {
		t.Fatalf("the form save on the primary is not Anna's: %s", hist)
	}

	// A clone from the replica.
	work := filepath.Join(t.TempDir(), "clone")
	cloneURL := strings.Replace(replica.url, "http://", "http://anna:"+annaToken+"@", 1) + "/wiki.git"
	if out, err := gitAs(t, filepath.Dir(work), "clone", "-q", cloneURL, work); err != nil {
		t.Fatalf("clone from the replica: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(work, "Replica", "Formulier.md")); err != nil {
		t.Fatalf("the clone from the replica lacks the latest save: %v", err)
	}

	// A git push to the replica goes to the primary (with Anna's token),
	// and comes back to the replica.
	if err := os.WriteFile(filepath.Join(work, "Replica", "Gepusht.md"), []byte("# Gepusht\n\nvia git en de replica\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, work, "add", "-A")
	if out, err := gitAs(t, work, "commit", "-q", "-m", "Gepusht via de replica"); err != nil {
		t.Fatalf("commit: %v\n%s", err, out)
	}
	if out, err := gitAs(t, work, "push", "-q", "origin", "main"); err != nil {
		t.Fatalf("push to the replica: %v\n%s", err, out)
	}
	for _, base := range []string{primary.url, replica.url} {
		waitFor(t, "the push is at "+base, func() bool {
			code, body := replicaGet(t, base+"/Replica/Gepusht", annaToken)
			return code == http.StatusOK && strings.Contains(body, "via git en de replica")
		})
	}

	// Requests sent to the primary have a route label of their own.
	fams = scrape(t, replica.url+"/-/metrics", "replica-metrics-token")
	if v := value(fams, "wikiwerk_http_requests_total", "route", "primary", "method", "PUT"); v < 1 {
		t.Fatalf("writes sent to the primary are not counted under route=\"primary\": %v", v)
	}

	// The primary goes down: reads go on, writes are refused clearly.
	primary.stop(t)
	for _, p := range []string{"/Replica/Proef", "/-/history/Replica/Proef", "/-/search?q=kwartelkoning"} {
		code, body := replicaGet(t, replica.url+p, annaToken)
		if code != http.StatusOK || !strings.Contains(body, "Replica/Proef") && !strings.Contains(body, "kwartelkoning") {
			t.Fatalf("%s on the replica with the primary down: %d\n%s", p, code, body)
		}
	}
	// A clone from the replica needs nothing of the primary.
	again := filepath.Join(t.TempDir(), "again")
	if out, err := gitAs(t, filepath.Dir(again), "clone", "-q", cloneURL, again); err != nil {
		t.Fatalf("clone from the replica with the primary down: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(again, "Replica", "Gepusht.md")); err != nil {
		t.Fatalf("the clone from the replica lacks the push: %v", err)
	}
	if code, _ := replicaPut(t, replica.url, "Replica/Later", "# Later\n", annaToken); code != http.StatusBadGateway {
		t.Fatalf("a write to the replica with the primary down: %d, want 502", code)
	}
	replica.stop(t)
	for _, dir := range []string{pdata, rdata} {
		if out, err := gitAs(t, filepath.Join(dir, "content.git"), "fsck", "--strict"); err != nil {
			t.Fatalf("git fsck --strict in %s: %v\n%s", dir, err, out)
		}
	}
	if strings.Contains(replica.logs.String(), replicaToken) || strings.Contains(replica.logs.String(), annaToken) {
		t.Fatal("a token is in the replica's log")
	}
}

// TestReplicaNeedsThePrimarysKey: a replica without the primary's key
// file does not start (its forms would all be refused by the primary),
// and says what to copy.
func TestReplicaNeedsThePrimarysKey(t *testing.T) {
	var logs strings.Builder
	m := NewMain(&logs)
	data := t.TempDir()
	if err := m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", data, "-replica-of", "http://127.0.0.1:1"}, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), keyFile) {
		t.Fatalf("a replica without the key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, keyFile)); err == nil {
		t.Fatal("the replica made a key of its own")
	}
}

// TestReplicaFlags: the primary's address may hold no password and must
// be https (http only on this machine); a replica refuses a mirror, an
// upstream and mail of its own.
func TestReplicaFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-replica-of", "http://wiki.intern"},
		{"-replica-of", "https://x:geheim@wiki.intern"},
		{"-replica-of", "ftp://wiki.intern"},
	} {
		if err := NewMain(io.Discard).ParseFlags(args, func(string) string { return "" }); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-replica-of", "https://wiki.intern/"}, func(k string) string {
		return map[string]string{replicaTokenEnv: "wwt_x"}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if m.Primary.String() != "https://wiki.intern" || m.PrimaryGit.URL != "https://wiki.intern/wiki.git" || m.PrimaryGit.Token != "wwt_x" {
		t.Fatalf("parsed %v %+v", m.Primary, m.PrimaryGit.URL)
	}
	for _, extra := range [][]string{{"-upstream", "https://git.intern/wiki.git"}, {"-smtp-addr", "127.0.0.1:25", "-mail-from", "wiki@example.nl", "-base-url", "https://wiki.example.nl"}} {
		data := t.TempDir()
		os.WriteFile(filepath.Join(data, keyFile), make([]byte, 32), 0o600)
		m := NewMain(io.Discard)
		if err := m.ParseFlags(append([]string{"-addr", "127.0.0.1:0", "-data", data, "-replica-of", "http://127.0.0.1:1"}, extra...), func(string) string { return "" }); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "-replica-of") {
			t.Errorf("a replica with %q: %v", extra, err)
		}
	}
}
