package gitsync_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/gitsync"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// newReplicaOf makes an empty content repository (no seed: a replica
// starts from the primary's history) and a replica of the wiki at url.
func newReplicaOf(t *testing.T, url string) (*storage.Repo, *gitsync.Replica, string) {
	t.Helper()
	data := t.TempDir()
	dir := filepath.Join(data, "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	rem, err := gitsync.ParseRemote(url, "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := gitsync.NewReplica(gitsync.ReplicaOptions{Repo: repo, Remote: rem, Dir: filepath.Join(data, "replica")})
	if err != nil {
		t.Fatal(err)
	}
	return repo, rep, dir
}

func replicaSync(t *testing.T, rep *gitsync.Replica) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return rep.Sync(ctx)
}

func headOf(t *testing.T, repo *storage.Repo) string {
	t.Helper()
	_, h, err := repo.Branch()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// TestReplicaFollowsByFastForward: an empty replica takes the primary's
// whole history, then each new save, as the same commits (a fast-forward
// through the push path, published on its change feed); git fsck is
// clean.
func TestReplicaFollowsByFastForward(t *testing.T) {
	primary := newTestWiki(t)
	repo, rep, dir := newReplicaOf(t, primary.serve(t))
	if st := rep.Status(); st.Fetched {
		t.Fatal("fetched before the first round")
	}
	if err := replicaSync(t, rep); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	if got, want := headOf(t, repo), primary.head(t); got != want {
		t.Fatalf("replica's main %s, primary's %s", got, want)
	}
	moves := make(chan wiki.ChangeSet, 10)
	sub, err := repo.Subscribe(context.Background(), &recorder{ch: moves})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	feedCaughtUp(t, sub)
	for len(moves) > 0 {
		<-moves // the reset of a new consumer
	}
	primary.save(t, "WMO/Ontwerp", ontwerp+"regel 8\n")
	primary.save(t, "Nieuw", "# Nieuw\n")
	if err := replicaSync(t, rep); err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if got, want := headOf(t, repo), primary.head(t); got != want {
		t.Fatalf("replica's main %s, primary's %s", got, want)
	}
	p, err := repo.ReadPage(context.Background(), "Nieuw", "")
	if err != nil || string(p.Content) != "# Nieuw\n" {
		t.Fatalf("the new page on the replica: %v %q", err, p)
	}
	st := rep.Status()
	if !st.Fetched || st.Behind != 0 || st.Diverged || st.LastError != "" || st.Head != primary.head(t) {
		t.Fatalf("status after following: %+v", st)
	}
	feedCaughtUp(t, sub)
	var authors []string
	for len(moves) > 0 {
		for _, r := range (<-moves).Revisions {
			authors = append(authors, r.Author.Name)
		}
	}
	if len(authors) != 2 || authors[0] != "Anna de Vries" || authors[1] != "Anna de Vries" {
		t.Fatalf("the replica's change feed delivered revisions by %q, want the primary's two saves by Anna", authors)
	}
	if out, err := gitAs(t, "Test Runner", dir, "fsck", "--strict", "--no-progress"); err != nil {
		t.Fatalf("git fsck --strict: %v\n%s", err, out)
	}
}

// TestReplicaDivergedStops: a commit made on the replica itself is never
// thrown away: the replica reports that it diverged and does not move.
func TestReplicaDivergedStops(t *testing.T) {
	primary := newTestWiki(t)
	repo, rep, _ := newReplicaOf(t, primary.serve(t))
	if err := replicaSync(t, rep); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit(context.Background(), wiki.Commit{Author: wiki.Author{Name: "Iemand", Email: "iemand@example.nl"}, Message: "op de replica",
		Changes: []wiki.Change{{Name: "Eigen", Content: []byte("# Eigen\n")}}}); err != nil {
		t.Fatal(err)
	}
	own := headOf(t, repo)
	primary.save(t, "Nieuw", "# Nieuw\n")
	err := replicaSync(t, rep)
	if !errors.Is(err, gitsync.ErrReplicaDiverged) {
		t.Fatalf("sync of a diverged replica: %v, want ErrReplicaDiverged", err)
	}
	if headOf(t, repo) != own {
		t.Fatal("the replica's own commit was overwritten")
	}
	if st := rep.Status(); !st.Diverged || st.Behind != 1 || st.LastError == "" {
		t.Fatalf("status of a diverged replica: %+v", st)
	}
	// Run stops following at once.
	done := make(chan struct{})
	go func() { rep.Run(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run kept following a diverged replica")
	}
	if headOf(t, repo) != own {
		t.Fatal("the replica's own commit was overwritten")
	}
}

// TestReplicaRunPolls: without a long poll, Run looks at the primary
// every Interval and follows it.
func TestReplicaRunPolls(t *testing.T) {
	primary := newTestWiki(t)
	url := primary.serve(t)
	data := t.TempDir()
	repo, err := storage.Init(filepath.Join(data, "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	rem, _ := gitsync.ParseRemote(url, "")
	rep, err := gitsync.NewReplica(gitsync.ReplicaOptions{Repo: repo, Remote: rem, Dir: filepath.Join(data, "replica"), Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rep.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	primary.save(t, "Later", "# Later\n")
	want := primary.head(t)
	eventually(t, "the replica follows by polling", func() bool { return headOf(t, repo) == want })
}

// recorder is a change-feed consumer that passes on what it is given.
type recorder struct {
	ch   chan wiki.ChangeSet
	last string
}

func (r *recorder) Name() string                               { return "recorder" }
func (r *recorder) Checkpoint(context.Context) (string, error) { return r.last, nil }
func (r *recorder) Apply(_ context.Context, cs wiki.ChangeSet) error {
	r.ch <- cs
	r.last = cs.To
	return nil
}

func feedCaughtUp(t *testing.T, sub wiki.Subscription) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}
