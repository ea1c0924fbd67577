package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// storm is a set of writers saving their own pages as fast as the server
// lets them, each from the revision it saved last.
type storm struct {
	mu   sync.Mutex
	acks []stormAck
	stop chan struct{}
	wg   sync.WaitGroup
}

// stormAck is one acknowledged save.
type stormAck struct {
	page, content, revision string
}

func startStorm(base string, writers int) *storm {
	s := &storm{stop: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second}
	for w := range writers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			page := fmt.Sprintf("Storm/Schrijver %02d", w)
			rev := ""
			for i := 0; ; i++ {
				select {
				case <-s.stop:
					return
				default:
				}
				content := fmt.Sprintf("# Schrijver %d\n\nVersie %d.\n", w, i)
				got, _, _ := apiPut(client, base, strings.ReplaceAll(page, " ", "%20"), content, rev, fmt.Sprintf("Schrijver%d", w))
				if got == "" {
					continue
				}
				rev = got
				s.mu.Lock()
				s.acks = append(s.acks, stormAck{page: page, content: content, revision: got})
				s.mu.Unlock()
			}
		}()
	}
	return s
}

// acked returns the saves acknowledged so far.
func (s *storm) acked() []stormAck {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stormAck(nil), s.acks...)
}

func (s *storm) end() {
	close(s.stop)
	s.wg.Wait()
}

// TestBackupDuringWriteStorm backs up the running wiki while 20 writers
// save, restores the archive into a new folder and finds there every
// save acknowledged before the backup started, a repository git fsck
// --strict passes, a clean wikiwerk check, and the accounts: the user
// signs in on a server started on the restored folder, which builds its
// indexes and becomes ready.
func TestBackupDuringWriteStorm(t *testing.T) {
	t.Setenv("WIKIWERK_LANG", "en")
	data := t.TempDir()
	srv := startOpsServer(t, nil, "-data", data, "-anonymous-edits=true")
	mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", data, "-role", "editor", "bea")

	st := startStorm(srv.url, 20)
	for deadline := time.Now().Add(30 * time.Second); len(st.acked()) < 40; {
		if time.Now().After(deadline) {
			st.end()
			t.Fatalf("only %d saves acknowledged in 30 seconds", len(st.acked()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := st.acked()
	archive := filepath.Join(t.TempDir(), "wiki.tar.gz")
	t0 := time.Now()
	out := mustRun(t, "", "backup", "-data", data, "-to", archive)
	took := time.Since(t0)
	during := len(st.acked()) - len(before)
	st.end()
	t.Logf("%d saves acknowledged before the backup, %d in the %v it ran, %d in all\n%s", len(before), during, took, len(st.acked()), out)
	if !strings.Contains(out, "accounts: from the running wiki") {
		t.Errorf("backup output:\n%s", out)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	out = mustRun(t, "", "restore", "-from", archive, "-data", restored)
	if !strings.Contains(out, "Check: all is well") {
		t.Errorf("restore output:\n%s", out)
	}
	repo := filepath.Join(restored, "content.git")
	if out, err := gitAs(t, repo, "fsck", "--strict", "--no-dangling"); err != nil || out != "" {
		t.Fatalf("git fsck --strict on the restored repository: %v\n%s", err, out)
	}
	for _, a := range before {
		if out, err := gitAs(t, repo, "merge-base", "--is-ancestor", a.revision, "main"); err != nil {
			t.Fatalf("the save of %s at %s is not in the restored main: %v %s", a.page, a.revision, err, out)
		}
		got, err := gitAs(t, repo, "show", a.revision+":"+a.page+".md")
		if err != nil || got != a.content {
			t.Fatalf("%s at %s: %q, want %q (%v)", a.page, a.revision, got, a.content, err)
		}
	}
	if code, out, errOut := wikiwerk(t, "", "check", "-data", restored); code != 0 {
		t.Fatalf("wikiwerk check on the restored folder: %d\n%s%s", code, out, errOut)
	}
	for _, name := range []string{"csrf.key"} {
		a, _ := os.ReadFile(filepath.Join(data, name))
		b, err := os.ReadFile(filepath.Join(restored, name))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s not restored as it was: %v", name, err)
		}
	}

	srv.stop()
	// With the server stopped, the backup reads accounts.db itself.
	out = mustRun(t, "", "backup", "-data", data, "-to", filepath.Join(t.TempDir(), "offline.tar"))
	if !strings.Contains(out, "accounts: from accounts.db") {
		t.Errorf("offline backup output:\n%s", out)
	}

	again := startOpsServer(t, nil, "-data", restored)
	waitReady(t, again.url)
	if _, code := signIn(t, again.url, "bea", "een lang wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("bea cannot sign in on the restored wiki: %d", code)
	}
	if _, code := signIn(t, again.url, "bea", "een ander wachtwoord"); code == http.StatusSeeOther {
		t.Fatal("a wrong password signs in on the restored wiki")
	}
	last := before[len(before)-1]
	p, code := apiGet(t, again.url, strings.ReplaceAll(last.page, " ", "%20"), last.revision)
	if code != 200 || p.Content != last.content {
		t.Fatalf("restored wiki shows %s at %s: %d %q", last.page, last.revision, code, p.Content)
	}
	code, body := get(t, again.url+"/-/api/search?q=Schrijver")
	if code != 200 || !strings.Contains(body, "Storm/Schrijver") {
		t.Errorf("search on the restored wiki: %d %.300s", code, body)
	}
}

// TestRestoreRefusesNonEmptyFolder: restore changes nothing in a folder
// that holds something, and says so.
func TestRestoreRefusesNonEmptyFolder(t *testing.T) {
	t.Setenv("WIKIWERK_LANG", "en")
	data := t.TempDir()
	srv := startOpsServer(t, nil, "-data", data)
	archive := filepath.Join(t.TempDir(), "wiki.tar")
	mustRun(t, "", "backup", "-data", data, "-to", archive)
	srv.stop()
	target := t.TempDir()
	os.WriteFile(filepath.Join(target, "keep.txt"), []byte("mine"), 0o600)
	code, _, errOut := wikiwerk(t, "", "restore", "-from", archive, "-data", target)
	if code != 1 || !strings.Contains(errOut, "is not empty") {
		t.Fatalf("restore into a non-empty folder: %d %s", code, errOut)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 1 {
		t.Fatalf("the folder now has %d entries", len(entries))
	}
	// Into the running wiki's own folder, too.
	code, _, errOut = wikiwerk(t, "", "restore", "-from", archive, "-data", data)
	if code != 1 || !strings.Contains(errOut, "is not empty") {
		t.Fatalf("restore over a wiki: %d %s", code, errOut)
	}
	t.Setenv("WIKIWERK_LANG", "nl")
	_, _, errOut = wikiwerk(t, "", "restore", "-from", archive, "-data", target)
	if !strings.Contains(errOut, "is niet leeg") {
		t.Errorf("in Dutch: %s", errOut)
	}
	if code, _, _ := wikiwerk(t, "", "restore", "-data", target); code != 2 {
		t.Errorf("restore without -from: %d", code)
	}
	if code, _, _ := wikiwerk(t, "", "backup", "-data", data); code != 2 {
		t.Errorf("backup without -to: %d", code)
	}
}

// TestBackupErrorsInBothLanguages: a data folder without a wiki and a
// damaged archive are explained in Dutch and English.
func TestBackupErrorsInBothLanguages(t *testing.T) {
	empty := t.TempDir()
	archive := filepath.Join(t.TempDir(), "wiki.tar")
	for lang, want := range map[string]string{"nl": "geen wiki in", "en": "no wiki in"} {
		t.Setenv("WIKIWERK_LANG", lang)
		code, _, errOut := wikiwerk(t, "", "backup", "-data", empty, "-to", archive)
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%s: backup of an empty folder: %d %q", lang, code, errOut)
		}
	}
	if _, err := os.Stat(archive); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s: %v", archive, err)
	}
	t.Setenv("WIKIWERK_LANG", "en")
	if code, _, errOut := wikiwerk(t, "", "backup", "-data", empty, "-to", filepath.Join(empty, "sub", "b.tar")); code != 1 || !strings.Contains(errOut, "outside the data folder") {
		t.Errorf("backup into the data folder: %d %q", code, errOut)
	}
	os.WriteFile(archive, []byte("not a tar file at all"), 0o600)
	for lang, want := range map[string]string{"nl": "niet teruggezet", "en": "not restored"} {
		t.Setenv("WIKIWERK_LANG", lang)
		target := filepath.Join(t.TempDir(), "r")
		code, _, errOut := wikiwerk(t, "", "restore", "-from", archive, "-data", target)
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%s: restore of garbage: %d %q", lang, code, errOut)
		}
		if entries, _ := os.ReadDir(target); len(entries) != 0 {
			t.Errorf("a failed restore left %d entries", len(entries))
		}
	}
}

// TestBackupToStandardOutput: "-to -" writes the archive to standard
// output (for a pipe) and the report to standard error; it restores.
func TestBackupToStandardOutput(t *testing.T) {
	t.Setenv("WIKIWERK_LANG", "en")
	data := t.TempDir()
	srv := startOpsServer(t, nil, "-data", data)
	code, out, errOut := wikiwerk(t, "", "backup", "-data", data, "-gzip", "-to", "-")
	srv.stop()
	if code != 0 || !strings.Contains(errOut, "Backup written: -") {
		t.Fatalf("backup to standard output: %d %q", code, errOut)
	}
	if len(out) < 2 || out[0] != 0x1f || out[1] != 0x8b {
		t.Fatalf("standard output is not a gzip stream: %d bytes", len(out))
	}
	archive := filepath.Join(t.TempDir(), "piped.tar.gz")
	os.WriteFile(archive, []byte(out), 0o600)
	restored := filepath.Join(t.TempDir(), "r")
	if out := mustRun(t, "", "restore", "-from", archive, "-data", restored); !strings.Contains(out, "Check: all is well") {
		t.Fatalf("restore of the piped archive:\n%s", out)
	}
}
