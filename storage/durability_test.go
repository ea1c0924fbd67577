package storage_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// threeSaves makes a repository with three commits and closes it.
func threeSaves(t *testing.T) (dir string, revs []string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "content.git")
	r, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := ""
	for i, text := range []string{"een\n", "twee\n", "drie\n"} {
		base = save(t, r, []wiki.Author{anna, bram}[i%2], "Pagina", text, base, "versie "+text)
		revs = append(revs, base)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, revs
}

// TestBranchMovesLikeGit: every move is in the reflog as git writes it, no
// lock file is left, and git reads the result.
func TestBranchMovesLikeGit(t *testing.T) {
	dir, revs := threeSaves(t)
	log := git(t, dir, "reflog", "show", "--format=%H %gs", "main")
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) != 3 {
		t.Fatalf("reflog has %d entries, want 3:\n%s", len(lines), log)
	}
	for i, rev := range revs {
		line := lines[len(lines)-1-i]
		if !strings.HasPrefix(line, rev+" commit: versie") {
			t.Errorf("reflog entry %d: %q, want %s commit: ...", i, line, rev)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "refs", "heads", "main.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("main.lock left behind: %v", err)
	}
	fsck(t, dir)
}

// TestDamagedBranchIsNeverReseeded: an empty, missing or dangling main makes
// Open refuse with ErrDamaged (so the wiki can never seed over it), and
// Check -repair restores the last acknowledged commit from the reflog.
func TestDamagedBranchIsNeverReseeded(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(ref string){
		"empty":    func(ref string) { os.WriteFile(ref, nil, 0o644) },
		"missing":  func(ref string) { os.Remove(ref) },
		"dangling": func(ref string) { os.WriteFile(ref, []byte(strings.Repeat("ab", 20)+"\n"), 0o644) },
		"garbage":  func(ref string) { os.WriteFile(ref, []byte("\x00\x00\x00"), 0o644) },
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			dir, revs := threeSaves(t)
			damage(filepath.Join(dir, "refs", "heads", "main"))
			_, err := storage.Open(dir, storage.Options{})
			if !errors.Is(err, storage.ErrDamaged) {
				t.Fatalf("Open on a %s main: %v, want ErrDamaged", name, err)
			}
			rep, err := storage.Check(ctx, dir, storage.CheckOptions{})
			if err != nil || rep.OK() {
				t.Fatalf("check found no problem: %+v %v", rep, err)
			}
			rep, err = storage.Check(ctx, dir, storage.CheckOptions{Repair: true})
			if err != nil || !rep.OK() || len(rep.Repaired) == 0 {
				t.Fatalf("repair: %+v %v", rep, err)
			}
			if rep.Head.String() != revs[2] {
				t.Fatalf("repaired to %s, want the last acknowledged %s", rep.Head, revs[2])
			}
			r, err := storage.Open(dir, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			p, err := r.ReadPage(ctx, "Pagina", "")
			if err != nil || string(p.Content) != "drie\n" {
				t.Fatalf("after repair: %v %q", err, p)
			}
			fsck(t, dir)
		})
	}
}

// TestRepairWithoutReflogFindsNewestCommit: with the reflog gone too, the
// newest complete commit is restored.
func TestRepairWithoutReflogFindsNewestCommit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "content.git")
	r, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base, last := "", ""
	t0 := time.Now().Add(-time.Hour)
	for i, text := range []string{"een\n", "twee\n", "drie\n"} {
		// A minute apart, so that "newest" is not decided by chance.
		res, err := r.Commit(context.Background(), wiki.Commit{Author: anna, Message: "versie", Time: t0.Add(time.Duration(i) * time.Minute),
			Changes: []wiki.Change{{Name: "Pagina", Content: []byte(text), Base: base}}})
		if err != nil {
			t.Fatal(err)
		}
		base, last = res.Revision, res.Revision
	}
	r.Close()
	os.Remove(filepath.Join(dir, "refs", "heads", "main"))
	os.RemoveAll(filepath.Join(dir, "logs"))
	if _, err := storage.Open(dir, storage.Options{}); !errors.Is(err, storage.ErrDamaged) {
		t.Fatalf("Open without main or reflog but with objects: %v", err)
	}
	rep, err := storage.Check(context.Background(), dir, storage.CheckOptions{Repair: true})
	if err != nil || !rep.OK() {
		t.Fatalf("repair: %+v %v", rep, err)
	}
	if rep.Head.String() != last {
		t.Fatalf("repaired to %s, want the newest commit %s", rep.Head, last)
	}
	fsck(t, dir)
}

// TestLeftoversRemovedAtStart: temporary files of an interrupted write
// are removed, so git count-objects finds no garbage.
func TestLeftoversRemovedAtStart(t *testing.T) {
	dir, _ := threeSaves(t)
	for _, p := range []string{"objects/pack/tmp_pack_123", "objects/pack/tmp_idx_123", "objects/pack/tmp_obj_9", "refs/heads/main.lock"} {
		os.WriteFile(filepath.Join(dir, p), []byte("half"), 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "wikiwerk-incoming"), 0o755)
	os.WriteFile(filepath.Join(dir, "wikiwerk-incoming", "push-1.pack"), []byte("half"), 0o644)
	if out := git(t, dir, "count-objects", "-v"); !strings.Contains(out, "garbage: ") || strings.Contains(out, "garbage: 0") {
		t.Logf("before: %s", out)
	}
	r, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	out := git(t, dir, "count-objects", "-v")
	if !strings.Contains(out, "garbage: 0") {
		t.Fatalf("git count-objects after start:\n%s", out)
	}
	for _, p := range []string{"refs/heads/main.lock", "wikiwerk-incoming"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there", p)
		}
	}
}

// recorder is a consumer that records what it applied and keeps its
// checkpoint in a file, as a real consumer keeps it in DATA.
type recorder struct {
	path string
	mu   sync.Mutex
	sets []wiki.ChangeSet
	fail bool
}

func (c *recorder) Name() string { return "recorder" }
func (c *recorder) Checkpoint(context.Context) (string, error) {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(string(b)), err
}
func (c *recorder) Apply(_ context.Context, cs wiki.ChangeSet) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return errors.New("down")
	}
	c.sets = append(c.sets, cs)
	return os.WriteFile(c.path, []byte(cs.To), 0o644)
}
func (c *recorder) applied() []wiki.ChangeSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]wiki.ChangeSet(nil), c.sets...)
}

// TestChangeFeedCatchesUp: a consumer gets a reset first, then every move;
// one that was down while main moved gets exactly what it missed, once.
func TestChangeFeedCatchesUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, _ := newRepo(t)
	first := save(t, r, anna, "Een", "1\n", "", "een")
	c := &recorder{path: filepath.Join(t.TempDir(), "checkpoint")}
	sub, err := r.Subscribe(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sets := c.applied()
	if len(sets) != 1 || !sets[0].Reset || sets[0].To != first || len(sets[0].Files) != 1 || sets[0].Files[0].Path != "Een.md" {
		t.Fatalf("first delivery: %+v", sets)
	}
	second := save(t, r, bram, "Twee", "2\n", "", "twee")
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sets = c.applied()
	if len(sets) != 2 || sets[1].Reset || sets[1].From != first || sets[1].To != second || len(sets[1].Revisions) != 1 || sets[1].Revisions[0].Author != bram {
		t.Fatalf("second delivery: %+v", sets[1:])
	}
	// Killed between the branch moving and its own update: the
	// subscription is gone, main moves twice, and a new one catches up.
	sub.Close()
	third := save(t, r, anna, "Een", "1b\n", first, "een b")
	if _, err := r.Commit(ctx, wiki.Commit{Author: anna, Message: "weg", Changes: []wiki.Change{{Name: "Twee", Delete: true, Base: second}}}); err != nil {
		t.Fatal(err)
	}
	save(t, r, bram, "Drie", "3\n", "", "drie")
	c2 := &recorder{path: c.path}
	sub2, err := r.Subscribe(ctx, c2)
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	if err := sub2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got := c2.applied()
	if len(got) != 1 || got[0].From != second || got[0].Reset {
		t.Fatalf("catch-up: %+v", got)
	}
	if len(got[0].Revisions) != 3 || got[0].Revisions[0].ID != third {
		t.Fatalf("catch-up revisions: %+v", got[0].Revisions)
	}
	kinds := map[string]wiki.ChangeKind{}
	for _, f := range got[0].Files {
		kinds[f.Path] = f.Kind
	}
	if kinds["Een.md"] != wiki.Modified || kinds["Twee.md"] != wiki.Deleted || kinds["Drie.md"] != wiki.Added || len(kinds) != 3 {
		t.Fatalf("catch-up files: %+v", got[0].Files)
	}
	if sub2.Lag() != 0 {
		t.Fatalf("lag after sync: %d", sub2.Lag())
	}
}

// TestFailingConsumerIsRetried: an Apply error is retried until it works,
// with the same From.
func TestFailingConsumerIsRetried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, _ := newRepo(t)
	save(t, r, anna, "Een", "1\n", "", "een")
	c := &recorder{path: filepath.Join(t.TempDir(), "checkpoint"), fail: true}
	sub, err := r.SubscribeWith(ctx, c, storage.FeedOptions{MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	deadline := time.Now().Add(30 * time.Second)
	for sub.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if sub.Err() == nil {
		t.Fatal("the failure was not reported")
	}
	c.mu.Lock()
	c.fail = false
	c.mu.Unlock()
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if sets := c.applied(); len(sets) != 1 || !sets[0].Reset {
		t.Fatalf("after recovery: %+v", sets)
	}
}

// TestFullDiskAnswersNoSpace: with the repository on a full file system a
// save fails with wiki.ErrNoSpace and damages nothing; once there is space
// again it works and nothing was lost.
func TestFullDiskAnswersNoSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	ctx := context.Background()
	dir := filepath.Join(mnt, "content.git")
	r, err := storage.Init(dir, storage.Options{IndexPath: filepath.Join(mnt, "history.idx")})
	if err != nil {
		t.Fatal(err)
	}
	base := save(t, r, anna, "Pagina", "bewaard\n", "", "eerste")
	// Fill the disk.
	filler := filepath.Join(mnt, "filler")
	f, _ := os.Create(filler)
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	big := strings.Repeat("Een regel tekst die niet past. ", 20000)
	_, err = r.Commit(ctx, wiki.Commit{Author: anna, Message: "te groot", Changes: []wiki.Change{{Name: "Pagina", Content: []byte(big), Base: base}}})
	if !errors.Is(err, wiki.ErrNoSpace) {
		t.Fatalf("save on a full disk: %v, want ErrNoSpace", err)
	}
	p, err := r.ReadPage(ctx, "Pagina", "")
	if err != nil || string(p.Content) != "bewaard\n" {
		t.Fatalf("page after the failed save: %v %q", err, p)
	}
	os.Remove(filler)
	rev := save(t, r, anna, "Pagina", big, base, "nu wel")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2, err := storage.Open(dir, storage.Options{IndexPath: filepath.Join(mnt, "history.idx")})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	h, _ := r2.History(ctx, "Pagina", wiki.HistoryQuery{})
	if len(h) != 2 || h[0].ID != rev || h[1].ID != base {
		t.Fatalf("history after the full disk: %+v", h)
	}
	fsck(t, dir)
}

// TestLookAlikeNamesRefused: a new page whose name looks like an existing
// one (Cyrillic o, a zero for an o, another case) is refused with the name
// of the existing page; an edit of the page itself is not.
func TestLookAlikeNamesRefused(t *testing.T) {
	r, _ := newRepo(t)
	home := save(t, r, anna, "Home", "start\n", "", "start")
	for _, twin := range []string{"H\u043eme", "H0me", "HOME", "home"} {
		_, err := r.Commit(context.Background(), wiki.Commit{Author: bram, Message: "twin",
			Changes: []wiki.Change{{Name: wiki.Name(twin), Content: []byte("nep\n")}}})
		if !errors.Is(err, wiki.ErrNameTaken) || !strings.Contains(err.Error(), "Home") {
			t.Errorf("new page %q: %v, want ErrNameTaken naming Home", twin, err)
		}
	}
	save(t, r, anna, "Home", "start, bewerkt\n", home, "edit")
	save(t, r, anna, "Homes", "anders\n", "", "a different name")
}
