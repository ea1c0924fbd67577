package gitsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/wikiwerk/wikiwerk/storage"
)

// A read replica follows the primary wiki's main by git fetch from the
// primary's /wiki.git and moves its own main only by fast-forward, through
// the same durable path a git push takes (storage.ReceivePack): the
// replica's change feed, and so its history, search, links and blame,
// follow exactly as on the primary. It never commits by itself: when its
// main has commits the primary's lacks (someone wrote to the replica's
// folder, or the primary was restored from an older backup), it says so
// and stops following until restarted; it never forces.

// ErrReplicaDiverged says the replica's main is not an ancestor of the
// primary's: following would mean throwing commits away.
var ErrReplicaDiverged = errors.New("the replica's main has commits the primary's main does not have; not following (never forced)")

// ReplicaOptions configures a Replica.
type ReplicaOptions struct {
	// Repo is the replica's content repository.
	Repo *storage.Repo
	// Remote is the primary's git address (https://wiki.example.nl/wiki.git).
	Remote Remote
	// Dir is the replica's folder in the data folder (DATA/replica): a
	// staging repository that fetches land in.
	Dir string
	// Interval is how often to ask the primary for its main; default 2 s.
	Interval time.Duration
	// HeadURL, when set, is the primary's long poll (GET /-/api/head):
	// between rounds the replica waits there for the primary's main to
	// move, instead of for Interval; when it fails (an older primary),
	// the replica polls every Interval.
	HeadURL string
	// Logger receives what the replica does; nil discards it.
	Logger *slog.Logger
}

// ReplicaStatus is the replica's state as the admin page, readiness and
// the metrics show it.
type ReplicaStatus struct {
	// URL is the primary's address, without credentials.
	URL string
	// Primary is the primary's main as last seen; Head the replica's.
	Primary, Head string
	// Behind counts the commits of the primary's main, as last seen, that
	// the replica does not have yet (0 once they are applied).
	Behind int
	// Fetched says a fetch has succeeded since the start.
	Fetched bool
	// LastSuccess is when the primary was last asked successfully.
	LastSuccess time.Time
	// LastError is the last round's error ("" when it succeeded), at
	// LastErrorAt.
	LastError   string
	LastErrorAt time.Time
	// Diverged is set when the replica stopped following (see
	// ErrReplicaDiverged).
	Diverged bool
}

// Replica follows a primary wiki. See ErrReplicaDiverged for what it
// never does.
type Replica struct {
	opt  ReplicaOptions
	log  *slog.Logger
	wake chan struct{}
	// runMu serialises rounds.
	runMu sync.Mutex

	mu     sync.Mutex
	status ReplicaStatus
	rounds int
	done   chan struct{}
}

// NewReplica prepares a replica; Run runs it.
func NewReplica(opt ReplicaOptions) (*Replica, error) {
	if opt.Interval <= 0 {
		opt.Interval = 2 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	r := &Replica{opt: opt, log: opt.Logger.With("primary", opt.Remote.Shown()), wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.status.URL = opt.Remote.Shown()
	return r, nil
}

// Run follows the primary every Interval, and at once when Trigger asks,
// until ctx is done or the replica diverged.
func (r *Replica) Run(ctx context.Context) {
	failures := 0
	for {
		err := r.Sync(ctx)
		wait := r.opt.Interval
		switch {
		case errors.Is(err, ErrReplicaDiverged):
			r.log.Error("replica stopped following the primary", "err", err)
			return
		case errors.Is(err, errIndexing):
			wait = min(wait, time.Second)
		case err != nil && ctx.Err() == nil:
			// Back off, so that a primary that is down or refuses the
			// token is not asked five times a second.
			failures++
			wait = backoff(failures, r.opt.Interval, time.Minute)
			r.log.Warn("replica: fetch from the primary failed; trying again", "err", r.opt.Remote.redact(err), "next", wait)
		default:
			failures = 0
		}
		if err == nil && r.opt.HeadURL != "" && r.waitHead(ctx) == nil {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-r.wake:
			t.Stop()
		}
	}
}

// headWait is how long one long poll waits at the primary.
const headWait = 30 * time.Second

// waitHead waits at the primary's long poll until its main is not the
// replica's, or the poll times out, or Trigger asks for a round. An
// error says the long poll does not work; Run then polls.
func (r *Replica) waitHead(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-r.wake:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, head, err := r.opt.Repo.Branch()
	if err != nil {
		return err
	}
	u := r.opt.HeadURL + "?" + url.Values{"after": {head.String()}, "wait": {headWait.String()}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if rem := r.opt.Remote; rem.Token != "" {
		req.SetBasicAuth(rem.User, rem.Token)
	}
	client := &http.Client{
		Timeout: headWait + 30*time.Second,
		// The token must not follow a redirect anywhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil // Trigger, or the end
		}
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", r.opt.HeadURL, resp.Status)
	}
	return nil
}

// Trigger asks Run for a round now (after a write sent to the primary);
// it does not wait.
func (r *Replica) Trigger() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Rounds returns how many rounds have finished and a channel closed when
// the next one does.
func (r *Replica) Rounds() (int, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rounds, r.done
}

// Status returns the replica's state.
func (r *Replica) Status() ReplicaStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Sync runs one round: ask the primary for its main, fetch what is new and
// fast-forward the replica's main to it.
func (r *Replica) Sync(ctx context.Context) (err error) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	defer func() {
		r.mu.Lock()
		switch {
		case err == nil:
			r.status.LastError = ""
			r.status.Fetched = true
			r.status.LastSuccess = time.Now()
		case !errors.Is(err, errIndexing):
			r.status.LastError, r.status.LastErrorAt = r.opt.Remote.redact(err), time.Now()
			// Sticky: Run has stopped following; a later error of
			// another round (after a write) must not hide that.
			r.status.Diverged = r.status.Diverged || errors.Is(err, ErrReplicaDiverged)
		}
		if _, head, herr := r.opt.Repo.Branch(); herr == nil && !head.IsZero() {
			r.status.Head = head.String()
		}
		r.rounds++
		close(r.done)
		r.done = make(chan struct{})
		r.mu.Unlock()
	}()
	if _, _, busy := r.opt.Repo.Indexing(); busy {
		return errIndexing
	}
	stagingDir := filepath.Join(r.opt.Dir, "replica.git")
	defer func() {
		if err == nil {
			// What was fetched is in the content repository now; the
			// next fetch negotiates from main.
			os.RemoveAll(stagingDir)
		}
	}()
	staging, err := openStaging(stagingDir)
	if err != nil {
		return fmt.Errorf("replica staging repository: %w", err)
	}
	defer staging.Close()
	content := openReadOnly(r.opt.Repo.GitDir())
	defer content.Close()
	ov := &overlay{Storage: staging, content: content}
	for attempt := 0; ; attempt++ {
		err := r.round(ctx, ov, content)
		if errors.Is(err, errStale) && attempt < 10 {
			content.Reindex()
			continue
		}
		return err
	}
}

func (r *Replica) round(ctx context.Context, ov *overlay, content interface{ Reindex() }) error {
	branch, head, err := r.opt.Repo.Branch()
	if err != nil {
		return err
	}
	tip, err := r.fetch(ctx, ov, branch, head)
	if err != nil {
		return err
	}
	behind, err := r.behind(ov, tip)
	r.mu.Lock()
	r.status.Primary, r.status.Behind = tip.String(), behind
	r.mu.Unlock()
	if err != nil || tip == head || behind == 0 {
		if err == nil && tip != head && !head.IsZero() {
			// The primary's main is an ancestor of ours: the primary
			// went back (restored from a backup).
			return ErrReplicaDiverged
		}
		return err
	}
	objs := newMissing(ov, ov.content)
	if err := objs.commits(tip); err != nil {
		return err
	}
	pack := objs.pipePack()
	defer pack.Close()
	// The primary checked every commit already; the replica checks them
	// again (names, fsck rules) but not against its own size and type
	// limits, which may be set differently.
	lim := storage.PushLimits{MaxPackBytes: 1 << 40, MaxFileBytes: 1 << 40, MaxPageBytes: 1 << 40}
	res := r.opt.Repo.ReceivePack(ctx, []storage.RefUpdate{{Name: branch, Old: head, New: tip}}, pack, lim)
	if res.UnpackErr != nil {
		return fmt.Errorf("store the primary's commits: %w", res.UnpackErr)
	}
	if err := res.Refs[0]; err != nil {
		var rej *storage.PushRejection
		if errors.As(err, &rej) {
			if rej.Reason == "fetch first" {
				return errStale
			}
			if rej.Reason == "non-fast-forward" {
				return fmt.Errorf("%w (%s)", ErrReplicaDiverged, rej.Reason)
			}
		}
		return fmt.Errorf("store the primary's commits: %w", err)
	}
	content.Reindex()
	r.mu.Lock()
	r.status.Behind = 0
	r.mu.Unlock()
	r.log.Info("replica: main moved", "from", short(head), "to", short(tip), "commits", behind)
	return nil
}

// behind counts the commits reachable from tip that the replica's main
// does not reach, and reports a divergence: a commit of the replica's
// main that the primary's history passes by means the replica's main is
// not an ancestor of tip.
func (r *Replica) behind(ov *overlay, tip plumbing.Hash) (int, error) {
	_, head, err := r.opt.Repo.Branch()
	if err != nil {
		return 0, err
	}
	seen := map[plumbing.Hash]bool{}
	reachedHead := head.IsZero()
	queue := []plumbing.Hash{tip}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if seen[h] {
			continue
		}
		if r.opt.Repo.MainReaches(h) {
			reachedHead = reachedHead || h == head
			continue
		}
		seen[h] = true
		c, err := object.GetCommit(ov, h)
		if err != nil {
			return 0, fmt.Errorf("read the primary's commit %s: %w", h, err)
		}
		queue = append(queue, c.ParentHashes...)
	}
	if len(seen) > 0 && !reachedHead {
		return len(seen), ErrReplicaDiverged
	}
	return len(seen), nil
}

// fetch asks the primary for its branch and brings what is new into the
// staging repository; it returns the primary's commit.
func (r *Replica) fetch(ctx context.Context, ov *overlay, branch plumbing.ReferenceName, head plumbing.Hash) (plumbing.Hash, error) {
	tr, ep, err := r.opt.Remote.client()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	// A wikiwerk primary takes a token with its owner's name or with
	// none; DefaultUser would be refused.
	var auth transport.AuthMethod
	if rem := r.opt.Remote; rem.Token != "" {
		auth = &githttp.BasicAuth{Username: rem.User, Password: rem.Token}
	}
	sess, err := tr.NewUploadPackSession(ep, auth)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("connect to %s: %w", r.opt.Remote.Shown(), err)
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read the refs of %s: %w", r.opt.Remote.Shown(), err)
	}
	tip := ar.References[branch.String()]
	if tip.IsZero() {
		return plumbing.ZeroHash, fmt.Errorf("%s has no branch %q", r.opt.Remote.Shown(), branch.Short())
	}
	if ov.HasEncodedObject(tip) == nil {
		return tip, nil
	}
	req := packp.NewUploadPackRequestFromCapabilities(ar.Capabilities)
	// The staging repository must stand alone: no thin pack.
	req.Capabilities.Delete(capability.ThinPack)
	req.Wants = []plumbing.Hash{tip}
	if !head.IsZero() {
		req.Haves = []plumbing.Hash{head}
	}
	rd, err := sess.UploadPack(ctx, req)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("fetch from %s: %w", r.opt.Remote.Shown(), err)
	}
	defer rd.Close()
	var pack io.Reader = rd
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		pack = sideband.NewDemuxer(sideband.Sideband64k, rd)
	case req.Capabilities.Supports(capability.Sideband):
		pack = sideband.NewDemuxer(sideband.Sideband, rd)
	}
	if err := packfile.UpdateObjectStorage(ov.Storage, pack); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("fetch from %s: %w", r.opt.Remote.Shown(), err)
	}
	return tip, nil
}
