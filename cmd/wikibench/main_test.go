package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGenerate builds a tiny repository and checks it with the git CLI:
// the commit count, a merge, a valid repository, and the move.
func TestGenerate(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs the git CLI")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "content.git")
	cfg := GenConfig{Pages: 10, Commits: 50, Authors: 3, Renames: 1, Merges: 1, Seed: 7}
	st, err := Generate(ctx, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		t.Helper()
		out, err := runGit(ctx, dir, args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}

	if got := git("rev-list", "--count", "main"); got != strconv.Itoa(cfg.Commits) || st.Commits != cfg.Commits {
		t.Errorf("main has %s commits, stats say %d, want %d", got, st.Commits, cfg.Commits)
	}
	if got := git("rev-list", "--merges", "--count", "main"); got != "1" || st.Merges != 1 {
		t.Errorf("main has %s merges, stats say %d, want 1", got, st.Merges)
	}
	if out := git("fsck", "--strict", "--no-progress"); out != "" {
		t.Errorf("git fsck --strict: %s", out)
	}
	if refs := git("for-each-ref", "--format=%(refname)"); refs != "refs/heads/main" {
		t.Errorf("refs: %q, want only refs/heads/main", refs)
	}
	if len(st.Renames) != 1 {
		t.Fatalf("renames: %+v", st.Renames)
	}
	mv := st.Renames[0]
	git("cat-file", "-e", "main:"+mv.To)
	if _, err := runGit(ctx, dir, "cat-file", "-e", "main:"+mv.From); err == nil {
		t.Errorf("%s still exists after its move to %s", mv.From, mv.To)
	}
	// git sees the move as a rename of identical content.
	if log := git("log", "--follow", "--format=%H", "main", "--", mv.To); len(strings.Fields(log)) < 2 {
		t.Errorf("git log --follow %s finds %d commits; the history before the move is lost", mv.To, len(strings.Fields(log)))
	}
	if files := strings.Split(git("ls-tree", "-r", "--name-only", "main"), "\n"); len(files) != cfg.Pages || len(st.Pages) != cfg.Pages {
		t.Errorf("main holds %d files, stats %d pages, want %d", len(files), len(st.Pages), cfg.Pages)
	}
	if authors := strings.Split(git("log", "--format=%an <%ae>", "main"), "\n"); len(authors) != cfg.Commits {
		t.Errorf("%d author lines", len(authors))
	}
}

func TestParseFlagsQuick(t *testing.T) {
	c, err := parseFlags([]string{"-quick", "-pages", "200"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Gen.Pages != 200 || c.Gen.Commits != 5000 || c.Gen.Renames != 5 || c.Gen.Merges != 2 {
		t.Errorf("quick with -pages 200: %+v", c.Gen)
	}
	if _, err := parseFlags([]string{"-pages", "10", "-commits", "3"}, io.Discard); err == nil {
		t.Error("too few commits for the pages and renames were accepted")
	}
}

func TestPickSubjects(t *testing.T) {
	st := &RepoStats{Pages: []PageStat{
		{Path: "Home.md", Edits: 900, EditsUnderPath: 900},
		{Path: "A/x.md", Edits: 120, EditsUnderPath: 3, OldPaths: []string{"B/x.md"}},
		{Path: "A/y.md", Edits: 40, EditsUnderPath: 40},
		{Path: "A/z.md", Edits: 30, EditsUnderPath: 30},
		{Path: "A/w.md", Edits: 20, EditsUnderPath: 20},
	}}
	var got []string
	for _, s := range pickSubjects(st) {
		got = append(got, s.role+"="+s.page.Path)
	}
	want := "most-edited=Home.md renamed=A/x.md median=A/y.md"
	if strings.Join(got, " ") != want {
		t.Errorf("subjects %q, want %q", got, want)
	}
}

func TestCompareRevisions(t *testing.T) {
	ww := []byte(`{"revisions": [{"revision": "aaa"}, {"revision": "ccc"}]}`)
	if got := compareRevisions("revisions")(ww, []byte("aaa\x00x\nccc\x00y\n")); got != "2 each, identical" {
		t.Errorf("same lists: %q", got)
	}
	got := compareRevisions("revisions")(ww, []byte("aaa\x00x\nbbb\x00y\n"))
	if !strings.Contains(got, "differing from #2") || !strings.Contains(got, "only wikiwerk lists ccc") || !strings.Contains(got, "only git lists bbb") {
		t.Errorf("different lists: %q", got)
	}
}

func TestFmtRatio(t *testing.T) {
	for r, want := range map[float64]string{0.1037: "0.10x", 0.00069: "0.00069x", 0.0033: "0.0033x", 1: "1.00x", 2.345: "2.35x", 31.7: "32x"} {
		if got := fmtRatio(r); got != want {
			t.Errorf("fmtRatio(%v) = %q, want %q", r, got, want)
		}
	}
}
