package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestParseFlagsFromEnvironment(t *testing.T) {
	env := map[string]string{"WIKIWERK_DATA": "/srv/wiki", "WIKIWERK_ANONYMOUS_EDITS": "false", "WIKIWERK_ADDR": ":9000"}
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-addr", "127.0.0.1:1234"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if m.DataDir != "/srv/wiki" || m.AnonymousEdits || m.Addr != "127.0.0.1:1234" {
		t.Fatalf("flags: data %q anonymous %v addr %q", m.DataDir, m.AnonymousEdits, m.Addr)
	}
	m = NewMain(io.Discard)
	if err := m.ParseFlags(nil, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if m.Addr != "127.0.0.1:8080" || m.DataDir != "./wiki-data" || m.AnonymousEdits {
		t.Fatalf("defaults: %+v", m)
	}
	bad := NewMain(io.Discard)
	if err := bad.ParseFlags(nil, func(k string) string {
		if k == "WIKIWERK_ANONYMOUS_EDITS" {
			return "maybe"
		}
		return ""
	}); err == nil {
		t.Fatal("an invalid environment value was accepted")
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "wikiwerk") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, nil, &out, &errOut); code != 2 {
		t.Fatalf("unknown command exit code %d", code)
	}
}

// builtBinary is the command compiled once for all end-to-end tests of
// this package (a -race build takes most of a minute on two cores).
var builtBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain removes the shared binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary.dir != "" {
		os.RemoveAll(builtBinary.dir)
	}
	os.Exit(code)
}

// buildBinary returns the command compiled with the race detector, built
// on first use.
func buildBinary(t *testing.T) string {
	t.Helper()
	b := &builtBinary
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "wikiwerk-test-bin-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "wikiwerk")
		cmd := exec.Command("go", "build", "-race", "-o", b.path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// server is a running wikiwerk process.
type server struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	done chan error
}

var runningRe = regexp.MustCompile(`url=(http://\S+)/`)

func start(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.logs.WriteString(line + "\n")
			if m := runningRe.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.url = <-found:
	case err := <-s.done:
		t.Fatalf("wikiwerk exited before listening: %v\n%s", err, s.logs)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("wikiwerk did not start\n%s", s.logs)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return s
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("wikiwerk exited with %v\n%s", err, s.logs)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("wikiwerk did not stop on SIGTERM")
	}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
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

// TestEndToEnd runs the binary as a user would: read the seed pages, edit
// the WMO-loket page twice under two names, review its history, then clone
// the content repository with the git CLI and check what it holds.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-anonymous-edits=true")

	code, body := get(t, srv.url+"/")
	if code != 200 || !strings.Contains(body, "WMO-loket/Ontwerp") {
		t.Fatalf("front page: %d\n%s", code, body)
	}

	page := "WMO-loket/Ontwerp"
	revision := func() string {
		_, body := get(t, srv.url+"/-/api/pages/"+page)
		var p struct{ Revision string }
		json.Unmarshal([]byte(body), &p)
		return p.Revision
	}
	texts := []string{
		"# Ontwerp WMO-loket\n\nInwoners melden zich bij het loket.\n",
		"# Ontwerp WMO-loket\n\nInwoners melden zich bij het loket of via de website.\n\n## Termijnen\n\nOnderzoek binnen 6 weken.\n",
	}
	authors := []string{"Anna de Vries", "Bram Jansen"}
	seedRev := revision()
	var revs []string
	for i, text := range texts {
		client, token := formClient(t, srv.url+"/-/edit/"+page)
		resp, err := client.PostForm(srv.url+"/-/edit/"+page, url.Values{
			"content": {text}, "base": {revision()}, "message": {"Bewerking " + authors[i]},
			"author_name": {authors[i]}, "author_email": {strings.ToLower(strings.Fields(authors[i])[0]) + "@example.nl"},
			"csrf_token": {token},
		})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save %d: %d", i, resp.StatusCode)
		}
		revs = append(revs, revision())
	}
	if revs[0] == seedRev || revs[1] == revs[0] {
		t.Fatalf("saves made no new revisions: %v", revs)
	}

	code, body = get(t, srv.url+"/-/history/"+page)
	if code != 200 || !strings.Contains(body, "Anna de Vries") || !strings.Contains(body, "Bram Jansen") || !strings.Contains(body, "Bewerking Bram Jansen") {
		t.Fatalf("history: %d\n%s", code, body)
	}
	code, body = get(t, srv.url+"/-/diff/"+page+"?from="+revs[0]+"&to="+revs[1])
	if code != 200 || !strings.Contains(body, "Termijnen") {
		t.Fatalf("compare: %d\n%s", code, body)
	}
	code, body = get(t, srv.url+"/"+page+"?rev="+revs[0])
	if code != 200 || strings.Contains(body, "Termijnen") || !strings.Contains(body, "Inwoners melden zich bij het loket.") {
		t.Fatalf("older revision: %d\n%s", code, body)
	}

	// A stale save is refused and changes nothing; so is a bad name.
	client, token := formClient(t, srv.url+"/-/edit/"+page)
	resp, err := client.PostForm(srv.url+"/-/edit/"+page, url.Values{"content": {"weg ermee"}, "base": {revs[0]}, "csrf_token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "weg ermee") {
		t.Fatalf("stale save: %d", resp.StatusCode)
	}
	if code, _ := get(t, srv.url+"/-/edit/..%2Fx"); code != 400 {
		t.Fatalf("bad name: %d", code)
	}

	// Stop gracefully, then check the repository with the git CLI.
	srv.stop(t)
	repo := filepath.Join(data, "content.git")
	git(t, repo, "fsck", "--strict")
	work := t.TempDir()
	git(t, work, "clone", "-q", repo, "clone")
	got, err := os.ReadFile(filepath.Join(work, "clone", "WMO-loket", "Ontwerp.md"))
	if err != nil || string(got) != texts[1] {
		t.Fatalf("cloned page = %q, %v", got, err)
	}
	log := git(t, filepath.Join(work, "clone"), "log", "--format=%an <%ae>|%s", "--", "WMO-loket/Ontwerp.md")
	want := "Bram Jansen <bram@example.nl>|Bewerking Bram Jansen\nAnna de Vries <anna@example.nl>|Bewerking Anna de Vries\nwikiwerk <wikiwerk@localhost>|Startpagina's van de wiki\n"
	if log != want {
		t.Fatalf("git log:\n%s\nwant:\n%s", log, want)
	}

	// A restart serves the same wiki without seeding again.
	srv = start(t, bin, "-addr", "127.0.0.1:0", "-data", data, "-anonymous-edits=true")
	if revision() != revs[1] {
		t.Fatal("restart lost the latest revision")
	}
	if n := strings.Count(git(t, repo, "log", "--oneline", "main"), "\n"); n != 3 {
		t.Fatalf("after restart main has %d commits, want 3", n)
	}
	srv.stop(t)
}

// formClient is a browser for form posts: it keeps cookies, does not
// follow redirects, and returns the CSRF token of the page at u.
func formClient(t *testing.T, u string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on %s (%d)", u, resp.StatusCode)
	}
	return client, html.UnescapeString(string(m[1]))
}
