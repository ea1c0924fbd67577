package gitsync_test

import (
	"bytes"
	"context"
	"crypto/subtle"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/gitserver"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// gitRemote is a bare repository served by git's own http-backend (run as
// CGI), as GitLab or Gitea would serve it: it asks for HTTP Basic with the
// token as password, and can be switched off (503) to play a remote that
// is down.
type gitRemote struct {
	dir   string
	url   string
	token string
	down  atomic.Bool
	// pushes counts receive-pack requests that reached git.
	pushes atomic.Int64
}

func newGitRemote(t *testing.T, token string) *gitRemote {
	t.Helper()
	needGit(t)
	root := t.TempDir()
	g := &gitRemote{dir: filepath.Join(root, "org.git"), token: token}
	mustGit(t, root, "init", "-q", "--bare", "-b", "main", g.dir)
	mustGit(t, g.dir, "config", "http.receivepack", "true")
	backend := &cgi.Handler{
		Path: gitHTTPBackend(t),
		Root: "/git",
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		_, pass, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(pass), []byte(g.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="org"`)
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			g.pushes.Add(1)
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.url = srv.URL + "/git/org.git"
	return g
}

// authURL is the remote's address with the token in it, for the git CLI.
func (g *gitRemote) authURL() string {
	return strings.Replace(g.url, "http://", "http://org:"+g.token+"@", 1)
}

// head returns the commit of the remote's main, "" when it has none.
func (g *gitRemote) head(t *testing.T) string {
	t.Helper()
	out, _, err := runGit(t, g.dir, "rev-parse", "--verify", "-q", "refs/heads/main")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

func (g *gitRemote) ref(t *testing.T, name string) string {
	t.Helper()
	out, _, err := runGit(t, g.dir, "rev-parse", "--verify", "-q", name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

func gitHTTPBackend(t *testing.T) string {
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(p); err != nil {
		t.Skip("git-http-backend is not installed")
	}
	return p
}

func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
}

// gitAs runs git in dir as the given author, isolated from the user's
// configuration.
func gitAs(t testing.TB, who, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	email := strings.ToLower(strings.ReplaceAll(who, " ", ".")) + "@example.nl"
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"),
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME="+who, "GIT_AUTHOR_EMAIL="+email,
		"GIT_COMMITTER_NAME="+who, "GIT_COMMITTER_EMAIL="+email,
		"LC_ALL=C",
	)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

func runGit(t testing.TB, dir string, args ...string) (string, string, error) {
	t.Helper()
	out, err := gitAs(t, "Test Runner", dir, args...)
	return out, "", err
}

func mustGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return mustGitAs(t, "Test Runner", dir, args...)
}

func mustGitAs(t testing.TB, who, dir string, args ...string) string {
	t.Helper()
	out, err := gitAs(t, who, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// testWiki is a content repository with seed pages, and the wiki on it.
type testWiki struct {
	repo *storage.Repo
	dir  string
	data string
	w    *wiki.Wiki
}

const ontwerp = "# Ontwerp\n\nregel 1\nregel 2\nregel 3\nregel 4\nregel 5\nregel 6\nregel 7\n"

func newTestWiki(t *testing.T) *testWiki {
	t.Helper()
	data := t.TempDir()
	dir := filepath.Join(data, "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	_, err = repo.Commit(context.Background(), wiki.Commit{
		Author:  wiki.Author{Name: "wikiwerk", Email: "wikiwerk@localhost"},
		Message: "Seed",
		Changes: []wiki.Change{
			{Name: "Home", Content: []byte("# Welkom\n")},
			{Name: "WMO/Ontwerp", Content: []byte(ontwerp)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testWiki{repo: repo, dir: dir, data: data, w: wiki.New(repo, wiki.Options{})}
}

func (tw *testWiki) head(t *testing.T) string {
	t.Helper()
	_, h, err := tw.repo.Branch()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// save saves a page on the web's path (wiki.Save), as Anna.
func (tw *testWiki) save(t *testing.T, name, content string) string {
	t.Helper()
	ctx := context.Background()
	n := wiki.Name(name)
	base := ""
	if p, err := tw.repo.ReadPage(ctx, n, ""); err == nil {
		base = p.Revision.ID
	}
	res, err := tw.w.Save(ctx, wiki.Save{Name: n, Content: []byte(content), Base: base, Author: wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"}})
	if err != nil {
		t.Fatalf("save %s: %v", name, err)
	}
	return res.Revision
}

func (tw *testWiki) page(t *testing.T, name string) string {
	t.Helper()
	p, err := tw.repo.ReadPage(context.Background(), wiki.Name(name), "")
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(p.Content)
}

// serve serves the wiki to git clients (push allowed to anyone).
func (tw *testWiki) serve(t *testing.T) string {
	t.Helper()
	h := gitserver.New(gitserver.Config{Repo: tw.repo, Authorize: func(*http.Request, gitserver.Access) error { return nil }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/wiki.git"
}

// fsck runs git fsck --strict on the content repository.
func (tw *testWiki) fsck(t *testing.T) {
	t.Helper()
	if out, err := gitAs(t, "Test Runner", tw.dir, "fsck", "--strict", "--no-progress"); err != nil {
		t.Fatalf("git fsck --strict: %v\n%s", err, out)
	}
}

// eventually polls cond until it holds, failing after a generous
// deadline (it bounds a hang, not a speed).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
