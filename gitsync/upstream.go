package gitsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TrackingRef is the ref of the staging repository that holds the
// upstream branch as last fetched.
const TrackingRef = plumbing.ReferenceName("refs/wikiwerk/upstream/main")

// ConflictPrefix is where an upstream change that conflicts with the
// wiki is kept: refs/heads/upstream-conflict/<first 12 hex of the commit>.
const ConflictPrefix = "refs/heads/upstream-conflict/"

// ErrNoCommonHistory says the upstream's branch shares no commit with the
// wiki's main: there is nothing to merge against.
var ErrNoCommonHistory = errors.New("the upstream's history and the wiki's have no commit in common")

// errIndexing says the round waits for the history index's first build.
var errIndexing = errors.New("waiting for the history index to be built")

// errStale says main moved while a merge was prepared; it is prepared
// again on top.
var errStale = errors.New("main moved")

// UpstreamOptions configures an Upstream.
type UpstreamOptions struct {
	// Repo is the content repository.
	Repo *storage.Repo
	// Remote is the upstream repository.
	Remote Remote
	// Branch is the upstream's branch to take; default "main".
	Branch string
	// Dir is the upstream's folder in the data folder (DATA/upstream): a
	// staging repository upstream.git that fetches land in, and
	// state.json.
	Dir string
	// Interval is how often to fetch; default 5 minutes.
	Interval time.Duration
	// Limits are those of a push: upstream changes are checked like one
	// (page names, fsck rules, sizes, file types), only the access rules
	// (MayChange) do not apply.
	Limits storage.PushLimits
	// Lang is the wiki's language ("nl" or "en") for the commit messages
	// the sync writes.
	Lang string
	// Logger receives what the sync does; nil discards it.
	Logger *slog.Logger
}

// Notice is an upstream change the sync could not take.
type Notice = wiki.UpstreamNotice

// UpstreamStatus is what the admin page shows of the upstream sync.
type UpstreamStatus = wiki.UpstreamStatus

type upstreamState struct {
	Considered string   `json:"considered"`
	Notices    []Notice `json:"notices"`
}

// Upstream fetches a branch from the organisation's git server and merges
// what was committed there into main. See the package comment.
type Upstream struct {
	opt  UpstreamOptions
	log  *slog.Logger
	wake chan struct{}
	// runMu serialises rounds (the timer's, the webhook's, tests').
	runMu sync.Mutex

	mu     sync.Mutex
	status UpstreamStatus
	state  upstreamState
	// rounds counts finished rounds; done is closed and replaced after
	// each.
	rounds int
	done   chan struct{}
}

// NewUpstream prepares the sync and reads its state; Run runs it.
func NewUpstream(opt UpstreamOptions) (*Upstream, error) {
	if opt.Branch == "" {
		opt.Branch = "main"
	}
	if opt.Interval <= 0 {
		opt.Interval = 5 * time.Minute
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	u := &Upstream{opt: opt, log: opt.Logger.With("upstream", opt.Remote.Shown()), wake: make(chan struct{}, 1), done: make(chan struct{})}
	b, err := os.ReadFile(u.statePath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("upstream state: %w", err)
	default:
		if err := json.Unmarshal(b, &u.state); err != nil {
			return nil, fmt.Errorf("upstream state %s: %w", u.statePath(), err)
		}
	}
	u.status.URL, u.status.Branch = opt.Remote.Shown(), opt.Branch
	return u, nil
}

func (u *Upstream) statePath() string   { return filepath.Join(u.opt.Dir, "state.json") }
func (u *Upstream) stagingPath() string { return filepath.Join(u.opt.Dir, "upstream.git") }

// Run fetches and merges every Interval, and when Trigger asks, until ctx
// is done. A failed round is retried at the next turn.
func (u *Upstream) Run(ctx context.Context) {
	for {
		wait := u.opt.Interval
		err := u.Sync(ctx)
		switch {
		case errors.Is(err, errIndexing):
			wait = min(wait, time.Second)
		case err != nil && ctx.Err() == nil:
			u.log.Warn("upstream sync failed; trying again later", "err", u.opt.Remote.redact(err), "next", wait)
		}
		u.mu.Lock()
		u.status.NextFetch = time.Now().Add(wait)
		u.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-u.wake:
			t.Stop()
		}
	}
}

// Trigger asks Run for a round now (the webhook); it does not wait.
func (u *Upstream) Trigger() {
	select {
	case u.wake <- struct{}{}:
	default: // a round is asked for already
	}
}

// Rounds returns how many rounds have finished and a channel that is
// closed when the next one does (tests wait on it).
func (u *Upstream) Rounds() (int, <-chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.rounds, u.done
}

// Status returns the sync's state.
func (u *Upstream) Status() UpstreamStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.status
	s.Considered = u.state.Considered
	s.Notices = slices.Clone(u.state.Notices)
	return s
}

// Dismiss removes the notice about an upstream commit once an admin has
// dealt with it; the branch it is kept as stays.
func (u *Upstream) Dismiss(commit string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	i := slices.IndexFunc(u.state.Notices, func(n Notice) bool { return n.Commit == commit })
	if i < 0 {
		return fmt.Errorf("no notice about %q: %w", commit, wiki.ErrNotFound)
	}
	st := u.state
	st.Notices = slices.Delete(slices.Clone(st.Notices), i, i+1)
	if err := u.saveLocked(st); err != nil {
		return err
	}
	return nil
}

func (u *Upstream) saveLocked(st upstreamState) error {
	if err := fsutil.WriteFileBytes(u.statePath(), 0o640, mustJSON(st)); err != nil {
		return fmt.Errorf("upstream state: %w", err)
	}
	u.state = st
	return nil
}

// Sync runs one round: fetch the upstream's branch, then merge what is
// new on it into main.
func (u *Upstream) Sync(ctx context.Context) (err error) {
	u.runMu.Lock()
	defer u.runMu.Unlock()
	defer func() {
		u.mu.Lock()
		if err != nil {
			u.status.LastError, u.status.LastErrorAt = u.opt.Remote.redact(err), time.Now()
		} else {
			u.status.LastError = ""
		}
		u.rounds++
		close(u.done)
		u.done = make(chan struct{})
		u.mu.Unlock()
	}()
	if _, _, busy := u.opt.Repo.Indexing(); busy {
		// Which commits main reaches is known once the history index
		// is built; merging before would see no common history.
		return errIndexing
	}
	staging, err := openStaging(u.stagingPath())
	if err != nil {
		return fmt.Errorf("upstream staging repository: %w", err)
	}
	defer staging.Close()
	content := openReadOnly(u.opt.Repo.GitDir())
	defer content.Close()
	ov := &overlay{Storage: staging, content: content}
	tip, err := u.fetch(ctx, ov)
	if err != nil {
		return err
	}
	u.mu.Lock()
	u.status.Fetched, u.status.LastFetch = tip.String(), time.Now()
	u.mu.Unlock()
	if tip.IsZero() {
		return nil
	}
	p := &merging{u: u, ov: ov, content: content}
	for attempt := 0; ; attempt++ {
		err := p.take(ctx, tip)
		if errors.Is(err, errStale) && attempt < 10 {
			content.Reindex()
			continue
		}
		if err != nil {
			return err
		}
		return u.pruneNotices()
	}
}

// pruneNotices drops the notices about commits that main reaches now: an
// admin merged them.
func (u *Upstream) pruneNotices() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	keep := slices.DeleteFunc(slices.Clone(u.state.Notices), func(n Notice) bool {
		return u.opt.Repo.MainReaches(plumbing.NewHash(n.Commit))
	})
	if len(keep) == len(u.state.Notices) {
		return nil
	}
	st := u.state
	st.Notices = keep
	return u.saveLocked(st)
}

// fetch brings the upstream's branch into the staging repository and
// returns its commit (zero when the upstream is empty).
func (u *Upstream) fetch(ctx context.Context, ov *overlay) (plumbing.Hash, error) {
	tr, ep, err := u.opt.Remote.client()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	sess, err := tr.NewUploadPackSession(ep, u.opt.Remote.auth())
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("connect to %s: %w", u.opt.Remote.Shown(), err)
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read the refs of %s: %w", u.opt.Remote.Shown(), err)
	}
	tip := ar.References[plumbing.NewBranchReferenceName(u.opt.Branch).String()]
	if tip.IsZero() {
		return plumbing.ZeroHash, fmt.Errorf("%s has no branch %q", u.opt.Remote.Shown(), u.opt.Branch)
	}
	if ov.HasEncodedObject(tip) != nil {
		req := packp.NewUploadPackRequestFromCapabilities(ar.Capabilities)
		// A thin pack's deltas could name objects only the content
		// repository has; the staging repository must stand alone.
		req.Capabilities.Delete(capability.ThinPack)
		req.Wants = []plumbing.Hash{tip}
		for _, h := range u.haves(ov) {
			req.Haves = append(req.Haves, h)
		}
		rd, err := sess.UploadPack(ctx, req)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("fetch from %s: %w", u.opt.Remote.Shown(), err)
		}
		var pack io.Reader = rd
		switch {
		case req.Capabilities.Supports(capability.Sideband64k):
			pack = sideband.NewDemuxer(sideband.Sideband64k, rd)
		case req.Capabilities.Supports(capability.Sideband):
			pack = sideband.NewDemuxer(sideband.Sideband, rd)
		}
		err = packfile.UpdateObjectStorage(ov.Storage, pack)
		rd.Close()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("fetch from %s: %w", u.opt.Remote.Shown(), err)
		}
	}
	if err := ov.Storage.SetReference(plumbing.NewHashReference(TrackingRef, tip)); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("record the fetch: %w", err)
	}
	return tip, nil
}

// haves are commits the sync holds with everything below them: the
// upstream's commit last fetched, the last one considered and main.
func (u *Upstream) haves(ov *overlay) []plumbing.Hash {
	var out []plumbing.Hash
	if ref, err := ov.Storage.Reference(TrackingRef); err == nil {
		out = append(out, ref.Hash())
	}
	u.mu.Lock()
	if c := u.state.Considered; c != "" {
		out = append(out, plumbing.NewHash(c))
	}
	u.mu.Unlock()
	if _, head, err := u.opt.Repo.Branch(); err == nil && !head.IsZero() {
		out = append(out, head)
	}
	var have []plumbing.Hash
	for _, h := range out {
		if ov.HasEncodedObject(h) == nil && !slices.Contains(have, h) {
			have = append(have, h)
		}
	}
	return have
}

// merging is one round's merge work.
type merging struct {
	u       *Upstream
	ov      *overlay
	content *filesystem.Storage
}

// outcome says why an upstream commit could not be taken; nil when it
// was.
type outcome struct {
	paths   []string
	refused string
}

// take merges the upstream's commit tip into main. While no earlier
// upstream change is set aside, tip is merged as a whole (a fast-forward
// when main has nothing of its own); if that conflicts, its commits are
// taken one at a time along its first parents, so that only the one that
// conflicts is set aside. After that, until an admin merges the upstream
// into main, each new upstream commit is applied on its own (its change
// against its parent, with its author), since merging the commit itself
// would mark the set-aside change as merged.
func (p *merging) take(ctx context.Context, tip plumbing.Hash) error {
	repo := p.u.opt.Repo
	considered := p.considered()
	if tip == considered || repo.MainReaches(tip) {
		return p.consider(tip, nil)
	}
	held := !considered.IsZero() && !repo.MainReaches(considered)
	if held {
		below, err := p.reaches(tip, considered)
		if err != nil {
			return err
		}
		// The upstream rewrote its history: start over from main.
		held = below
	}
	if !held {
		out, err := p.merge(ctx, tip)
		if err != nil || out == nil {
			if err == nil {
				err = p.consider(tip, nil)
			}
			return err
		}
	}
	chain, err := p.firstParents(tip, func(h plumbing.Hash) bool {
		return repo.MainReaches(h) || (held && h == considered)
	})
	if err != nil {
		return err
	}
	for _, c := range chain {
		var out *outcome
		if !held {
			out, err = p.merge(ctx, c)
		} else {
			out, err = p.apply(ctx, c)
		}
		if err != nil {
			return err
		}
		if out != nil {
			if err := p.hold(ctx, c, out); err != nil {
				return err
			}
			held = true
		}
		if err := p.consider(c, nil); err != nil {
			return err
		}
	}
	return nil
}

func (p *merging) considered() plumbing.Hash {
	p.u.mu.Lock()
	defer p.u.mu.Unlock()
	if p.u.state.Considered == "" {
		return plumbing.ZeroHash
	}
	return plumbing.NewHash(p.u.state.Considered)
}

// consider records c as considered, with a notice about it if n is set.
func (p *merging) consider(c plumbing.Hash, n *Notice) error {
	p.u.mu.Lock()
	defer p.u.mu.Unlock()
	st := p.u.state
	st.Considered = c.String()
	if n != nil {
		st.Notices = slices.Clone(st.Notices)
		if i := slices.IndexFunc(st.Notices, func(x Notice) bool { return x.Commit == n.Commit }); i >= 0 {
			st.Notices[i] = *n
		} else {
			st.Notices = append(st.Notices, *n)
		}
	}
	if st.Considered == p.u.state.Considered && n == nil {
		return nil
	}
	return p.u.saveLocked(st)
}

// walkBack visits the commits reachable from tip that main does not
// reach, and returns them and the commits of main where the walk stopped.
func (p *merging) walkBack(tip plumbing.Hash) (map[plumbing.Hash]bool, []plumbing.Hash, error) {
	const limit = 200000
	repo := p.u.opt.Repo
	visited := map[plumbing.Hash]bool{}
	var onMain []plumbing.Hash
	queue := []plumbing.Hash{tip}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if visited[h] || slices.Contains(onMain, h) {
			continue
		}
		if repo.MainReaches(h) {
			onMain = append(onMain, h)
			continue
		}
		if len(visited) >= limit {
			return nil, nil, fmt.Errorf("the upstream has more than %d commits the wiki does not have: %w", limit, ErrNoCommonHistory)
		}
		visited[h] = true
		c, err := object.GetCommit(p.ov, h)
		if err != nil {
			return nil, nil, fmt.Errorf("read upstream commit %s: %w", h, err)
		}
		queue = append(queue, c.ParentHashes...)
	}
	return visited, onMain, nil
}

// reaches reports whether old is tip or one of its ancestors.
func (p *merging) reaches(tip, old plumbing.Hash) (bool, error) {
	visited, _, err := p.walkBack(tip)
	return visited[old], err
}

// mergeBase returns the newest commit of main that tip reaches (git's
// merge base, but for criss-cross histories, where the newest of the
// candidates is taken).
func (p *merging) mergeBase(tip plumbing.Hash) (plumbing.Hash, error) {
	_, onMain, err := p.walkBack(tip)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	var best plumbing.Hash
	var when time.Time
	for _, h := range onMain {
		c, err := object.GetCommit(p.ov, h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read commit %s: %w", h, err)
		}
		if best.IsZero() || c.Committer.When.After(when) {
			best, when = h, c.Committer.When
		}
	}
	if best.IsZero() {
		return best, ErrNoCommonHistory
	}
	return best, nil
}

// firstParents returns the commits from tip back along first parents
// until stop, oldest first.
func (p *merging) firstParents(tip plumbing.Hash, stop func(plumbing.Hash) bool) ([]plumbing.Hash, error) {
	var chain []plumbing.Hash
	for h := tip; !stop(h); {
		if len(chain) >= 10000 {
			return nil, fmt.Errorf("more than %d upstream commits to take one by one", len(chain))
		}
		chain = append(chain, h)
		c, err := object.GetCommit(p.ov, h)
		if err != nil {
			return nil, fmt.Errorf("read upstream commit %s: %w", h, err)
		}
		if len(c.ParentHashes) == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	slices.Reverse(chain)
	return chain, nil
}

// merge merges upstream commit c into main: a fast-forward when main
// has nothing c lacks, else a merge commit whose first parent is main and
// whose second is c.
func (p *merging) merge(ctx context.Context, c plumbing.Hash) (*outcome, error) {
	_, head, err := p.u.opt.Repo.Branch()
	if err != nil {
		return nil, err
	}
	base, err := p.mergeBase(c)
	if err != nil {
		return nil, err
	}
	if base == head {
		return p.move(ctx, head, c)
	}
	trees, err := p.trees(base, head, c)
	if err != nil {
		return nil, err
	}
	tm := &treeMerger{st: p.ov}
	tree, err := tm.merge(trees[0], trees[1], trees[2])
	if err != nil {
		return nil, err
	}
	if len(tm.conflicts) > 0 {
		return &outcome{paths: tm.conflicts}, nil
	}
	uc, err := object.GetCommit(p.ov, c)
	if err != nil {
		return nil, err
	}
	me := p.u.identity()
	m, err := p.commit(&object.Commit{
		Author:       me,
		Committer:    me,
		Message:      p.u.msg("merge", p.u.opt.Branch, p.u.opt.Remote.Shown(), short(c), firstLine(uc.Message), uc.Author.Name),
		TreeHash:     tree,
		ParentHashes: []plumbing.Hash{head, c},
	})
	if err != nil {
		return nil, err
	}
	return p.move(ctx, head, m)
}

// apply applies upstream commit c's own change (against its first
// parent) to main as a new commit with c's author.
func (p *merging) apply(ctx context.Context, c plumbing.Hash) (*outcome, error) {
	_, head, err := p.u.opt.Repo.Branch()
	if err != nil {
		return nil, err
	}
	uc, err := object.GetCommit(p.ov, c)
	if err != nil {
		return nil, err
	}
	var parent plumbing.Hash
	if len(uc.ParentHashes) > 0 {
		parent = uc.ParentHashes[0]
	}
	trees, err := p.trees(parent, head, c)
	if err != nil {
		return nil, err
	}
	tm := &treeMerger{st: p.ov}
	tree, err := tm.merge(trees[0], trees[1], trees[2])
	if err != nil {
		return nil, err
	}
	if len(tm.conflicts) > 0 {
		return &outcome{paths: tm.conflicts}, nil
	}
	if tree == trees[1] {
		return nil, nil // main has this change already
	}
	m, err := p.commit(&object.Commit{
		Author:       uc.Author,
		Committer:    p.u.identity(),
		Message:      strings.TrimRight(uc.Message, "\n") + "\n\n" + p.u.msg("applied", c.String()) + "\n",
		TreeHash:     tree,
		ParentHashes: []plumbing.Hash{head},
	})
	if err != nil {
		return nil, err
	}
	return p.move(ctx, head, m)
}

// trees returns the trees of commits (zero for none).
func (p *merging) trees(ids ...plumbing.Hash) ([]plumbing.Hash, error) {
	out := make([]plumbing.Hash, len(ids))
	for i, h := range ids {
		if h.IsZero() {
			continue
		}
		c, err := object.GetCommit(p.ov, h)
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		out[i] = c.TreeHash
	}
	return out, nil
}

// commit stores a new commit in the staging repository.
func (p *merging) commit(c *object.Commit) (plumbing.Hash, error) {
	if c.TreeHash.IsZero() {
		t, err := storeEmptyTree(p.ov)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		c.TreeHash = t
	}
	return storeCommit(p.ov, c)
}

// move moves main from head to commit to, through storage's push path:
// every new commit is checked as a pushed one would be, main moves by
// compare-and-swap, and the move is published on the change feed.
func (p *merging) move(ctx context.Context, head, to plumbing.Hash) (*outcome, error) {
	objs := newMissing(p.ov, p.content)
	if err := objs.commits(to); err != nil {
		return nil, err
	}
	pack := objs.pipePack()
	defer pack.Close()
	branch, _, _ := p.u.opt.Repo.Branch()
	res := p.u.opt.Repo.ReceivePack(ctx, []storage.RefUpdate{{Name: branch, Old: head, New: to}}, pack, p.u.opt.Limits)
	if res.UnpackErr != nil {
		return nil, fmt.Errorf("store upstream changes: %w", res.UnpackErr)
	}
	if err := res.Refs[0]; err != nil {
		var rej *storage.PushRejection
		if errors.As(err, &rej) {
			if rej.Reason == "fetch first" {
				return nil, errStale
			}
			return &outcome{refused: rej.Error()}, nil
		}
		return nil, fmt.Errorf("store upstream changes: %w", err)
	}
	p.content.Reindex()
	p.u.mu.Lock()
	p.u.status.LastMerge = time.Now()
	p.u.mu.Unlock()
	p.u.log.Info("upstream: main moved", "from", short(head), "to", short(to))
	return nil, nil
}

// hold sets upstream commit c aside: it is kept as a branch beside main
// (when the checks of a push allow it) with a notice for the admins.
func (p *merging) hold(ctx context.Context, c plumbing.Hash, out *outcome) error {
	uc, err := object.GetCommit(p.ov, c)
	if err != nil {
		return err
	}
	n := Notice{Commit: c.String(), Author: uc.Author.Name, Message: firstLine(uc.Message), Time: uc.Author.When,
		Paths: out.paths, Refused: out.refused, Found: time.Now()}
	if out.refused == "" {
		name := plumbing.ReferenceName(ConflictPrefix + c.String()[:12])
		existing, err := p.u.opt.Repo.BranchesUnder(name.String())
		if err != nil {
			return err
		}
		if existing[name] != c {
			objs := newMissing(p.ov, p.content)
			if err := objs.commits(c); err != nil {
				return err
			}
			pack := objs.pipePack()
			err = p.u.opt.Repo.ReceiveSideBranch(ctx, storage.RefUpdate{Name: name, New: c}, pack, p.u.opt.Limits)
			pack.Close()
			var rej *storage.PushRejection
			switch {
			case errors.As(err, &rej):
				n.Refused = rej.Error()
			case err != nil:
				return fmt.Errorf("keep upstream commit %s as a branch: %w", short(c), err)
			default:
				p.content.Reindex()
			}
		}
		if n.Refused == "" {
			n.Branch = name.Short()
		}
	}
	// TODO(proposals, issue 15): once change proposals are on main, open
	// a proposal from n.Branch here as well, so that editors can review
	// and merge the upstream change like any other proposal.
	p.u.log.Warn("upstream: change set aside", "commit", short(c), "branch", n.Branch, "conflicts", n.Paths, "refused", n.Refused)
	return p.consider(c, &n)
}

// identity is the committer of what the sync writes.
func (u *Upstream) identity() object.Signature {
	return object.Signature{Name: u.msg("who"), Email: "wikiwerk@localhost", When: time.Now().Truncate(time.Second)}
}

// syncMessages are the texts the sync writes into git, in the wiki's
// language (-lang): Dutch, then English.
var syncMessages = map[string][2]string{
	"who":     {"wikiwerk (upstream)", "wikiwerk (upstream)"},
	"merge":   {"Wijzigingen van upstream %s (%s) samengevoegd\n\nUpstream-commit %s: %s (%s).\n", "Merge upstream %s (%s)\n\nUpstream commit %s: %s (%s).\n"},
	"applied": {"(overgenomen van upstream-commit %s)", "(applied from upstream commit %s)"},
}

func (u *Upstream) msg(key string, args ...any) string {
	m := syncMessages[key]
	s := m[0]
	if u.opt.Lang == "en" {
		s = m[1]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
