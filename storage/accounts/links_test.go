package accounts_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestOneTimeLinkWorksOnce: however many submit the same link at once,
// one sets the password; the rest get ErrLinkInvalid.
func TestOneTimeLinkWorksOnce(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateInvited(ctx, cli, wiki.User{Name: "eva", Role: wiki.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	link, err := s.NewLink(ctx, cli, "eva", wiki.LinkInvite)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UseLink(ctx, wiki.UseLinkRequest{Secret: link.Secret, Purpose: wiki.LinkInvite,
				Password: "wachtwoord nummer " + string(rune('a'+i)), IP: "192.0.2.1"})
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, wiki.ErrLinkInvalid) || !errors.Is(err, wiki.ErrNotFound):
			t.Errorf("a losing use: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d uses succeeded, want 1", ok)
	}
	events, _ := s.AuditLog(ctx, 10)
	if events[0].Kind != "invite-accepted" || events[0].Actor != "eva" || events[0].IP != "192.0.2.1" || strings.Contains(events[0].Detail, link.Secret) {
		t.Errorf("audit: %+v", events[0])
	}
}

// TestOneTimeLinkRules: purposes do not mix, a bad password leaves the
// link valid, a reset ends sessions, a disabled account's link stops
// working, and links expire on the store's clock.
func TestOneTimeLinkRules(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	create(t, s, wiki.User{Name: "anna"})
	sess, err := s.NewSession(ctx, "anna", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	reset, err := s.NewLink(ctx, cli, "anna", wiki.LinkReset)
	if err != nil || !reset.Expires.Equal(c.Now().Add(accounts.ResetTTL)) {
		t.Fatalf("reset link: %+v %v", reset, err)
	}
	if _, err := s.LinkUser(ctx, reset.Secret, wiki.LinkInvite); !errors.Is(err, wiki.ErrLinkInvalid) {
		t.Fatalf("a reset link used as an invitation: %v", err)
	}
	if _, err := s.UseLink(ctx, wiki.UseLinkRequest{Secret: reset.Secret, Purpose: wiki.LinkReset, Password: "kort"}); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("a short password: %v", err)
	}
	if _, err := s.UseLink(ctx, wiki.UseLinkRequest{Secret: reset.Secret, Purpose: wiki.LinkReset, Password: "een nieuw lang wachtwoord", DisplayName: "Niet Anna"}); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, err := s.SessionUser(ctx, sess); !errors.Is(err, wiki.ErrUnauthenticated) {
		t.Fatalf("a session after the reset: %v", err)
	}
	if u, _ := s.Authenticate(ctx, "anna", "een nieuw lang wachtwoord"); u == nil || u.DisplayName != "" {
		t.Fatalf("after the reset: %+v (a reset does not change the name)", u)
	}

	late, _ := s.NewLink(ctx, cli, "anna", wiki.LinkReset)
	c.Add(accounts.ResetTTL)
	if _, err := s.LinkUser(ctx, late.Secret, wiki.LinkReset); !errors.Is(err, wiki.ErrLinkInvalid) {
		t.Fatalf("an expired reset link: %v", err)
	}
	disabled, _ := s.NewLink(ctx, cli, "anna", wiki.LinkReset)
	if err := s.SetDisabled(ctx, cli, "anna", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkUser(ctx, disabled.Secret, wiki.LinkReset); !errors.Is(err, wiki.ErrLinkInvalid) {
		t.Fatalf("the link of a disabled account: %v", err)
	}
	if _, err := s.NewLink(ctx, cli, "anna", wiki.LinkReset); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("a new link for a disabled account: %v", err)
	}
	if _, err := s.NewLink(ctx, cli, "nobody", wiki.LinkInvite); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("a link for nobody: %v", err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43)} {
		if _, err := s.LinkUser(ctx, bad, wiki.LinkReset); !errors.Is(err, wiki.ErrLinkInvalid) {
			t.Errorf("secret %q: %v", bad, err)
		}
	}
}

// TestUpdateUserAllOrNothing: one bad field refuses the whole change;
// each change made is in the audit log, without the address itself.
func TestUpdateUserAllOrNothing(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	create(t, s, wiki.User{Name: "bram", Email: "bram@example.nl"})
	name, email, badLang := "Bram Jansen", "b.jansen@example.nl", "fr"
	if _, err := s.UpdateUser(ctx, cli, "bram", wiki.UserUpdate{DisplayName: &name, Email: &email, Lang: &badLang}); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Fatalf("a bad language: %v", err)
	}
	if u, _ := s.User(ctx, "bram"); u.DisplayName != "" || u.Email != "bram@example.nl" {
		t.Fatalf("a refused change changed bram: %+v", u)
	}
	role, groups, yes := wiki.RoleEditor, []string{"wmo"}, true
	u, err := s.UpdateUser(ctx, cli, "bram", wiki.UserUpdate{DisplayName: &name, Email: &email, Role: &role, Groups: &groups, Disabled: &yes})
	if err != nil || u.DisplayName != name || u.Email != email || u.Role != role || !u.Disabled || u.Groups[0] != "wmo" {
		t.Fatalf("update: %+v %v", u, err)
	}
	events, _ := s.AuditLog(ctx, 10)
	kinds := ""
	for _, e := range events {
		kinds += e.Kind + " "
		if strings.Contains(e.Detail, email) {
			t.Errorf("the address is in the audit log: %+v", e)
		}
	}
	if kinds != "disable groups role profile profile user-created " {
		t.Errorf("audit kinds: %s", kinds)
	}
}

// TestSessionList: sessions are listed with a public ID that is not the
// secret, and end one by one or all but the current one.
func TestSessionList(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	create(t, s, wiki.User{Name: "anna"})
	create(t, s, wiki.User{Name: "bram"})
	a1, _ := s.NewSession(ctx, "anna", time.Hour)
	c.Add(time.Minute)
	a2, _ := s.NewSession(ctx, "anna", time.Hour)
	b1, _ := s.NewSession(ctx, "bram", time.Hour)
	if err := s.NoteSessionClient(ctx, a1, "192.0.2.9", "Browser\nmet regel"); err != nil {
		t.Fatal(err)
	}
	list, err := s.Sessions(ctx, "anna", a2)
	if err != nil || len(list) != 2 || !list[0].Current || list[1].Current || list[1].IP != "192.0.2.9" || list[1].Agent != "Browser met regel" {
		t.Fatalf("anna's sessions: %+v %v", list, err)
	}
	if strings.Contains(a1, list[1].ID) || len(list[1].ID) != 16 {
		t.Fatalf("the public ID %q", list[1].ID)
	}
	bl, _ := s.Sessions(ctx, "bram", "")
	if err := s.EndSessionOf(ctx, cli, "anna", bl[0].ID); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("anna ends bram's session: %v", err)
	}
	if err := s.EndSessionOf(ctx, cli, "anna", list[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, a1); err == nil {
		t.Fatal("the ended session still works")
	}
	a3, _ := s.NewSession(ctx, "anna", time.Hour)
	if n, err := s.EndOtherSessions(ctx, cli, "anna", a3); err != nil || n != 1 {
		t.Fatalf("end others: %d %v", n, err)
	}
	if _, err := s.SessionUser(ctx, a3); err != nil {
		t.Fatalf("the current session: %v", err)
	}
	if _, err := s.SessionUser(ctx, b1); err != nil {
		t.Fatalf("bram's session: %v", err)
	}
	// Last seen moves with use, not with every request.
	c.Add(10 * time.Minute)
	if _, err := s.SessionUser(ctx, a3); err != nil {
		t.Fatal(err)
	}
	list, _ = s.Sessions(ctx, "anna", a3)
	if !list[0].LastSeen.Equal(c.Now()) {
		t.Fatalf("last seen %v, want %v", list[0].LastSeen, c.Now())
	}
}
