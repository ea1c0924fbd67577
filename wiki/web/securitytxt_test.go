package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

const securityTxtPath = "/.well-known/security.txt"

// TestSecurityTxt checks /.well-known/security.txt against RFC 9116: the
// required fields once each, Expires in the future and less than a year
// ahead, text/plain, and served where reading needs an account too.
func TestSecurityTxt(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC)
	contacts, err := web.ParseSecurityContact("cert@gemeente.example, https://gemeente.example/melden")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := storage.Init(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Wiki: wiki.New(repo, wiki.Options{}), Theme: theme, Policy: wiki.Policy{Read: wiki.SignedIn}, Now: func() time.Time { return now },
		BaseURL: "https://wiki.gemeente.example/", SecurityContacts: contacts})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, securityTxtPath, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	fields := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(rec.Body.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("line %q is not a field", line)
		}
		fields[name] = append(fields[name], value)
	}
	if got := strings.Join(fields["Contact"], " "); got != "mailto:cert@gemeente.example https://gemeente.example/melden" {
		t.Errorf("Contact %q", got)
	}
	if len(fields["Expires"]) != 1 {
		t.Fatalf("Expires %q, want one", fields["Expires"])
	}
	exp, err := time.Parse(time.RFC3339, fields["Expires"][0])
	if err != nil {
		t.Fatalf("Expires: %v", err)
	}
	if !exp.After(now) || exp.After(now.AddDate(1, 0, 0)) {
		t.Errorf("Expires %v is not within a year after %v", exp, now)
	}
	if got := strings.Join(fields["Canonical"], " "); got != "https://wiki.gemeente.example/.well-known/security.txt" {
		t.Errorf("Canonical %q", got)
	}
	if got := strings.Join(fields["Preferred-Languages"], " "); got != "nl, en" {
		t.Errorf("Preferred-Languages %q", got)
	}

	// Without a contact there is nothing to say.
	tw := newTestWiki(t)
	if code, _ := tw.get(securityTxtPath); code != http.StatusNotFound {
		t.Errorf("without a contact: status %d, want 404", code)
	}
}

func TestParseSecurityContact(t *testing.T) {
	for _, bad := range []string{"nobody", "http://example.nl/security", "ftp://x", "a b@example.nl", "mailto:nobody", "@example.nl"} {
		if _, err := web.ParseSecurityContact(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	got, err := web.ParseSecurityContact("tel:+31201234567,mailto:cert@example.nl")
	if err != nil || strings.Join(got, " ") != "tel:+31201234567 mailto:cert@example.nl" {
		t.Errorf("got %q, %v", got, err)
	}
}
