package gitsync_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/gitsync"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// upstreamSetup is a wiki whose main was pushed to an organisation's
// server, and a clone of that server where colleagues commit with git.
type upstreamSetup struct {
	tw   *testWiki
	g    *gitRemote
	u    *gitsync.Upstream
	work string
}

func newUpstreamSetup(t *testing.T) *upstreamSetup {
	t.Helper()
	tw := newTestWiki(t)
	g := newGitRemote(t, "up-token")
	mustGit(t, tw.dir, "push", "-q", g.authURL(), "main")
	rem, err := gitsync.ParseRemote(g.url, g.token)
	if err != nil {
		t.Fatal(err)
	}
	u, err := gitsync.NewUpstream(gitsync.UpstreamOptions{Repo: tw.repo, Remote: rem, Dir: filepath.Join(tw.data, "upstream"), Lang: "nl"})
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "upstream-work")
	mustGit(t, filepath.Dir(work), "clone", "-q", g.authURL(), work)
	return &upstreamSetup{tw: tw, g: g, u: u, work: work}
}

// commit writes files in the upstream clone and pushes them as who.
func (s *upstreamSetup) commit(t *testing.T, who, msg string, files map[string]string) string {
	t.Helper()
	mustGitAs(t, who, s.work, "pull", "-q", "--ff-only")
	for p, text := range files {
		full := filepath.Join(s.work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustGitAs(t, who, s.work, "add", "-A")
	mustGitAs(t, who, s.work, "commit", "-q", "-m", msg)
	mustGitAs(t, who, s.work, "push", "-q", "origin", "main")
	return strings.TrimSpace(mustGit(t, s.work, "rev-parse", "HEAD"))
}

func (s *upstreamSetup) sync(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.u.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// authors lists the authors of main's history in the content repository,
// newest first.
func (s *upstreamSetup) authors(t *testing.T) []string {
	t.Helper()
	return strings.Fields(strings.ReplaceAll(mustGit(t, s.tw.dir, "log", "--format=%an", "main"), " ", "_"))
}

func lineReplaced(text, old, new string) string { return strings.Replace(text, old, new, 1) }

// TestUpstreamFastForwardKeepsAuthors: commits made with git on the
// upstream become main's history as they are, authors included, and reach
// the wiki's pages and history.
func TestUpstreamFastForwardKeepsAuthors(t *testing.T) {
	s := newUpstreamSetup(t)
	c1 := s.commit(t, "Jan Jansen", "Termijnen", map[string]string{"WMO/Ontwerp.md": lineReplaced(ontwerp, "regel 2", "termijn 6 weken")})
	c2 := s.commit(t, "Karin Kok", "Nieuwe pagina", map[string]string{"WMO/Loket.md": "# Loket\n"})
	s.sync(t)
	if got := s.tw.head(t); got != c2 {
		t.Fatalf("main = %s, want the upstream's %s (a fast-forward)", got, c2)
	}
	if !strings.Contains(s.tw.page(t, "WMO/Ontwerp"), "termijn 6 weken") || s.tw.page(t, "WMO/Loket") != "# Loket\n" {
		t.Errorf("pages do not show the upstream's changes")
	}
	hist, err := s.tw.repo.History(context.Background(), "WMO/Ontwerp", wiki.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) == 0 || hist[0].Revision.ID != c1 || hist[0].Revision.Author.Name != "Jan Jansen" {
		t.Errorf("history of WMO/Ontwerp starts with %+v, want %s by Jan Jansen", hist[0].Revision, c1)
	}
	st := s.u.Status()
	if st.Fetched != c2 || st.Considered != c2 || st.LastError != "" || len(st.Notices) != 0 {
		t.Errorf("status = %+v", st)
	}
	// Nothing new: a second round changes nothing.
	s.sync(t)
	if got := s.tw.head(t); got != c2 {
		t.Errorf("main moved on an idle round: %s", got)
	}
	s.tw.fsck(t)
}

// TestUpstreamMergesConcurrentChanges: the wiki and the upstream changed
// the same page in different lines, and different pages; the sync makes a
// merge commit with both, and every author stays in the history.
func TestUpstreamMergesConcurrentChanges(t *testing.T) {
	s := newUpstreamSetup(t)
	wikiText := lineReplaced(ontwerp, "regel 1", "regel 1 (wiki)")
	s.tw.save(t, "WMO/Ontwerp", wikiText)
	s.tw.save(t, "Home", "# Welkom op de wiki\n")
	wikiHead := s.tw.head(t)
	up := s.commit(t, "Jan Jansen", "Regel 6 aangepast", map[string]string{
		"WMO/Ontwerp.md": lineReplaced(ontwerp, "regel 6", "regel 6 (upstream)"),
		"Beleid.md":      "# Beleid\n",
	})
	s.sync(t)
	head := s.tw.head(t)
	parents := strings.Fields(mustGit(t, s.tw.dir, "log", "-1", "--format=%P", "main"))
	if !slices.Equal(parents, []string{wikiHead, up}) {
		t.Fatalf("main's parents = %v, want [wiki %s, upstream %s]", parents, wikiHead, up)
	}
	want := lineReplaced(wikiText, "regel 6", "regel 6 (upstream)")
	if got := s.tw.page(t, "WMO/Ontwerp"); got != want {
		t.Errorf("merged page = %q, want %q", got, want)
	}
	if s.tw.page(t, "Beleid") != "# Beleid\n" || s.tw.page(t, "Home") != "# Welkom op de wiki\n" {
		t.Errorf("pages of one side are missing")
	}
	authors := s.authors(t)
	for _, who := range []string{"Jan_Jansen", "Anna_de_Vries", "wikiwerk_(upstream)"} {
		if !slices.Contains(authors, who) {
			t.Errorf("authors %v lack %s", authors, who)
		}
	}
	if msg := mustGit(t, s.tw.dir, "log", "-1", "--format=%s", "main"); !strings.Contains(msg, "samengevoegd") {
		t.Errorf("merge message = %q, want the wiki's language (nl)", msg)
	}
	// The merge goes back upstream as a fast-forward of it: a push of
	// main to the upstream would not need force.
	if out, err := gitAs(t, "x", s.tw.dir, "merge-base", "--is-ancestor", up, head); err != nil {
		t.Errorf("the upstream's commit is not an ancestor of main: %v %s", err, out)
	}
	s.tw.fsck(t)
}

// TestUpstreamConflictBecomesBranch: an upstream change to the lines the
// wiki changed too is not forced in: it is kept as a branch with a notice,
// main keeps the wiki's text, and later upstream changes that do not
// conflict still flow, with their authors.
func TestUpstreamConflictBecomesBranch(t *testing.T) {
	s := newUpstreamSetup(t)
	wikiText := lineReplaced(ontwerp, "regel 3", "regel 3 volgens de wiki")
	s.tw.save(t, "WMO/Ontwerp", wikiText)
	wikiHead := s.tw.head(t)
	clash := s.commit(t, "Jan Jansen", "Regel 3 anders", map[string]string{"WMO/Ontwerp.md": lineReplaced(ontwerp, "regel 3", "regel 3 volgens upstream")})
	s.sync(t)
	if got := s.tw.head(t); got != wikiHead {
		t.Fatalf("main moved to %s on a conflict", got)
	}
	if got := s.tw.page(t, "WMO/Ontwerp"); got != wikiText {
		t.Fatalf("page = %q after a conflict, want the wiki's", got)
	}
	branch := "refs/heads/upstream-conflict/" + clash[:12]
	if got := strings.TrimSpace(mustGit(t, s.tw.dir, "rev-parse", branch)); got != clash {
		t.Fatalf("%s = %s, want the upstream commit %s", branch, got, clash)
	}
	st := s.u.Status()
	if len(st.Notices) != 1 || st.Notices[0].Commit != clash || st.Notices[0].Branch != "upstream-conflict/"+clash[:12] ||
		!slices.Equal(st.Notices[0].Paths, []string{"WMO/Ontwerp.md"}) || st.Notices[0].Author != "Jan Jansen" || st.LastError != "" {
		t.Fatalf("status = %+v", st)
	}

	// Upstream goes on, on top of its conflicting change; its next change
	// touches other lines and another page, and flows in.
	next := s.commit(t, "Karin Kok", "Regel 7 en een nieuwe pagina", map[string]string{
		"WMO/Ontwerp.md": lineReplaced(lineReplaced(ontwerp, "regel 3", "regel 3 volgens upstream"), "regel 7", "regel 7 (Karin)"),
		"Nieuws.md":      "# Nieuws\n",
	})
	s.sync(t)
	want := lineReplaced(wikiText, "regel 7", "regel 7 (Karin)")
	if got := s.tw.page(t, "WMO/Ontwerp"); got != want {
		t.Errorf("page = %q, want %q (the wiki's line 3, Karin's line 7)", got, want)
	}
	if s.tw.page(t, "Nieuws") != "# Nieuws\n" {
		t.Errorf("the later upstream page did not arrive")
	}
	if who := strings.TrimSpace(mustGit(t, s.tw.dir, "log", "-1", "--format=%an|%b", "main")); !strings.HasPrefix(who, "Karin Kok|") || !strings.Contains(who, next) {
		t.Errorf("last commit on main = %q, want Karin Kok's change naming %s", who, next)
	}
	if out, err := gitAs(t, "x", s.tw.dir, "merge-base", "--is-ancestor", clash, "main"); err == nil {
		t.Errorf("the conflicting commit became part of main: %s", out)
	}
	st = s.u.Status()
	if st.Considered != next || len(st.Notices) != 1 || st.LastError != "" {
		t.Errorf("status = %+v", st)
	}

	// One more, to see that the flow goes on, and a notice survives a
	// restart of the sync.
	third := s.commit(t, "Karin Kok", "Nog een pagina", map[string]string{"Agenda.md": "# Agenda\n"})
	s.sync(t)
	if s.tw.page(t, "Agenda") != "# Agenda\n" {
		t.Errorf("the third upstream change did not arrive")
	}
	rem, _ := gitsync.ParseRemote(s.g.url, s.g.token)
	u2, err := gitsync.NewUpstream(gitsync.UpstreamOptions{Repo: s.tw.repo, Remote: rem, Dir: filepath.Join(s.tw.data, "upstream")})
	if err != nil {
		t.Fatal(err)
	}
	if st := u2.Status(); st.Considered != third || len(st.Notices) != 1 {
		t.Errorf("state after a restart = %+v", st)
	}

	// An admin resolves it as the admin page says: pull the upstream into
	// a clone of the wiki, choose the text, commit, push to the wiki.
	resolve := filepath.Join(t.TempDir(), "resolve")
	mustGit(t, filepath.Dir(resolve), "clone", "-q", s.tw.serve(t), resolve)
	if out, err := gitAs(t, "Carla Admin", resolve, "pull", "-q", "--no-rebase", s.g.authURL(), "main"); err == nil {
		t.Fatalf("the pull merged without a conflict: %s", out)
	}
	resolved := lineReplaced(want, "regel 3 volgens de wiki", "regel 3 volgens iedereen")
	if err := os.WriteFile(filepath.Join(resolve, "WMO", "Ontwerp.md"), []byte(resolved), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGitAs(t, "Carla Admin", resolve, "add", "-A")
	mustGitAs(t, "Carla Admin", resolve, "commit", "-q", "--no-edit")
	mustGitAs(t, "Carla Admin", resolve, "push", "-q", "origin", "main")
	if got := s.tw.page(t, "WMO/Ontwerp"); got != resolved {
		t.Fatalf("page after the resolution = %q", got)
	}
	// From now on upstream changes are merged again (merge commits whose
	// second parent is the upstream's), and the notice is gone.
	fourth := s.commit(t, "Karin Kok", "Weer gewoon", map[string]string{"Vier.md": "# Vier\n"})
	s.sync(t)
	if s.tw.page(t, "Vier") != "# Vier\n" || s.tw.page(t, "WMO/Ontwerp") != resolved {
		t.Errorf("after the resolution the next change did not arrive cleanly")
	}
	if _, err := gitAs(t, "x", s.tw.dir, "merge-base", "--is-ancestor", fourth, "main"); err != nil {
		t.Errorf("the upstream commit after the resolution is not part of main's history")
	}
	if st := s.u.Status(); len(st.Notices) != 0 || st.LastError != "" {
		t.Errorf("status after the resolution = %+v", st)
	}
	s.tw.fsck(t)
}

// TestUpstreamConflictInOneOfSeveral: several upstream commits arrive at
// once and only the middle one conflicts: the one before is merged, the
// middle one set aside, the one after applied.
func TestUpstreamConflictInOneOfSeveral(t *testing.T) {
	s := newUpstreamSetup(t)
	wikiText := lineReplaced(ontwerp, "regel 4", "regel 4 (wiki)")
	s.tw.save(t, "WMO/Ontwerp", wikiText)
	first := s.commit(t, "Jan Jansen", "Een", map[string]string{"Een.md": "# Een\n"})
	clash := s.commit(t, "Jan Jansen", "Twee", map[string]string{"WMO/Ontwerp.md": lineReplaced(ontwerp, "regel 4", "regel 4 (upstream)")})
	s.commit(t, "Jan Jansen", "Drie", map[string]string{"Drie.md": "# Drie\n"})
	s.sync(t)
	if s.tw.page(t, "Een") != "# Een\n" || s.tw.page(t, "Drie") != "# Drie\n" || s.tw.page(t, "WMO/Ontwerp") != wikiText {
		t.Errorf("pages after the sync are not the wiki's text with Een and Drie")
	}
	if _, err := gitAs(t, "x", s.tw.dir, "merge-base", "--is-ancestor", first, "main"); err != nil {
		t.Errorf("the first upstream commit was not merged")
	}
	st := s.u.Status()
	if len(st.Notices) != 1 || st.Notices[0].Commit != clash {
		t.Errorf("notices = %+v, want one about %s", st.Notices, clash)
	}
	s.tw.fsck(t)
}

// TestUpstreamRefusedChangeDoesNotStop: an upstream commit that a push
// would be refused for (a file name the wiki does not serve) is not taken
// and cannot be stored; it gets a notice, and the next change flows.
func TestUpstreamRefusedChangeDoesNotStop(t *testing.T) {
	s := newUpstreamSetup(t)
	bad := s.commit(t, "Jan Jansen", "Verborgen bestand", map[string]string{".verborgen": "x\n"})
	s.sync(t)
	st := s.u.Status()
	if len(st.Notices) != 1 || st.Notices[0].Commit != bad || st.Notices[0].Refused == "" || st.Notices[0].Branch != "" {
		t.Fatalf("status = %+v", st)
	}
	if _, err := gitAs(t, "x", s.tw.dir, "cat-file", "-e", bad); err == nil {
		t.Errorf("the refused commit was stored in the content repository")
	}
	s.commit(t, "Karin Kok", "Goed bestand", map[string]string{"Goed.md": "# Goed\n"})
	s.sync(t)
	if s.tw.page(t, "Goed") != "# Goed\n" {
		t.Errorf("the next upstream change did not flow")
	}
	s.tw.fsck(t)
}

// TestUpstreamRunFetchesEveryInterval: Run takes upstream changes on its
// own, at every interval.
func TestUpstreamRunFetchesEveryInterval(t *testing.T) {
	s := newUpstreamSetup(t)
	rem, _ := gitsync.ParseRemote(s.g.url, s.g.token)
	u, err := gitsync.NewUpstream(gitsync.UpstreamOptions{Repo: s.tw.repo, Remote: rem, Dir: filepath.Join(s.tw.data, "upstream"), Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c := s.commit(t, "Jan Jansen", "Vanzelf", map[string]string{"Vanzelf.md": "# Vanzelf\n"})
	eventually(t, "the upstream change arrives by itself", func() bool { return s.tw.head(t) == c })
	if st := u.Status(); st.NextFetch.IsZero() || st.LastFetch.IsZero() {
		t.Errorf("status = %+v", st)
	}
}
