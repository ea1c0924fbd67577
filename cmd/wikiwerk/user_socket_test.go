package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// inProcess is the wiki server running in this test process.
type inProcess struct {
	url  string
	stop func()
}

// startInProcess runs Main on port 0 over data until the test ends (or
// stop is called), and returns once it listens.
func startInProcess(t *testing.T, data string) *inProcess {
	t.Helper()
	pr, pw := io.Pipe()
	m := NewMain(pw)
	if err := m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-data", data, "-memory-limit", "0"}, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx)
		pw.Close()
	}()
	found := make(chan string, 1)
	var logs strings.Builder
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := runningRe.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	s := &inProcess{}
	select {
	case s.url = <-found:
	case err := <-done:
		cancel()
		<-logsDone
		t.Fatalf("the server stopped before listening: %v\n%s", err, logs.String())
	}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		<-logsDone
	}
	t.Cleanup(s.stop)
	return s
}

// signIn signs in on the login form and returns the browser with the
// session cookie, or the status of a failed sign-in.
func signIn(t *testing.T, base, name, password string) (*http.Client, int) {
	t.Helper()
	client, token := formClient(t, base+"/-/login")
	resp, err := client.PostForm(base+"/-/login", url.Values{"name": {name}, "password": {password}, "csrf_token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return client, resp.StatusCode
}

// editStatus is the status of the editor of Home for client.
func editStatus(t *testing.T, client *http.Client, base string) int {
	t.Helper()
	resp, err := client.Get(base + "/-/edit/Home")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestUserWhileServerRuns runs every user subcommand against a running
// server: each succeeds, says what it did, and the server acts on it at
// once.
func TestUserWhileServerRuns(t *testing.T) {
	data := t.TempDir()
	srv := startInProcess(t, data)
	sock := filepath.Join(data, "wikiwerk.sock")
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v %v", fi, err)
	}

	t.Setenv("WIKIWERK_LANG", "nl")
	out := mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", data, "-role", "editor", "-name", "Anna de Vries", "anna")
	if want := "Account anna aangemaakt (rol: editor) (via de draaiende wiki: meteen van kracht)\n"; out != want {
		t.Fatalf("add said %q, want %q", out, want)
	}
	anna, code := signIn(t, srv.url, "anna", "een lang wachtwoord")
	if code != http.StatusSeeOther {
		t.Fatalf("the new account cannot sign in: %d", code)
	}
	if code := editStatus(t, anna, srv.url); code != 200 {
		t.Fatalf("the new editor's editor: %d", code)
	}

	t.Setenv("WIKIWERK_LANG", "en")
	out = mustRun(t, "", "user", "list", "-data", data)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") ||
		strings.Join(strings.Fields(lines[1]), " ") != "anna Anna de Vries - editor - no" {
		t.Fatalf("list:\n%s", out)
	}
	out = mustRun(t, "", "user", "role", "-data", data, "anna", "reader")
	if want := "anna now has the role reader (through the running wiki: in effect at once)\n"; out != want {
		t.Fatalf("role said %q", out)
	}
	if code := editStatus(t, anna, srv.url); code != http.StatusForbidden {
		t.Fatalf("a reader's editor: %d", code)
	}
	mustRun(t, "", "user", "role", "-data", data, "anna", "editor")
	if out := mustRun(t, "", "user", "groups", "-data", data, "anna", "wmo,beleid"); !strings.Contains(out, "anna is now in the groups beleid, wmo") && !strings.Contains(out, "anna is now in the groups wmo, beleid") {
		t.Fatalf("groups said %q", out)
	}
	if out := mustRun(t, "", "user", "disable", "-data", data, "anna"); !strings.HasPrefix(out, "Disabled account anna") {
		t.Fatalf("disable said %q", out)
	}
	if code := editStatus(t, anna, srv.url); code != http.StatusUnauthorized {
		t.Fatalf("a disabled user's session still works: %d", code)
	}
	if _, code := signIn(t, srv.url, "anna", "een lang wachtwoord"); code != http.StatusUnauthorized {
		t.Fatalf("a disabled user signed in: %d", code)
	}
	mustRun(t, "", "user", "disable", "-data", data, "-enable", "anna")
	if out := mustRun(t, "een ander lang wachtwoord\n", "user", "passwd", "-data", data, "anna"); !strings.HasPrefix(out, "Changed the password of anna") {
		t.Fatalf("passwd said %q", out)
	}
	if _, code := signIn(t, srv.url, "anna", "een lang wachtwoord"); code != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", code)
	}
	if anna, code = signIn(t, srv.url, "anna", "een ander lang wachtwoord"); code != http.StatusSeeOther || editStatus(t, anna, srv.url) != 200 {
		t.Fatalf("the new password: %d", code)
	}

	// The store's errors come back through the socket.
	for _, tc := range []struct {
		stdin, want string
		args        []string
	}{
		{"een lang wachtwoord\n", "name taken: anna", []string{"add", "-data", data, "anna"}},
		{"kort\n", "at least 12 characters", []string{"add", "-data", data, "bert"}},
		{"", "user nobody not found", []string{"role", "-data", data, "nobody", "admin"}},
	} {
		code, _, errOut := wikiwerk(t, tc.stdin, append([]string{"user"}, tc.args...)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("user %s: exit %d, want 1 with %q:\n%s", strings.Join(tc.args, " "), code, tc.want, errOut)
		}
	}

	srv.stop()
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket outlived the server: %v", err)
	}
	// Without a server the command works on the file, and the audit log
	// has every change made through the socket, by cli.
	out = mustRun(t, "", "user", "list", "-data", data)
	if strings.Contains(out, "through the running wiki") || !strings.Contains(out, "anna") {
		t.Fatalf("list without a server:\n%s", out)
	}
	if out := mustRun(t, "", "user", "role", "-data", data, "anna", "admin"); out != "anna now has the role admin\n" {
		t.Fatalf("role without a server said %q", out)
	}
	s := openAccounts(t, data)
	defer s.Close()
	events, err := s.AuditLog(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		if e.Actor == "cli" {
			kinds = append(kinds, e.Kind)
		}
	}
	if got := strings.Join(kinds, " "); got != "role password enable disable groups role role user-created" {
		t.Errorf("audit log by cli: %s", got)
	}
}

// TestStaleSocket: a socket file left by a killed server neither blocks
// the command (it works on the file) nor the next start (which replaces
// it).
func TestStaleSocket(t *testing.T) {
	inEnglish(t)
	data := t.TempDir()
	sock := socketPath(data)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	if out := mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", data, "anna"); out != "Created account anna (role: reader)\n" {
		t.Fatalf("add beside a stale socket said %q", out)
	}
	srv := startInProcess(t, data)
	if out := mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", data, "-role", "editor", "bert"); !strings.Contains(out, "through the running wiki") {
		t.Fatalf("add did not go through the new socket: %q", out)
	}
	if _, code := signIn(t, srv.url, "bert", "een lang wachtwoord"); code != http.StatusSeeOther {
		t.Fatalf("bert cannot sign in: %d", code)
	}
}

// TestControlRefusesOtherUID serves the control socket for a uid that is
// not ours: the kernel's peer credentials show ours, and every call is
// refused (as root, file permissions alone would let anyone in).
func TestControlRefusesOtherUID(t *testing.T) {
	inEnglish(t)
	data := t.TempDir()
	store, err := accounts.OpenWith(accounts.PathIn(data), accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Create(context.Background(), wiki.User{Name: "anna"}, "een lang wachtwoord"); err != nil {
		t.Fatal(err)
	}
	c, err := listenControl(socketPath(data), store, os.Getuid()+1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	code, out, errOut := wikiwerk(t, "", "user", "list", "-data", data)
	if code != 1 || strings.Contains(out, "anna") || !strings.Contains(errOut, "refuses") {
		t.Fatalf("another uid: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = wikiwerk(t, "", "user", "disable", "-data", data, "anna")
	if code != 1 || !strings.Contains(errOut, "refuses") {
		t.Fatalf("another uid disabled: exit %d %s", code, errOut)
	}
	if u, err := store.User(context.Background(), "anna"); err != nil || u.Disabled {
		t.Fatalf("a refused call changed the account: %+v %v", u, err)
	}
}

// TestPeerUID: the peer credentials of a connection are the connecting
// process's uid.
func TestPeerUID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := net.Dial("unix", path); err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	conn, err := ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	uid, err := peerUID(conn)
	if err != nil || uid != os.Getuid() {
		t.Fatalf("peer uid %d, %v; want %d", uid, err, os.Getuid())
	}
}

func TestCLILang(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{}, 0},
		{map[string]string{"LANG": "en_GB.UTF-8"}, 1},
		{map[string]string{"LANG": "nl_NL.UTF-8"}, 0},
		{map[string]string{"LANG": "C.UTF-8"}, 0},
		{map[string]string{"LANG": "nl_NL.UTF-8", "LC_ALL": "en_US.UTF-8"}, 1},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "nl_BE.UTF-8"}, 0},
		{map[string]string{"LANG": "en_US.UTF-8", "WIKIWERK_LANG": "nl"}, 0},
		{map[string]string{"LANG": "nl_NL.UTF-8", "WIKIWERK_LANG": "EN"}, 1},
	} {
		if got := cliLang(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: language %d, want %d", tc.env, got, tc.want)
		}
	}
	// Every message has both languages.
	for key, texts := range userMessages {
		if texts[0] == "" || texts[1] == "" {
			t.Errorf("message %q lacks a language: %q", key, texts)
		}
	}
}

// TestUserErrorsInDutch: the store's errors are explained in Dutch.
func TestUserErrorsInDutch(t *testing.T) {
	t.Setenv("WIKIWERK_LANG", "nl")
	dir := t.TempDir()
	mustRun(t, "een lang wachtwoord\n", "user", "add", "-data", dir, "anna")
	for _, tc := range []struct {
		stdin, want string
		args        []string
	}{
		{"een lang wachtwoord\n", "de naam anna is al in gebruik", []string{"add", "-data", dir, "anna"}},
		{"", "onbekende gebruiker nobody", []string{"role", "-data", dir, "nobody", "editor"}},
		{"kort\n", "ongeldige invoer", []string{"add", "-data", dir, "bert"}},
		{"", "geen accounts in", []string{"list", "-data", filepath.Join(dir, "typo")}},
	} {
		code, _, errOut := wikiwerk(t, tc.stdin, append([]string{"user"}, tc.args...)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("user %s: exit %d, want 1 with %q:\n%s", strings.Join(tc.args, " "), code, tc.want, errOut)
		}
	}
}
