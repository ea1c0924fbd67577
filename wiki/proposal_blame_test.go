package wiki_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/blameindex"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestPublishedLinesKeepTheirAuthor: after a proposal is published, blame
// (through the blame index, as the server runs it) credits the lines the
// proposal brought in to the proposer's commit, not to the merge, and the
// lines main changed meanwhile to their own authors.
func TestPublishedLinesKeepTheirAuthor(t *testing.T) {
	ctx := context.Background()
	repo, err := storage.Init(filepath.Join(t.TempDir(), "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	seed, err := repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Seed"}, Message: "seed", Changes: []wiki.Change{{Name: "Beleid/Visie", Content: []byte("Een\n\nTwee\n\nDrie\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := blameindex.Open(filepath.Join(t.TempDir(), "blame.db"), repo, blameindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	sub, err := repo.Subscribe(ctx, ix)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	policy := wiki.Policy{Read: wiki.Anyone, Edit: wiki.Editors, Review: []wiki.Protected{{Prefix: "Beleid"}}}
	w := wiki.New(repo, wiki.Options{Policy: &policy, BlameIndex: ix})
	anna := &wiki.User{Name: "anna", DisplayName: "Anna", Role: wiki.RoleEditor}
	carla := &wiki.User{Name: "carla", DisplayName: "Carla", Role: wiki.RoleAdmin}
	p, err := w.Propose(ctx, wiki.ProposeRequest{Name: "Beleid/Visie", Content: []byte("Een\n\nTwee van Anna\n\nDrie\n"), Base: seed.Revision, Author: anna.Author(), Actor: anna})
	if err != nil {
		t.Fatal(err)
	}
	// Carla, an admin, saves on main meanwhile, another line.
	if _, err := w.Save(ctx, wiki.Save{Name: "Beleid/Visie", Content: []byte("Een\n\nTwee\n\nDrie van Carla\n"), Base: seed.Revision, Author: carla.Author(), Actor: carla}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReviewProposal(ctx, wiki.ReviewRequest{ID: p.ID, Verdict: wiki.VerdictApprove, Actor: carla}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.PublishProposal(ctx, wiki.PublishRequest{ID: p.ID, Actor: carla}); err != nil {
		t.Fatal(err)
	}
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	lines, err := w.Blame(ctx, "Beleid/Visie")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Een": "Seed", "Twee van Anna": "Anna", "Drie van Carla": "Carla"}
	for _, l := range lines {
		if who, ok := want[l.Text]; ok && l.Revision.Author.Name != who {
			t.Errorf("%q is credited to %s, want %s", l.Text, l.Revision.Author.Name, who)
		}
	}
}
