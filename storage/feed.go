package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// The change feed (wiki.ChangeFeed). The Repo publishes a move of main by
// closing a channel that every subscription waits on; each subscription
// then computes the difference between its consumer's checkpoint and the
// head from the history index and the two trees, so a consumer that fell
// behind gets one ChangeSet covering everything it missed.

var _ wiki.ChangeFeed = (*Repo)(nil)

// movedChan returns a channel that is closed when main next moves.
func (r *Repo) movedChan() <-chan struct{} {
	r.movedMu.Lock()
	defer r.movedMu.Unlock()
	if r.moved == nil {
		r.moved = make(chan struct{})
	}
	return r.moved
}

// publishMove wakes every subscription: main has moved.
func (r *Repo) publishMove() {
	r.movedMu.Lock()
	defer r.movedMu.Unlock()
	if r.moved != nil {
		close(r.moved)
		r.moved = nil
	}
}

// Changes returns the difference between commit from ("" for nothing) and
// commit to, which must be main's head or one of its ancestors that the
// history index holds. When from is not an ancestor of to, or is "", the
// set is a Reset.
func (r *Repo) Changes(ctx context.Context, from, to string) (wiki.ChangeSet, error) {
	cs := wiki.ChangeSet{From: from, To: to}
	toHash, err := parseID(to)
	if err != nil {
		return cs, err
	}
	r.mu.RLock()
	toSeq, ok := r.idx.seq[toHash]
	var fromSeq int32 = -1
	known := false
	if from != "" {
		if h, err := parseID(from); err == nil {
			fromSeq, known = r.idx.seq[h]
		}
	}
	if ok && known && fromSeq <= toSeq {
		for s := fromSeq + 1; s <= toSeq; s++ {
			cs.Revisions = append(cs.Revisions, *r.idx.chain[s])
		}
	}
	r.mu.RUnlock()
	if !ok {
		return cs, fmt.Errorf("changes up to %s: %w", to, wiki.ErrNotFound)
	}
	if !known || fromSeq > toSeq {
		// Everything at to, as added. A known commit later in the chain
		// than to is not its ancestor either.
		cs.Reset, cs.Revisions = true, nil
		from = ""
	}
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	var fromHash plumbing.Hash
	if from != "" {
		fromHash = plumbing.NewHash(from)
	}
	changes, err := r.treeChangesLocked(fromHash, toHash)
	if err != nil {
		return cs, fmt.Errorf("changes from %q to %s: %w", from, to, err)
	}
	cs.Files = make([]wiki.FileDelta, len(changes))
	for i, c := range changes {
		cs.Files[i] = wiki.FileDelta{Path: c.path, Kind: c.kind, Blob: blobID(c.blob), OldBlob: blobID(c.old)}
	}
	sort.Slice(cs.Files, func(i, j int) bool { return cs.Files[i].Path < cs.Files[j].Path })
	return cs, nil
}

// seqOf returns the position of a commit on the history chain, -1 when it
// is not there (or id is "").
func (r *Repo) seqOf(id string) int32 {
	if id == "" {
		return -1
	}
	h, err := parseID(id)
	if err != nil {
		return -1
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if s, ok := r.idx.seq[h]; ok {
		return s
	}
	return -1
}

// FeedOptions tunes subscriptions. The zero value is ready to use.
type FeedOptions struct {
	// Logger receives failed applies; nil discards them.
	Logger *slog.Logger
	// MaxBackoff bounds the wait between retries of a failing consumer;
	// default 30 s.
	MaxBackoff time.Duration
}

// Subscribe implements wiki.ChangeFeed, with default FeedOptions and the
// Repo's logger.
func (r *Repo) Subscribe(ctx context.Context, c wiki.Consumer) (wiki.Subscription, error) {
	return r.SubscribeWith(ctx, c, FeedOptions{Logger: r.log})
}

// SubscribeWith is Subscribe with options.
func (r *Repo) SubscribeWith(ctx context.Context, c wiki.Consumer, opt FeedOptions) (wiki.Subscription, error) {
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: checkpoint: %w", c.Name(), err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &subscription{r: r, c: c, opt: opt, applied: cp, cancel: cancel, done: make(chan struct{}), progress: make(chan struct{})}
	go s.run(ctx)
	return s, nil
}

// subscription delivers changes to one consumer from its own goroutine.
type subscription struct {
	r      *Repo
	c      wiki.Consumer
	opt    FeedOptions
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	applied  string
	lastErr  error
	progress chan struct{} // closed and replaced after every attempt
}

func (s *subscription) run(ctx context.Context) {
	defer close(s.done)
	backoff := 100 * time.Millisecond
	for {
		moved := s.r.movedChan()
		head := s.r.snap.Load().Head
		applied := s.Applied()
		// While the history index is first built, the head is not in it
		// yet; the build's end moves main for the index and wakes us.
		if head != "" && head != applied && !s.r.building.Load() {
			err := s.apply(ctx, applied, head)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				s.opt.Logger.Warn("change feed: consumer failed; retrying", "consumer", s.c.Name(), "from", applied, "to", head, "err", err, "retry_in", backoff)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, s.opt.MaxBackoff)
				continue
			}
			backoff = 100 * time.Millisecond
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-moved:
		}
	}
}

func (s *subscription) apply(ctx context.Context, from, to string) error {
	cs, err := s.r.Changes(ctx, from, to)
	if err == nil && cs.Reset {
		// A reset rebuilds a consumer from every file (a first start):
		// one at a time, so that their peaks of memory and disk do not
		// add up.
		select {
		case s.r.resets <- struct{}{}:
			err = s.c.Apply(ctx, cs)
			<-s.r.resets
		case <-ctx.Done():
			err = ctx.Err()
		}
	} else if err == nil {
		err = s.c.Apply(ctx, cs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.applied = to
	}
	s.lastErr = err
	close(s.progress)
	s.progress = make(chan struct{})
	return err
}

// Applied implements wiki.Subscription.
func (s *subscription) Applied() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// Err implements wiki.Subscription.
func (s *subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Lag implements wiki.Subscription.
func (s *subscription) Lag() int {
	head := s.r.seqOf(s.r.snap.Load().Head)
	applied := s.r.seqOf(s.Applied())
	if head < applied {
		// History was rewritten: everything is to be applied again.
		return int(head) + 1
	}
	return int(head - applied)
}

// Sync implements wiki.Subscription.
func (s *subscription) Sync(ctx context.Context) error {
	target := s.r.seqOf(s.r.snap.Load().Head)
	for {
		s.mu.Lock()
		applied, wait := s.applied, s.progress
		s.mu.Unlock()
		if target < 0 || s.r.seqOf(applied) >= target {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return errors.New("the subscription was closed")
		case <-wait:
		}
	}
}

// Close implements wiki.Subscription.
func (s *subscription) Close() error {
	s.cancel()
	<-s.done
	return nil
}
