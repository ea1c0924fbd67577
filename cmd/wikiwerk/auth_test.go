package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestAuthFlags(t *testing.T) {
	env := map[string]string{
		"WIKIWERK_READ":               "signed-in",
		"WIKIWERK_PROTECT":            "Beleid, Intern/Team=beleidsteam+ict ,",
		"WIKIWERK_TRUST_PROXY":        "true",
		"WIKIWERK_OIDC_ISSUER":        "https://login.example.nl/realms/gemeente",
		"WIKIWERK_OIDC_CLIENT_ID":     "wiki",
		"WIKIWERK_OIDC_CLIENT_SECRET": "geheim",
		"WIKIWERK_OIDC_REDIRECT_URL":  "https://wiki.example.nl/-/oidc/callback",
		"WIKIWERK_OIDC_ADMIN_VALUES":  "wiki-beheer",
	}
	m := NewMain(io.Discard)
	err := m.ParseFlags([]string{"-oidc-editor-values", "wiki-schrijvers, redactie", "-oidc-role-claim", "realm_access.roles"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := wiki.Policy{Read: wiki.SignedIn, Edit: wiki.Editors, Protected: []wiki.Protected{
		{Prefix: "Beleid"}, {Prefix: "Intern/Team", Groups: []string{"beleidsteam", "ict"}},
	}}
	if !reflect.DeepEqual(m.policy, want) || !m.TrustProxy || m.AnonymousEdits {
		t.Fatalf("policy %+v trust %v anonymous %v", m.policy, m.TrustProxy, m.AnonymousEdits)
	}
	o := m.oidcConfig()
	if o == nil || o.ClientSecret != "geheim" || o.RoleClaim != "realm_access.roles" ||
		!reflect.DeepEqual(o.EditorValues, []string{"wiki-schrijvers", "redactie"}) || !reflect.DeepEqual(o.AdminValues, []string{"wiki-beheer"}) ||
		!reflect.DeepEqual(o.Scopes, []string{"profile", "email"}) {
		t.Fatalf("oidc %+v", o)
	}
	m = NewMain(io.Discard)
	if err := m.ParseFlags(nil, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if m.policy.Read != wiki.Anyone || m.policy.Edit != wiki.Editors || m.oidcConfig() != nil {
		t.Fatalf("defaults: %+v", m.policy)
	}
	for _, args := range [][]string{
		{"-read", "iedereen"},
		{"-protect", "../x"},
		{"-protect", "-/x"},
		{"-oidc-issuer", "https://login.example.nl"},
		{"-read", "signed-in", "-anonymous-edits"},
	} {
		if err := NewMain(io.Discard).ParseFlags(args, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// startWatching starts the binary like start, and also reports the setup
// link when it prints one.
func startWatching(t *testing.T, bin string, args ...string) (*server, <-chan string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: nil, done: make(chan error, 1)}
	found := make(chan string, 1)
	setup := make(chan string, 1)
	setupRe := regexp.MustCompile(`setup_link="?(http://[^"\s]+)`)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := runningRe.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
			if m := setupRe.FindStringSubmatch(line); m != nil {
				setup <- m[1]
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.url = <-found:
	case err := <-s.done:
		t.Fatalf("wikiwerk exited before listening: %v", err)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("wikiwerk did not start")
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return s, setup
}

// TestFirstAdminThroughSetupLink: a fresh wiki without anonymous edits
// prints a one-time link; it makes the first admin, who can then edit.
func TestFirstAdminThroughSetupLink(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	srv, setup := startWatching(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data)
	var link string
	select {
	case link = <-setup:
	case <-time.After(10 * time.Second):
		t.Fatal("no setup link printed")
	}
	if !strings.HasPrefix(link, srv.url+"/-/setup?token=") {
		t.Fatalf("setup link %q", link)
	}
	// Nobody may edit yet.
	if code, _ := get(t, srv.url+"/-/edit/Home"); code != 401 {
		t.Fatalf("anonymous editor: %d", code)
	}
	client, token := formClient(t, link)
	u, _ := url.Parse(link)
	resp, err := client.PostForm(srv.url+"/-/setup", url.Values{"token": {u.Query().Get("token")}, "csrf_token": {token},
		"name": {"eva"}, "display_name": {"Eva Visser"}, "email": {"eva@example.nl"},
		"password": {"een heel lang wachtwoord"}, "password2": {"een heel lang wachtwoord"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	resp, err = client.Get(srv.url + "/-/edit/Home")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the first admin's editor: %d", resp.StatusCode)
	}
	if code, _ := get(t, link); code != 404 {
		t.Fatalf("the setup link works twice: %d", code)
	}
	srv.stop(t)
	if _, err := os.Stat(filepath.Join(data, "csrf.key")); err != nil {
		t.Fatalf("no key file: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(data, "csrf.key")); fi.Mode().Perm() != 0o600 {
		t.Errorf("csrf.key has mode %v", fi.Mode().Perm())
	}
	// With an account, no link is printed.
	srv, setup = startWatching(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data)
	select {
	case link := <-setup:
		t.Fatalf("a setup link with accounts: %s", link)
	case <-time.After(time.Second):
	}
	srv.stop(t)
}

// TestGitWithAccounts: on a wiki that only signed-in people may read, git
// clients sign in with a personal access token; readers may clone but not
// push, editors may push.
func TestGitWithAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	mustRun(t, "annas wachtwoord is lang\n", "user", "add", "-data", data, "-role", "editor", "-name", "Anna de Vries", "-email", "anna@example.nl", "anna")
	mustRun(t, "brams wachtwoord is lang\n", "user", "add", "-data", data, "-role", "reader", "bram")
	store := openAccounts(t, data)
	annaToken, _, err := store.NewToken(context.Background(), "anna", "git")
	if err != nil {
		t.Fatal(err)
	}
	bramToken, _, err := store.NewToken(context.Background(), "bram", "git")
	if err != nil {
		t.Fatal(err)
	}
	store.Close()

	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-read", "signed-in")
	if code, _ := get(t, srv.url+"/Home"); code != 401 {
		t.Fatalf("anonymous read of a closed wiki: %d", code)
	}
	remote := func(user, secret string) string {
		u, _ := url.Parse(srv.url + "/wiki.git")
		if user != "" {
			u.User = url.UserPassword(user, secret)
		}
		return u.String()
	}
	work := t.TempDir()
	if out, err := gitAs(t, work, "clone", remote("", ""), "anon"); err == nil || !strings.Contains(out, "could not read Username") {
		t.Fatalf("anonymous clone of a closed wiki: %v\n%s", err, out)
	}
	if out, err := gitAs(t, work, "clone", remote("anna", "fout"), "wrong"); err == nil {
		t.Fatalf("clone with a wrong password: %s", out)
	}
	for _, who := range []struct{ name, token string }{{"anna", annaToken}, {"bram", bramToken}} {
		if out, err := gitAs(t, work, "clone", remote(who.name, who.token), who.name); err != nil {
			t.Fatalf("%s clones: %v\n%s", who.name, err, out)
		}
		clone := filepath.Join(work, who.name)
		os.WriteFile(filepath.Join(clone, "Van "+who.name+".md"), []byte("Geduwd door "+who.name+".\n"), 0o644)
		gitAs(t, clone, "add", ".")
		gitAs(t, clone, "commit", "-m", "Pagina van "+who.name)
	}
	out, err := gitAs(t, filepath.Join(work, "bram"), "push", "origin", "main")
	if err == nil || !strings.Contains(out, "403") {
		t.Fatalf("a reader pushes: %v\n%s", err, out)
	}
	if out, err := gitAs(t, filepath.Join(work, "anna"), "push", "origin", "main"); err != nil {
		t.Fatalf("an editor pushes: %v\n%s", err, out)
	}
	req, _ := http.NewRequest("GET", srv.url+"/-/api/pages/Van%20anna", nil)
	req.SetBasicAuth("anna", annaToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// A push keeps its commits' authors.
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"Greet Git"`) {
		t.Fatalf("the pushed page: %d %s", resp.StatusCode, body)
	}
	srv.stop(t)

	// With a protected folder, an editor may push changes outside it,
	// but a push that touches it is refused with the reason and changes
	// nothing.
	srv = start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-read", "signed-in", "-protect", "Beleid")
	clone := filepath.Join(work, "anna")
	gitAs(t, clone, "remote", "set-url", "origin", remote("anna", annaToken))
	os.WriteFile(filepath.Join(clone, "Van anna.md"), []byte("Nog een keer.\n"), 0o644)
	gitAs(t, clone, "commit", "-am", "Nog een")
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("an editor pushes outside the protected folder: %v\n%s", err, out)
	}
	os.MkdirAll(filepath.Join(clone, "Beleid"), 0o755)
	os.WriteFile(filepath.Join(clone, "Beleid", "Visie.md"), []byte("Door een editor.\n"), 0o644)
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Beleid via git")
	out, err = gitAs(t, clone, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "remote:") || !strings.Contains(out, "Beleid") {
		t.Fatalf("an editor pushes into a protected folder: %v\n%s", err, out)
	}
	req, _ = http.NewRequest("GET", srv.url+"/-/api/pages/Beleid/Visie", nil)
	req.SetBasicAuth("anna", annaToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 {
		t.Fatalf("the refused page exists: %v %v", err, resp.StatusCode)
	}
	srv.stop(t)
}
