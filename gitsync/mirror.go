package gitsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// ProposalPrefix is where change proposals live (refs/heads/voorstel/<id>);
// the mirror pushes them along with main.
const ProposalPrefix = "refs/heads/voorstel/"

// ErrDiverged says the remote's branch holds commits the wiki does not
// have: pushing would throw them away, so the mirror does not.
var ErrDiverged = errors.New("the mirror's branch has commits the wiki does not have; not overwriting them")

// MirrorOptions configures a Mirror.
type MirrorOptions struct {
	// Repo is the content repository.
	Repo *storage.Repo
	// Remote is where to push.
	Remote Remote
	// StatePath is the file that remembers what was pushed last (the
	// consumer's checkpoint), e.g. DATA/mirror.json.
	StatePath string
	// Logger receives pushes and failures; nil discards them.
	Logger *slog.Logger
	// MaxBackoff bounds the wait between attempts while the remote
	// fails; default 5 minutes. The first retry comes after 100 ms, as
	// the change feed retries every consumer.
	MaxBackoff time.Duration
	// Interval is how often proposal branches, which do not move main,
	// are compared with the remote; default 1 minute.
	Interval time.Duration
}

// MirrorStatus is what the admin page shows of a mirror.
type MirrorStatus = wiki.MirrorStatus

// Mirror pushes main and the proposal branches to a remote after every
// move of main. It is a change-feed consumer: while the remote fails the
// feed retries with back-off from the same checkpoint, so the mirror
// catches up once the remote is back, however many changes came
// meanwhile. It never forces.
type Mirror struct {
	opt MirrorOptions
	log *slog.Logger

	// pushMu serialises pushes (the feed's and the timer's).
	pushMu sync.Mutex

	mu     sync.Mutex
	status MirrorStatus
	sub    wiki.Subscription
	// branches remembers what the proposal branches were last pushed as.
	branches map[plumbing.ReferenceName]plumbing.Hash
	// mainFailing is set while pushing main fails (the feed retries it;
	// the timer waits).
	mainFailing bool
}

// NewMirror prepares a mirror; Start runs it.
func NewMirror(opt MirrorOptions) *Mirror {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 5 * time.Minute
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Minute
	}
	m := &Mirror{opt: opt, log: opt.Logger.With("mirror", opt.Remote.Shown())}
	m.status.URL = opt.Remote.Shown()
	return m
}

// Start subscribes the mirror to the change feed and starts the timer for
// proposal branches, until ctx is done or Close.
func (m *Mirror) Start(ctx context.Context) error {
	sub, err := m.opt.Repo.SubscribeWith(ctx, m, storage.FeedOptions{Logger: m.log, MaxBackoff: m.opt.MaxBackoff})
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.sub = sub
	m.mu.Unlock()
	go func() {
		t := time.NewTicker(m.opt.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			m.mu.Lock()
			skip := m.mainFailing
			m.mu.Unlock()
			if skip {
				continue // the feed is retrying main, branches with it
			}
			m.pushMu.Lock()
			err := m.pushBranches(ctx)
			m.pushMu.Unlock()
			switch {
			case err != nil && ctx.Err() == nil:
				m.failed(err, false)
			case err == nil:
				m.branchesOK()
			}
		}
	}()
	return nil
}

// Subscription returns the mirror's place in the change feed (nil before
// Start); tests wait on its Sync.
func (m *Mirror) Subscription() wiki.Subscription {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sub
}

// Close stops the mirror.
func (m *Mirror) Close() error {
	if s := m.Subscription(); s != nil {
		return s.Close()
	}
	return nil
}

// Status returns the mirror's state.
func (m *Mirror) Status() MirrorStatus {
	m.mu.Lock()
	s := m.status
	sub := m.sub
	m.mu.Unlock()
	if sub != nil {
		s.Pending = sub.Lag()
	}
	return s
}

// Name implements wiki.Consumer.
func (m *Mirror) Name() string { return "mirror" }

type mirrorState struct {
	// Pushed is the commit of main the remote was last brought to.
	Pushed string `json:"pushed"`
}

// Checkpoint implements wiki.Consumer: the commit last pushed.
func (m *Mirror) Checkpoint(ctx context.Context) (string, error) {
	b, err := os.ReadFile(m.opt.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("mirror state: %w", err)
	}
	var st mirrorState
	if err := json.Unmarshal(b, &st); err != nil {
		// Only a checkpoint: pushing again from nothing is safe.
		m.log.Warn("mirror state unreadable; starting from scratch", "err", err)
		return "", nil
	}
	m.mu.Lock()
	m.status.Pushed = st.Pushed
	m.mu.Unlock()
	return st.Pushed, nil
}

// Apply implements wiki.Consumer: it brings the remote to main's head (at
// least cs.To) and the proposal branches with it.
func (m *Mirror) Apply(ctx context.Context, cs wiki.ChangeSet) error {
	m.pushMu.Lock()
	defer m.pushMu.Unlock()
	pushed, err := m.pushMain(ctx)
	if err != nil {
		m.failed(err, true)
		return err
	}
	if err := fsutil.WriteFileBytes(m.opt.StatePath, 0o644, mustJSON(mirrorState{Pushed: pushed.String()})); err != nil {
		return fmt.Errorf("mirror state: %w", err)
	}
	m.mu.Lock()
	m.status.Pushed = pushed.String()
	m.status.LastSuccess = time.Now()
	m.mainFailing = false
	m.mu.Unlock()
	// A proposal branch that cannot be pushed does not hold main back:
	// the timer tries the branches again.
	if err := m.pushBranches(ctx); err != nil {
		m.failed(err, false)
		return nil
	}
	m.branchesOK()
	return nil
}

// branchesOK clears the error state once main and the branches are
// pushed.
func (m *Mirror) branchesOK() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.mainFailing {
		m.status.LastError, m.status.Diverged, m.status.Failures = "", false, 0
		m.status.NextRetry = time.Time{}
	}
}

// failed records a failed attempt: of main (which the feed retries with
// back-off) or of the proposal branches (which the timer retries).
func (m *Mirror) failed(err error, main bool) {
	msg := m.opt.Remote.redact(err)
	m.mu.Lock()
	m.mainFailing = m.mainFailing || main
	m.status.Failures++
	m.status.LastError, m.status.LastErrorAt = msg, time.Now()
	m.status.Diverged = errors.Is(err, ErrDiverged)
	if main {
		m.status.NextRetry = time.Now().Add(backoff(m.status.Failures, 100*time.Millisecond, m.opt.MaxBackoff))
	} else {
		m.status.NextRetry = time.Now().Add(m.opt.Interval)
	}
	m.mu.Unlock()
	m.log.Warn("mirror: push failed", "err", msg)
}

// session opens a push session and reads the remote's refs.
func (m *Mirror) session(ctx context.Context) (transport.ReceivePackSession, *packp.AdvRefs, map[plumbing.ReferenceName]plumbing.Hash, error) {
	tr, ep, err := m.opt.Remote.client()
	if err != nil {
		return nil, nil, nil, err
	}
	sess, err := tr.NewReceivePackSession(ep, m.opt.Remote.auth())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connect to %s: %w", m.opt.Remote.Shown(), err)
	}
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		sess.Close()
		return nil, nil, nil, fmt.Errorf("read the refs of %s: %w", m.opt.Remote.Shown(), err)
	}
	refs := map[plumbing.ReferenceName]plumbing.Hash{}
	for name, h := range ar.References {
		refs[plumbing.ReferenceName(name)] = h
	}
	return sess, ar, refs, nil
}

// pushMain brings the remote's main to the wiki's, if it is behind, and
// returns the commit the remote is at.
func (m *Mirror) pushMain(ctx context.Context) (plumbing.Hash, error) {
	branch, head, err := m.opt.Repo.Branch()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if head.IsZero() {
		return head, nil
	}
	sess, ar, refs, err := m.session(ctx)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer sess.Close()
	old := refs[branch]
	if old == head {
		return head, nil
	}
	if !old.IsZero() && !m.opt.Repo.MainReaches(old) {
		return plumbing.ZeroHash, fmt.Errorf("%s at %s: %w", branch.Short(), short(old), ErrDiverged)
	}
	req := storage.FetchRequest{Wants: []plumbing.Hash{head}, OfsDelta: ar.Capabilities.Supports(capability.OFSDelta)}
	if !old.IsZero() {
		req.Haves = []plumbing.Hash{old}
	}
	// Planned under the repository lock, written without it.
	pack, err := m.opt.Repo.PreparePack(ctx, req)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("prepare the pack: %w", err)
	}
	defer pack.Close()
	pr, pw := io.Pipe()
	go func() {
		_, err := pack.WriteTo(pw)
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	if err := m.send(ctx, sess, ar, []*packp.Command{{Name: branch, Old: old, New: head}}, pr); err != nil {
		return plumbing.ZeroHash, err
	}
	m.log.Info("mirror: pushed", "branch", branch.Short(), "from", short(old), "to", short(head))
	return head, nil
}

// send sends one push request and checks the remote's report.
func (m *Mirror) send(ctx context.Context, sess transport.ReceivePackSession, ar *packp.AdvRefs, cmds []*packp.Command, pack io.ReadCloser) error {
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	req.Commands = cmds
	req.Packfile = pack
	rs, err := sess.ReceivePack(ctx, req)
	if err != nil {
		return fmt.Errorf("push to %s: %w", m.opt.Remote.Shown(), err)
	}
	if rs == nil {
		return nil
	}
	if err := rs.Error(); err != nil {
		if strings.Contains(err.Error(), "non-fast-forward") || strings.Contains(err.Error(), "fetch first") {
			return fmt.Errorf("push to %s refused: %v: %w", m.opt.Remote.Shown(), err, ErrDiverged)
		}
		return fmt.Errorf("push to %s refused: %w", m.opt.Remote.Shown(), err)
	}
	return nil
}

// pushBranches brings the remote's proposal branches to the wiki's where
// that is a fast-forward (or the remote lacks one). A proposal branch
// that diverged on the remote is left as it is and reported.
func (m *Mirror) pushBranches(ctx context.Context) error {
	local, err := m.opt.Repo.BranchesUnder(ProposalPrefix)
	if err != nil {
		return err
	}
	m.mu.Lock()
	same := len(local) == len(m.branches)
	for n, h := range local {
		same = same && m.branches[n] == h
	}
	m.mu.Unlock()
	if same {
		return nil
	}
	sess, ar, refs, err := m.session(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	content := openReadOnly(m.opt.Repo.GitDir())
	defer content.Close()
	names := make([]plumbing.ReferenceName, 0, len(local))
	for n := range local {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	w := &branchWalk{repo: m.opt.Repo, st: content, seen: map[plumbing.Hash]bool{}}
	for h := range refsValues(refs) {
		w.seen[h] = true // the remote has it, and all below it
	}
	var cmds []*packp.Command
	var diverged []string
	for _, n := range names {
		tip, old := local[n], refs[n]
		if tip == old {
			continue
		}
		if !old.IsZero() && !w.reaches(tip, old) {
			diverged = append(diverged, n.Short())
			continue
		}
		if err := w.commits(tip); err != nil {
			return err
		}
		cmds = append(cmds, &packp.Command{Name: n, Old: old, New: tip})
	}
	if len(cmds) > 0 {
		pr, pw := io.Pipe()
		go func() {
			_, err := packEncode(pw, content, w.list)
			pw.CloseWithError(err)
		}()
		defer pr.Close()
		if err := m.send(ctx, sess, ar, cmds, pr); err != nil {
			return err
		}
	}
	if len(diverged) > 0 {
		return fmt.Errorf("proposal branches %s: %w", strings.Join(diverged, ", "), ErrDiverged)
	}
	m.mu.Lock()
	m.branches = local
	m.status.Branches = len(local)
	m.mu.Unlock()
	return nil
}

func refsValues(refs map[plumbing.ReferenceName]plumbing.Hash) map[plumbing.Hash]bool {
	out := map[plumbing.Hash]bool{}
	for _, h := range refs {
		out[h] = true
	}
	return out
}

// branchWalk finds the objects of branches beside main that a remote
// which has main lacks: the commits that main does not reach, and of each
// only what differs from its first parent.
type branchWalk struct {
	repo *storage.Repo
	st   *filesystem.Storage
	seen map[plumbing.Hash]bool
	list []plumbing.Hash
}

// reaches reports whether old is tip or one of its ancestors off main.
func (w *branchWalk) reaches(tip, old plumbing.Hash) bool {
	stack := []plumbing.Hash{tip}
	visited := map[plumbing.Hash]bool{}
	for len(stack) > 0 && len(visited) < 10000 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if h == old {
			return true
		}
		if visited[h] || w.repo.MainReaches(h) {
			continue
		}
		visited[h] = true
		c, err := object.GetCommit(w.st, h)
		if err != nil {
			return false
		}
		stack = append(stack, c.ParentHashes...)
	}
	return false
}

func (w *branchWalk) commits(tip plumbing.Hash) error {
	stack := []plumbing.Hash{tip}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if w.seen[h] || w.repo.MainReaches(h) {
			continue
		}
		w.seen[h] = true
		c, err := object.GetCommit(w.st, h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		w.list = append(w.list, h)
		var parentTree plumbing.Hash
		if len(c.ParentHashes) > 0 {
			p, err := object.GetCommit(w.st, c.ParentHashes[0])
			if err != nil {
				return fmt.Errorf("read commit %s: %w", c.ParentHashes[0], err)
			}
			parentTree = p.TreeHash
		}
		if err := w.tree(c.TreeHash, parentTree); err != nil {
			return err
		}
		stack = append(stack, c.ParentHashes...)
	}
	return nil
}

// tree adds what of tree t differs from tree base (which the remote has).
func (w *branchWalk) tree(t, base plumbing.Hash) error {
	if t == base || w.seen[t] {
		return nil
	}
	w.seen[t] = true
	w.list = append(w.list, t)
	tt, err := object.GetTree(w.st, t)
	if err != nil {
		return fmt.Errorf("read tree %s: %w", t, err)
	}
	baseEntries := map[string]object.TreeEntry{}
	if !base.IsZero() {
		bt, err := object.GetTree(w.st, base)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", base, err)
		}
		for _, e := range bt.Entries {
			baseEntries[e.Name] = e
		}
	}
	for _, e := range tt.Entries {
		b, ok := baseEntries[e.Name]
		if ok && b.Hash == e.Hash {
			continue
		}
		switch {
		case e.Mode == filemode.Dir:
			var sub plumbing.Hash
			if ok && b.Mode == filemode.Dir {
				sub = b.Hash
			}
			if err := w.tree(e.Hash, sub); err != nil {
				return err
			}
		case e.Mode.IsFile() && !w.seen[e.Hash]:
			w.seen[e.Hash] = true
			w.list = append(w.list, e.Hash)
		}
	}
	return nil
}

func short(h plumbing.Hash) string {
	if h.IsZero() {
		return "(none)"
	}
	return h.String()[:10]
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs are marshalled
	}
	return b
}
