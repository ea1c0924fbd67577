package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestReviewFlag: -review is read like -protect; a bad folder refuses to
// start.
func TestReviewFlag(t *testing.T) {
	m := NewMain(io.Discard)
	env := map[string]string{"WIKIWERK_REVIEW": "Beleid=beleidsteam+juristen, Raad"}
	if err := m.ParseFlags(nil, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	want := []wiki.Protected{{Prefix: "Beleid", Groups: []string{"beleidsteam", "juristen"}}, {Prefix: "Raad"}}
	if !reflect.DeepEqual(m.policy.Review, want) {
		t.Fatalf("review folders %+v", m.policy.Review)
	}
	if !m.policy.NeedsReview(&wiki.User{Name: "anna", Role: wiki.RoleEditor}, "raad/Besluit") || m.policy.NeedsReview(&wiki.User{Name: "carla", Role: wiki.RoleAdmin}, "Raad/Besluit") {
		t.Fatal("the rules do not apply as parsed")
	}
	m = NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-review", "../x"}, func(string) string { return "" }); err == nil {
		t.Fatal("-review ../x was accepted")
	}
}

// TestReviewFoldersOverGit runs the binary with -review: a push to main
// touching the folder is refused with the way to propose, a push to
// refs/for/main becomes a proposal that the API lists.
func TestReviewFoldersOverGit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildBinary(t)
	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-anonymous-edits=true", "-review", "Beleid")
	defer srv.stop(t)
	work := t.TempDir()
	if out, err := gitAs(t, work, "clone", srv.url+"/wiki.git", "wiki"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "wiki")
	os.MkdirAll(filepath.Join(clone, "Beleid"), 0o755)
	if err := os.WriteFile(filepath.Join(clone, "Beleid", "Visie.md"), []byte("Visie\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Visie")
	out, err := gitAs(t, clone, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "git push origin HEAD:refs/for/main") {
		t.Fatalf("push to main: %v\n%s", err, out)
	}
	if out, err := gitAs(t, clone, "push", "origin", "HEAD:refs/for/main"); err != nil || !strings.Contains(out, "main is unchanged") {
		t.Fatalf("push to refs/for/main: %v\n%s", err, out)
	}
	code, body := get(t, srv.url+"/-/api/proposals?status=open")
	if code != 200 || !strings.Contains(body, `"page":"Beleid/Visie"`) {
		t.Fatalf("proposals: %d %s", code, body)
	}
	if code, _ := get(t, srv.url+"/-/api/pages/Beleid/Visie"); code != 404 {
		t.Fatalf("the proposed page is on main: %d", code)
	}
}
