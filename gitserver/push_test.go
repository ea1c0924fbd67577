package gitserver_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// cloneOf clones the test server's wiki into a new folder.
func cloneOf(t *testing.T, ts *testServer) string {
	t.Helper()
	work := t.TempDir()
	mustGit(t, work, "clone", "-q", ts.url, "kopie")
	return filepath.Join(work, "kopie")
}

// objectFiles lists the server's object and pack files, to show that a
// refused push leaves nothing behind.
func objectFiles(t *testing.T, gitDir string) string {
	t.Helper()
	var files []string
	err := filepath.Walk(filepath.Join(gitDir, "objects"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, strings.TrimPrefix(p, gitDir))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(files, "\n")
}

// assertRefused pushes from clone and checks that the push fails with the
// wiki's explanation and changes nothing on the server.
func assertRefused(t *testing.T, ts *testServer, clone string, want []string, args ...string) {
	t.Helper()
	headBefore, filesBefore := head(t, ts.repo), objectFiles(t, ts.dir)
	_, stderr, err := runGit(t, clone, append([]string{"push"}, args...)...)
	if err == nil {
		t.Fatalf("push succeeded, want it refused:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("push output lacks %q:\n%s", w, stderr)
		}
	}
	if h := head(t, ts.repo); h != headBefore {
		t.Errorf("main moved from %s to %s", headBefore, h)
	}
	if f := objectFiles(t, ts.dir); f != filesBefore {
		t.Errorf("objects changed:\nbefore:\n%s\nafter:\n%s", filesBefore, f)
	}
	fsck(t, ts.dir)
}

func TestPushRefusesRewrittenHistory(t *testing.T) {
	ts := newTestServer(t)
	save(t, ts.repo, "Home", "Welkom.\n")
	save(t, ts.repo, "Home", "Welkom op de wiki.\n")
	clone := cloneOf(t, ts)
	mustGit(t, clone, "reset", "-q", "--hard", "HEAD~1")
	writeFile(t, filepath.Join(clone, "Home.md"), "Herschreven.\n")
	mustGit(t, clone, "commit", "-qam", "Herschreven geschiedenis")
	assertRefused(t, ts, clone, []string{
		"remote: error: the wiki refused your push to main (non-fast-forward)",
		"run 'git pull'",
		"! [remote rejected] main -> main (non-fast-forward)",
	}, "--force", "origin", "main")
}

func TestPushRefusesInvalidContent(t *testing.T) {
	ts := newTestServer(t)
	save(t, ts.repo, "Home", "Welkom.\n")
	save(t, ts.repo, "Beleid/Zorg", "Zorg.\n")
	cases := []struct {
		name  string
		edit  func(t *testing.T, clone string)
		wants []string
	}{
		{"reserved first part", func(t *testing.T, c string) { writeFile(t, filepath.Join(c, "-", "x.md"), "x\n") },
			[]string{`"-/x.md" is not a valid page name`, `"-" is reserved`, "(invalid page name)"}},
		{"windows character", func(t *testing.T, c string) { writeFile(t, filepath.Join(c, "Bad:Name.md"), "x\n") },
			[]string{`"Bad:Name.md"`, `':'`}},
		{"hidden folder", func(t *testing.T, c string) { writeFile(t, filepath.Join(c, ".hidden", "x.md"), "x\n") },
			[]string{`".hidden"`, `may not start with "."`}},
		{"control character", func(t *testing.T, c string) { writeFile(t, filepath.Join(c, "a\x01b.md"), "x\n") },
			[]string{"control character"}},
		{"name ending in .git", func(t *testing.T, c string) { writeFile(t, filepath.Join(c, "Beleid", "repo.git"), "x\n") },
			[]string{`"Beleid/repo.git"`, `ends in ".git"`}},
		{"not UTF-8", func(t *testing.T, c string) { writeFile(t, filepath.Join(c, "Latin1.md"), "caf\xe9\n") },
			[]string{`page "Latin1.md" is not valid UTF-8`, "(invalid UTF-8)"}},
		{"page too large", func(t *testing.T, c string) {
			writeFile(t, filepath.Join(c, "Groot.md"), strings.Repeat("abcdefghi\n", 110000))
		}, []string{`"Groot.md" is 1.0 MiB; a page may be at most 1.0 MiB`, "(file too large)"}},
		{"symbolic link", func(t *testing.T, c string) {
			if err := os.Symlink("Home.md", filepath.Join(c, "Link.md")); err != nil {
				t.Skip(err)
			}
		}, []string{`"Link.md" is a symbolic link`}},
		{"case collision", func(t *testing.T, c string) { writeFile(t, filepath.Join(c, "beleid", "zorg.md"), "x\n") },
			[]string{`"beleid/zorg" differs from the page "Beleid/Zorg" only in letter case`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clone := cloneOf(t, ts)
			writeFile(t, filepath.Join(clone, "Home.md"), "Welkom, met een goede wijziging.\n")
			mustGit(t, clone, "commit", "-qam", "Goede wijziging")
			c.edit(t, clone)
			mustGit(t, clone, "add", "-A")
			mustGit(t, clone, "commit", "-qm", "Slechte wijziging")
			assertRefused(t, ts, clone, append(c.wants, "Nothing was changed in the wiki."), "origin", "main")
		})
	}
}

func TestPushRefusesOtherRefs(t *testing.T) {
	ts := newTestServer(t)
	save(t, ts.repo, "Home", "Welkom.\n")
	clone := cloneOf(t, ts)
	assertRefused(t, ts, clone, []string{"(only refs/heads/main)"}, "origin", "main:refs/heads/ander")
	// No delete-refs capability: git refuses the deletion itself.
	assertRefused(t, ts, clone, []string{"! [remote rejected] main"}, "origin", ":main")
}

func TestPushForbiddenWithoutEditPermission(t *testing.T) {
	ts := newTestServer(t)
	save(t, ts.repo, "Home", "Welkom.\n")
	clone := cloneOf(t, ts)
	writeFile(t, filepath.Join(clone, "Home.md"), "Anders.\n")
	mustGit(t, clone, "commit", "-qam", "Wijziging")
	ts.pushAllowed.Store(false)
	assertRefused(t, ts, clone, []string{"403", "remote: pushing is switched off"}, "origin", "main")
	// Reading stays open.
	mustGit(t, clone, "fetch", "-q")
}

// TestPushIntoEmptyWiki pushes the first commit of a wiki.
func TestPushIntoEmptyWiki(t *testing.T) {
	ts := newTestServer(t)
	work := t.TempDir()
	_, stderr, err := runGit(t, work, "clone", ts.url, "kopie")
	if err != nil || !strings.Contains(stderr, "empty repository") {
		t.Fatalf("clone of an empty wiki: %v\n%s", err, stderr)
	}
	clone := filepath.Join(work, "kopie")
	writeFile(t, filepath.Join(clone, "Home.md"), "# Welkom\n")
	mustGit(t, clone, "add", ".")
	mustGit(t, clone, "commit", "-qm", "Eerste pagina")
	mustGit(t, clone, "push", "-q", "origin", "HEAD:main")
	p, err := ts.repo.ReadPage(context.Background(), wiki.MustParseName("Home"), "")
	if err != nil || string(p.Content) != "# Welkom\n" {
		t.Fatalf("page after first push: %v %v", p, err)
	}
	fsck(t, ts.dir)
}

// TestPushRacingWebSaves pushes while twenty web saves, merged or refused
// with a conflict, hit the same page and others: every acknowledged save
// and the pushed commit must end up in main's history.
func TestPushRacingWebSaves(t *testing.T) {
	ts := newTestServer(t)
	var lines []string
	for i := range 100 {
		lines = append(lines, fmt.Sprintf("regel %d", i))
	}
	save(t, ts.repo, "Gedeeld", strings.Join(lines, "\n")+"\n")
	w := wiki.New(ts.repo, wiki.Options{})
	ctx := context.Background()
	start, err := w.Page(ctx, wiki.MustParseName("Gedeeld"), "")
	if err != nil {
		t.Fatal(err)
	}

	clone := cloneOf(t, ts)
	mustGit(t, clone, "config", "pull.rebase", "false")
	local := append([]string{}, lines...)
	local[1] = "regel 1, offline bewerkt"
	writeFile(t, filepath.Join(clone, "Gedeeld.md"), strings.Join(local, "\n")+"\n")
	writeFile(t, filepath.Join(clone, "Gepusht.md"), "Uit git.\n")
	mustGit(t, clone, "add", ".")
	mustGit(t, clone, "commit", "-qm", "Offline werk")
	pushed := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD"))

	type outcome struct {
		line     string
		page     wiki.Name
		conflict bool
	}
	results := make([]outcome, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				// A stale edit of the shared page: merged with whatever
				// came in meanwhile, the push included.
				mine := append([]string{}, lines...)
				mine[10+4*i] = fmt.Sprintf("regel %d, op het web bewerkt", 10+4*i)
				_, err := w.Save(ctx, wiki.Save{Name: start.Name, Content: []byte(strings.Join(mine, "\n") + "\n"),
					Base: start.Revision.ID, Author: wiki.Author{Name: fmt.Sprintf("Web %d", i)}})
				var ce *wiki.ConflictError
				switch {
				case errors.As(err, &ce):
					results[i].conflict = true
				case err != nil:
					t.Errorf("save %d: %v", i, err)
				default:
					results[i].line = mine[10+4*i]
				}
				return
			}
			n := wiki.MustParseName(fmt.Sprintf("Web/Pagina %d", i))
			if _, err := w.Save(ctx, wiki.Save{Name: n, Content: []byte("Van het web.\n"), Author: wiki.Author{Name: "Web"}}); err != nil {
				t.Errorf("save %d: %v", i, err)
				return
			}
			results[i].page = n
		}()
	}
	// Push until it goes in: each refusal ("fetch first", on the client
	// or the server) is answered with a pull that merges the web's saves.
	ok := false
	for attempt := 0; attempt < 30 && !ok; attempt++ {
		if _, stderr, err := runGit(t, clone, "push", "origin", "main"); err == nil {
			ok = true
		} else if !strings.Contains(stderr, "fetch first") && !strings.Contains(stderr, "non-fast-forward") {
			t.Fatalf("push refused for another reason:\n%s", stderr)
		} else {
			mustGit(t, clone, "pull", "-q", "--no-edit")
		}
	}
	wg.Wait()
	if !ok {
		t.Fatal("the push never went in")
	}
	if _, _, err := runGit(t, ts.dir, "merge-base", "--is-ancestor", pushed, "main"); err != nil {
		t.Errorf("pushed commit %s is not in main's history", pushed)
	}
	final, err := w.Page(ctx, wiki.MustParseName("Gedeeld"), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(final.Content), "regel 1, offline bewerkt") {
		t.Errorf("the pushed edit is lost:\n%s", final.Content)
	}
	saved := 0
	for i, r := range results {
		switch {
		case r.line != "":
			saved++
			if !strings.Contains(string(final.Content), r.line) {
				t.Errorf("save %d (%q) is lost", i, r.line)
			}
		case r.page != "":
			saved++
			if _, err := w.Page(ctx, r.page, ""); err != nil {
				t.Errorf("save %d (%s) is lost: %v", i, r.page, err)
			}
		}
	}
	if _, err := w.Page(ctx, wiki.MustParseName("Gepusht"), ""); err != nil {
		t.Errorf("pushed page is missing: %v", err)
	}
	t.Logf("%d of 20 saves acknowledged, the rest refused with a conflict", saved)
	fsck(t, ts.dir)
}

// hashObject writes a raw object into the clone with git hash-object
// --literally, which skips git's own checks, as a hostile client could.
func hashObject(t *testing.T, dir, typ string, data []byte) string {
	t.Helper()
	cmd := exec.Command("git", "hash-object", "-t", typ, "-w", "--stdin", "--literally")
	cmd.Dir = dir
	cmd.Env = gitEnv(filepath.Dir(dir))
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git hash-object: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// rawTree builds a tree object from mode, name, id triples, which must be
// in git's order.
func rawTree(entries ...string) []byte {
	var b bytes.Buffer
	for i := 0; i+2 < len(entries); i += 3 {
		id, _ := hex.DecodeString(entries[i+2])
		fmt.Fprintf(&b, "%s %s\x00", entries[i], entries[i+1])
		b.Write(id)
	}
	return b.Bytes()
}

// TestPushRefusesHostileObjects pushes with git objects that git's own
// commands would not write: each push is refused with the wiki's reason
// shown as "remote:" lines, and changes nothing.
func TestPushRefusesHostileObjects(t *testing.T) {
	ts := newTestServer(t)
	save(t, ts.repo, "Home", "Welkom.\n")
	clone := cloneOf(t, ts)
	parent := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD"))
	blob := hashObject(t, clone, "blob", []byte("Welkom.\n"))
	badURL := hashObject(t, clone, "blob", []byte("[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch${IFS}/tmp/pwned\n"))
	sub := hashObject(t, clone, "tree", rawTree("100644", "a.md", blob))
	ident := "Pia Pusher <pia@example.nl> 1700000000 +0100"
	commit := func(tree, author, message string) string {
		return hashObject(t, clone, "commit", []byte("tree "+tree+"\nparent "+parent+"\nauthor "+author+"\ncommitter "+ident+"\n\n"+message))
	}
	home := hashObject(t, clone, "tree", rawTree("100644", "Home.md", blob))
	cases := []struct {
		name, commit string
		wants        []string
	}{
		{"NUL in the author's name", commit(home, "Pia\x00Root <pia@example.nl> 1700000000 +0100", "x\n"),
			[]string{"(bad commit)", "nulInHeader"}},
		{"NUL in the message", commit(home, ident, "x\x00y\n"), []string{"(bad commit)", "nulInCommit"}},
		{"GITMOD~1", commit(hashObject(t, clone, "tree", rawTree("100644", "GITMOD~1", badURL, "100644", "Home.md", blob)), ident, "x\n"),
			[]string{"(invalid page name)", `"GITMOD~1" is not a valid name for the wiki`, `".gitmodules"`}},
		{"git~1 folder", commit(hashObject(t, clone, "tree", rawTree("100644", "Home.md", blob, "40000", "git~1", sub)), ident, "x\n"),
			[]string{"(bad tree)", `"git~1"`, `".git"`}},
		{"name of 256 bytes", commit(hashObject(t, clone, "tree", rawTree("100644", "Home.md", blob, "100644", strings.Repeat("x", 252)+".png", blob)), ident, "x\n"),
			[]string{"(invalid page name)", "at most 255 bytes"}},
		{"attachments differing in case", commit(hashObject(t, clone, "tree", rawTree("100644", "A.png", blob, "100644", "Home.md", blob, "100644", "a.png", blob)), ident, "x\n"),
			[]string{"(name taken)", `"A.png" and "a.png" differ only in letter case`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustGit(t, clone, "update-ref", "refs/heads/main", c.commit)
			assertRefused(t, ts, clone, append(c.wants, "remote: error: the wiki refused your push to main", "Nothing was changed in the wiki."), "origin", "main")
		})
	}
}
