package blameindex_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/blameindex"
	"github.com/wikiwerk/wikiwerk/wiki"
)

var (
	anna  = wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"}
	bram  = wiki.Author{Name: "Bram Jansen", Email: "bram@example.nl"}
	carla = wiki.Author{Name: "Carla Smit", Email: "carla@example.nl"}
)

// env is a repository in a temporary folder with a blame index on it,
// subscribed to its change feed as the server does it.
type env struct {
	t       *testing.T
	dir     string // the bare repository
	idxPath string
	opt     blameindex.Options

	repo *storage.Repo
	src  *blameindex.GitSource
	idx  *blameindex.Index
	rec  *recorder
	sub  wiki.Subscription
}

func newEnv(t *testing.T, opt blameindex.Options) *env {
	t.Helper()
	tmp := t.TempDir()
	e := &env{t: t, dir: filepath.Join(tmp, "content.git"), idxPath: filepath.Join(tmp, "blame.db"), opt: opt}
	r, err := storage.Init(e.dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.repo = r
	t.Cleanup(e.close)
	return e
}

// openRepo opens the repository again (after git wrote to it).
func (e *env) openRepo() {
	e.t.Helper()
	r, err := storage.Open(e.dir, storage.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.repo = r
}

// start opens the index and subscribes it to the feed.
func (e *env) start() {
	e.t.Helper()
	if e.repo == nil {
		e.openRepo()
	}
	src, err := blameindex.NewGitSource(e.repo, e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	idx, err := blameindex.Open(e.idxPath, src, e.opt)
	if err != nil {
		e.t.Fatal(err)
	}
	e.src, e.idx = src, idx
	e.rec = &recorder{Index: idx}
	sub, err := e.repo.Subscribe(context.Background(), e.rec)
	if err != nil {
		e.t.Fatal(err)
	}
	e.sub = sub
}

// sync waits until the index has applied main.
func (e *env) sync() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.sub.Sync(ctx); err != nil {
		e.t.Fatalf("sync: %v (last apply: %v)", err, e.sub.Err())
	}
	if err := e.sub.Err(); err != nil {
		e.t.Fatalf("apply: %v", err)
	}
}

// stop closes the subscription and the index.
func (e *env) stop() {
	if e.sub != nil {
		e.sub.Close()
		e.sub = nil
	}
	if e.idx != nil {
		e.idx.Close()
		e.src.Close()
		e.idx, e.src = nil, nil
	}
}

func (e *env) close() {
	e.stop()
	if e.repo != nil {
		e.repo.Close()
		e.repo = nil
	}
}

// save writes a page as who and returns the new revision.
func (e *env) save(who wiki.Author, name, content string) string {
	e.t.Helper()
	n := wiki.MustParseName(name)
	base := ""
	if p, err := e.repo.ReadPage(context.Background(), n, ""); err == nil {
		base = p.Revision.ID
	}
	res, err := e.repo.Commit(context.Background(), wiki.Commit{
		Author: who, Message: "edit " + name,
		Changes: []wiki.Change{{Name: n, Content: []byte(content), Base: base}},
	})
	if err != nil || !res.Committed {
		e.t.Fatalf("save %s: %+v %v", name, res, err)
	}
	return res.Revision
}

// indexBlame is the index's answer for the page at head; ok false when it
// has none.
func (e *env) indexBlame(name string) ([]string, bool) {
	e.t.Helper()
	p, err := e.repo.ReadPage(context.Background(), wiki.MustParseName(name), "")
	if err != nil {
		e.t.Fatal(err)
	}
	owners, ok, err := e.idx.Blame(context.Background(), p.Name.Path(), p.Blob, p.Revision.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return owners, ok
}

// mustIndexBlame is indexBlame for a page the index must hold.
func (e *env) mustIndexBlame(name string) []string {
	e.t.Helper()
	owners, ok := e.indexBlame(name)
	if !ok {
		e.t.Fatalf("the index has no blame for %s", name)
	}
	return owners
}

// walkBlame is today's on-demand blame (wiki.Blame without an index).
func (e *env) walkBlame(name string) []string {
	e.t.Helper()
	lines, err := wiki.New(e.repo, wiki.Options{}).Blame(context.Background(), wiki.MustParseName(name))
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Revision.ID
	}
	return out
}

// recorder passes change sets to the index and records the ones it
// applied.
type recorder struct {
	*blameindex.Index
	mu   sync.Mutex
	sets []wiki.ChangeSet
}

func (r *recorder) Apply(ctx context.Context, cs wiki.ChangeSet) error {
	err := r.Index.Apply(ctx, cs)
	if err == nil {
		r.mu.Lock()
		r.sets = append(r.sets, cs)
		r.mu.Unlock()
	}
	return err
}

func (r *recorder) applied() []wiki.ChangeSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wiki.ChangeSet(nil), r.sets...)
}

// git runs the git CLI in dir as who.
func git(t testing.TB, dir string, who wiki.Author, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+home, "GIT_CONFIG_GLOBAL="+filepath.Join(home, "cfg"),
		"GIT_AUTHOR_NAME="+who.Name, "GIT_AUTHOR_EMAIL="+who.Email,
		"GIT_COMMITTER_NAME="+who.Name, "GIT_COMMITTER_EMAIL="+who.Email)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// gitBlame is `git blame --porcelain main -- path`: the commit of every
// line.
func gitBlame(t testing.TB, dir, path string) []string {
	t.Helper()
	out := git(t, dir, anna, "blame", "--porcelain", "main", "--", path)
	var owners []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if strings.HasPrefix(l, "\t") || len(f) < 3 || len(f[0]) != 40 {
			continue
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		for len(owners) < n {
			owners = append(owners, "")
		}
		owners[n-1] = f[0]
	}
	return owners
}

// diffOwners describes where two blames differ, "" when they agree.
func diffOwners(got, want []string) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d lines, want %d", len(got), len(want))
	}
	var b strings.Builder
	n := 0
	for i := range got {
		if got[i] != want[i] {
			if n < 5 {
				fmt.Fprintf(&b, "line %d: %.7s, want %.7s; ", i+1, got[i], want[i])
			}
			n++
		}
	}
	if n > 0 {
		fmt.Fprintf(&b, "%d of %d lines differ", n, len(got))
	}
	return b.String()
}

// editor makes random edits of a page: lines changed, inserted, deleted
// and moved, a few at a time, as people edit wiki pages.
type editor struct {
	r     *rand.Rand
	n     int
	blank bool // also write lines that repeat: blank ones, list items, rules
}

var words = strings.Fields("gemeente inwoner aanvraag besluit termijn loket zorg wet beleid regel melding")

func (g *editor) line() string {
	g.n++
	if g.blank {
		switch g.r.IntN(8) {
		case 0, 1:
			return ""
		case 2:
			return "  - " + words[g.r.IntN(len(words))]
		case 3:
			return "---"
		}
	}
	return fmt.Sprintf("%s %d %s", words[g.r.IntN(len(words))], g.n, words[g.r.IntN(len(words))])
}

func (g *editor) edit(lines []string) []string {
	out := append([]string(nil), lines...)
	for k := 1 + g.r.IntN(2); k > 0; k-- {
		at := 0
		if len(out) > 0 {
			at = g.r.IntN(len(out))
		}
		switch op := g.r.IntN(10); {
		case op < 4 && len(out) > 0: // change a few lines
			for i := at; i < min(len(out), at+1+g.r.IntN(3)); i++ {
				out[i] = g.line()
			}
		case op < 7 || len(out) < 5: // insert
			var ins []string
			for i := 1 + g.r.IntN(4); i > 0; i-- {
				ins = append(ins, g.line())
			}
			out = append(out[:at], append(ins, out[at:]...)...)
		case op < 9: // delete
			out = append(out[:at], out[min(len(out), at+1+g.r.IntN(3)):]...)
		default: // move a line
			l := out[at]
			out = append(out[:at], out[at+1:]...)
			to := g.r.IntN(len(out) + 1)
			out = append(out[:to], append([]string{l}, out[to:]...)...)
		}
	}
	return out
}

func text(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// randomHistory saves n random edits of a page by three authors and
// returns the last text.
func (e *env) randomHistory(g *editor, name string, lines []string, n int) []string {
	e.t.Helper()
	who := []wiki.Author{anna, bram, carla}
	for i := 0; i < n; i++ {
		next := g.edit(lines)
		if text(next) == text(lines) {
			next = append(next, g.line())
		}
		lines = next
		e.save(who[g.r.IntN(len(who))], name, text(lines))
	}
	return lines
}

// TestAgreesWithGitAndWalk: after a few hundred random edits, built by a
// reset and then kept up to date save by save, the index gives every line
// the same revision as git blame and as the on-demand walk.
func TestAgreesWithGitAndWalk(t *testing.T) {
	e := newEnv(t, blameindex.Options{})
	g := &editor{r: rand.New(rand.NewPCG(1, 2))}
	var start []string
	for i := 0; i < 30; i++ {
		start = append(start, g.line())
	}
	e.save(anna, "Beleid/Wmo", text(start))
	lines := e.randomHistory(g, "Beleid/Wmo", start, 250)
	e.start()
	e.sync()
	check := func(when string) {
		t.Helper()
		got := e.mustIndexBlame("Beleid/Wmo")
		if d := diffOwners(got, gitBlame(t, e.dir, "Beleid/Wmo.md")); d != "" {
			t.Errorf("%s: index vs git blame: %s", when, d)
		}
		if d := diffOwners(got, e.walkBlame("Beleid/Wmo")); d != "" {
			t.Errorf("%s: index vs on-demand blame: %s", when, d)
		}
	}
	check("after the reset")
	// Save by save, each checked.
	for i := 0; i < 50; i++ {
		lines = e.randomHistory(g, "Beleid/Wmo", lines, 1)
		e.sync()
		if i%10 == 0 {
			check(fmt.Sprintf("after save %d", i))
		}
	}
	check("after the saves")
	if sets := e.rec.applied(); !sets[0].Reset || len(sets) < 2 || sets[len(sets)-1].Reset {
		t.Errorf("applied %d sets, first reset %v", len(sets), sets[0].Reset)
	}
}

// TestRepeatedLinesAgree: with blank lines and indented list items,
// which repeat, several equally short line diffs exist; the index chooses
// as git does (it runs git's diff, with its sliding of changed lines), so
// it agrees with git blame on every line. The walk uses another diff and
// may differ on repeated lines: those are counted, not checked.
func TestRepeatedLinesAgree(t *testing.T) {
	e := newEnv(t, blameindex.Options{})
	pages := []string{"P", "Q", "R"}
	for i, name := range pages {
		g := &editor{r: rand.New(rand.NewPCG(uint64(3+i), 4)), blank: true}
		var start []string
		for k := 0; k < 40; k++ {
			start = append(start, g.line())
		}
		e.save(anna, name, text(start))
		e.randomHistory(g, name, start, 150)
	}
	e.start()
	e.sync()
	for _, name := range pages {
		got := e.mustIndexBlame(name)
		gitOwners, walk := gitBlame(t, e.dir, name+".md"), e.walkBlame(name)
		if d := diffOwners(got, gitOwners); d != "" {
			t.Errorf("%s: index vs git blame: %s", name, d)
		}
		n := 0
		for i := range walk {
			if walk[i] != gitOwners[i] {
				n++
			}
		}
		t.Logf("%s: %d lines, the walk differs from git blame on %d", name, len(got), n)
	}
}

// TestMergeCreditsBothSides: a merge made with git, pushed into the
// repository, credits each side's lines to the commit that wrote them, as
// git blame does, not to the merge.
func TestMergeCreditsBothSides(t *testing.T) {
	e := newEnv(t, blameindex.Options{})
	base := []string{"een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht"}
	e.save(anna, "Home", text(base))
	e.save(anna, "Ander", "ander\n")
	e.start()
	e.sync()

	clone := filepath.Join(t.TempDir(), "clone")
	git(t, "", carla, "clone", "-q", "-b", "main", e.dir, clone)
	git(t, clone, carla, "config", "pull.rebase", "false")
	mine := append([]string(nil), base...)
	mine[1] = "twee, door Carla"
	mine = append(mine, "negen, door Carla")
	os.WriteFile(filepath.Join(clone, "Home.md"), []byte(text(mine)), 0o644)
	os.WriteFile(filepath.Join(clone, "Ander.md"), []byte("ander, door Carla\n"), 0o644)
	git(t, clone, carla, "commit", "-q", "-am", "Carla's edit")
	carlaRev := strings.TrimSpace(git(t, clone, carla, "rev-parse", "HEAD"))

	// Meanwhile on the wiki:
	theirs := append([]string(nil), base...)
	theirs[6] = "zeven, door Bram"
	bramRev := e.save(bram, "Home", text(theirs))
	e.sync()

	// Carla pulls (a merge with her commit as first parent) and pushes.
	e.close()
	git(t, clone, carla, "pull", "-q", "--no-edit", "origin", "main")
	git(t, clone, carla, "push", "-q", "origin", "main")
	e.start()
	e.sync()

	got := e.mustIndexBlame("Home")
	if d := diffOwners(got, gitBlame(t, e.dir, "Home.md")); d != "" {
		t.Errorf("index vs git blame: %s", d)
	}
	if got[1] != carlaRev || got[8] != carlaRev {
		t.Errorf("Carla's lines credited to %.7s and %.7s, want %.7s", got[1], got[8], carlaRev)
	}
	if got[6] != bramRev {
		t.Errorf("Bram's line credited to %.7s, want his commit %.7s", got[6], bramRev)
	}
	if d := diffOwners(e.mustIndexBlame("Ander"), gitBlame(t, e.dir, "Ander.md")); d != "" {
		t.Errorf("Ander: index vs git blame: %s", d)
	}
	// A merge the other way round: main is the first parent.
	e.close()
	git(t, clone, carla, "checkout", "-q", "-b", "zij")
	side := append([]string(nil), mine...)
	side[0] = "een, op een zijtak"
	os.WriteFile(filepath.Join(clone, "Home.md"), []byte(text(side)), 0o644)
	git(t, clone, carla, "commit", "-q", "-am", "zijtak")
	git(t, clone, carla, "checkout", "-q", "main")
	main := append([]string(nil), mine...)
	main[4] = "vijf, op main"
	os.WriteFile(filepath.Join(clone, "Home.md"), []byte(text(main)), 0o644)
	git(t, clone, bram, "commit", "-q", "-am", "main")
	git(t, clone, bram, "merge", "-q", "--no-edit", "zij")
	git(t, clone, bram, "push", "-q", "origin", "main")
	e.start()
	e.sync()
	if d := diffOwners(e.mustIndexBlame("Home"), gitBlame(t, e.dir, "Home.md")); d != "" {
		t.Errorf("second merge: index vs git blame: %s", d)
	}
}

// TestOldBranchRebuildsPage: a push of a branch forked from a version the
// index no longer keeps makes it rebuild the page, with git's answer.
func TestOldBranchRebuildsPage(t *testing.T) {
	e := newEnv(t, blameindex.Options{Keep: 1})
	g := &editor{r: rand.New(rand.NewPCG(5, 6))}
	var lines []string
	for i := 0; i < 20; i++ {
		lines = append(lines, g.line())
	}
	e.save(anna, "P", text(lines))
	lines = e.randomHistory(g, "P", lines, 5)
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, "", carla, "clone", "-q", "-b", "main", e.dir, clone)
	git(t, clone, carla, "config", "pull.rebase", "false")
	e.start()
	e.sync()
	e.randomHistory(g, "P", lines, 10)
	e.sync()
	// Carla edits the version she cloned, ten versions ago, at its end so
	// that the merge is clean.
	old, _ := os.ReadFile(filepath.Join(clone, "P.md"))
	os.WriteFile(filepath.Join(clone, "P.md"), append(old, "van Carla\n"...), 0o644)
	git(t, clone, carla, "commit", "-q", "-am", "oude basis")
	e.close()
	git(t, clone, carla, "pull", "-q", "--no-edit", "-X", "theirs", "origin", "main")
	git(t, clone, carla, "push", "-q", "origin", "main")
	e.start()
	e.sync()
	if d := diffOwners(e.mustIndexBlame("P"), gitBlame(t, e.dir, "P.md")); d != "" {
		t.Errorf("index vs git blame: %s", d)
	}
}

// TestRenameKeepsAttribution: a page moved by the wiki (which leaves a
// redirect) or by git mv keeps the blame of its content.
func TestRenameKeepsAttribution(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, blameindex.Options{})
	e.start()
	r1 := e.save(anna, "Oud", "een\ntwee\ndrie\n")
	r2 := e.save(bram, "Oud", "een\nTWEE\ndrie\n")
	e.sync()
	w := wiki.New(e.repo, wiki.Options{})
	ren, err := w.Rename(ctx, wiki.Rename{From: "Oud", To: "Nieuw", Base: r2, Author: carla})
	if err != nil {
		t.Fatal(err)
	}
	e.sync()
	if got := e.mustIndexBlame("Nieuw"); strings.Join(got, " ") != strings.Join([]string{r1, r2, r1}, " ") {
		t.Errorf("after the wiki rename: %.7s", got)
	}
	if got := e.mustIndexBlame("Oud"); len(got) == 0 || got[0] != ren.Revision {
		t.Errorf("the redirect: %.7s, want %.7s", got, ren.Revision)
	}
	// git mv: the old file is deleted.
	p, _ := e.repo.ReadPage(ctx, "Nieuw", "")
	mv, err := e.repo.Commit(ctx, wiki.Commit{Author: carla, Message: "mv", Changes: []wiki.Change{
		{Name: "Map/Verhuisd", Blob: p.Blob},
		{Name: "Nieuw", Delete: true, Base: p.Revision.ID},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r4 := e.save(anna, "Map/Verhuisd", "nul\neen\nTWEE\ndrie\n")
	e.sync()
	want := []string{r4, r1, r2, r1}
	if got := e.mustIndexBlame("Map/Verhuisd"); diffOwners(got, want) != "" {
		t.Errorf("after git mv (%.7s): %s", mv.Revision, diffOwners(got, want))
	}
	if d := diffOwners(e.mustIndexBlame("Map/Verhuisd"), e.walkBlame("Map/Verhuisd")); d != "" {
		t.Errorf("index vs walk: %s", d)
	}
	// A reset follows the renames too.
	e.stop()
	os.Remove(e.idxPath)
	e.start()
	e.sync()
	if got := e.mustIndexBlame("Map/Verhuisd"); diffOwners(got, want) != "" {
		t.Errorf("after a reset: %s", diffOwners(got, want))
	}
}

// TestSurvivesRestart: the checkpoint is the file's; a restart catches up
// from it with exactly the commits made meanwhile, applied once.
func TestSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, blameindex.Options{})
	e.save(anna, "P", "een\ntwee\n")
	e.save(bram, "P", "een\ntwee\ndrie\n")
	e.start()
	e.sync()
	cp, _ := e.idx.Checkpoint(ctx)
	e.stop()
	r3 := e.save(carla, "P", "nul\neen\ntwee\ndrie\n")
	r4 := e.save(anna, "Q", "q\n")
	e.close()

	e.start()
	if got, _ := e.idx.Checkpoint(ctx); got != cp {
		t.Fatalf("checkpoint after restart %s, want %s", got, cp)
	}
	e.sync()
	sets := e.rec.applied()
	if len(sets) != 1 || sets[0].Reset || sets[0].From != cp || len(sets[0].Revisions) != 2 || sets[0].Revisions[0].ID != r3 || sets[0].Revisions[1].ID != r4 {
		t.Fatalf("catch-up: %+v", sets)
	}
	if got, _ := e.idx.Checkpoint(ctx); got != r4 {
		t.Fatalf("checkpoint %s, want %s", got, r4)
	}
	if d := diffOwners(e.mustIndexBlame("P"), e.walkBlame("P")); d != "" {
		t.Errorf("P: %s", d)
	}
	if got := e.mustIndexBlame("Q"); len(got) != 1 || got[0] != r4 {
		t.Errorf("Q: %.7s", got)
	}
	// Applying the same change set again changes nothing.
	before := e.mustIndexBlame("P")
	if err := e.idx.Apply(ctx, sets[0]); err != nil {
		t.Fatal(err)
	}
	if d := diffOwners(e.mustIndexBlame("P"), before); d != "" {
		t.Errorf("applied twice: %s", d)
	}
}

// TestResetBuildsEverything: a first start builds every page; a history
// rewritten under the index makes it start over; a page it does not hold
// is "not here".
func TestResetBuildsEverything(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, blameindex.Options{BatchTime: time.Nanosecond})
	g := &editor{r: rand.New(rand.NewPCG(7, 8))}
	names := []string{"A", "B/C", "B/D", "E", "F/G/H"}
	texts := map[string][]string{}
	for i := 0; i < 60; i++ {
		n := names[g.r.IntN(len(names))]
		texts[n] = e.randomHistory(g, n, texts[n], 1)
	}
	e.save(anna, "Weg", "weg\n")
	if _, err := e.repo.Commit(ctx, wiki.Commit{Author: anna, Message: "weg", Changes: []wiki.Change{{Name: "Weg", Delete: true, Base: e.walkOwner("Weg")}}}); err != nil {
		t.Fatal(err)
	}
	e.start()
	e.sync()
	if sets := e.rec.applied(); len(sets) != 1 || !sets[0].Reset {
		t.Fatalf("first start: %d sets", len(sets))
	}
	for _, n := range names {
		if d := diffOwners(e.mustIndexBlame(n), gitBlame(t, e.dir, n+".md")); d != "" {
			t.Errorf("%s: %s", n, d)
		}
	}
	if _, ok, _ := e.idx.Blame(ctx, "Weg.md", strings.Repeat("0", 40), ""); ok {
		t.Error("blame of a version never seen")
	}

	// Rewrite history with git: the last commit is amended.
	e.close()
	work := filepath.Join(t.TempDir(), "work")
	git(t, "", carla, "clone", "-q", "-b", "main", e.dir, work)
	os.WriteFile(filepath.Join(work, "A.md"), []byte("herschreven\n"), 0o644)
	git(t, work, carla, "commit", "-q", "-a", "--amend", "-m", "herschreven")
	git(t, work, carla, "push", "-q", "-f", "origin", "main")
	e.start()
	e.sync()
	if sets := e.rec.applied(); len(sets) != 1 || !sets[0].Reset {
		t.Fatalf("after the rewrite: %+v", sets)
	}
	for _, n := range names {
		if d := diffOwners(e.mustIndexBlame(n), gitBlame(t, e.dir, n+".md")); d != "" {
			t.Errorf("after the rewrite, %s: %s", n, d)
		}
	}
}

// walkOwner returns the revision of a page at head.
func (e *env) walkOwner(name string) string {
	p, err := e.repo.ReadPage(context.Background(), wiki.MustParseName(name), "")
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Revision.ID
}

// TestCorruptFileStartsOver: a file bbolt cannot read is replaced by an
// empty index, which a reset then fills.
func TestCorruptFileStartsOver(t *testing.T) {
	e := newEnv(t, blameindex.Options{})
	r := e.save(anna, "P", "een\n")
	os.WriteFile(e.idxPath, []byte(strings.Repeat("rommel", 1000)), 0o600)
	e.start()
	e.sync()
	if got := e.mustIndexBlame("P"); len(got) != 1 || got[0] != r {
		t.Errorf("after starting over: %.7s", got)
	}
}

// gatedSource holds up the history of one page until released.
type gatedSource struct {
	blameindex.Source
	path    string
	reached chan struct{}
	release chan struct{}
}

func (s *gatedSource) FileHistory(ctx context.Context, path string, q wiki.HistoryQuery) ([]wiki.PageRevision, error) {
	if path == s.path {
		select {
		case s.reached <- struct{}{}:
		default:
		}
		<-s.release
	}
	return s.Source.FileHistory(ctx, path, q)
}

// TestLookupDuringReset: while a reset builds the pages, the ones built
// are answered and the others are "not here" (the wiki walks for them).
func TestLookupDuringReset(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, blameindex.Options{})
	ra := e.save(anna, "A", "a\n")
	e.save(bram, "B", "b\n")
	src, err := blameindex.NewGitSource(e.repo, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	gate := &gatedSource{Source: src, path: "B.md", reached: make(chan struct{}, 1), release: make(chan struct{})}
	idx, err := blameindex.Open(e.idxPath, gate, blameindex.Options{BatchTime: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	snap, _ := e.repo.Snapshot(ctx)
	cs, err := e.repo.Changes(ctx, "", snap.Head)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- idx.Apply(ctx, cs) }()
	<-gate.reached
	a, _ := snap.Page("A")
	b, _ := snap.Page("B")
	if owners, ok, _ := idx.Blame(ctx, "A.md", a.Blob, a.Revision); !ok || len(owners) != 1 || owners[0] != ra {
		t.Errorf("A while B is built: %.7s %v", owners, ok)
	}
	if _, ok, _ := idx.Blame(ctx, "B.md", b.Blob, b.Revision); ok {
		t.Error("B answered before it was built")
	}
	if cp, _ := idx.Checkpoint(ctx); cp != "" {
		t.Errorf("checkpoint %s while building", cp)
	}
	close(gate.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := idx.Blame(ctx, "B.md", b.Blob, b.Revision); !ok {
		t.Error("B not answered after the reset")
	}
	if cp, _ := idx.Checkpoint(ctx); cp != snap.Head {
		t.Errorf("checkpoint %s after the reset, want %s", cp, snap.Head)
	}
}
