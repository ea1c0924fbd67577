package storage_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/storage"
)

// TestReceiveSideBranch: a branch beside main is stored from a pack with
// the checks of a push, never moves main, and refuses names that are not
// side branches, a branch that exists already, and content a push would
// be refused for (and then stores nothing).
func TestReceiveSideBranch(t *testing.T) {
	r, dir := pushRepo(t)
	ctx := context.Background()
	commitText(t, r, "Home", "# Welkom\n")
	main := headOf(t, r)
	clone := filepath.Join(t.TempDir(), "clone")
	gitIO(t, filepath.Dir(clone), nil, "clone", "-q", dir, clone)
	if err := os.WriteFile(filepath.Join(clone, "Apart.md"), []byte("# Apart\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIO(t, clone, nil, "add", "-A")
	gitIO(t, clone, nil, "commit", "-q", "-m", "Apart")
	side := gitText(t, clone, "rev-parse", "HEAD")
	pack := packFor(t, clone, side, main.String())
	name := plumbing.ReferenceName("refs/heads/upstream-conflict/" + side[:12])
	u := storage.RefUpdate{Name: name, New: plumbing.NewHash(side)}

	for _, bad := range []plumbing.ReferenceName{"refs/heads/main", "refs/tags/x", "refs/heads/../x", "refs/heads/a.lock", "refs/heads/a b"} {
		var rej *storage.PushRejection
		if err := r.ReceiveSideBranch(ctx, storage.RefUpdate{Name: bad, New: u.New}, bytes.NewReader(pack), storage.PushLimits{}); !errors.As(err, &rej) {
			t.Errorf("%s: %v, want a rejection", bad, err)
		}
	}
	if err := r.ReceiveSideBranch(ctx, u, bytes.NewReader(pack), storage.PushLimits{}); err != nil {
		t.Fatal(err)
	}
	if got := gitText(t, dir, "rev-parse", name.String()); got != side {
		t.Fatalf("%s = %s, want %s", name, got, side)
	}
	if headOf(t, r) != main || r.MainReaches(u.New) || !r.MainReaches(main) {
		t.Errorf("main moved, or reaches the side branch")
	}
	refs, err := r.BranchesUnder("refs/heads/upstream-conflict/")
	if err != nil || len(refs) != 1 || refs[name] != u.New {
		t.Errorf("BranchesUnder = %v %v", refs, err)
	}
	var rej *storage.PushRejection
	if err := r.ReceiveSideBranch(ctx, u, bytes.NewReader(pack), storage.PushLimits{}); !errors.As(err, &rej) {
		t.Errorf("creating it again: %v, want a rejection", err)
	}

	// A file name a push is refused for.
	if err := os.WriteFile(filepath.Join(clone, ".gitattributes"), []byte("* text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIO(t, clone, nil, "add", "-A")
	gitIO(t, clone, nil, "commit", "-q", "-m", "Verboden")
	bad := gitText(t, clone, "rev-parse", "HEAD")
	badName := plumbing.ReferenceName("refs/heads/upstream-conflict/" + bad[:12])
	err = r.ReceiveSideBranch(ctx, storage.RefUpdate{Name: badName, New: plumbing.NewHash(bad)}, bytes.NewReader(packFor(t, clone, bad, side)), storage.PushLimits{})
	if !errors.As(err, &rej) {
		t.Fatalf("a forbidden file: %v, want a rejection", err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(badName.String()))); !os.IsNotExist(err) {
		t.Errorf("the refused branch was written")
	}
	gitIO(t, dir, nil, "fsck", "--strict", "--no-progress")
}
