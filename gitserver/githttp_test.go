package gitserver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestCloneEditPullPush is the round trip of the issue: clone, edit on the
// web, pull only what is new, commit locally and push, and see the pushed
// commits in the wiki with their own author.
func TestCloneEditPullPush(t *testing.T) {
	ts := newTestServer(t)
	for i := range 30 {
		save(t, ts.repo, fmt.Sprintf("Map%d/Pagina %d", i%3, i), strings.Repeat(fmt.Sprintf("Regel %d van pagina %d.\n", i, i), 20))
	}
	work := t.TempDir()
	mustGit(t, work, "clone", ts.url, "kopie")
	clone := filepath.Join(work, "kopie")
	if got, want := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD")), head(t, ts.repo); got != want {
		t.Fatalf("clone HEAD = %s, want %s", got, want)
	}
	if b := strings.TrimSpace(mustGit(t, clone, "symbolic-ref", "HEAD")); b != "refs/heads/main" {
		t.Errorf("clone is on %s, want refs/heads/main", b)
	}
	mustGit(t, clone, "fsck", "--strict")

	// One web edit: a fetch must bring exactly its commit, two trees and
	// the blob, and few bytes.
	save(t, ts.repo, "Map1/Pagina 4", "Nieuwe tekst.\n")
	before := ts.bytes.Load()
	_, stderr, err := runGit(t, clone, "pull", "--ff-only", "--progress")
	if err != nil {
		t.Fatalf("pull: %v\n%s", err, stderr)
	}
	fetched := ts.bytes.Load() - before
	if !strings.Contains(stderr, "Total 4 ") {
		t.Errorf("pull after one edit did not receive exactly 4 objects:\n%s", stderr)
	}
	if fetched > 2000 {
		t.Errorf("pull after one edit transferred %d bytes, want < 2000", fetched)
	}
	t.Logf("fetch after one edit: %d bytes\n%s", fetched, stderr)
	if got, want := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD")), head(t, ts.repo); got != want {
		t.Fatalf("after pull HEAD = %s, want %s", got, want)
	}

	// Two local commits, pushed.
	writeFile(t, filepath.Join(clone, "Map1", "Pagina 4.md"), "Nieuwe tekst.\nOffline aangevuld.\n")
	mustGit(t, clone, "commit", "-am", "Aanvulling")
	writeFile(t, filepath.Join(clone, "Nieuw", "Offline.md"), "# Offline\n\nGeschreven in de trein.\n")
	writeFile(t, filepath.Join(clone, "Nieuw", "plaatje.png"), "\x89PNG\r\n\x1a\nnot really")
	mustGit(t, clone, "add", ".")
	mustGit(t, clone, "commit", "-m", "Nieuwe pagina")
	_, stderr, err = runGit(t, clone, "push", "--progress", "origin", "main")
	if err != nil {
		t.Fatalf("push: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "remote: wikiwerk: main updated with 2 new commit(s)") {
		t.Errorf("push output lacks the wiki's message:\n%s", stderr)
	}
	local := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD"))
	if h := head(t, ts.repo); h != local {
		t.Fatalf("wiki head = %s after push, want %s", h, local)
	}
	ctx := context.Background()
	p, err := ts.repo.ReadPage(ctx, wiki.MustParseName("Nieuw/Offline"), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(p.Content), "trein") || p.Revision.Author.Name != "Pia Pusher" || p.Revision.Author.Email != "pia@example.nl" {
		t.Errorf("pushed page = %q by %+v", p.Content, p.Revision.Author)
	}
	hist, err := ts.repo.History(ctx, wiki.MustParseName("Map1/Pagina 4"), wiki.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) < 2 || hist[0].Author.Name != "Pia Pusher" || hist[0].Message != "Aanvulling" || hist[1].Author.Name != "Willem Web" {
		t.Errorf("history after push = %+v", hist)
	}
	fsck(t, ts.dir)

	// And the web can go on editing on top of the push.
	save(t, ts.repo, "Nieuw/Offline", "Op het web verder.\n")
	mustGit(t, clone, "pull", "--ff-only")
	fsck(t, ts.dir)
}

func fsck(t *testing.T, gitDir string) {
	t.Helper()
	out, stderr, err := runGit(t, gitDir, "fsck", "--strict", "--no-dangling")
	if err != nil || strings.TrimSpace(out+stderr) != "" {
		t.Fatalf("git fsck --strict: %v\n%s%s", err, out, stderr)
	}
}

// TestProtocolV2ClientFallsBack: git asking for protocol version 2 gets
// version 0 and carries on.
func TestProtocolV2ClientFallsBack(t *testing.T) {
	ts := newTestServer(t)
	save(t, ts.repo, "Home", "Welkom.\n")
	work := t.TempDir()
	mustGit(t, work, "-c", "protocol.version=2", "clone", "-q", ts.url, "kopie")
	clone := filepath.Join(work, "kopie")
	save(t, ts.repo, "Home", "Welkom terug.\n")
	mustGit(t, clone, "-c", "protocol.version=2", "pull", "-q", "--ff-only")
	if got, want := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD")), head(t, ts.repo); got != want {
		t.Fatalf("HEAD = %s, want %s", got, want)
	}
}

// TestShallowCloneRefusedCleanly: --depth is not offered, and git says so.
func TestShallowCloneRefusedCleanly(t *testing.T) {
	ts := newTestServer(t)
	save(t, ts.repo, "Home", "Welkom.\n")
	work := t.TempDir()
	_, stderr, err := runGit(t, work, "clone", "--depth", "1", ts.url, "kopie")
	if err == nil {
		t.Fatal("shallow clone succeeded")
	}
	if !strings.Contains(stderr, "does not support shallow") {
		t.Errorf("unclear error for --depth:\n%s", stderr)
	}
}

// TestFetchOptionsAndErrors sends requests that git does not make by
// default: no side-band or ofs-delta, unknown wants, shallow requests, dumb
// HTTP.
func TestFetchOptionsAndErrors(t *testing.T) {
	ts := newTestServer(t)
	for i := range 10 {
		save(t, ts.repo, fmt.Sprintf("P%d", i), strings.Repeat("x\n", i+1))
	}
	h := head(t, ts.repo)
	post := func(body string) (int, string) {
		resp, err := http.Post(ts.url+"/git-upload-pack", "application/x-git-upload-pack-request", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	pkt := func(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }
	// No side-band: NAK, then the raw pack.
	code, body := post(pkt("want "+h+"\n") + "0000" + pkt("done\n"))
	if code != 200 || !strings.HasPrefix(body, "0008NAK\nPACK") {
		t.Errorf("plain fetch: %d %.40q", code, body)
	}
	// A want that main never pointed at.
	code, body = post(pkt("want "+strings.Repeat("1", 40)+" side-band-64k\n") + "0000" + pkt("done\n"))
	if code != 200 || !strings.Contains(body, "ERR upload-pack: not our ref") {
		t.Errorf("unknown want: %d %q", code, body)
	}
	// Shallow requests are refused in-band.
	code, body = post(pkt("want "+h+"\n") + pkt("deepen 1\n") + "0000" + pkt("done\n"))
	if !strings.Contains(body, "ERR shallow clones") {
		t.Errorf("deepen: %d %q", code, body)
	}
	// Dumb HTTP and unknown paths.
	for _, p := range []string{"/info/refs", "/HEAD", "/objects/info/packs"} {
		resp, err := http.Get(ts.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// TestClonesAfterEditsAndRepacks clones again and again while the wiki
// changes and is repacked underneath (later clones build on what the
// first one walked), and checks every clone with git fsck.
func TestClonesAfterEditsAndRepacks(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for i := range 20 {
		save(t, ts.repo, fmt.Sprintf("Map%d/Pagina", i%3), fmt.Sprintf("versie %d\n", i))
	}
	work := t.TempDir()
	for round := range 4 {
		dest := fmt.Sprintf("kopie%d", round)
		mustGit(t, work, "clone", "-q", ts.url, dest)
		clone := filepath.Join(work, dest)
		mustGit(t, clone, "fsck", "--strict", "--no-dangling")
		if got, want := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD")), head(t, ts.repo); got != want {
			t.Fatalf("round %d: clone at %s, want %s", round, got, want)
		}
		for i := range 5 {
			save(t, ts.repo, fmt.Sprintf("Map%d/Pagina", i%3), fmt.Sprintf("ronde %d versie %d\n", round, i))
		}
		switch round {
		case 1:
			if _, err := ts.repo.PackLooseObjects(ctx); err != nil {
				t.Fatal(err)
			}
		case 2:
			if _, err := ts.repo.PackLooseObjects(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := ts.repo.ConsolidatePacks(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	fsck(t, ts.dir)
}
