package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// countingTransport counts the requests the replica sends the primary.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestPrimaryAccountsCache asks a real primary (the binary) who a session
// and tokens belong to: once per TTL; an account disabled on the primary
// is signed out on the replica once the answer expires; while the primary
// is down a known answer is used, and an unknown credential is an error
// (not "signed out", which would clear the visitor's cookie).
func TestPrimaryAccountsCache(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	mustRun(t, "annas wachtwoord is lang\n", "user", "add", "-data", data, "-role", "editor", "-name", "Anna de Vries", "-groups", "wmo", "anna")
	mustRun(t, "brams wachtwoord is lang\n", "user", "add", "-data", data, "-role", "reader", "bram")
	ctx := context.Background()
	store := openAccounts(t, data)
	session, err := store.NewSession(ctx, "anna", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	annaToken, _, err := store.NewToken(ctx, "anna", "api")
	if err != nil {
		t.Fatal(err)
	}
	bramToken, _, err := store.NewToken(ctx, "bram", "api")
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	primary := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-read", "signed-in")

	u, _ := url.Parse(primary.url)
	m := &Main{replicaFlags: replicaFlags{Primary: u}}
	p := m.replicaAccounts(nil).(*primaryAccounts)
	p.ttl = 300 * time.Millisecond
	counter := &countingTransport{}
	p.client.Transport = counter

	for range 3 {
		got, err := p.SessionUser(ctx, session)
		if err != nil || got.Name != "anna" || got.DisplayName != "Anna de Vries" || got.Role != wiki.RoleEditor || len(got.Groups) != 1 {
			t.Fatalf("anna's session: %+v %v", got, err)
		}
	}
	if n := counter.n.Load(); n != 1 {
		t.Fatalf("the primary was asked %d times within the TTL, want 1", n)
	}
	if got, err := p.AuthenticateToken(ctx, annaToken); err != nil || got.Name != "anna" {
		t.Fatalf("anna's token: %+v %v", got, err)
	}
	if got, err := p.Authenticate(ctx, "bram", "brams wachtwoord is lang"); err != nil || got.Name != "bram" {
		t.Fatalf("bram's password: %+v %v", got, err)
	}
	if _, err := p.AuthenticateToken(ctx, "wwt_wrong"); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("a wrong token: %v", err)
	}
	if _, err := p.AuthenticateToken(ctx, bramToken); err != nil {
		t.Fatal(err)
	}

	// Anna is disabled on the primary: her session and token stop
	// working on the replica once the answers expire.
	mustRun(t, "", "user", "disable", "-data", data, "anna")
	waitFor(t, "the disabling reaches the replica", func() bool {
		_, err1 := p.SessionUser(ctx, session)
		_, err2 := p.AuthenticateToken(ctx, annaToken)
		return errors.Is(err1, wiki.ErrUnauthenticated) && errors.Is(err2, wiki.ErrUnauthenticated)
	})

	// The primary goes down: bram's known answer keeps working, an
	// unknown credential is an error of its own.
	primary.stop(t)
	time.Sleep(2 * p.ttl)
	if got, err := p.AuthenticateToken(ctx, bramToken); err != nil || got.Name != "bram" {
		t.Fatalf("a known token with the primary down: %+v %v", got, err)
	}
	if _, err := p.SessionUser(ctx, "an-unknown-session"); !errors.Is(err, errPrimaryDown) || errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("an unknown session with the primary down: %v", err)
	}
}

// TestToPrimary: which requests a replica sends to its primary.
func TestToPrimary(t *testing.T) {
	for _, c := range []struct {
		method, target string
		want           bool
	}{
		{"GET", "/Home", false},
		{"HEAD", "/Home", false},
		{"GET", "/-/history/Home", false},
		{"GET", "/-/search?q=wmo", false},
		{"GET", "/-/edit/Home", false},
		{"GET", "/wiki.git/info/refs?service=git-upload-pack", false},
		{"POST", "/wiki.git/git-upload-pack", false}, // a clone's second request
		{"POST", "/wiki.git/git-receive-pack", true},
		{"GET", "/wiki.git/info/refs?service=git-receive-pack", true},
		{"POST", "/-/edit/Home", true},
		{"PUT", "/-/api/pages/Home", true},
		{"GET", "/-/login", true},
		{"GET", "/-/account", true},
		{"GET", "/-/admin/users", true},
		{"GET", "/-/admin/replica", false},
		{"GET", "/-/proposals", true},
		{"GET", "/-/api/whoami", true},
		{"GET", "/-/api/head", false},
	} {
		r := httptest.NewRequest(c.method, c.target, nil)
		if got := toPrimary(r); got != c.want {
			t.Errorf("%s %s: to the primary %v, want %v", c.method, c.target, got, c.want)
		}
	}
}

// TestReplicaForwardsVisitor: the primary is told the visitor's host,
// scheme and address: from the proxy in front of the replica when the
// replica trusts it, else as the replica saw them, never a client's claim.
func TestReplicaForwardsVisitor(t *testing.T) {
	got := make(chan http.Header, 1)
	hosts := make(chan string, 1)
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		hosts <- r.Host
	}))
	defer primary.Close()
	u, _ := url.Parse(primary.URL)
	for _, trust := range []bool{false, true} {
		m := &Main{replicaFlags: replicaFlags{Primary: u}, log: slog.New(slog.DiscardHandler)}
		m.TrustProxy = trust
		h := m.replicaHandler(http.NotFoundHandler())
		r := httptest.NewRequest(http.MethodGet, "http://wiki.example.nl/-/login", nil)
		r.RemoteAddr = "10.0.0.7:5123"
		r.Header.Set("X-Forwarded-For", "192.0.2.1")
		r.Header.Set("X-Forwarded-Proto", "https")
		h.ServeHTTP(httptest.NewRecorder(), r)
		hdr, host := <-got, <-hosts
		wantFor, wantProto := "10.0.0.7", "http"
		if trust {
			wantFor, wantProto = "192.0.2.1", "https"
		}
		if host != "wiki.example.nl" || hdr.Get("X-Forwarded-For") != wantFor || hdr.Get("X-Forwarded-Proto") != wantProto {
			t.Errorf("trust %v: host %q, X-Forwarded-For %q, X-Forwarded-Proto %q", trust, host, hdr.Get("X-Forwarded-For"), hdr.Get("X-Forwarded-Proto"))
		}
	}
}
