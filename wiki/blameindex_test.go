package wiki_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/blameindex"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// fakeBlameIndex answers with fixed owners and records what it was asked.
type fakeBlameIndex struct {
	owners []string
	ok     bool
	err    error
	asked  []string
}

func (f *fakeBlameIndex) Blame(ctx context.Context, path, blob, revision string) ([]string, bool, error) {
	f.asked = append(f.asked, path+" "+blob+" "+revision)
	return f.owners, f.ok, f.err
}

// TestBlameUsesIndex: Wiki.Blame takes the index's answer when it has
// one that fits, and walks the history when it has none, when it does not
// fit the text, or names a revision the repository does not know.
func TestBlameUsesIndex(t *testing.T) {
	ctx := context.Background()
	repo, err := storage.Init(filepath.Join(t.TempDir(), "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	plain := wiki.New(repo, wiki.Options{})
	r1, _ := plain.Save(ctx, wiki.Save{Name: "P", Content: []byte("een\ntwee\n"), Author: wiki.Author{Name: "Anna"}})
	r2, _ := plain.Save(ctx, wiki.Save{Name: "P", Content: []byte("een\nTWEE\n"), Base: r1.Revision, Author: wiki.Author{Name: "Bram"}})
	page, _ := plain.Page(ctx, "P", "")

	blame := func(idx wiki.BlameIndex) ([]string, error) {
		lines, err := wiki.New(repo, wiki.Options{BlameIndex: idx}).Blame(ctx, "P")
		var out []string
		for _, l := range lines {
			out = append(out, l.Revision.ID)
		}
		return out, err
	}
	walk := []string{r1.Revision, r2.Revision}
	// The index's answer, even where it differs from the walk's.
	f := &fakeBlameIndex{owners: []string{r2.Revision, r1.Revision}, ok: true}
	got, err := blame(f)
	if err != nil || strings.Join(got, " ") != r2.Revision+" "+r1.Revision {
		t.Fatalf("with the index: %.7s %v", got, err)
	}
	if want := "P.md " + page.Blob + " " + r2.Revision; len(f.asked) != 1 || f.asked[0] != want {
		t.Fatalf("asked %q, want %q", f.asked, want)
	}
	for what, idx := range map[string]*fakeBlameIndex{
		"not held":         {ok: false},
		"wrong line count": {owners: []string{r1.Revision}, ok: true},
		"unknown revision": {owners: []string{r1.Revision, strings.Repeat("ab", 20)}, ok: true},
	} {
		got, err := blame(idx)
		if err != nil || strings.Join(got, " ") != strings.Join(walk, " ") {
			t.Errorf("%s: %.7s %v, want the walk's %.7s", what, got, err, walk)
		}
	}
	cancelled := &fakeBlameIndex{err: context.Canceled}
	if _, err := blame(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled lookup: %v", err)
	}
}

// TestBlameIndexAgreesWithWalk: with a real blame index kept from the
// change feed, Wiki.Blame answers from it, as the walk would.
func TestBlameIndexAgreesWithWalk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	src, err := blameindex.NewGitSource(repo, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	idx, err := blameindex.Open(filepath.Join(t.TempDir(), "blame.db"), src, blameindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	sub, err := repo.Subscribe(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	spy := &spyIndex{idx: idx}
	indexed := wiki.New(repo, wiki.Options{BlameIndex: spy})
	plain := wiki.New(repo, wiki.Options{})

	lines := []string{"# Titel", "", "Eerste alinea.", "", "Tweede alinea."}
	base := ""
	authors := []string{"Anna", "Bram", "Carla"}
	for i := 0; i < 30; i++ {
		at := (i * 7) % len(lines)
		switch i % 3 {
		case 0:
			lines[at] = fmt.Sprintf("Regel %d", i)
		case 1:
			lines = append(lines[:at], append([]string{fmt.Sprintf("Nieuw %d", i)}, lines[at:]...)...)
		case 2:
			if len(lines) > 3 {
				lines = append(lines[:at], lines[at+1:]...)
			}
		}
		res, err := indexed.Save(ctx, wiki.Save{Name: "P", Content: []byte(strings.Join(lines, "\n") + "\n"), Base: base, Author: wiki.Author{Name: authors[i%3]}})
		if err != nil {
			t.Fatal(err)
		}
		base = res.Revision
	}
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := indexed.Blame(ctx, "P")
	if err != nil {
		t.Fatal(err)
	}
	if spy.hits != 1 {
		t.Fatalf("the index answered %d times, want 1", spy.hits)
	}
	want, err := plain.Blame(ctx, "P")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Number != w.Number || g.Text != w.Text || g.Revision.ID != w.Revision.ID || g.Revision.Author != w.Revision.Author || !g.Revision.Time.Equal(w.Revision.Time) {
			t.Errorf("line %d: %q %.7s by %s, want %q %.7s by %s", i+1, g.Text, g.Revision.ID, g.Revision.Author.Name, w.Text, w.Revision.ID, w.Revision.Author.Name)
		}
	}
}

// spyIndex counts the lookups the index answered.
type spyIndex struct {
	idx  wiki.BlameIndex
	hits int
}

func (s *spyIndex) Blame(ctx context.Context, path, blob, revision string) ([]string, bool, error) {
	owners, ok, err := s.idx.Blame(ctx, path, blob, revision)
	if ok {
		s.hits++
	}
	return owners, ok, err
}
