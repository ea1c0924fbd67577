package mail

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
)

// ErrClosed is returned by Enqueue after Close.
var ErrClosed = errors.New("mail queue is closed")

// Clock is the time the queue goes by; tests give their own.
type Clock interface {
	Now() time.Time
	// After sends on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// DefaultBackoff is the wait before try attempt+1 after attempt failed
// tries: 1 minute doubling up to 6 hours, each with up to 20% random
// jitter so that a queue that failed together does not retry together.
func DefaultBackoff(attempt int) time.Duration {
	d := time.Minute
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 6*time.Hour)
	return d - time.Duration(mrand.Int64N(int64(d/5)+1))
}

// Outcome is what became of one try.
type Outcome string

const (
	// Sent: the server took the message; it is gone from the queue.
	Sent Outcome = "sent"
	// Retry: the try failed and another is planned.
	Retry Outcome = "retry"
	// Failed: the message was moved to failed/ and is not tried again.
	Failed Outcome = "failed"
)

// Result reports one try, for metrics and tests.
type Result struct {
	ID      string
	Attempt int
	Outcome Outcome
	Err     error
}

// Options are the queue's parts; the zero value of each is the default.
type Options struct {
	// Sender delivers; nil means a Client for the Config.
	Sender Sender
	// Logger gets a line per try; nil means slog.Default().
	Logger *slog.Logger
	// Clock; nil means the real time.
	Clock Clock
	// Backoff gives the wait after attempt failed tries; nil means
	// DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// GiveUpAfter is how long after enqueueing a message that keeps
	// failing is moved to failed/; zero means 5 days.
	GiveUpAfter time.Duration
	// OnResult, when set, is called after every try, from the worker.
	OnResult func(Result)
}

// Queue is a durable spool of outgoing mail in a folder: pending mail in
// queue/, one JSON file per message, and mail that could not be
// delivered in failed/ with its last error. One worker goroutine sends.
// Delivery is at least once: a message whose send was cut off by Close
// or a crash is sent again after Open. Use one Queue per folder.
type Queue struct {
	dir, failedDir string
	from           Address
	opt            Options
	log            *slog.Logger

	mu     sync.Mutex
	due    map[string]time.Time // pending id → time of the next try
	closed bool

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// spooled is the file of one queued message.
type spooled struct {
	ID        string    `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Enqueued  time.Time `json:"enqueued"`
	Attempts  int       `json:"attempts"`
	Next      time.Time `json:"next,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// Message is the composed mail, which is all ASCII.
	Message string `json:"message"`
}

// Open opens the spool in dir (DATA/mail), creating it if needed, and
// starts the worker, which tries pending messages at once and stops when
// ctx is done or on Close.
func Open(ctx context.Context, dir string, cfg Config, opt Options) (*Queue, error) {
	from, err := cfg.from()
	if err != nil {
		return nil, err
	}
	if opt.Sender == nil {
		c, err := NewClient(cfg)
		if err != nil {
			return nil, err
		}
		opt.Sender = c
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Clock == nil {
		opt.Clock = realClock{}
	}
	if opt.Backoff == nil {
		opt.Backoff = DefaultBackoff
	}
	if opt.GiveUpAfter <= 0 {
		opt.GiveUpAfter = 5 * 24 * time.Hour
	}
	q := &Queue{
		dir: filepath.Join(dir, "queue"), failedDir: filepath.Join(dir, "failed"),
		from: from, opt: opt, log: opt.Logger,
		due: map[string]time.Time{}, wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	for _, d := range []string{dir, q.dir, q.failedDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("mail queue: %w", fsutil.Classify(err))
		}
	}
	if _, err := fsutil.RemoveTemps(q.dir); err != nil {
		return nil, fmt.Errorf("mail queue: clean %s: %w", q.dir, err)
	}
	if err := q.load(); err != nil {
		return nil, err
	}
	ctx, q.cancel = context.WithCancel(ctx)
	go q.run(ctx)
	return q, nil
}

func (q *Queue) load() error {
	entries, err := os.ReadDir(q.dir)
	if err != nil {
		return fmt.Errorf("mail queue: %w", err)
	}
	now := q.opt.Clock.Now()
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() && !strings.HasPrefix(id, ".") {
			q.due[id] = now
		}
	}
	if len(q.due) > 0 {
		q.log.Info("mail queue opened", "pending", len(q.due))
	}
	return nil
}

// Enqueue composes m and stores it; it returns the message's queue id
// once the file is on disk, fsynced. The worker sends it soon after.
func (q *Queue) Enqueue(ctx context.Context, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return "", ErrClosed
	}
	now := q.opt.Clock.Now()
	raw, err := Compose(q.from, m, now)
	if err != nil {
		return "", err
	}
	id, err := newID(now)
	if err != nil {
		return "", err
	}
	s := spooled{ID: id, From: q.from.Email, To: m.To.Email, Enqueued: now, Message: string(raw)}
	if err := q.write(q.dir, s); err != nil {
		return "", err
	}
	q.mu.Lock()
	q.due[id] = now
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return id, nil
}

// Len is the number of messages waiting to be sent.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.due)
}

// Close stops the worker, cutting off a send in progress (that message
// stays queued), and waits for it to end.
func (q *Queue) Close() error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	<-q.done
	return nil
}

func (q *Queue) run(ctx context.Context) {
	defer close(q.done)
	for {
		id, wait, ok := q.next()
		if ok && wait <= 0 {
			q.try(ctx, id)
			if ctx.Err() != nil {
				return
			}
			continue
		}
		var timer <-chan time.Time
		if ok {
			timer = q.opt.Clock.After(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-timer:
		}
	}
}

// next returns the pending message to try first and how long until it
// is due.
func (q *Queue) next() (string, time.Duration, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.due) == 0 {
		return "", 0, false
	}
	ids := make([]string, 0, len(q.due))
	for id := range q.due {
		ids = append(ids, id)
	}
	// Ids start with the enqueue time, so ties go oldest first.
	first := slices.MinFunc(ids, func(a, b string) int {
		return cmp.Or(q.due[a].Compare(q.due[b]), strings.Compare(a, b))
	})
	return first, q.due[first].Sub(q.opt.Clock.Now()), true
}

func (q *Queue) try(ctx context.Context, id string) {
	path := filepath.Join(q.dir, id+".json")
	s, err := readSpooled(path)
	if err != nil {
		q.log.Error("mail queue: unreadable message moved to failed", "id", id, "err", err)
		q.forget(id)
		if rerr := os.Rename(path, filepath.Join(q.failedDir, id+".json")); rerr == nil {
			fsutil.SyncDir(q.dir)
		}
		q.report(Result{ID: id, Outcome: Failed, Err: err})
		return
	}
	err = q.opt.Sender.Send(ctx, Envelope{From: s.From, To: s.To}, []byte(s.Message))
	if ctx.Err() != nil {
		return // closing: the message stays queued for the next Open
	}
	s.Attempts++
	now := q.opt.Clock.Now()
	switch {
	case err == nil:
		q.sent(s, path)
	case IsPermanent(err) || now.Sub(s.Enqueued) >= q.opt.GiveUpAfter:
		q.fail(s, path, err)
	default:
		q.retry(s, path, now, err)
	}
}

func (q *Queue) sent(s spooled, path string) {
	q.forget(s.ID)
	if err := os.Remove(path); err != nil {
		q.log.Error("mail queue: sent message not removed; it may be sent again", "id", s.ID, "err", err)
	} else if err := fsutil.SyncDir(q.dir); err != nil {
		q.log.Warn("mail queue: sync after send", "id", s.ID, "err", err)
	}
	q.log.Info("mail sent", "id", s.ID, "attempt", s.Attempts)
	q.report(Result{ID: s.ID, Attempt: s.Attempts, Outcome: Sent})
}

func (q *Queue) fail(s spooled, path string, err error) {
	s.LastError = err.Error()
	s.Next = time.Time{}
	q.forget(s.ID)
	if werr := q.write(q.failedDir, s); werr != nil {
		q.log.Error("mail queue: cannot move message to failed; it stays queued", "id", s.ID, "err", werr)
	} else if rerr := os.Remove(path); rerr == nil {
		fsutil.SyncDir(q.dir)
	}
	q.log.Error("mail not delivered, given up", "id", s.ID, "attempt", s.Attempts, "permanent", IsPermanent(err), "err", err)
	q.report(Result{ID: s.ID, Attempt: s.Attempts, Outcome: Failed, Err: err})
}

func (q *Queue) retry(s spooled, path string, now time.Time, err error) {
	wait := q.opt.Backoff(s.Attempts)
	s.LastError = err.Error()
	s.Next = now.Add(wait)
	// The attempt count must survive a restart, or give-up would never come.
	if werr := q.write(q.dir, s); werr != nil {
		q.log.Warn("mail queue: cannot record the failed try", "id", s.ID, "err", werr)
	}
	q.mu.Lock()
	q.due[s.ID] = s.Next
	q.mu.Unlock()
	q.log.Warn("mail not sent, will retry", "id", s.ID, "attempt", s.Attempts, "retry_in", wait.String(), "err", err)
	q.report(Result{ID: s.ID, Attempt: s.Attempts, Outcome: Retry, Err: err})
}

func (q *Queue) forget(id string) {
	q.mu.Lock()
	delete(q.due, id)
	q.mu.Unlock()
}

func (q *Queue) report(r Result) {
	if q.opt.OnResult != nil {
		q.opt.OnResult(r)
	}
}

func (q *Queue) write(dir string, s spooled) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("mail queue: encode %s: %w", s.ID, err)
	}
	if err := fsutil.WriteFileBytes(filepath.Join(dir, s.ID+".json"), 0o600, b); err != nil {
		return fmt.Errorf("mail queue: write %s: %w", s.ID, err)
	}
	return nil
}

func readSpooled(path string) (spooled, error) {
	var s spooled
	b, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("decode %s: %w", path, err)
	}
	if s.To == "" || s.From == "" || s.Message == "" {
		return s, fmt.Errorf("decode %s: incomplete", path)
	}
	return s, nil
}

// newID makes a file name that sorts by enqueue time.
func newID(now time.Time) (string, error) {
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("mail queue: id: %w", err)
	}
	return fmt.Sprintf("%016x-%s", now.UnixNano(), hex.EncodeToString(r[:])), nil
}
