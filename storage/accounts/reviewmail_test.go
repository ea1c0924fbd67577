package accounts_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestReviewMailSwitch: review mail is on until switched off, survives
// reopening, is no follow, and is kept apart from the mention switch.
func TestReviewMailSwitch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts.db")
	s := open(t, path, accounts.Options{})
	ctx := context.Background()
	create(t, s, wiki.User{Name: "anna", Email: "anna@gemeente.nl", Role: wiki.RoleEditor})
	if on, err := s.ReviewMail(ctx, "anna"); err != nil || !on {
		t.Fatalf("review mail at first = %v, %v", on, err)
	}
	if err := s.SetReviewMail(ctx, "Anna", false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetReviewMail(ctx, "nobody", false); !errors.Is(err, wiki.ErrNotFound) {
		t.Errorf("switch of an unknown account = %v", err)
	}
	s.Close()
	s = open(t, path, accounts.Options{})
	if on, err := s.ReviewMail(ctx, "anna"); err != nil || on {
		t.Errorf("review mail after switching off and reopening = %v, %v", on, err)
	}
	if on, _ := s.MentionMail(ctx, "anna"); !on {
		t.Error("switching review mail off switched mention mail off")
	}
	if fs, err := s.Follows(ctx, "anna"); err != nil || len(fs) != 0 {
		t.Errorf("the switch shows as a follow: %+v, %v", fs, err)
	}
	if err := s.SetReviewMail(ctx, "anna", true); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.ReviewMail(ctx, "anna"); !on {
		t.Error("review mail did not come back on")
	}
}
