package gitsync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/gitsync"
)

func startMirror(t *testing.T, tw *testWiki, g *gitRemote, token string) *gitsync.Mirror {
	t.Helper()
	rem, err := gitsync.ParseRemote(g.url, token)
	if err != nil {
		t.Fatal(err)
	}
	m := gitsync.NewMirror(gitsync.MirrorOptions{
		Repo: tw.repo, Remote: rem, StatePath: filepath.Join(tw.data, "mirror.json"),
		MaxBackoff: 200 * time.Millisecond, Interval: 100 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); m.Close() })
	return m
}

func syncMirror(t *testing.T, m *gitsync.Mirror) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Subscription().Sync(ctx); err != nil {
		t.Fatalf("mirror did not catch up: %v (status %+v)", err, m.Status())
	}
}

// TestMirrorAfterEveryChange: a web save and a git push to the wiki each
// reach the organisation's server, which then holds exactly the wiki's
// main, and git fsck is clean on both.
func TestMirrorAfterEveryChange(t *testing.T) {
	tw := newTestWiki(t)
	g := newGitRemote(t, "s3cret-token")
	m := startMirror(t, tw, g, g.token)
	syncMirror(t, m)
	if got, want := g.head(t), tw.head(t); got != want {
		t.Fatalf("remote main = %q after start, want %s", got, want)
	}

	tw.save(t, "WMO/Ontwerp", ontwerp+"regel 8\n")
	syncMirror(t, m)
	if got, want := g.head(t), tw.head(t); got != want {
		t.Fatalf("remote main = %q after a save, want %s", got, want)
	}

	// A git push to the wiki, from a clone.
	work := filepath.Join(t.TempDir(), "work")
	mustGit(t, filepath.Dir(work), "clone", "-q", tw.serve(t), work)
	if err := os.WriteFile(filepath.Join(work, "Nieuw.md"), []byte("# Nieuw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGitAs(t, "Piet Pusher", work, "add", "-A")
	mustGitAs(t, "Piet Pusher", work, "commit", "-q", "-m", "Nieuwe pagina")
	mustGitAs(t, "Piet Pusher", work, "push", "-q", "origin", "main")
	syncMirror(t, m)
	head := tw.head(t)
	if got := g.head(t); got != head {
		t.Fatalf("remote main = %q after a push, want %s", got, head)
	}
	if who := mustGit(t, g.dir, "log", "-1", "--format=%an", "main"); strings.TrimSpace(who) != "Piet Pusher" {
		t.Errorf("remote's last author = %q", who)
	}
	st := m.Status()
	if st.LastError != "" || st.Pushed != head || st.LastSuccess.IsZero() || st.Pending != 0 {
		t.Errorf("status after success = %+v", st)
	}
	mustGit(t, g.dir, "fsck", "--strict", "--no-progress")
	tw.fsck(t)

	// The checkpoint survives a restart: a new mirror starts from it and
	// pushes nothing.
	pushes := g.pushes.Load()
	m.Close()
	m2 := startMirror(t, tw, g, g.token)
	syncMirror(t, m2)
	if m2.Status().Pushed != head {
		t.Errorf("restarted mirror's checkpoint = %q, want %s", m2.Status().Pushed, head)
	}
	if n := g.pushes.Load(); n != pushes {
		t.Errorf("the restarted mirror pushed again (%d pushes, had %d)", n, pushes)
	}
}

// TestMirrorCatchesUpAfterOutage: while the remote answers 503 the mirror
// reports the error and retries; once the remote is back every change made
// meanwhile reaches it.
func TestMirrorCatchesUpAfterOutage(t *testing.T) {
	tw := newTestWiki(t)
	g := newGitRemote(t, "tok")
	m := startMirror(t, tw, g, g.token)
	syncMirror(t, m)
	before := g.head(t)

	g.down.Store(true)
	tw.save(t, "Home", "# Welkom\n\neen\n")
	tw.save(t, "Home", "# Welkom\n\neen\ntwee\n")
	eventually(t, "the mirror reports failures", func() bool { return m.Status().Failures >= 2 })
	st := m.Status()
	if !strings.Contains(st.LastError, "503") || st.NextRetry.IsZero() || st.Pending != 2 {
		t.Errorf("status while down = %+v", st)
	}
	if got := g.head(t); got != before {
		t.Fatalf("remote moved while down: %s", got)
	}

	g.down.Store(false)
	want := tw.head(t)
	eventually(t, "the mirror catches up", func() bool { return g.head(t) == want })
	syncMirror(t, m)
	if st := m.Status(); st.LastError != "" || st.Failures != 0 || st.Pending != 0 {
		t.Errorf("status after recovery = %+v", st)
	}
	mustGit(t, g.dir, "fsck", "--strict", "--no-progress")
}

// TestMirrorNeverForces: someone pushed to the organisation's server
// directly; the mirror reports that main diverged and leaves the remote's
// commits alone.
func TestMirrorNeverForces(t *testing.T) {
	tw := newTestWiki(t)
	g := newGitRemote(t, "tok")
	m := startMirror(t, tw, g, g.token)
	syncMirror(t, m)

	other := filepath.Join(t.TempDir(), "other")
	mustGit(t, filepath.Dir(other), "clone", "-q", g.authURL(), other)
	if err := os.WriteFile(filepath.Join(other, "Elders.md"), []byte("# Elders\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGitAs(t, "Eva Elders", other, "add", "-A")
	mustGitAs(t, "Eva Elders", other, "commit", "-q", "-m", "Direct op de server")
	mustGitAs(t, "Eva Elders", other, "push", "-q", "origin", "main")
	theirs := g.head(t)

	tw.save(t, "Home", "# Welkom\n\nintussen\n")
	eventually(t, "the mirror reports the divergence", func() bool { return m.Status().Diverged })
	if got := g.head(t); got != theirs {
		t.Fatalf("the remote's main was overwritten: %s, want %s", got, theirs)
	}
	st := m.Status()
	if !strings.Contains(st.LastError, "not overwriting") || st.Pending == 0 {
		t.Errorf("status = %+v", st)
	}
	// It stays that way: retries do not force either.
	time.Sleep(500 * time.Millisecond)
	if got := g.head(t); got != theirs {
		t.Fatalf("the remote's main was overwritten on a retry: %s", got)
	}
}

// TestMirrorWrongToken: the remote refuses the credentials; the error is
// shown without the token.
func TestMirrorWrongToken(t *testing.T) {
	tw := newTestWiki(t)
	g := newGitRemote(t, "right-token")
	m := startMirror(t, tw, g, "wrong-token-value")
	eventually(t, "the mirror reports the refusal", func() bool { return m.Status().Failures > 0 })
	st := m.Status()
	if st.LastError == "" || strings.Contains(st.LastError, "wrong-token-value") || strings.Contains(st.URL, "token") {
		t.Errorf("status = %+v", st)
	}
	if g.head(t) != "" {
		t.Errorf("the remote took a push without the right token")
	}
}

// TestMirrorProposalBranches: branches under refs/heads/voorstel/ are
// pushed too, when they appear and when they move on.
func TestMirrorProposalBranches(t *testing.T) {
	tw := newTestWiki(t)
	g := newGitRemote(t, "tok")
	m := startMirror(t, tw, g, g.token)
	syncMirror(t, m)

	// A proposal branch written into the content repository directly
	// (the proposals code does it through storage).
	work := filepath.Join(t.TempDir(), "work")
	mustGit(t, filepath.Dir(work), "clone", "-q", tw.dir, work)
	if err := os.WriteFile(filepath.Join(work, "Home.md"), []byte("# Welkom\n\nvoorstel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGitAs(t, "Vera Voorstel", work, "commit", "-q", "-am", "Voorstel")
	mustGit(t, work, "push", "-q", "origin", "HEAD:refs/heads/voorstel/1")
	tip := strings.TrimSpace(mustGit(t, work, "rev-parse", "HEAD"))
	eventually(t, "the proposal reaches the remote", func() bool { return g.ref(t, "refs/heads/voorstel/1") == tip })

	mustGitAs(t, "Vera Voorstel", work, "commit", "-q", "--allow-empty", "-m", "Nog een")
	mustGit(t, work, "push", "-q", "origin", "HEAD:refs/heads/voorstel/1")
	tip = strings.TrimSpace(mustGit(t, work, "rev-parse", "HEAD"))
	eventually(t, "the proposal's new commit reaches the remote", func() bool { return g.ref(t, "refs/heads/voorstel/1") == tip })
	if m.Status().Branches != 1 {
		t.Errorf("status = %+v", m.Status())
	}

	// Someone moves the proposal on the remote directly: the mirror does
	// not overwrite it, reports it, and main keeps being mirrored.
	other := filepath.Join(t.TempDir(), "other")
	mustGit(t, filepath.Dir(other), "clone", "-q", "-b", "voorstel/1", g.authURL(), other)
	mustGitAs(t, "Eva Elders", other, "commit", "-q", "--allow-empty", "-m", "Elders")
	mustGitAs(t, "Eva Elders", other, "push", "-q", "origin", "voorstel/1")
	theirs := g.ref(t, "refs/heads/voorstel/1")
	mustGitAs(t, "Vera Voorstel", work, "commit", "-q", "--allow-empty", "-m", "En nog een")
	mustGit(t, work, "push", "-q", "origin", "HEAD:refs/heads/voorstel/1")
	tw.save(t, "Home", "# Welkom\n\nverder\n")
	syncMirror(t, m)
	if got, want := g.head(t), tw.head(t); got != want {
		t.Errorf("remote main = %s, want %s: a diverged proposal held main back", got, want)
	}
	eventually(t, "the diverged proposal is reported", func() bool {
		st := m.Status()
		return st.Diverged && strings.Contains(st.LastError, "voorstel/1")
	})
	if got := g.ref(t, "refs/heads/voorstel/1"); got != theirs {
		t.Errorf("the remote's proposal branch was overwritten: %s, want %s", got, theirs)
	}
	mustGit(t, g.dir, "fsck", "--strict", "--no-progress")
}

// TestMirrorDoesNotFollowRedirectsElsewhere: a remote that redirects to
// another host would carry the token there; the mirror refuses.
func TestMirrorDoesNotFollowRedirectsElsewhere(t *testing.T) {
	tw := newTestWiki(t)
	g := newGitRemote(t, "tok-redirect")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the other host was asked for %s (authorization %v)", r.URL, r.Header.Get("Authorization") != "")
	}))
	t.Cleanup(other.Close)
	// Same IP, another port: another host for HTTP.
	redirect := httptest.NewServer(http.RedirectHandler(other.URL+"/git/org.git/info/refs?service=git-receive-pack", http.StatusFound))
	t.Cleanup(redirect.Close)
	rem, err := gitsync.ParseRemote(redirect.URL+"/git/org.git", g.token)
	if err != nil {
		t.Fatal(err)
	}
	m := gitsync.NewMirror(gitsync.MirrorOptions{Repo: tw.repo, Remote: rem, StatePath: filepath.Join(tw.data, "mirror.json"), MaxBackoff: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); m.Close() })
	eventually(t, "the mirror reports the redirect", func() bool { return strings.Contains(m.Status().LastError, "redirected") })
}
