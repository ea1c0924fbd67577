package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// orgServer is a bare repository behind git http-backend, as the
// organisation's GitLab would serve it (any user name, the token as
// password).
type orgServer struct {
	dir, url, token string
}

func newOrgServer(t *testing.T, token string) *orgServer {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git is not installed")
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("git-http-backend is not installed")
	}
	root := t.TempDir()
	o := &orgServer{dir: filepath.Join(root, "wiki.git"), token: token}
	git(t, root, "init", "-q", "--bare", "-b", "main", o.dir)
	git(t, o.dir, "config", "http.receivepack", "true")
	h := &cgi.Handler{Path: backend, Root: "/org", Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, ok := r.BasicAuth(); !ok || pw != o.token {
			w.Header().Set("WWW-Authenticate", `Basic realm="org"`)
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	o.url = srv.URL + "/org/wiki.git"
	return o
}

func (o *orgServer) authURL() string {
	return strings.Replace(o.url, "http://", "http://x:"+o.token+"@", 1)
}

// startWith runs Main in this process with args and an environment of its
// own, until the test ends; it returns the wiki's address.
func startWith(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	pr, pw := io.Pipe()
	m := NewMain(pw)
	if err := m.ParseFlags(append([]string{"-addr", "127.0.0.1:0", "-memory-limit", "0"}, args...), func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx)
		pw.Close()
	}()
	found := make(chan string, 1)
	logs := &strings.Builder{}
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			// Only the line that says the wiki runs: the sync logs
			// addresses too.
			if m := runningRe.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "wikiwerk is running") {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	var base string
	select {
	case base = <-found:
	case err := <-done:
		cancel()
		<-logsDone
		t.Fatalf("the server stopped before listening: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		<-logsDone
		for _, secret := range env {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a secret from the environment is in the log:\n%s", logs.String())
			}
		}
	})
	return base
}

func postHook(t *testing.T, base, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/-/api/sync", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSyncEndToEnd runs the wiki with a mirror and an upstream (two git
// servers) and a webhook token: a save reaches the mirror; a commit on
// the upstream arrives when the webhook is called with the right token
// (not with none or a wrong one); the admin page shows both, to admins
// only, and never a token.
func TestSyncEndToEnd(t *testing.T) {
	mirror := newOrgServer(t, "mirror-secret-1")
	upstream := newOrgServer(t, "upstream-secret-2")
	data := t.TempDir()
	mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", data, "-role", "admin", "-name", "Carla Admin", "carla")
	env := map[string]string{
		"WIKIWERK_MIRROR_TOKEN":   mirror.token,
		"WIKIWERK_UPSTREAM_TOKEN": upstream.token,
		"WIKIWERK_SYNC_TOKEN":     "hook-secret-3",
	}
	// Reading needs an account: the webhook brings its own credential.
	base := startWith(t, env, "-data", data, "-read", "signed-in", "-mirror", mirror.url, "-upstream", upstream.url, "-upstream-interval", "1h")
	wikiDir := filepath.Join(data, "content.git")
	head := func(dir string) string {
		out, err := gitAs(t, dir, "rev-parse", "--verify", "-q", "refs/heads/main")
		if err != nil {
			return ""
		}
		return strings.TrimSpace(out)
	}
	waitFor(t, "the seed reaches the mirror", func() bool { return head(mirror.dir) != "" && head(mirror.dir) == head(wikiDir) })

	// A save on the web's API reaches the mirror.
	body, _ := json.Marshal(map[string]string{"content": "# Welkom\n\ngespiegeld\n", "base": "", "message": "Nieuw"})
	req, _ := http.NewRequest(http.MethodPut, base+"/-/api/pages/Spiegel", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("carla", "een lang wachtwoord")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	waitFor(t, "the save reaches the mirror", func() bool { return head(mirror.dir) == head(wikiDir) })

	// The upstream starts from the wiki's history; a colleague commits
	// there with git.
	git(t, wikiDir, "push", "-q", upstream.authURL(), "main")
	work := filepath.Join(t.TempDir(), "work")
	git(t, filepath.Dir(work), "clone", "-q", upstream.authURL(), work)
	if err := os.WriteFile(filepath.Join(work, "Upstream.md"), []byte("# Van upstream\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, work, "add", "-A")
	if out, err := gitAs(t, work, "commit", "-q", "-m", "Van de organisatie"); err != nil {
		t.Fatalf("commit: %v\n%s", err, out)
	}
	git(t, work, "push", "-q", "origin", "main")
	upCommit := strings.TrimSpace(git(t, work, "rev-parse", "HEAD"))

	if code, _ := postHook(t, base, ""); code != http.StatusUnauthorized {
		t.Errorf("webhook without a token: %d, want 401", code)
	}
	if code, _ := postHook(t, base, "Bearer wrong"); code != http.StatusForbidden {
		t.Errorf("webhook with a wrong token: %d, want 403", code)
	}
	if code, _ := postHook(t, base, "Basic "+"eDp5"); code != http.StatusUnauthorized {
		t.Errorf("webhook with Basic credentials: %d, want 401", code)
	}
	time.Sleep(200 * time.Millisecond)
	if head(wikiDir) == upCommit {
		t.Fatal("the upstream commit arrived before the webhook was called with the right token")
	}
	if code, body := postHook(t, base, "Bearer hook-secret-3"); code != http.StatusAccepted {
		t.Fatalf("webhook with the right token: %d %s", code, body)
	}
	waitFor(t, "the upstream commit reaches the wiki (a fast-forward)", func() bool { return head(wikiDir) == upCommit })
	req, _ = http.NewRequest(http.MethodGet, base+"/-/raw/Upstream", nil)
	req.SetBasicAuth("carla", "een lang wachtwoord")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("the upstream's page: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// GitLab sends its webhook secret as X-Gitlab-Token.
	for token, want := range map[string]int{"wrong": http.StatusForbidden, "hook-secret-3": http.StatusAccepted} {
		req, _ := http.NewRequest(http.MethodPost, base+"/-/api/sync", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Gitlab-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("webhook with X-Gitlab-Token %q: %d, want %d", token, resp.StatusCode, want)
		}
	}
	// ...and from there to the mirror.
	waitFor(t, "the upstream commit reaches the mirror", func() bool { return head(mirror.dir) == upCommit })

	// The admin page: admins only, no secrets.
	if code, _ := get(t, base+"/-/admin/sync"); code != http.StatusUnauthorized {
		t.Errorf("admin page anonymously: %d", code)
	}
	client, _ := signIn(t, base, "carla", "een lang wachtwoord")
	resp, err = client.Get(base + "/-/admin/sync")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), mirror.url) || !strings.Contains(string(page), upstream.url) {
		t.Fatalf("admin page: %d\n%s", resp.StatusCode, page)
	}
	for _, secret := range env {
		if strings.Contains(string(page), secret) {
			t.Errorf("the admin page shows a secret")
		}
	}
	// The state in the API, for admins.
	req, _ = http.NewRequest(http.MethodGet, base+"/-/api/sync", nil)
	req.SetBasicAuth("carla", "een lang wachtwoord")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Mirror   struct{ URL, Pushed string }
		Upstream struct{ Fetched, Considered string }
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Mirror.URL != mirror.url || st.Upstream.Considered != upCommit {
		t.Errorf("API state = %+v", st)
	}
	if out, err := gitAs(t, wikiDir, "fsck", "--strict", "--no-progress"); err != nil {
		t.Errorf("git fsck --strict: %v\n%s", err, out)
	}
	// The admin's "fetch now" button works without JavaScript.
	formResp, err := postForm(t, client, base+"/-/admin/sync", url.Values{"action": {"sync"}})
	if err != nil || formResp != http.StatusSeeOther {
		t.Errorf("fetch now: %d %v", formResp, err)
	}
}

// postForm posts a form with the CSRF token of the page it is on.
func postForm(t *testing.T, client *http.Client, u string, v url.Values) (int, error) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		return 0, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	i := bytes.Index(b, []byte(`name="csrf_token" value="`))
	if i < 0 {
		t.Fatalf("no CSRF field on %s", u)
	}
	rest := b[i+len(`name="csrf_token" value="`):]
	v.Set("csrf_token", html.UnescapeString(string(rest[:bytes.IndexByte(rest, '"')])))
	resp, err = client.PostForm(u, v)
	if err != nil {
		return 0, err
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Logf("POST %s: %d\n%s", u, resp.StatusCode, b)
	}
	return resp.StatusCode, nil
}

// TestSyncHookWithoutConfig: without an upstream, or without a webhook
// token, POST /-/api/sync does not exist.
func TestSyncHookWithoutConfig(t *testing.T) {
	base := startWith(t, nil, "-data", t.TempDir())
	if code, _ := postHook(t, base, "Bearer anything"); code != http.StatusNotFound {
		t.Errorf("webhook without sync: %d, want 404", code)
	}
	upstream := newOrgServer(t, "upstream-tok-9")
	base = startWith(t, map[string]string{"WIKIWERK_UPSTREAM_TOKEN": "upstream-tok-9"}, "-data", t.TempDir(), "-upstream", upstream.url)
	if code, _ := postHook(t, base, "Bearer anything"); code != http.StatusNotFound {
		t.Errorf("webhook without WIKIWERK_SYNC_TOKEN: %d, want 404", code)
	}
	if code, _ := postHook(t, base, ""); code != http.StatusNotFound {
		t.Errorf("webhook without WIKIWERK_SYNC_TOKEN and without a token: %d, want 404", code)
	}
}

// TestSyncFlags: a mirror or upstream address that would send the token in
// clear text, or holds a password, is refused at start.
func TestSyncFlags(t *testing.T) {
	for _, bad := range []string{"http://git.example.nl/wiki.git", "ftp://git.example.nl/wiki.git", "https://u:pw@git.example.nl/wiki.git", "not a url"} {
		for _, flag := range []string{"-mirror", "-upstream"} {
			m := NewMain(io.Discard)
			if err := m.ParseFlags([]string{flag, bad}, func(string) string { return "" }); err == nil {
				t.Errorf("%s %q was accepted", flag, bad)
			}
		}
	}
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-mirror", "https://wikibot@git.example.nl/wiki.git", "-upstream-interval", "30s"}, func(k string) string {
		return map[string]string{"WIKIWERK_MIRROR_TOKEN": "t0k"}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if m.syncFlags.Mirror.URL != "https://git.example.nl/wiki.git" || m.syncFlags.Mirror.User != "wikibot" || m.syncFlags.Mirror.Token != "t0k" || m.syncFlags.UpstreamInterval != 30*time.Second {
		t.Errorf("parsed %+v", m.syncFlags)
	}
}
