package web

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
)

func TestTokenPrefixMatchesTheStore(t *testing.T) {
	if tokenPrefix != accounts.TokenPrefix {
		t.Fatalf("web looks for tokens starting %q, the store makes %q", tokenPrefix, accounts.TokenPrefix)
	}
}

func TestLimiterBacksOffExponentially(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(func() time.Time { return now })
	for i := 0; i < freeAttempts-1; i++ {
		l.fail("10.0.0.1", "anna")
		if w := l.wait("10.0.0.1", "anna"); w != 0 {
			t.Fatalf("after %d failures: wait %v", i+1, w)
		}
	}
	var waits []time.Duration
	for range 13 {
		l.fail("10.0.0.1", "anna")
		waits = append(waits, l.wait("10.0.0.1", "anna"))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900}
	for i, w := range waits {
		if w != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", waits, want)
		}
	}
	// The name is blocked from another address, the address for another
	// name; others are not.
	if l.wait("10.0.0.2", "ANNA") == 0 || l.wait("10.0.0.1", "bram") == 0 || l.wait("10.0.0.2", "bram") != 0 {
		t.Fatal("the back-off does not apply per address and per name")
	}
	l.succeed("10.0.0.1", "anna")
	if l.wait("10.0.0.1", "anna") != 0 {
		t.Fatal("a success does not clear the back-off")
	}
	// Failures are forgotten after a quiet hour.
	for range freeAttempts {
		l.fail("10.0.0.3", "")
	}
	now = now.Add(forgetAfter + time.Second)
	l.fail("10.0.0.3", "")
	if w := l.wait("10.0.0.3", ""); w != 0 {
		t.Fatalf("old failures still count: wait %v", w)
	}
}

func TestLimiterIsBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(func() time.Time { return now })
	for i := range maxLimitedKey + 500 {
		now = now.Add(time.Millisecond)
		l.fail(time.Duration(i).String(), "")
	}
	if n := len(l.entries); n > maxLimitedKey {
		t.Fatalf("%d entries, limit %d", n, maxLimitedKey)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "/",
		"/WMO-loket/Ontwerp?rev=ab": "/WMO-loket/Ontwerp?rev=ab",
		"//evil.example/":           "/",
		"/\\evil.example":           "/",
		"https://evil.example/":     "/",
		"javascript:alert(1)":       "/",
		"/a\r\nSet-Cookie: x=y":     "/",
		"Home":                      "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientIPHonoursProxyOnlyWhenTrusted(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.2")
	r.Header.Set("X-Forwarded-Proto", "https")
	s := &Server{}
	if ip := s.clientIP(r); ip != "192.0.2.7" || s.isHTTPS(r) {
		t.Fatalf("untrusted proxy: ip %s https %v", ip, s.isHTTPS(r))
	}
	s.trustProxy = true
	if ip := s.clientIP(r); ip != "198.51.100.2" || !s.isHTTPS(r) {
		t.Fatalf("trusted proxy: ip %s https %v", ip, s.isHTTPS(r))
	}
}
