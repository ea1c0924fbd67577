package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestSideBranches: a commit on a proposal branch is written like one on
// main (reflog, compare-and-swap), leaves main and its history alone,
// survives reopening, and a publishing merge lists in the page's history
// besides the proposer's commit.
func TestSideBranches(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	seed, err := r.Commit(ctx, wiki.Commit{Author: anna, Message: "seed", Changes: []wiki.Change{{Name: "Beleid/Visie", Content: []byte("Een\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	const ref = "refs/heads/voorstel/abc"
	tip, err := r.WriteBranch(ctx, wiki.BranchWrite{Ref: ref, Parents: []string{seed.Revision}, Files: map[string][]byte{"Beleid/Visie.md": []byte("Twee\n")}, Author: bram, Message: "Twee"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteBranch(ctx, wiki.BranchWrite{Ref: ref, Files: map[string][]byte{"Beleid/Visie.md": []byte("Drie\n")}, Author: bram, Message: "stale"}); !errors.Is(err, wiki.ErrStale) {
		t.Fatalf("a write from the wrong old commit: %v", err)
	}
	for _, bad := range []string{"refs/heads/main", "refs/heads/voorstel/../main", "refs/tags/x", "refs/heads/voorstel/a b"} {
		if _, err := r.WriteBranch(ctx, wiki.BranchWrite{Ref: bad, Files: map[string][]byte{"a.md": []byte("x")}, Author: bram, Message: "x"}); !errors.Is(err, wiki.ErrInvalidInput) {
			t.Errorf("ref %q: %v", bad, err)
		}
	}
	log, err := os.ReadFile(filepath.Join(dir, "logs", "refs", "heads", "voorstel", "abc"))
	if err != nil || !strings.Contains(string(log), tip) || !strings.Contains(string(log), "Bram Jansen") {
		t.Fatalf("reflog of the proposal: %v %q", err, log)
	}
	snap, _ := r.Snapshot(ctx)
	if snap.Head != seed.Revision {
		t.Fatal("a proposal moved main")
	}
	if got, err := r.FileAt(ctx, tip, "Beleid/Visie.md"); err != nil || string(got) != "Twee\n" {
		t.Fatalf("FileAt: %q %v", got, err)
	}
	if base, err := r.MergeBase(ctx, tip); err != nil || base != seed.Revision {
		t.Fatalf("merge base %s %v", base, err)
	}
	res, err := r.WriteMerge(ctx, wiki.MergeWrite{Main: seed.Revision, Other: tip, Files: map[string][]byte{"Beleid/Visie.md": []byte("Twee\n")}, Author: anna,
		Message: "Publish proposal abc: Twee\n\nProposed-by: Bram Jansen <bram@example.nl>\nApproved-by: Anna de Vries <anna@example.nl>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteMerge(ctx, wiki.MergeWrite{Main: seed.Revision, Other: tip, Author: anna, Message: "again"}); !errors.Is(err, wiki.ErrStale) {
		t.Fatalf("a merge onto an old main: %v", err)
	}
	hist, err := r.History(ctx, "Beleid/Visie", wiki.HistoryQuery{})
	if err != nil || len(hist) != 3 || hist[0].ID != res.Revision || hist[1].ID != tip {
		t.Fatalf("history: %+v %v", hist, err)
	}
	r.Close()
	git(t, dir, "fsck", "--strict", "--no-dangling")
	r2, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if got, err := r2.RefTip(ctx, ref); err != nil || got != tip {
		t.Fatalf("after reopening: %s %v", got, err)
	}
	hist, err = r2.History(ctx, "Beleid/Visie", wiki.HistoryQuery{})
	if err != nil || len(hist) != 3 {
		t.Fatalf("history rebuilt from the repository: %d %v", len(hist), err)
	}
	refs, err := r2.SideRefs()
	if err != nil || len(refs) != 1 || refs[0].Name.String() != ref {
		t.Fatalf("side refs: %+v %v", refs, err)
	}
}

// TestSideBranchLockLeftOver: a crash that leaves a proposal's lock file
// behind does not block the proposal after a restart.
func TestSideBranchLockLeftOver(t *testing.T) {
	ctx := context.Background()
	r, dir := newRepo(t)
	seed, err := r.Commit(ctx, wiki.Commit{Author: anna, Message: "seed", Changes: []wiki.Change{{Name: "A", Content: []byte("a\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	w := wiki.BranchWrite{Ref: "refs/heads/voorstel/x", Parents: []string{seed.Revision}, Files: map[string][]byte{"A.md": []byte("b\n")}, Author: anna, Message: "b"}
	lock := filepath.Join(dir, "refs", "heads", "voorstel", "x.lock")
	os.MkdirAll(filepath.Dir(lock), 0o755)
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.WriteBranch(ctx, w); err == nil {
		t.Fatal("wrote past another writer's lock")
	}
	r.Close()
	r2, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r2.WriteBranch(ctx, w); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
