package main

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitAs runs git as a named user and returns its combined output and error.
func gitAs(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+home, "GIT_CONFIG_GLOBAL="+filepath.Join(home, "cfg"),
		"GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Greet Git", "GIT_AUTHOR_EMAIL=greet@example.nl",
		"GIT_COMMITTER_NAME=Greet Git", "GIT_COMMITTER_EMAIL=greet@example.nl")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestGitOverHTTP runs the binary and uses it with stock git: clone from
// the address the wiki shows, push a page, see it in the wiki with its
// author; without anonymous edits the push is refused and cloning still
// works.
func TestGitOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-anonymous-edits=true")
	remote := srv.url + "/wiki.git"
	if _, page := get(t, srv.url+"/Home"); !strings.Contains(page, remote) {
		t.Errorf("the front page does not show the clone address %s", remote)
	}
	work := t.TempDir()
	if out, err := gitAs(t, work, "clone", remote, "wiki"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "wiki")
	if err := os.WriteFile(filepath.Join(clone, "Uit git.md"), []byte("# Uit git\n\nGeduwd.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Pagina uit git")
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	code, body := get(t, srv.url+"/-/api/pages/Uit%20git")
	var page struct {
		Content string
		Author  struct{ Name, Email string }
	}
	if err := json.Unmarshal([]byte(body), &page); code != 200 || err != nil {
		t.Fatalf("pushed page: %d %s", code, body)
	}
	if page.Author.Name != "Greet Git" || !strings.Contains(page.Content, "Geduwd") {
		t.Errorf("pushed page = %+v", page)
	}
	srv.stop(t)

	srv = start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-anonymous-edits=false")
	remote = srv.url + "/wiki.git"
	gitAs(t, clone, "remote", "set-url", "origin", remote)
	if out, err := gitAs(t, clone, "pull", "--ff-only"); err != nil {
		t.Fatalf("pull without anonymous edits: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(clone, "Uit git.md"), []byte("Anders.\n"), 0o644)
	gitAs(t, clone, "commit", "-am", "Nog een")
	out, err := gitAs(t, clone, "push", "origin", "main")
	// Refused for want of an account: git asks for a user name, which it
	// cannot here.
	if err == nil || !strings.Contains(out, "could not read Username") {
		t.Errorf("push without anonymous edits: %v\n%s", err, out)
	}
	srv.stop(t)
	if out, err := gitAs(t, filepath.Join(data, "content.git"), "fsck", "--strict", "--no-dangling"); err != nil || out != "" {
		t.Errorf("git fsck --strict: %v\n%s", err, out)
	}
}

// TestGitPushHeldToMaxFile: a pushed attachment over -max-file-mb is
// refused as an upload would be, with a message git shows as "remote:";
// one under it is taken.
func TestGitPushHeldToMaxFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildBinary(t)
	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-anonymous-edits=true", "-max-file-mb", "1")
	work := t.TempDir()
	if out, err := gitAs(t, work, "clone", srv.url+"/wiki.git", "wiki"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "wiki")
	os.MkdirAll(filepath.Join(clone, "Home"), 0o755)
	// Not compressible, so the pack is as large as the file.
	big := make([]byte, 3<<19)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(clone, "Home", "groot.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Te groot")
	out, err := gitAs(t, clone, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "remote:") || !strings.Contains(out, "file too large") || !strings.Contains(out, "a file may be at most 1.0 MiB") {
		t.Fatalf("push of a 1.5 MiB file with -max-file-mb 1: %v\n%s", err, out)
	}
	gitAs(t, clone, "reset", "--hard", "origin/main")
	os.MkdirAll(filepath.Join(clone, "Home"), 0o755)
	if err := os.WriteFile(filepath.Join(clone, "Home", "klein.bin"), big[:1<<19], 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Klein genoeg")
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("push of a 0.5 MiB file: %v\n%s", err, out)
	}
	if code, _ := get(t, srv.url+"/-/files/Home/klein.bin"); code != 200 {
		t.Errorf("pushed file: %d", code)
	}
	srv.stop(t)
}

// TestGitPushHeldToFileTypes: with -file-types, a pushed attachment of
// another type is refused as an upload would be, and the upload too; an
// allowed one is taken either way.
func TestGitPushHeldToFileTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildBinary(t)
	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-anonymous-edits=true", "-file-types", "png, .PDF")
	work := t.TempDir()
	if out, err := gitAs(t, work, "clone", srv.url+"/wiki.git", "wiki"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "wiki")
	os.MkdirAll(filepath.Join(clone, "Home"), 0o755)
	os.WriteFile(filepath.Join(clone, "Home", "macro.exe"), []byte("MZ"), 0o644)
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Programma")
	out, err := gitAs(t, clone, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "remote:") || !strings.Contains(out, `".exe" files are not accepted`) || !strings.Contains(out, "png, pdf") {
		t.Fatalf("push of an .exe with -file-types png,pdf: %v\n%s", err, out)
	}
	gitAs(t, clone, "reset", "--hard", "origin/main")
	os.MkdirAll(filepath.Join(clone, "Home"), 0o755)
	os.WriteFile(filepath.Join(clone, "Home", "beleid.PDF"), []byte("%PDF-1.4"), 0o644)
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Beleid")
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("push of a .PDF: %v\n%s", err, out)
	}
	req, _ := http.NewRequest("PUT", srv.url+"/-/api/files/Home/macro.exe", strings.NewReader("MZ"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("upload of an .exe: %d, want 415", resp.StatusCode)
	}
	srv.stop(t)
}
