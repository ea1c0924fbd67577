package accounts_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol sets up TOTP for the user and returns the secret and the
// recovery codes.
func enrol(t *testing.T, s *accounts.Store, c *clock, user string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	secret, err := s.StartTOTP(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.ConfirmTOTP(ctx, cli, user, code(t, secret, c.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return secret, codes
}

func TestTOTPEnrolment(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	create(t, s, wiki.User{Name: "anna"})

	if _, err := s.PendingTOTP(ctx, "anna"); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("pending before any enrolment: %v", err)
	}
	secret, err := s.StartTOTP(ctx, "anna")
	if err != nil || len(secret) != 32 {
		t.Fatalf("StartTOTP = %q, %v", secret, err)
	}
	// Pending: not asked for at sign-in yet.
	if u, _ := s.Authenticate(ctx, "anna", pw); u.TwoFactor {
		t.Fatal("a pending secret already counts as enrolled")
	}
	if f, _ := s.SecondFactorOf(ctx, "anna"); f.Enrolled || !f.Pending || !f.Password {
		t.Fatalf("while pending: %+v", f)
	}
	if got, _ := s.PendingTOTP(ctx, "anna"); got != secret {
		t.Fatalf("PendingTOTP = %q, want %q", got, secret)
	}
	if _, err := s.ConfirmTOTP(ctx, cli, "anna", code(t, secret, c.Now().Add(5*time.Minute))); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("confirm with a code from 5 minutes on: %v", err)
	}
	codes, err := s.ConfirmTOTP(ctx, cli, "anna", code(t, secret, c.Now()))
	if err != nil || len(codes) != 10 {
		t.Fatalf("ConfirmTOTP = %v, %v", codes, err)
	}
	seen := map[string]bool{}
	for _, rc := range codes {
		if len(rc) != 11 || rc[5] != '-' || seen[rc] {
			t.Fatalf("recovery code %q (of %v)", rc, codes)
		}
		seen[rc] = true
	}
	u, _ := s.Authenticate(ctx, "anna", pw)
	if !u.TwoFactor {
		t.Fatal("after confirming, the user has no second factor")
	}
	if f, _ := s.SecondFactorOf(ctx, "anna"); !f.Enrolled || f.Pending || f.RecoveryLeft != 10 || !f.Since.Equal(c.Now()) {
		t.Fatalf("after confirming: %+v", f)
	}
	if _, err := s.PendingTOTP(ctx, "anna"); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("the secret is still shown as pending: %v", err)
	}
	events, _ := s.AuditLog(ctx, 1)
	if events[0].Kind != "2fa-enrolled" || events[0].Subject != "anna" || events[0].Actor != "cli" || events[0].Result != wiki.AuditSuccess {
		t.Fatalf("audit: %+v", events[0])
	}
	// Nothing secret went into the log.
	all, _ := s.AuditLog(ctx, 100)
	for _, e := range all {
		if strings.Contains(fmt.Sprint(e), secret) || strings.Contains(fmt.Sprint(e), codes[0]) {
			t.Fatalf("a secret in the audit log: %+v", e)
		}
	}
}

func TestTOTPVerification(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	create(t, s, wiki.User{Name: "anna"})
	secret, _ := enrol(t, s, c, "anna")

	// The confirmation's code counted: it cannot sign in.
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", code(t, secret, c.Now())); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("the enrolment's own code again: %v", err)
	}
	c.Add(30 * time.Second)
	now := code(t, secret, c.Now())
	if m, err := s.VerifySecondFactor(ctx, cli, "anna", now[:3]+" "+now[3:]); err != nil || m != wiki.FactorTOTP {
		t.Fatalf("current code (typed with a space): %q, %v", m, err)
	}
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", now); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("a code used twice: %v", err)
	}
	// One step of skew either way, but never a step before the last used.
	c.Add(60 * time.Second)
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", code(t, secret, c.Now().Add(30*time.Second))); err != nil {
		t.Fatalf("a code one step ahead: %v", err)
	}
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", code(t, secret, c.Now())); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("a code older than the last one used: %v", err)
	}
	c.Add(5 * time.Minute)
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", code(t, secret, c.Now().Add(-30*time.Second))); err != nil {
		t.Fatalf("a code one step behind: %v", err)
	}
	for _, bad := range []string{code(t, secret, c.Now().Add(-2*time.Minute)), code(t, secret, c.Now().Add(2*time.Minute)), "", "12345", "abcdef", "1234567"} {
		if _, err := s.VerifySecondFactor(ctx, cli, "anna", bad); !errors.Is(err, wiki.ErrUnauthenticated) {
			t.Errorf("code %q: %v", bad, err)
		}
	}
	// A disabled account cannot pass the second step either.
	if err := s.SetDisabled(ctx, cli, "anna", true); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", code(t, secret, c.Now())); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("disabled account: %v", err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	create(t, s, wiki.User{Name: "anna"})
	_, codes := enrol(t, s, c, "anna")
	by := wiki.Actor{Name: "anna", IP: "192.0.2.7"}

	if m, err := s.VerifySecondFactor(ctx, by, "anna", " "+strings.ToUpper(codes[3])+" "); err != nil || m != wiki.FactorRecovery {
		t.Fatalf("recovery code in capitals: %q, %v", m, err)
	}
	if _, err := s.VerifySecondFactor(ctx, by, "anna", codes[3]); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("a recovery code used twice: %v", err)
	}
	if m, err := s.VerifySecondFactor(ctx, by, "anna", strings.ReplaceAll(codes[0], "-", "")); err != nil || m != wiki.FactorRecovery {
		t.Fatalf("recovery code without the dash: %q, %v", m, err)
	}
	if f, _ := s.SecondFactorOf(ctx, "anna"); f.RecoveryLeft != 8 {
		t.Fatalf("left after two: %d", f.RecoveryLeft)
	}
	e, _ := s.AuditLog(ctx, 1)
	if e[0].Kind != "2fa-recovery-used" || e[0].IP != "192.0.2.7" || e[0].Actor != "anna" || !strings.Contains(e[0].Detail, "8") {
		t.Fatalf("audit: %+v", e[0])
	}
	fresh, err := s.NewRecoveryCodes(ctx, by, "anna")
	if err != nil || len(fresh) != 10 {
		t.Fatal(fresh, err)
	}
	if _, err := s.VerifySecondFactor(ctx, by, "anna", codes[5]); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("an old recovery code after new ones were made: %v", err)
	}
	if _, err := s.VerifySecondFactor(ctx, by, "anna", fresh[9]); err != nil {
		t.Fatalf("a new recovery code: %v", err)
	}

	// Removing the second factor: sign-in by password alone again.
	if err := s.RemoveSecondFactor(ctx, wiki.Actor{Name: "carla", IP: "192.0.2.9"}, "anna", "2fa-reset"); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "anna"); u.TwoFactor {
		t.Fatal("still enrolled after the reset")
	}
	if _, err := s.VerifySecondFactor(ctx, by, "anna", fresh[0]); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("a recovery code after the reset: %v", err)
	}
	if err := s.RemoveSecondFactor(ctx, by, "anna", "2fa-disabled"); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	if _, err := s.NewRecoveryCodes(ctx, by, "anna"); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("recovery codes without a second factor: %v", err)
	}
	e, _ = s.AuditLog(ctx, 1)
	if e[0].Kind != "2fa-reset" || e[0].Actor != "carla" || e[0].Subject != "anna" {
		t.Fatalf("audit: %+v", e[0])
	}
}

func TestAuditRecordsAreComplete(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	// An event as older code records it: no result, no actor, no origin.
	if err := s.Record(ctx, wiki.AuditEvent{Kind: "signin-failed", Subject: "nobody"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, wiki.AuditEvent{Kind: "denied", Actor: "bram", IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	create(t, s, wiki.User{Name: "anna"}) // user-created by nobody in particular
	e, _ := s.AuditLog(ctx, 3)
	want := []wiki.AuditEvent{
		{Kind: "user-created", Actor: "anonymous", Subject: "anna", IP: "local", Result: wiki.AuditSuccess},
		{Kind: "denied", Actor: "bram", Subject: "-", IP: "192.0.2.1", Result: wiki.AuditDenied},
		{Kind: "signin-failed", Actor: "anonymous", Subject: "nobody", IP: "local", Result: wiki.AuditFailure},
	}
	for i, w := range want {
		g := e[i]
		if g.Kind != w.Kind || g.Actor != w.Actor || g.Subject != w.Subject || g.IP != w.IP || g.Result != w.Result || g.Time.IsZero() {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestQueryAudit(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	start := c.Now()
	for i := range 30 {
		c.Add(time.Hour)
		e := wiki.AuditEvent{Kind: "signin", Actor: fmt.Sprint("u", i%3), Subject: fmt.Sprint("Beleid/Plan", i), IP: "192.0.2.1"}
		if i%5 == 0 {
			e.Kind, e.Result = "signin-failed", ""
		}
		if err := s.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.QueryAudit(ctx, wiki.AuditQuery{Limit: 4})
	if err != nil || len(page.Events) != 4 || page.Next == "" || page.Events[0].Subject != "Beleid/Plan29" {
		t.Fatalf("first page: %+v %v", page, err)
	}
	// Paging through everything visits each event once, newest first.
	var got []string
	q := wiki.AuditQuery{Limit: 7}
	for {
		page, err := s.QueryAudit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, e.Subject)
		}
		if page.Next == "" {
			break
		}
		q.Before = page.Next
	}
	if len(got) != 30 || got[0] != "Beleid/Plan29" || got[29] != "Beleid/Plan0" {
		t.Fatalf("paged: %d events: %v", len(got), got)
	}
	for _, tc := range []struct {
		name string
		q    wiki.AuditQuery
		want int
	}{
		{"actor", wiki.AuditQuery{Actor: "U1"}, 10},
		{"action", wiki.AuditQuery{Action: "signin-failed"}, 6},
		{"result", wiki.AuditQuery{Result: wiki.AuditFailure}, 6},
		{"object", wiki.AuditQuery{Object: "plan2"}, 11}, // 2, 20..29
		{"since", wiki.AuditQuery{Since: start.Add(25 * time.Hour)}, 6},
		{"until", wiki.AuditQuery{Until: start.Add(3 * time.Hour)}, 2},
		{"combined", wiki.AuditQuery{Actor: "u0", Result: wiki.AuditFailure}, 2}, // 0, 15
	} {
		page, err := s.QueryAudit(ctx, wiki.AuditQuery{Actor: tc.q.Actor, Action: tc.q.Action, Result: tc.q.Result, Object: tc.q.Object, Since: tc.q.Since, Until: tc.q.Until, Limit: 100})
		if err != nil || len(page.Events) != tc.want || page.Next != "" {
			t.Errorf("%s: %d events (next %q), want %d; %v", tc.name, len(page.Events), page.Next, tc.want, err)
		}
	}
	if _, err := s.QueryAudit(ctx, wiki.AuditQuery{Before: "not a cursor"}); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestJSONLinesSink(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	var buf bytes.Buffer
	s.SetAuditSink(accounts.JSONLines(&buf, func(err error) { t.Error(err) }))
	create(t, s, wiki.User{Name: "anna"})
	if err := s.Record(ctx, wiki.AuditEvent{Kind: "signin-failed", Subject: "anna", IP: "192.0.2.1", Detail: "password\nforged"}); err != nil {
		t.Fatal(err)
	}
	// A change that fails records nothing, and so writes nothing.
	if _, err := s.Create(ctx, wiki.User{Name: "anna"}, pw); !errors.Is(err, wiki.ErrNameTaken) {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, wiki.Actor{Name: "carla", IP: "192.0.2.2"}, "anna", wiki.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, want := range []map[string]string{
		{"action": "user-created", "object": "anna", "result": "success", "origin": "local", "actor": "anonymous"},
		{"action": "signin-failed", "object": "anna", "result": "failure", "origin": "192.0.2.1", "actor": "anonymous", "detail": "password forged"},
		{"action": "role", "object": "anna", "result": "success", "origin": "192.0.2.2", "actor": "carla", "detail": "reader -> admin"},
	} {
		for _, k := range []string{"time", "action", "object", "result", "origin", "actor", "detail"} {
			if _, ok := lines[i][k]; !ok {
				t.Errorf("line %d has no %q: %v", i, k, lines[i])
			}
		}
		for k, v := range want {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %q", i, k, lines[i][k], v)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(lines[i]["time"])); err != nil {
			t.Errorf("line %d: time: %v", i, err)
		}
	}
	s.SetAuditSink(nil)
	s.Record(ctx, wiki.AuditEvent{Kind: "signout"})
	if strings.Contains(buf.String(), "signout") {
		t.Fatal("written after the sink was removed")
	}
}

func TestRecordSettings(t *testing.T) {
	ctx := context.Background()
	path := accounts.PathIn(t.TempDir())
	s := open(t, path, accounts.Options{})
	first := map[string]string{"read": "anyone", "require-2fa": "none"}
	changed, err := s.RecordSettings(ctx, first)
	if err != nil || strings.Join(changed, ",") != "read,require-2fa" {
		t.Fatalf("first start: %v %v", changed, err)
	}
	if changed, _ := s.RecordSettings(ctx, first); len(changed) != 0 {
		t.Fatalf("same settings again: %v", changed)
	}
	s.Close()
	s = open(t, path, accounts.Options{})
	changed, err = s.RecordSettings(ctx, map[string]string{"read": "signed-in", "require-2fa": "none"})
	if err != nil || strings.Join(changed, ",") != "read" {
		t.Fatalf("after a restart with another -read: %v %v", changed, err)
	}
	e, _ := s.AuditLog(ctx, 1)
	if e[0].Kind != "settings" || e[0].Subject != "read" || e[0].Detail != `"anyone" -> "signed-in"` || e[0].Actor != "wikiwerk" || e[0].IP != "local" || e[0].Result != "success" {
		t.Fatalf("recorded %+v", e[0])
	}
}

// TestTOTPReplace moves two-step sign-in to a new phone: the old app
// works until the new one is confirmed, and not after.
func TestTOTPReplace(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	create(t, s, wiki.User{Name: "anna"})
	old, _ := enrol(t, s, c, "anna")
	fresh, err := s.StartTOTP(ctx, "anna")
	if err != nil || fresh == old {
		t.Fatalf("second StartTOTP: %q %v", fresh, err)
	}
	c.Add(30 * time.Second)
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", code(t, old, c.Now())); err != nil {
		t.Fatalf("the old app while the new one is pending: %v", err)
	}
	c.Add(30 * time.Second)
	if _, err := s.ConfirmTOTP(ctx, cli, "anna", code(t, fresh, c.Now())); err != nil {
		t.Fatal(err)
	}
	e, _ := s.AuditLog(ctx, 1)
	if e[0].Kind != "2fa-enrolled" || !strings.Contains(e[0].Detail, "replaced") {
		t.Fatalf("audit: %+v", e[0])
	}
	c.Add(30 * time.Second)
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", code(t, old, c.Now())); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("the old app after the new one was confirmed: %v", err)
	}
	if _, err := s.VerifySecondFactor(ctx, cli, "anna", code(t, fresh, c.Now())); err != nil {
		t.Fatalf("the new app: %v", err)
	}
}
