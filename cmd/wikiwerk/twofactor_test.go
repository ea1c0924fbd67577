package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

func TestSecurityFlags(t *testing.T) {
	m := NewMain(io.Discard)
	env := map[string]string{"WIKIWERK_REQUIRE_2FA": "admins", "WIKIWERK_OIDC_ISSUER": "https://login.example.nl",
		"WIKIWERK_OIDC_CLIENT_ID": "wiki", "WIKIWERK_OIDC_REDIRECT_URL": "https://wiki.example.nl/-/oidc/callback"}
	if err := m.ParseFlags([]string{"-oidc-require-mfa", "-oidc-acr", "urn:mace:incommon:iap:silver", "-audit-log", "-"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if m.Require2FA != web.TwoFactorAdmins || m.AuditLog != "-" {
		t.Fatalf("require-2fa %q audit-log %q", m.Require2FA, m.AuditLog)
	}
	o := m.withMFA(m.oidcConfig())
	if o == nil || !o.RequireMFA || o.ACR != "urn:mace:incommon:iap:silver" {
		t.Fatalf("oidc %+v", o)
	}
	m = NewMain(io.Discard)
	if err := m.ParseFlags(nil, func(string) string { return "" }); err != nil || m.Require2FA != web.TwoFactorNone || m.withMFA(m.oidcConfig()) != nil {
		t.Fatalf("defaults: %q %v", m.Require2FA, err)
	}
	for _, args := range [][]string{
		{"-require-2fa", "beheerders"},
		{"-oidc-require-mfa"},
		{"-oidc-acr", "silver"},
	} {
		if err := NewMain(io.Discard).ParseFlags(args, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// auditLines reads a JSON-lines audit file; each line must parse and
// carry the seven fields.
func auditLines(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]string
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"time", "action", "object", "result", "origin", "actor", "detail"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %q has no %s", sc.Text(), k)
			}
		}
		lines = append(lines, m)
	}
	return lines
}

func findLine(lines []map[string]string, match map[string]string) map[string]string {
	for _, l := range lines {
		ok := true
		for k, v := range match {
			if !strings.Contains(l[k], v) {
				ok = false
			}
		}
		if ok {
			return l
		}
	}
	return nil
}

// TestAuditLogFile runs the binary with -audit-log: sign-in failures and
// a git push with a token go to the file as JSON lines, and so do the
// settings, at the first start and when they change.
func TestAuditLogFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "audit.jsonl")
	mustRun(t, "annas wachtwoord is lang\n", "user", "add", "-data", data, "-role", "editor", "anna")
	store := openAccounts(t, data)
	token, tok, err := store.NewToken(context.Background(), "anna", "laptop")
	if err != nil {
		t.Fatal(err)
	}
	store.Close()

	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-audit-log", logFile)
	req, _ := http.NewRequest(http.MethodGet, srv.url+"/-/api/pages", nil)
	req.SetBasicAuth("anna", "niet haar wachtwoord")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(srv.url + "/wiki.git")
	u.User = url.UserPassword("anna", token)
	work := t.TempDir()
	if out, err := gitAs(t, work, "clone", u.String(), "c"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "c")
	os.WriteFile(filepath.Join(clone, "Geduwd.md"), []byte("Via git.\n"), 0o644)
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Via git")
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	srv.stop(t)

	st, err := os.Stat(logFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit log file: %v %v", st.Mode(), err)
	}
	lines := auditLines(t, logFile)
	if findLine(lines, map[string]string{"action": "settings", "object": "read", "detail": "anyone", "actor": "wikiwerk", "origin": "local"}) == nil {
		t.Errorf("no settings line for -read:\n%v", lines)
	}
	if l := findLine(lines, map[string]string{"action": "signin-failed", "object": "anna", "result": "failure", "origin": "127.0.0.1"}); l == nil {
		t.Errorf("no line for the failed sign-in:\n%v", lines)
	}
	if l := findLine(lines, map[string]string{"action": "push", "object": "Geduwd.md", "actor": "anna", "result": "success", "detail": tok.ID}); l == nil {
		t.Errorf("no line for the push with the token:\n%v", lines)
	}
	for _, l := range lines {
		if strings.Contains(strings.Join([]string{l["detail"], l["object"]}, " "), token) || strings.Contains(l["detail"], "niet haar wachtwoord") {
			t.Fatalf("a secret in the audit log: %v", l)
		}
	}

	// A restart with other settings records what changed, and only that,
	// after the lines already there.
	srv = start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-audit-log", logFile, "-read", "signed-in", "-require-2fa", "admins")
	srv.stop(t)
	again := auditLines(t, logFile)
	var settings []string
	for _, l := range again[len(lines):] {
		if l["action"] == "settings" {
			settings = append(settings, l["object"]+": "+l["detail"])
		}
	}
	if strings.Join(settings, "; ") != `read: "anyone" -> "signed-in"; require-2fa: "none" -> "admins"` {
		t.Fatalf("settings recorded at the second start: %v", settings)
	}
}

// TestUserTwoFactorReset: wikiwerk user 2fa-reset switches a second
// factor off, with the server stopped (the file) and running (the
// socket); the running server sees it at once.
func TestUserTwoFactorReset(t *testing.T) {
	inEnglish(t)
	ctx := context.Background()
	data := t.TempDir()
	mustRun(t, "carla heeft een lang wachtwoord\n", "user", "add", "-data", data, "-role", "admin", "carla")
	enrolCarla := func(s interface {
		StartTOTP(context.Context, string) (string, error)
	}) string {
		secret, err := s.StartTOTP(ctx, "carla")
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	store := openAccounts(t, data)
	secret := enrolCarla(store)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ConfirmTOTP(ctx, cliActor, "carla", code); err != nil {
		t.Fatal(err)
	}
	store.Close()

	// Server stopped: the command opens the file.
	out := mustRun(t, "", "user", "2fa-reset", "-data", data, "carla")
	if !strings.HasPrefix(out, "Switched two-step sign-in of carla off") || strings.Contains(out, "running wiki") {
		t.Fatalf("2fa-reset said %q", out)
	}
	if c, _, errOut := wikiwerk(t, "", "user", "2fa-reset", "-data", data, "carla"); c != 1 || !strings.Contains(errOut, "carla has no two-step sign-in") {
		t.Fatalf("2fa-reset twice: %d %q", c, errOut)
	}
	if c, _, errOut := wikiwerk(t, "", "user", "2fa-reset", "-data", data, "niemand"); c != 1 || !strings.Contains(errOut, "niemand") {
		t.Fatalf("2fa-reset of an unknown user: %d %q", c, errOut)
	}

	// Server running: through the socket; the sign-in form no longer
	// asks carla for a code.
	store = openAccounts(t, data)
	secret = enrolCarla(store)
	code, _ = totp.GenerateCode(secret, time.Now())
	if _, err := store.ConfirmTOTP(ctx, cliActor, "carla", code); err != nil {
		t.Fatal(err)
	}
	store.Close()
	srv := startInProcess(t, data)
	signInAt := func() string {
		t.Helper()
		client, token := formClient(t, srv.url+"/-/login")
		resp, err := client.PostForm(srv.url+"/-/login", url.Values{"csrf_token": {token}, "name": {"carla"}, "password": {"carla heeft een lang wachtwoord"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	if to := signInAt(); to != "/-/login/2fa" {
		t.Fatalf("an enrolled admin's password leads to %q", to)
	}
	out = mustRun(t, "", "user", "2fa-reset", "-data", data, "carla")
	if !strings.Contains(out, "through the running wiki") {
		t.Fatalf("2fa-reset while the server runs said %q", out)
	}
	if to := signInAt(); to != "/" {
		t.Fatalf("after the reset, the password alone leads to %q", to)
	}
	srv.stop()
	store = openAccounts(t, data)
	defer store.Close()
	page, err := store.QueryAudit(ctx, wiki.AuditQuery{Action: "2fa-reset", Actor: "cli", Object: "carla"})
	if err != nil || len(page.Events) != 2 {
		t.Fatalf("2fa-reset events by cli: %+v %v", page.Events, err)
	}
}
