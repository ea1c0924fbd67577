package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProposalsByGit: a push to main that touches a review folder is
// refused with the way to propose instead, and nothing changes; a push to
// refs/for/main becomes a proposal on a new voorstel/ branch, and pushes to
// that branch add to it; clones fetch the proposals.
func TestProposalsByGit(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	anna, dirk := aw.signedIn("anna"), aw.signedIn("dirk")
	first := proposeByEditor(t, aw, anna, "Via het web\n", "web")

	work := filepath.Join(t.TempDir(), "work")
	mustGitIn(t, filepath.Dir(work), "clone", "-q", aw.cloneURLAs("anna"), work)
	branches := mustGitIn(t, work, "branch", "-r")
	if !strings.Contains(branches, "origin/voorstel/"+first) || !strings.Contains(branches, "origin/wikiwerk/voorstellen") {
		t.Fatalf("the clone lacks the proposals:\n%s", branches)
	}
	if got := mustGitIn(t, work, "show", "origin/voorstel/"+first+":Beleid/Visie.md"); got != "Via het web\n" {
		t.Fatalf("the proposal's text in the clone: %q", got)
	}

	head := aw.head()
	writeWork(t, work, "Beleid/Visie.md", "# Visie\n\nVia git\n")
	mustGitIn(t, work, "commit", "-qam", "Visie via git")
	out, err := gitIn(t, work, "push", "origin", "main")
	if err == nil || !strings.Contains(out, "git push origin HEAD:refs/for/main") || !strings.Contains(out, "reviewed before they are published") {
		t.Fatalf("a push to main in a review folder: %v\n%s", err, out)
	}
	if aw.head() != head {
		t.Fatal("the refused push moved main")
	}

	out = mustGitIn(t, work, "push", "origin", "HEAD:refs/for/main")
	if !strings.Contains(out, "main is unchanged") {
		t.Fatalf("push to refs/for/main:\n%s", out)
	}
	if aw.head() != head {
		t.Fatal("a proposal moved main")
	}
	if refs := mustGitIn(t, work, "ls-remote", "origin"); strings.Contains(refs, "refs/for/") {
		t.Fatalf("refs/for/main was created:\n%s", refs)
	}
	var list struct {
		Proposals []proposalView `json:"proposals"`
	}
	_, body, _ := anna.api("GET", "/-/api/proposals?author=anna", "")
	if jsonInto(t, body, &list) != 2 {
		t.Fatalf("anna's proposals: %s", body)
	}
	var pushed proposalView
	for _, p := range list.Proposals {
		if p.ID != first {
			pushed = p
		}
	}
	tip := strings.TrimSpace(mustGitIn(t, work, "rev-parse", "HEAD"))
	if pushed.Page != "Beleid/Visie" || pushed.Revision != tip || pushed.Author.Name != "Anna de Vries" || pushed.Base != head {
		t.Fatalf("the pushed proposal: %+v (tip %s, main %s)", pushed, tip, head)
	}

	// More work on the same proposal: a fast-forward of its branch.
	writeWork(t, work, "Beleid/Visie.md", "# Visie\n\nVia git, verbeterd\n")
	mustGitIn(t, work, "commit", "-qam", "Verbeterd")
	branch := strings.TrimPrefix(pushed.Branch, "refs/heads/")
	mustGitIn(t, work, "fetch", "-q", "origin")
	mustGitIn(t, work, "push", "origin", "HEAD:"+branch)
	tip = strings.TrimSpace(mustGitIn(t, work, "rev-parse", "HEAD"))
	if p := anna.proposalOf(pushed.ID); p.Revision != tip || !strings.Contains(p.Diff, "+Via git, verbeterd") {
		t.Fatalf("after the second push: %+v", p)
	}
	// Rewriting it is refused.
	mustGitIn(t, work, "commit", "-q", "--amend", "-m", "Herschreven")
	if out, err := gitIn(t, work, "push", "-f", "origin", "HEAD:"+branch); err == nil || !strings.Contains(out, "remove commits from the proposal") {
		t.Fatalf("a force push to a proposal: %v\n%s", err, out)
	}
	mustGitIn(t, work, "reset", "-q", "--hard", tip)

	// Dirk may not add to anna's proposal; he reviews and publishes it.
	dwork := filepath.Join(t.TempDir(), "dirk")
	mustGitIn(t, filepath.Dir(dwork), "clone", "-q", aw.cloneURLAs("dirk"), dwork)
	mustGitIn(t, dwork, "checkout", "-q", "-b", "mee", "origin/"+branch)
	writeWork(t, dwork, "Beleid/Visie.md", "Dirk ertussen\n")
	mustGitIn(t, dwork, "commit", "-qam", "Dirk")
	if out, err := gitIn(t, dwork, "push", "origin", "HEAD:"+branch); err == nil || !strings.Contains(out, "only the proposer") {
		t.Fatalf("dirk pushed to anna's proposal: %v\n%s", err, out)
	}
	if code, _, _ := dirk.api("POST", "/-/api/proposals/"+pushed.ID+"/review", `{"verdict":"approve"}`); code != http.StatusOK {
		t.Fatalf("approve: %d", code)
	}
	if code, body, _ := dirk.api("POST", "/-/api/proposals/"+pushed.ID+"/merge", "{}"); code != http.StatusOK {
		t.Fatalf("merge: %d %s", code, body)
	}
	if aw.pageText("Beleid/Visie") != "# Visie\n\nVia git, verbeterd\n" {
		t.Fatal("not published")
	}
	// A branch of one's own under voorstel/ is a proposal too; pages
	// outside review folders are pushed to main as ever.
	mustGitIn(t, work, "pull", "-q", "--no-rebase", "origin", "main")
	writeWork(t, work, "WMO-loket/Ontwerp.md", "Regel een via git\n")
	mustGitIn(t, work, "commit", "-qam", "Ontwerp")
	mustGitIn(t, work, "push", "-q", "origin", "HEAD:main")
	if aw.pageText("WMO-loket/Ontwerp") != "Regel een via git\n" {
		t.Fatal("a push outside review folders did not reach main")
	}
	writeWork(t, work, "Beleid/Nieuw.md", "Nieuw beleid\n")
	mustGitIn(t, work, "add", "Beleid/Nieuw.md")
	mustGitIn(t, work, "commit", "-qm", "Nieuw")
	mustGitIn(t, work, "push", "-q", "origin", "HEAD:voorstel/nieuw-beleid")
	if p := anna.proposalOf("nieuw-beleid"); p.Page != "Beleid/Nieuw" || p.Status != "open" {
		t.Fatalf("voorstel/nieuw-beleid: %+v", p)
	}
	// A case twin of a page on main is refused as in a push to main.
	writeWork(t, work, "beleid/visie.md", "Tweeling\n")
	mustGitIn(t, work, "add", "beleid/visie.md")
	mustGitIn(t, work, "commit", "-qm", "Tweeling")
	if out, err := gitIn(t, work, "push", "origin", "HEAD:refs/for/main"); err == nil || !strings.Contains(out, "name taken") {
		t.Fatalf("a proposal of a case twin: %v\n%s", err, out)
	}
	aw.fsck()
}

// TestReaderProposesByGit: bram, a reader, may not push to main, but may
// propose a change of a review folder with git, as on the web.
func TestReaderProposesByGit(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	bram := aw.signedIn("bram")
	work := filepath.Join(t.TempDir(), "work")
	mustGitIn(t, filepath.Dir(work), "clone", "-q", aw.cloneURLAs("bram"), work)
	head := aw.head()
	writeWork(t, work, "WMO-loket/Ontwerp.md", "Door Bram\n")
	mustGitIn(t, work, "commit", "-qam", "Ontwerp")
	if out, err := gitIn(t, work, "push", "origin", "HEAD:main"); err == nil || !strings.Contains(out, "not allowed") {
		t.Fatalf("a reader pushed to main: %v\n%s", err, out)
	}
	if out, err := gitIn(t, work, "push", "origin", "HEAD:refs/for/main"); err == nil || !strings.Contains(out, "may not propose changes of WMO-loket/Ontwerp") {
		t.Fatalf("a reader proposed outside review folders: %v\n%s", err, out)
	}
	mustGitIn(t, work, "reset", "-q", "--hard", "origin/main")
	writeWork(t, work, "Beleid/Visie.md", "Bram stelt voor\n")
	mustGitIn(t, work, "commit", "-qam", "Visie")
	mustGitIn(t, work, "push", "-q", "origin", "HEAD:refs/for/main")
	if aw.head() != head {
		t.Fatal("main moved")
	}
	var list struct {
		Proposals []proposalView `json:"proposals"`
	}
	_, body, _ := bram.api("GET", "/-/api/proposals?author=bram", "")
	if jsonInto(t, body, &list) != 1 || list.Proposals[0].Page != "Beleid/Visie" {
		t.Fatalf("bram's proposals: %s", body)
	}
}

func writeWork(t *testing.T, dir, path, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProposalConflictResolvedWithGit: main changes the same line as a
// pushed proposal; the proposer merges main into the proposal's branch,
// resolves the conflict in git and pushes the branch, and the proposal
// then publishes cleanly.
func TestProposalConflictResolvedWithGit(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	anna, dirk := aw.signedIn("anna"), aw.signedIn("dirk")
	work := filepath.Join(t.TempDir(), "work")
	mustGitIn(t, filepath.Dir(work), "clone", "-q", aw.cloneURLAs("anna"), work)
	writeWork(t, work, "Beleid/Visie.md", "# Visie\n\nEen\n\nTwee van Anna\n\nDrie\n")
	mustGitIn(t, work, "commit", "-qam", "Anna")
	mustGitIn(t, work, "push", "-q", "origin", "HEAD:refs/for/main")
	var list struct {
		Proposals []proposalView `json:"proposals"`
	}
	_, body, _ := anna.api("GET", "/-/api/proposals", "")
	if jsonInto(t, body, &list) != 1 {
		t.Fatalf("proposals: %s", body)
	}
	id := list.Proposals[0].ID
	if code, _, _ := dirk.api("PUT", "/-/api/pages/Beleid/Visie", jsonBody(map[string]any{"content": "# Visie\n\nEen\n\nTwee van Dirk\n\nDrie\n", "base": aw.revision("Beleid/Visie")})); code != http.StatusOK {
		t.Fatalf("dirk's save: %d", code)
	}
	mustGitIn(t, work, "fetch", "-q", "origin")
	if out, err := gitIn(t, work, "merge", "origin/main"); err == nil {
		t.Fatalf("the merge did not conflict:\n%s", out)
	}
	writeWork(t, work, "Beleid/Visie.md", "# Visie\n\nEen\n\nTwee van Anna en Dirk\n\nDrie\n")
	mustGitIn(t, work, "commit", "-qam", "main erin, botsing opgelost")
	mustGitIn(t, work, "push", "-q", "origin", "HEAD:voorstel/"+id)
	if code, _, _ := dirk.api("POST", "/-/api/proposals/"+id+"/review", `{"verdict":"approve"}`); code != http.StatusOK {
		t.Fatalf("approve: %d", code)
	}
	if code, body, _ := dirk.api("POST", "/-/api/proposals/"+id+"/merge", "{}"); code != http.StatusOK {
		t.Fatalf("merge: %d %s", code, body)
	}
	if got := aw.pageText("Beleid/Visie"); got != "# Visie\n\nEen\n\nTwee van Anna en Dirk\n\nDrie\n" {
		t.Fatalf("published: %q", got)
	}
	aw.fsck()
}
