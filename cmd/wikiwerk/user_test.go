package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// wikiwerk runs the command in-process with stdin and returns the exit
// code, standard output and standard error.
func wikiwerk(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustRun fails the test unless the command exits 0.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := wikiwerk(t, stdin, args...)
	if code != 0 {
		t.Fatalf("wikiwerk %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func openAccounts(t *testing.T, dir string) *accounts.Store {
	t.Helper()
	s, err := accounts.Open(accounts.PathIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// inEnglish makes the user command speak English, as on a server whose
// locale is en_US.UTF-8.
func inEnglish(t *testing.T) {
	t.Helper()
	t.Setenv("WIKIWERK_LANG", "")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "en_US.UTF-8")
}

func TestUserCommands(t *testing.T) {
	inEnglish(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data") // created by add
	out := mustRun(t, "eerste wachtwoord\n", "user", "add", "-data", dir, "-role", "admin", "-name", "Anna de Vries", "-email", "anna@example.nl", "Anna")
	if strings.TrimSpace(out) != "Created account anna (role: admin)" {
		t.Fatalf("add said %q", out)
	}
	// Flags may follow the name; a CRLF line end is stripped.
	mustRun(t, "bert's wachtwoord\r\n", "user", "add", "-data", dir, "bert", "-groups", "beleid, wmo", "-role", "editor")

	out = mustRun(t, "", "user", "list", "-data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") ||
		strings.Join(strings.Fields(lines[1]), " ") != "anna Anna de Vries anna@example.nl admin - no" ||
		strings.Join(strings.Fields(lines[2]), " ") != "bert - - editor beleid,wmo no" {
		t.Fatalf("list:\n%s", out)
	}

	mustRun(t, "tweede wachtwoord\n", "user", "passwd", "-data", dir, "anna")
	mustRun(t, "", "user", "role", "-data", dir, "bert", "reader")
	mustRun(t, "", "user", "groups", "-data", dir, "bert", "redactie")
	mustRun(t, "", "user", "disable", "-data", dir, "bert")

	s := openAccounts(t, dir)
	if _, err := s.Authenticate(ctx, "anna", "eerste wachtwoord"); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Errorf("old password still works: %v", err)
	}
	if _, err := s.Authenticate(ctx, "anna", "tweede wachtwoord"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "bert", "bert's wachtwoord"); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Errorf("disabled bert signed in: %v", err)
	}
	bert, err := s.User(ctx, "bert")
	if err != nil || bert.Role != wiki.RoleReader || strings.Join(bert.Groups, ",") != "redactie" || !bert.Disabled {
		t.Errorf("bert = %+v, %v", bert, err)
	}
	events, _ := s.AuditLog(ctx, 10)
	var kinds []string
	for _, e := range events {
		if e.Actor != "cli" {
			t.Errorf("event %+v not by cli", e)
		}
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, " "); got != "disable groups role password user-created user-created" {
		t.Errorf("audit log: %s", got)
	}
	s.Close()

	mustRun(t, "", "user", "disable", "-data", dir, "-enable", "bert")
	mustRun(t, "", "user", "groups", "-data", dir, "bert", "")
	s = openAccounts(t, dir)
	defer s.Close()
	if _, err := s.Authenticate(ctx, "bert", "bert's wachtwoord"); err != nil {
		t.Errorf("re-enabled bert: %v", err)
	}
	if bert, _ := s.User(ctx, "bert"); len(bert.Groups) != 0 {
		t.Errorf("groups not cleared: %v", bert.Groups)
	}
}

func TestUserDataFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("WIKIWERK_DATA", dir)
	mustRun(t, "een lang wachtwoord\n", "user", "add", "anna")
	if _, err := os.Stat(filepath.Join(dir, "accounts.db")); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "", "user", "list"); !strings.Contains(out, "anna") {
		t.Fatalf("list: %q", out)
	}
	// The flag wins over the environment.
	other := t.TempDir()
	mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", other, "bert")
	if out := mustRun(t, "", "user", "list"); strings.Contains(out, "bert") {
		t.Fatalf("bert went to WIKIWERK_DATA: %q", out)
	}
}

func TestUserUsageErrors(t *testing.T) {
	inEnglish(t)
	dir := t.TempDir()
	mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", dir, "anna")
	for _, args := range [][]string{
		{"user"},
		{"user", "frobnicate"},
		{"user", "add", "-data", dir},
		{"user", "add", "-data", dir, "a", "b"},
		{"user", "add", "-data", dir, "-role", "god", "carla"},
		{"user", "add", "-data", dir, "-bogus", "carla"},
		{"user", "list", "-data", dir, "extra"},
		{"user", "role", "-data", dir, "anna"},
		{"user", "role", "-data", dir, "anna", "owner"},
		{"user", "groups", "-data", dir, "anna"},
		{"user", "disable", "-data", dir},
	} {
		code, _, errOut := wikiwerk(t, "een lang wachtwoord\n", args...)
		if code != 2 || !strings.Contains(errOut, "usage:") {
			t.Errorf("wikiwerk %s: exit %d, want 2 with usage\n%s", strings.Join(args, " "), code, errOut)
		}
	}
	if code, out, _ := wikiwerk(t, "", "user", "help"); code != 0 || !strings.Contains(out, "user add") {
		t.Errorf("user help: exit %d %q", code, out)
	}
}

func TestUserErrors(t *testing.T) {
	inEnglish(t)
	dir := t.TempDir()
	mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", dir, "anna")
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"kort\n", []string{"add", "-data", dir, "bert"}, "at least 12 characters"},
		{"", []string{"add", "-data", dir, "bert"}, "no password on standard input"},
		{"\n", []string{"add", "-data", dir, "bert"}, "no password on standard input"},
		{strings.Repeat("x", 1025) + "\n", []string{"add", "-data", dir, "bert"}, "longer than 1024 bytes"},
		{"een lang wachtwoord\n", []string{"add", "-data", dir, "ANNA"}, "name taken"},
		{"een lang wachtwoord\n", []string{"add", "-data", dir, "anna de vries"}, "login name"},
		{"een lang wachtwoord\n", []string{"add", "-data", dir, "-email", "nope", "bert"}, "e-mail"},
		{"", []string{"role", "-data", dir, "nobody", "editor"}, "not found"},
		{"een lang wachtwoord\n", []string{"passwd", "-data", dir, "nobody"}, "not found"},
		{"", []string{"list", "-data", filepath.Join(dir, "typo")}, "no accounts in"},
	} {
		code, _, errOut := wikiwerk(t, tc.stdin, append([]string{"user"}, tc.args...)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("wikiwerk user %s: exit %d, want 1 with %q\n%s", strings.Join(tc.args, " "), code, tc.want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "typo")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("list created the data folder it did not find: %v", err)
	}
	if out := mustRun(t, "", "user", "list", "-data", dir); strings.Count(out, "\n") != 2 {
		t.Errorf("failed commands left accounts behind:\n%s", out)
	}
}

// TestUserWhileFileHeld: a process other than a server with a control
// socket holds accounts.db; the command says so instead of waiting.
func TestUserWhileFileHeld(t *testing.T) {
	inEnglish(t)
	dir := t.TempDir()
	mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", dir, "anna")
	s := openAccounts(t, dir)
	defer s.Close()
	code, _, errOut := wikiwerk(t, "", "user", "list", "-data", dir)
	if code != 1 || !strings.Contains(errOut, "in use") || !strings.Contains(errOut, "stop that process") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestUserPasswordFromCharacterDevice(t *testing.T) {
	// A character device that is not a terminal is read like a pipe: an
	// empty one gives no password.
	inEnglish(t)
	dev, err := os.Open(os.DevNull)
	if err != nil {
		t.Skip(err)
	}
	defer dev.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"user", "add", "-data", t.TempDir(), "anna"}, dev, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no password") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

// TestUserPromptsOnTerminal runs the binary on a real pseudo-terminal
// (util-linux's script) and answers the two password prompts.
func TestUserPromptsOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to provide a terminal")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	cmd := exec.Command(script, "-qec", bin+" user add -data "+data+" -role editor anna", "/dev/null")
	cmd.Stdin = strings.NewReader("lang-genoeg-wachtwoord\nlang-genoeg-wachtwoord\n")
	cmd.Env = append(os.Environ(), "WIKIWERK_LANG=nl")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Wachtwoord nogmaals:") || !strings.Contains(string(out), "Account anna aangemaakt (rol: editor)") {
		t.Fatalf("%v\n%s", err, out)
	}
	s, err := accounts.Open(accounts.PathIn(data))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Authenticate(context.Background(), "anna", "lang-genoeg-wachtwoord"); err != nil {
		t.Fatalf("the prompted password does not sign in: %v", err)
	}
}
