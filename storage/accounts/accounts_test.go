package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

var (
	_ web.AccountStore = (*accounts.Store)(nil)
	_ web.UserManager  = (*accounts.Store)(nil)
)

// cheap keeps argon2 fast in tests; the real cost is exercised by
// TestDefaultParameters.
var cheap = accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}

const pw = "correct horse battery"

// clock is a settable time source safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func open(t *testing.T, path string, opt accounts.Options) *accounts.Store {
	t.Helper()
	if opt.Hash == (accounts.Argon2{}) {
		opt.Hash = cheap
	}
	s, err := accounts.OpenWith(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newStore(t *testing.T) (*accounts.Store, *clock) {
	t.Helper()
	c := newClock()
	return open(t, accounts.PathIn(t.TempDir()), accounts.Options{Now: c.Now}), c
}

func create(t *testing.T, s *accounts.Store, u wiki.User) *wiki.User {
	t.Helper()
	got, err := s.Create(context.Background(), u, pw)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var cli = wiki.Actor{Name: "cli"}

func TestCreateAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if n, err := s.Count(ctx); err != nil || n != 0 {
		t.Fatalf("fresh count = %d, %v", n, err)
	}
	u := create(t, s, wiki.User{Name: "Anna", DisplayName: " Anna de Vries ", Email: "anna@example.nl", Role: wiki.RoleEditor, Groups: []string{"beleid", "Beleid", " wmo "}})
	want := wiki.User{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@example.nl", Role: wiki.RoleEditor, Groups: []string{"beleid", "wmo"}}
	if u.Name != want.Name || u.DisplayName != want.DisplayName || u.Email != want.Email || u.Role != want.Role ||
		fmt.Sprint(u.Groups) != fmt.Sprint(want.Groups) || u.Created.IsZero() || u.Disabled {
		t.Fatalf("created %+v, want %+v", u, want)
	}
	for _, name := range []string{"anna", "ANNA", " Anna "} {
		got, err := s.Authenticate(ctx, name, pw)
		if err != nil || got.Name != "anna" || got.Role != wiki.RoleEditor {
			t.Fatalf("Authenticate(%q) = %+v, %v", name, got, err)
		}
	}
	if got, err := s.User(ctx, "ANNA"); err != nil || got.Email != "anna@example.nl" {
		t.Fatalf("User = %+v, %v", got, err)
	}
	if n, _ := s.Count(ctx); n != 1 {
		t.Fatalf("count = %d", n)
	}
	if _, err := s.Create(ctx, wiki.User{Name: "anna"}, pw); !errors.Is(err, wiki.ErrNameTaken) {
		t.Fatalf("second anna: %v", err)
	}
	reader := create(t, s, wiki.User{Name: "bert"})
	if reader.Role != wiki.RoleReader {
		t.Fatalf("default role %q", reader.Role)
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := s.User(ctx, "../etc"); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("invalid name: %v", err)
	}
}

func TestCreateRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	long := strings.Repeat("a", 65)
	cases := []struct {
		name string
		u    wiki.User
		pw   string
	}{
		{"empty name", wiki.User{Name: ""}, pw},
		{"name too long", wiki.User{Name: long}, pw},
		{"space in name", wiki.User{Name: "anna de vries"}, pw},
		{"slash in name", wiki.User{Name: "a/b"}, pw},
		{"non-ASCII name", wiki.User{Name: "jöran"}, pw},
		{"leading dash", wiki.User{Name: "-rf"}, pw},
		{"leading dot", wiki.User{Name: ".hidden"}, pw},
		{"angle bracket in display name", wiki.User{Name: "a", DisplayName: "Anna <evil@x>"}, pw},
		{"newline in display name", wiki.User{Name: "a", DisplayName: "Anna\nSigned-off-by: x"}, pw},
		{"invalid UTF-8 display name", wiki.User{Name: "a", DisplayName: "\xff"}, pw},
		{"e-mail without @", wiki.User{Name: "a", Email: "anna"}, pw},
		{"e-mail with name", wiki.User{Name: "a", Email: "Anna <anna@example.nl>"}, pw},
		{"e-mail with newline", wiki.User{Name: "a", Email: "anna@example.nl\nBcc: x@example.nl"}, pw},
		{"two addresses", wiki.User{Name: "a", Email: "a@x.nl,b@y.nl"}, pw},
		{"unknown role", wiki.User{Name: "a", Role: "god"}, pw},
		{"control character in group", wiki.User{Name: "a", Groups: []string{"a\x00b"}}, pw},
		{"short password", wiki.User{Name: "a"}, "elevenchars"},
		{"short password in characters", wiki.User{Name: "a"}, "ééééééééééé"},
		{"long password", wiki.User{Name: "a"}, strings.Repeat("x", 1025)},
		{"invalid UTF-8 password", wiki.User{Name: "a"}, "\xff\xfe" + pw},
	}
	for _, tc := range cases {
		if _, err := s.Create(ctx, tc.u, tc.pw); !errors.Is(err, wiki.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", tc.name, err)
		}
	}
	if n, _ := s.Count(ctx); n != 0 {
		t.Fatalf("%d accounts created from bad input", n)
	}
	// The edges that are allowed.
	for _, u := range []wiki.User{
		{Name: strings.Repeat("a", 64)},
		{Name: "a.b-c_d9"},
		{Name: "x", Email: "x.y+wiki@gemeente.example.nl", DisplayName: "Jöran van 't Hof"},
	} {
		if _, err := s.Create(ctx, u, strings.Repeat("é", 12)); err != nil {
			t.Errorf("Create(%+v): %v", u, err)
		}
	}
	if _, err := s.Create(ctx, wiki.User{Name: "maxpw"}, strings.Repeat("x", 1024)); err != nil {
		t.Errorf("1024-byte password: %v", err)
	}
}

func TestAuthenticateFailures(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, wiki.User{Name: "anna"})
	create(t, s, wiki.User{Name: "carla"})
	if err := s.SetDisabled(ctx, cli, "carla", true); err != nil {
		t.Fatal(err)
	}
	ext, err := s.UpsertExternal(ctx, "https://idp.example", "sub-1", "dirk", wiki.User{DisplayName: "Dirk"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ what, name, pw string }{
		{"wrong password", "anna", pw + "!"},
		{"empty password", "anna", ""},
		{"unknown user", "nobody", pw},
		{"invalid name", "../../x", pw},
		{"disabled user with the right password", "carla", pw},
		{"single sign-on account has no password", ext.Name, ""},
		{"single sign-on account with a guess", ext.Name, pw},
		{"oversize password", "anna", strings.Repeat("x", 5000)},
	}
	for _, tc := range cases {
		u, err := s.Authenticate(ctx, tc.name, tc.pw)
		if !errors.Is(err, wiki.ErrUnauthenticated) || u != nil {
			t.Errorf("%s: (%v, %v), want ErrUnauthenticated", tc.what, u, err)
		}
	}
	// The message does not say whether the name exists.
	_, errWrong := s.Authenticate(ctx, "anna", "wrong password!")
	_, errUnknown := s.Authenticate(ctx, "nobody", "wrong password!")
	if errWrong.Error() != errUnknown.Error() {
		t.Errorf("messages differ: %q vs %q", errWrong, errUnknown)
	}
}

// TestDefaultParameters signs in with the server's real argon2id cost.
func TestDefaultParameters(t *testing.T) {
	ctx := context.Background()
	s, err := accounts.Open(accounts.PathIn(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Create(ctx, wiki.User{Name: "anna"}, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "anna", pw); err != nil {
		t.Fatal(err)
	}
	// The unknown-user path runs the dummy hash at the same cost.
	if _, err := s.Authenticate(ctx, "bert", pw); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatal(err)
	}
}

func TestPasswordNormalisation(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	composed := "geheim wachtwoord é"         // U+00E9
	decomposed := "geheim wachtwoord e\u0301" // e + combining acute
	if _, err := s.Create(ctx, wiki.User{Name: "anna"}, composed); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "anna", decomposed); err != nil {
		t.Fatalf("the same password typed decomposed: %v", err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s, clk := newStore(t)
	create(t, s, wiki.User{Name: "anna", Role: wiki.RoleEditor})
	id, err := s.NewSession(ctx, "Anna", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 43 || strings.ContainsAny(id, "+/=") {
		t.Fatalf("session id %q is not 32 bytes of base64url", id)
	}
	u, err := s.SessionUser(ctx, id)
	if err != nil || u.Name != "anna" {
		t.Fatalf("SessionUser = %+v, %v", u, err)
	}
	// A role change shows in the next lookup.
	if err := s.SetRole(ctx, cli, "anna", wiki.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.SessionUser(ctx, id); u.Role != wiki.RoleAdmin {
		t.Fatalf("role after change: %q", u.Role)
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), id[:42], id + "A"} {
		if _, err := s.SessionUser(ctx, bad); !errors.Is(err, wiki.ErrUnauthenticated) {
			t.Errorf("SessionUser(%q): %v", bad, err)
		}
	}
	if err := s.EndSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, id); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("ended session: %v", err)
	}
	if err := s.EndSession(ctx, id); err != nil {
		t.Fatalf("ending it twice: %v", err)
	}

	// Expiry.
	id, _ = s.NewSession(ctx, "anna", time.Hour)
	clk.Add(59 * time.Minute)
	if _, err := s.SessionUser(ctx, id); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	clk.Add(time.Minute)
	if _, err := s.SessionUser(ctx, id); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("expired session: %v", err)
	}
	clk.Add(-time.Hour) // even if the clock goes back, the expired session was removed
	if _, err := s.SessionUser(ctx, id); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("expired session after clock reset: %v", err)
	}

	if _, err := s.NewSession(ctx, "nobody", time.Hour); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("session for unknown user: %v", err)
	}
	if _, err := s.NewSession(ctx, "anna", 0); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("zero ttl: %v", err)
	}
}

func TestDisablingStopsSessionsAndTokensAtOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, wiki.User{Name: "anna", Role: wiki.RoleEditor})
	create(t, s, wiki.User{Name: "bert", Role: wiki.RoleEditor})
	session, _ := s.NewSession(ctx, "anna", time.Hour)
	otherSession, _ := s.NewSession(ctx, "bert", time.Hour)
	secret, _, err := s.NewToken(ctx, "anna", "laptop git")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, cli, "anna", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, session); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("session of a disabled user: %v", err)
	}
	if _, err := s.AuthenticateToken(ctx, secret); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("token of a disabled user: %v", err)
	}
	if _, err := s.NewSession(ctx, "anna", time.Hour); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("new session for a disabled user: %v", err)
	}
	if _, _, err := s.NewToken(ctx, "anna", "x"); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("new token for a disabled user: %v", err)
	}
	if u, err := s.User(ctx, "anna"); err != nil || !u.Disabled {
		t.Fatalf("User after disabling: %+v, %v", u, err)
	}
	if _, err := s.SessionUser(ctx, otherSession); err != nil {
		t.Fatalf("another user's session: %v", err)
	}

	// Re-enabling brings the tokens back; the sessions stay ended.
	if err := s.SetDisabled(ctx, cli, "anna", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, secret); err != nil {
		t.Fatalf("token after re-enabling: %v", err)
	}
	if _, err := s.SessionUser(ctx, session); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("session after re-enabling: %v", err)
	}
	if _, err := s.Authenticate(ctx, "anna", pw); err != nil {
		t.Fatalf("sign-in after re-enabling: %v", err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s, clk := newStore(t)
	create(t, s, wiki.User{Name: "anna"})
	create(t, s, wiki.User{Name: "bert"})
	secret, tok, err := s.NewToken(ctx, "anna", " laptop git ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "wwt_") || len(secret) != 4+43 || tok.ID == "" || strings.Contains(secret, tok.ID) ||
		tok.Label != "laptop git" || !tok.LastUsed.IsZero() || !tok.Created.Equal(clk.Now()) {
		t.Fatalf("NewToken = %q, %+v", secret, tok)
	}
	clk.Add(time.Second)
	secret2, tok2, _ := s.NewToken(ctx, "anna", "ci")
	bertSecret, bertTok, _ := s.NewToken(ctx, "bert", "")

	u, err := s.AuthenticateToken(ctx, secret)
	if err != nil || u.Name != "anna" {
		t.Fatalf("AuthenticateToken = %+v, %v", u, err)
	}
	list, err := s.Tokens(ctx, "anna")
	if err != nil || len(list) != 2 || list[0].ID != tok.ID || list[1].ID != tok2.ID {
		t.Fatalf("Tokens = %+v, %v", list, err)
	}
	used := clk.Now()
	if !list[0].LastUsed.Equal(used) || !list[1].LastUsed.IsZero() {
		t.Fatalf("LastUsed after one use: %+v", list)
	}
	// Within a minute, another use does not move LastUsed; after it does.
	clk.Add(30 * time.Second)
	s.AuthenticateToken(ctx, secret)
	if list, _ := s.Tokens(ctx, "anna"); !list[0].LastUsed.Equal(used) {
		t.Fatalf("LastUsed moved within a minute: %v", list[0].LastUsed)
	}
	clk.Add(31 * time.Second)
	s.AuthenticateToken(ctx, secret)
	if list, _ := s.Tokens(ctx, "anna"); !list[0].LastUsed.Equal(clk.Now()) {
		t.Fatalf("LastUsed after a minute: %v, want %v", list[0].LastUsed, clk.Now())
	}

	for _, bad := range []string{"", "wwt_", secret[:len(secret)-1], "wwt_" + strings.Repeat("A", 43), strings.TrimPrefix(secret, "wwt_"), pw} {
		if _, err := s.AuthenticateToken(ctx, bad); !errors.Is(err, wiki.ErrUnauthenticated) {
			t.Errorf("AuthenticateToken(%q): %v", bad, err)
		}
	}

	// A token cannot be revoked through another user; revoking works at once.
	if err := s.RevokeToken(ctx, "bert", tok.ID); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("revoking anna's token as bert: %v", err)
	}
	if err := s.RevokeToken(ctx, "anna", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, secret); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := s.RevokeToken(ctx, "anna", tok.ID); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	if _, err := s.AuthenticateToken(ctx, secret2); err != nil {
		t.Fatalf("the other token: %v", err)
	}
	if u, err := s.AuthenticateToken(ctx, bertSecret); err != nil || u.Name != "bert" {
		t.Fatalf("bert's token: %v %v", u, err)
	}
	if list, _ := s.Tokens(ctx, "bert"); len(list) != 1 || list[0].ID != bertTok.ID {
		t.Fatalf("bert's tokens: %+v", list)
	}
	if _, err := s.Tokens(ctx, "nobody"); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("tokens of unknown user: %v", err)
	}
	if _, _, err := s.NewToken(ctx, "anna", "bad\nlabel"); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("label with newline: %v", err)
	}
}

func TestUpsertExternal(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, wiki.User{Name: "anna"})
	const iss = "https://login.example.nl"

	u, err := s.UpsertExternal(ctx, iss, "s1", "Anna@gemeente.nl", wiki.User{DisplayName: "Anna Jansen", Email: "anna@gemeente.nl", Groups: []string{"wmo"}})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "anna-2" || u.Role != wiki.RoleReader || u.DisplayName != "Anna Jansen" || u.Email != "anna@gemeente.nl" || fmt.Sprint(u.Groups) != "[wmo]" {
		t.Fatalf("new external account: %+v", u)
	}
	u3, _ := s.UpsertExternal(ctx, iss, "s2", "anna", wiki.User{})
	if u3.Name != "anna-3" {
		t.Fatalf("third anna: %q", u3.Name)
	}
	// The same person signing in again finds the same account, updated
	// from the claims; an empty role and nil groups keep what is there.
	if err := s.SetRole(ctx, cli, "anna-2", wiki.RoleEditor); err != nil {
		t.Fatal(err)
	}
	again, err := s.UpsertExternal(ctx, iss, "s1", "something-else", wiki.User{DisplayName: "Anna Jansen-Bakker", Email: "not an address"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Name != "anna-2" || again.DisplayName != "Anna Jansen-Bakker" || again.Email != "" || again.Role != wiki.RoleEditor || fmt.Sprint(again.Groups) != "[wmo]" {
		t.Fatalf("updated external account: %+v", again)
	}
	again, _ = s.UpsertExternal(ctx, iss, "s1", "", wiki.User{Role: wiki.RoleAdmin, Groups: []string{}})
	if again.Role != wiki.RoleAdmin || len(again.Groups) != 0 {
		t.Fatalf("role and groups from claims: %+v", again)
	}
	// Same subject at another issuer is another person.
	other, _ := s.UpsertExternal(ctx, "https://other.example", "s1", "anna", wiki.User{})
	if other.Name != "anna-4" {
		t.Fatalf("other issuer: %q", other.Name)
	}
	// No password: password sign-in always fails.
	if _, err := s.Authenticate(ctx, "anna-2", ""); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatal(err)
	}
	// Hostile claims cannot produce a bad name or author line.
	weird, err := s.UpsertExternal(ctx, iss, "s3", "  José Ñúñez <x>\n", wiki.User{DisplayName: "José <evil@x>\nfoo"})
	if err != nil {
		t.Fatal(err)
	}
	if weird.Name != "jose-nunez-x" || weird.DisplayName != "" {
		t.Fatalf("sanitised: %+v", weird)
	}
	empty, _ := s.UpsertExternal(ctx, iss, "s4", "@@@", wiki.User{})
	if empty.Name != "user" {
		t.Fatalf("name from nothing: %q", empty.Name)
	}
	long, _ := s.UpsertExternal(ctx, iss, "s5", strings.Repeat("x", 100), wiki.User{})
	long2, _ := s.UpsertExternal(ctx, iss, "s6", strings.Repeat("x", 100), wiki.User{})
	if long.Name != strings.Repeat("x", 64) || long2.Name != strings.Repeat("x", 62)+"-2" {
		t.Fatalf("long names: %q %q", long.Name, long2.Name)
	}
	// A disabled account is refused and not changed.
	if err := s.SetDisabled(ctx, cli, "anna-2", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertExternal(ctx, iss, "s1", "", wiki.User{DisplayName: "Changed"}); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("disabled external account: %v", err)
	}
	if u, _ := s.User(ctx, "anna-2"); u.DisplayName == "Changed" {
		t.Fatalf("disabled account changed: %+v", u)
	}
	if _, err := s.UpsertExternal(ctx, "", "s1", "x", wiki.User{}); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("no issuer: %v", err)
	}
	if _, err := s.UpsertExternal(ctx, iss, "s9", "x", wiki.User{Role: "owner"}); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("bad role claim: %v", err)
	}
}

func TestAdminOperations(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	for _, n := range []string{"carla", "anna", "bert"} {
		create(t, s, wiki.User{Name: n})
	}
	users, err := s.List(ctx)
	if err != nil || len(users) != 3 || users[0].Name != "anna" || users[2].Name != "carla" {
		t.Fatalf("List = %+v, %v", users, err)
	}

	session, _ := s.NewSession(ctx, "anna", time.Hour)
	secret, _, _ := s.NewToken(ctx, "anna", "git")
	const newPW = "a new and longer passphrase"
	if err := s.SetPassword(ctx, cli, "ANNA", newPW); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "anna", pw); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("old password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "anna", newPW); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if _, err := s.SessionUser(ctx, session); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("session survived a password change: %v", err)
	}
	if _, err := s.AuthenticateToken(ctx, secret); err != nil {
		t.Fatalf("token after a password change: %v", err)
	}
	if err := s.SetPassword(ctx, cli, "anna", "short"); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("short password: %v", err)
	}

	if err := s.SetRole(ctx, cli, "bert", "Admin"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, cli, "bert", "root"); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("bad role: %v", err)
	}
	if err := s.SetGroups(ctx, cli, "bert", []string{"Beleid", "", "wmo", "beleid"}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "bert"); u.Role != wiki.RoleAdmin || fmt.Sprint(u.Groups) != "[Beleid wmo]" {
		t.Fatalf("bert: %+v", u)
	}
	if err := s.SetGroups(ctx, cli, "bert", nil); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "bert"); len(u.Groups) != 0 {
		t.Fatalf("groups not cleared: %v", u.Groups)
	}

	for name, err := range map[string]error{
		"SetPassword": s.SetPassword(ctx, cli, "nobody", newPW),
		"SetRole":     s.SetRole(ctx, cli, "nobody", wiki.RoleEditor),
		"SetDisabled": s.SetDisabled(ctx, cli, "nobody", true),
		"SetGroups":   s.SetGroups(ctx, cli, "nobody", nil),
	} {
		if !errors.Is(err, wiki.ErrNotFound) {
			t.Errorf("%s of an unknown user: %v", name, err)
		}
	}

	events, err := s.AuditLog(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		if e.Actor == "cli" {
			kinds = append(kinds, e.Kind+":"+e.Subject)
		}
	}
	want := "groups:bert groups:bert role:bert password:anna"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("audit of admin operations, newest first: %q, want %q", got, want)
	}
	if events[len(events)-1].Kind != "user-created" || events[len(events)-1].Subject != "carla" {
		t.Fatalf("oldest event: %+v", events[len(events)-1])
	}
}

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := open(t, accounts.PathIn(t.TempDir()), accounts.Options{Now: c.Now, MaxAuditEvents: 5})
	for i := range 8 {
		c.Add(time.Second)
		if err := s.Record(ctx, wiki.AuditEvent{Kind: "signin", Actor: fmt.Sprint("u", i), IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
	events, err := s.AuditLog(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[0].Actor != "u7" || events[2].Actor != "u5" || !events[0].Time.Equal(c.Now()) || events[0].IP != "192.0.2.1" {
		t.Fatalf("AuditLog(3) = %+v", events)
	}
	all, _ := s.AuditLog(ctx, 100)
	if len(all) != 5 || all[4].Actor != "u3" {
		t.Fatalf("kept %d events, oldest %+v", len(all), all[len(all)-1])
	}
	if err := s.Record(ctx, wiki.AuditEvent{}); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("event without kind: %v", err)
	}
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Record(ctx, wiki.AuditEvent{Time: at, Kind: "denied", Subject: "Beleid/Plan", Detail: "edit\nforged line" + strings.Repeat("x", 5000)})
	e, _ := s.AuditLog(ctx, 1)
	if !e[0].Time.Equal(at) || strings.Contains(e[0].Detail, "\n") || len(e[0].Detail) > 1000 {
		t.Fatalf("recorded %+v", e[0])
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accounts.db")
	s, err := accounts.OpenWith(path, accounts.Options{Hash: cheap})
	if err != nil {
		t.Fatal(err)
	}
	create(t, s, wiki.User{Name: "anna", Email: "anna@example.nl", Role: wiki.RoleAdmin})
	session, _ := s.NewSession(ctx, "anna", time.Hour)
	secret, _, _ := s.NewToken(ctx, "anna", "git")
	ext, _ := s.UpsertExternal(ctx, "https://idp", "s1", "bert", wiki.User{})
	s.Record(ctx, wiki.AuditEvent{Kind: "signin", Actor: "anna"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path, accounts.Options{})
	if u, err := s.Authenticate(ctx, "anna", pw); err != nil || u.Role != wiki.RoleAdmin || u.Email != "anna@example.nl" {
		t.Fatalf("after reopen: %+v, %v", u, err)
	}
	if _, err := s.SessionUser(ctx, session); err != nil {
		t.Fatalf("session after reopen: %v", err)
	}
	if _, err := s.AuthenticateToken(ctx, secret); err != nil {
		t.Fatalf("token after reopen: %v", err)
	}
	if again, _ := s.UpsertExternal(ctx, "https://idp", "s1", "zzz", wiki.User{}); again.Name != ext.Name {
		t.Fatalf("external link after reopen: %q", again.Name)
	}
	if events, _ := s.AuditLog(ctx, 1); len(events) != 1 || events[0].Actor != "anna" {
		t.Fatalf("audit after reopen: %+v", events)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	path := accounts.PathIn(t.TempDir())
	open(t, path, accounts.Options{})
	s2, err := accounts.OpenWith(path, accounts.Options{Hash: cheap, LockTimeout: 200 * time.Millisecond})
	if err == nil {
		s2.Close()
		t.Fatal("opened the same file twice")
	}
	if !errors.Is(err, accounts.ErrInUse) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want ErrInUse naming the file", err)
	}
}

func TestCancelledContext(t *testing.T) {
	s, _ := newStore(t)
	create(t, s, wiki.User{Name: "anna"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Authenticate(ctx, "anna", pw); !errors.Is(err, context.Canceled) {
		t.Fatalf("Authenticate: %v", err)
	}
	if _, err := s.Create(ctx, wiki.User{Name: "bert"}, pw); !errors.Is(err, context.Canceled) {
		t.Fatalf("Create: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	const users = 4
	sessions := make([]string, users)
	secrets := make([]string, users)
	for i := range users {
		name := fmt.Sprint("user", i)
		create(t, s, wiki.User{Name: name, Role: wiki.RoleEditor})
		sessions[i], _ = s.NewSession(ctx, name, time.Hour)
		secrets[i], _, _ = s.NewToken(ctx, name, "t")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := range 8 {
		wg.Go(func() {
			i := g % users
			name := fmt.Sprint("user", i)
			for range 20 {
				if u, err := s.Authenticate(ctx, name, pw); err != nil || u.Name != name {
					errs <- fmt.Errorf("Authenticate(%s): %v, %v", name, u, err)
				}
				if _, err := s.Authenticate(ctx, name, "wrong password here"); !errors.Is(err, wiki.ErrUnauthenticated) {
					errs <- fmt.Errorf("wrong password: %v", err)
				}
				if u, err := s.SessionUser(ctx, sessions[i]); err != nil || u.Name != name {
					errs <- fmt.Errorf("SessionUser(%s): %v, %v", name, u, err)
				}
				if u, err := s.AuthenticateToken(ctx, secrets[i]); err != nil || u.Name != name {
					errs <- fmt.Errorf("AuthenticateToken(%s): %v, %v", name, u, err)
				}
				id, err := s.NewSession(ctx, name, time.Minute)
				if err != nil {
					errs <- err
				} else if err := s.EndSession(ctx, id); err != nil {
					errs <- err
				}
				if err := s.Record(ctx, wiki.AuditEvent{Kind: "signin", Actor: name}); err != nil {
					errs <- err
				}
			}
		})
	}
	// Meanwhile an admin changes roles and groups.
	wg.Go(func() {
		for j := range 20 {
			if err := s.SetRole(ctx, cli, "user0", []wiki.Role{wiki.RoleReader, wiki.RoleEditor}[j%2]); err != nil {
				errs <- err
			}
			if err := s.SetGroups(ctx, cli, "user1", []string{fmt.Sprint("g", j)}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if events, _ := s.AuditLog(ctx, 1000); len(events) < 8*20 {
		t.Fatalf("%d audit events", len(events))
	}
}
