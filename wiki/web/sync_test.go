package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
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

	"github.com/chromedp/chromedp"

	"github.com/wikiwerk/wikiwerk/gitsync"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// syncGit runs git in dir as "Jan Upstream", isolated from the user's
// configuration.
func syncGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(home, "cfg"),
		"GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Jan Upstream", "GIT_AUTHOR_EMAIL=jan@example.nl",
		"GIT_COMMITTER_NAME=Jan Upstream", "GIT_COMMITTER_EMAIL=jan@example.nl")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newSyncWiki is a wiki with accounts whose upstream (git http-backend)
// holds a change that conflicts with the wiki's, and whose mirror is
// down: the admin page has something to show in every part.
func newSyncWiki(t *testing.T) (*authWiki, *gitsync.Upstream) {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git is not installed")
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("git-http-backend is not installed")
	}
	data := t.TempDir()
	dir := filepath.Join(data, "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const text = "Regel een\nRegel twee\nRegel drie\n"
	if _, err := repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "wikiwerk"}, Message: "seed",
		Changes: []wiki.Change{{Name: "Home", Content: []byte("# Welkom\n")}, {Name: "WMO-loket/Ontwerp", Content: []byte(text)}}}); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	org := filepath.Join(root, "org.git")
	syncGit(t, root, "init", "-q", "--bare", "-b", "main", org)
	syncGit(t, org, "config", "http.receivepack", "true")
	syncGit(t, dir, "push", "-q", org, "main")
	h := &cgi.Handler{Path: backend, Root: "/org", Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	orgSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack" {
			http.Error(w, "maintenance", http.StatusServiceUnavailable) // the mirror is down
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(orgSrv.Close)

	// The conflict: the wiki and the upstream change the same line.
	w := wiki.New(repo, wiki.Options{})
	page, err := repo.ReadPage(ctx, "WMO-loket/Ontwerp", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Save(ctx, wiki.Save{Name: "WMO-loket/Ontwerp", Content: []byte("Regel een\nRegel twee (wiki)\nRegel drie\n"), Base: page.Revision.ID, Author: wiki.Author{Name: "Anna"}}); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "work")
	syncGit(t, filepath.Dir(work), "clone", "-q", org, work)
	if err := os.WriteFile(filepath.Join(work, "WMO-loket", "Ontwerp.md"), []byte("Regel een\nRegel twee (upstream)\nRegel drie\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	syncGit(t, work, "commit", "-q", "-am", "Regel twee anders")
	syncGit(t, work, "push", "-q", "origin", "main")

	rem, err := gitsync.ParseRemote(orgSrv.URL+"/org/org.git", "")
	if err != nil {
		t.Fatal(err)
	}
	up, err := gitsync.NewUpstream(gitsync.UpstreamOptions{Repo: repo, Remote: rem, Dir: filepath.Join(data, "upstream"), Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(up.Status().Notices); n != 1 {
		t.Fatalf("%d notices, want 1", n)
	}
	runCtx, cancel := context.WithCancel(ctx)
	go up.Run(runCtx)
	mirror := gitsync.NewMirror(gitsync.MirrorOptions{Repo: repo, Remote: rem, StatePath: filepath.Join(data, "mirror.json"), MaxBackoff: time.Second})
	if err := mirror.Start(runCtx); err != nil {
		t.Fatal(err)
	}

	store, err := accounts.OpenWith(filepath.Join(t.TempDir(), "accounts.db"), accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []wiki.User{
		{Name: "anna", DisplayName: "Anna de Vries", Role: wiki.RoleEditor},
		{Name: "carla", DisplayName: "Carla Smit", Role: wiki.RoleAdmin},
	} {
		if _, err := store.Create(ctx, u, passwords[u.Name]); err != nil {
			t.Fatal(err)
		}
	}
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{
		Wiki: w, Theme: theme, Accounts: store, Logger: slog.New(slog.DiscardHandler),
		Sync: &web.SyncConfig{Service: gitsync.NewService(mirror, up), HookToken: "hook-token"},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	tw := &testWiki{t: t, srv: srv, repo: repo, dir: dir}
	t.Cleanup(func() { srv.Close(); cancel(); mirror.Close(); repo.Close(); store.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for mirror.Status().Failures == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the mirror did not fail against a remote that is down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &authWiki{testWiki: tw, server: s, accounts: store}, up
}

// TestSyncAdminPage: admins see the mirror's error and the upstream
// change that waits for them, with the conflicting file; others may not
// look; the buttons work without JavaScript.
func TestSyncAdminPage(t *testing.T) {
	aw, up := newSyncWiki(t)
	notice := up.Status().Notices[0]
	if code, _, _ := aw.browser().get("/-/admin/sync"); code != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", code)
	}
	if code, _, _ := aw.signedIn("anna").get("/-/admin/sync"); code != http.StatusForbidden {
		t.Errorf("an editor: %d, want 403", code)
	}
	carla := aw.signedIn("carla")
	code, body, _ := carla.get("/-/admin/sync")
	if code != 200 {
		t.Fatalf("admin: %d\n%s", code, body)
	}
	for _, want := range []string{"Synchronisatie met de git-server", "WMO-loket/Ontwerp.md", notice.Commit[:8], "upstream-conflict/" + notice.Commit[:12],
		"Jan Upstream", "503", "git pull --no-rebase"} {
		if !strings.Contains(body, want) {
			t.Errorf("the admin page lacks %q", want)
		}
	}
	// The state as JSON, for admins only.
	if code, _, _ := aw.signedIn("anna").api("GET", "/-/api/sync", ""); code != http.StatusForbidden {
		t.Errorf("API state for an editor: %d", code)
	}
	code, body, _ = carla.api("GET", "/-/api/sync", "")
	var st struct {
		Mirror   wiki.MirrorStatus
		Upstream wiki.UpstreamStatus
	}
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil || st.Mirror.Failures == 0 || len(st.Upstream.Notices) != 1 {
		t.Errorf("API state: %d %v %s", code, err, body)
	}

	rounds, done := up.Rounds()
	if code, _, hdr := carla.post("/-/admin/sync", url.Values{"action": {"sync"}}); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "done=sync") {
		t.Errorf("fetch now: %d %v", code, hdr)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("fetch now started no round")
	}
	if n, _ := up.Rounds(); n <= rounds {
		t.Errorf("rounds = %d after fetch now, were %d", n, rounds)
	}
	if !aw.audited("sync-now", "upstream", "") {
		t.Error("fetch now is not in the audit log")
	}
	if code, _, _ := carla.post("/-/admin/sync", url.Values{"action": {"explode"}}); code != http.StatusBadRequest {
		t.Errorf("unknown action: %d", code)
	}
	if code, _, _ := aw.signedIn("anna").post("/-/admin/sync", url.Values{"action": {"dismiss"}, "commit": {notice.Commit}}); code != http.StatusForbidden {
		t.Errorf("an editor dismissing: %d", code)
	}
	if code, _, _ := carla.post("/-/admin/sync", url.Values{"action": {"dismiss"}, "commit": {notice.Commit}}); code != http.StatusSeeOther {
		t.Errorf("dismiss: %d", code)
	}
	if n := len(up.Status().Notices); n != 0 {
		t.Errorf("%d notices after dismissing", n)
	}
	if code, _, _ := carla.post("/-/admin/sync", url.Values{"action": {"dismiss"}, "commit": {notice.Commit}}); code != http.StatusNotFound {
		t.Errorf("dismissing again: %d, want 404", code)
	}
	if !aw.audited("sync-dismiss", notice.Commit, "") {
		t.Error("dismissing is not in the audit log")
	}
}

// TestSyncAdminPageHasNoAxeViolations runs axe-core on the admin page with
// a failing mirror and a conflict notice, in Dutch and English.
func TestSyncAdminPageHasNoAxeViolations(t *testing.T) {
	browserCtx := startChromium(t, 2*time.Minute)
	aw, _ := newSyncWiki(t)
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowserTab(t, browserCtx, "Carla")
			b.do(chromedp.Navigate(aw.srv.URL + "/-/lang/" + lang + "?back=/-/login"))
			b.waitFor(`location.pathname === '/-/login' && document.readyState === 'complete'`, "the sign-in form")
			b.set("wwLogin", "carla")
			b.set("wwPassword", passwords["carla"])
			evalJS[bool](b, `(() => { document.querySelector('form.login button[type=submit]').click(); return true; })()`)
			b.waitFor(`location.pathname !== '/-/login' && document.readyState === 'complete'`, "signing in")
			b.do(chromedp.Navigate(aw.srv.URL + "/-/admin/sync"))
			b.waitFor(`!!document.getElementById('wwNotices')`, "the sync page")
			for _, v := range runAxe(t, b) {
				t.Errorf("admin sync page (%s): %s: %s\n    %s", lang, v.ID, v.Help, strings.Join(v.Targets, "\n    "))
			}
		})
	}
}
