package accounts_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestFollows: following pages and folders with a mode, changing the
// mode, unfollowing; who follows a page (the page and every folder above
// it); what survives reopening the file.
func TestFollows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts.db")
	s := open(t, path, accounts.Options{})
	ctx := context.Background()
	for _, n := range []string{"anna", "bob", "carol"} {
		create(t, s, wiki.User{Name: n, Email: n + "@gemeente.nl", Role: wiki.RoleEditor})
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Follow(ctx, "anna", "Beleid/Wmo", wiki.FollowImmediately))
	must(s.Follow(ctx, "Bob", "Beleid/", wiki.FollowDaily))
	must(s.Follow(ctx, "carol", "Beleid/Wmo/", ""))
	must(s.Follow(ctx, "carol", "Beleidsplan", wiki.FollowImmediately))
	must(s.Follow(ctx, "anna", "Beleid/Wmo", wiki.FollowDaily)) // a new mode, not a second follow

	followers := func(page string) map[string]string {
		t.Helper()
		fs, err := s.Followers(ctx, wiki.MustParseName(page))
		must(err)
		out := map[string]string{}
		for _, f := range fs {
			out[f.User+" "+f.Target] = string(f.Mode)
		}
		return out
	}
	if got, want := followers("Beleid/Wmo"), map[string]string{"anna Beleid/Wmo": "daily", "bob Beleid/": "daily", "carol Beleid/Wmo/": "immediately"}; !reflect.DeepEqual(got, want) {
		t.Errorf("followers of Beleid/Wmo = %v, want %v", got, want)
	}
	if got, want := followers("Beleid/Wmo/Loket/Aanvraag"), map[string]string{"bob Beleid/": "daily", "carol Beleid/Wmo/": "immediately"}; !reflect.DeepEqual(got, want) {
		t.Errorf("followers of a page deep in the folder = %v, want %v", got, want)
	}
	if got, want := followers("Beleidsplan"), map[string]string{"carol Beleidsplan": "immediately"}; !reflect.DeepEqual(got, want) {
		t.Errorf("followers of Beleidsplan = %v (a name that starts like a folder is not in it)", got)
	}
	must(s.Unfollow(ctx, "anna", "Beleid/Wmo"))
	must(s.Unfollow(ctx, "anna", "Beleid/Wmo")) // twice is no error
	if got := followers("Beleid/Wmo"); len(got) != 2 {
		t.Errorf("after unfollowing: %v", got)
	}
	for _, bad := range []string{"", "/", "a//b", "../x", "-/watchlist"} {
		if err := s.Follow(ctx, "anna", bad, ""); !errors.Is(err, wiki.ErrInvalidInput) && !errors.Is(err, wiki.ErrInvalidName) {
			t.Errorf("Follow(%q) = %v, want invalid input", bad, err)
		}
	}
	if err := s.Follow(ctx, "anna", "X", "weekly"); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Errorf("Follow with mode weekly = %v", err)
	}
	if err := s.Follow(ctx, "nobody", "X", ""); !errors.Is(err, wiki.ErrNotFound) {
		t.Errorf("Follow by an unknown account = %v", err)
	}
	// Mention mail is on until switched off, and is no follow.
	if on, err := s.MentionMail(ctx, "carol"); err != nil || !on {
		t.Errorf("mention mail = %v, %v", on, err)
	}
	must(s.SetMentionMail(ctx, "carol", false))
	s.Close()

	s = open(t, path, accounts.Options{})
	fs, err := s.Follows(ctx, "carol")
	must(err)
	if len(fs) != 2 || fs[0].Target != "Beleid/Wmo/" || fs[1].Target != "Beleidsplan" || fs[0].Since.IsZero() {
		t.Errorf("carol follows %+v", fs)
	}
	if on, _ := s.MentionMail(ctx, "carol"); on {
		t.Error("mention mail came back on after reopening")
	}
}

// TestSeen: the revision a person last saw of each page.
func TestSeen(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	create(t, s, wiki.User{Name: "anna", Role: wiki.RoleEditor})
	create(t, s, wiki.User{Name: "bob", Role: wiki.RoleEditor})
	a, b := wiki.MustParseName("Beleid/Wmo"), wiki.MustParseName("Home")
	if err := s.MarkSeen(ctx, "anna", a, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSeen(ctx, "anna", a, "r1"); err != nil { // unchanged: no write
		t.Fatal(err)
	}
	if err := s.MarkSeen(ctx, "anna", b, "r7"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSeen(ctx, "anna", a, "r2"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Seen(ctx, "Anna", a, b, "Elders")
	if err != nil || !reflect.DeepEqual(got, map[wiki.Name]string{a: "r2", b: "r7", "Elders": ""}) {
		t.Errorf("anna saw %v, %v", got, err)
	}
	if got, _ := s.Seen(ctx, "bob", a); got[a] != "" {
		t.Errorf("bob saw %v", got)
	}
	if err := s.MarkSeen(ctx, "anna", a, ""); !errors.Is(err, wiki.ErrInvalidInput) {
		t.Errorf("MarkSeen without a revision = %v", err)
	}
}
