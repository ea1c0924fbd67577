package wiki_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// recorder is a ReviewListener that keeps what it hears.
type recorder struct {
	mu     sync.Mutex
	events []wiki.ReviewEvent
}

func (r *recorder) ReviewEvent(_ context.Context, e wiki.ReviewEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Kind)
	}
	return out
}

// TestReviewListenerHears: the hook for notifications hears a proposal,
// its review, its publication and a comment, each with what a message
// needs: the page, the reviewers' groups, who did it.
func TestReviewListenerHears(t *testing.T) {
	ctx := context.Background()
	repo, err := storage.Init(filepath.Join(t.TempDir(), "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	res, err := repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "seed"}, Message: "seed", Changes: []wiki.Change{{Name: "Beleid/Visie", Content: []byte("Een\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	policy := wiki.Policy{Read: wiki.Anyone, Edit: wiki.Editors, Review: []wiki.Protected{{Prefix: "Beleid", Groups: []string{"beleidsteam"}}}}
	rec := &recorder{}
	w := wiki.New(repo, wiki.Options{Policy: &policy, ReviewListener: rec})
	anna := &wiki.User{Name: "anna", DisplayName: "Anna", Role: wiki.RoleEditor}
	dirk := &wiki.User{Name: "dirk", DisplayName: "Dirk", Role: wiki.RoleEditor, Groups: []string{"beleidsteam"}}
	saved, err := w.Save(ctx, wiki.Save{Name: "Beleid/Visie", Content: []byte("Twee\n"), Base: res.Revision, Author: anna.Author(), Actor: anna})
	if err != nil || saved.Proposal == nil {
		t.Fatalf("save in a review folder: %+v %v", saved, err)
	}
	id := saved.Proposal.ID
	if _, err := w.ReviewProposal(ctx, wiki.ReviewRequest{ID: id, Verdict: wiki.VerdictApprove, Actor: anna}); err == nil {
		t.Fatal("anna, no reviewer, approved")
	}
	if _, err := w.ReviewProposal(ctx, wiki.ReviewRequest{ID: id, Verdict: wiki.VerdictApprove, Comment: "Goed", Actor: dirk}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.PublishProposal(ctx, wiki.PublishRequest{ID: id, Actor: dirk}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Comment(ctx, wiki.CommentRequest{Page: "Beleid/Visie", Text: "Mooi, @Dirk. Zie ook @bram en anna@example.nl", Author: anna.Author(), Actor: anna}); err != nil {
		t.Fatal(err)
	}
	got := rec.kinds()
	want := []string{"proposed", "reviewed", "published", "commented"}
	if len(got) != len(want) {
		t.Fatalf("events: %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events: %v, want %v", got, want)
		}
	}
	e := rec.events[0]
	if e.Page != "Beleid/Visie" || e.Actor.Name != "Anna" || len(e.Reviewers) != 1 || e.Reviewers[0] != "beleidsteam" || e.Proposal.User != "anna" {
		t.Fatalf("proposed: %+v", e)
	}
	if r := rec.events[1].Review; r == nil || r.Comment != "Goed" || r.Author.Name != "Dirk" {
		t.Fatalf("reviewed: %+v", rec.events[1])
	}
	if c := rec.events[3].Comment; c == nil || !strings.HasPrefix(c.Text, "Mooi") || strings.Join(rec.events[3].Mentions, ",") != "dirk,bram" {
		t.Fatalf("commented: %+v", rec.events[3])
	}
}

func TestMentions(t *testing.T) {
	for text, want := range map[string]string{
		"@anna kijk even":                 "anna",
		"Zie @Dirk. En @dirk, @bram-":     "dirk,bram",
		"mail anna@example.nl of @@x":     "",
		"(@carla) `@code` \n@j.de-vries.": "carla,code,j.de-vries",
	} {
		if got := strings.Join(wiki.Mentions(text), ","); got != want {
			t.Errorf("Mentions(%q) = %q, want %q", text, got, want)
		}
	}
}
