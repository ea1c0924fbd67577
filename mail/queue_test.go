package mail

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// results collects the queue's reports on a channel.
func results() (func(Result), chan Result) {
	ch := make(chan Result, 64)
	return func(r Result) { ch <- r }, ch
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// openQueue opens a queue that is closed when the test ends.
func openQueue(t *testing.T, dir string, cfg Config, opt Options) *Queue {
	t.Helper()
	if opt.Logger == nil {
		opt.Logger = testLog(t)
	}
	q, err := Open(context.Background(), dir, cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// spoolFiles lists the messages in a spool folder. Temporary files (a
// dot name) are left out: the worker may be rewriting a message's file
// (temp file, then rename) at the moment of the listing.
func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		names = append(names, e.Name())
	}
	return names
}

func waitOutcome(t *testing.T, ch chan Result, id string, want Outcome) Result {
	t.Helper()
	for r := range ch {
		if r.ID == id && r.Outcome == want {
			return r
		}
		if r.ID == id && r.Outcome != Retry {
			t.Fatalf("message %s: %s (%v), want %s", id, r.Outcome, r.Err, want)
		}
	}
	panic("unreachable")
}

// waitAll waits until every message in want has had outcome, whatever
// the order of the reports.
func waitAll(t *testing.T, ch chan Result, want map[string]Message, outcome Outcome) map[string]Result {
	t.Helper()
	got := map[string]Result{}
	for len(got) < len(want) {
		r := <-ch
		if _, ok := want[r.ID]; ok && r.Outcome == outcome {
			got[r.ID] = r
		} else if r.Outcome != Retry {
			t.Fatalf("message %s: %s (%v), want %s", r.ID, r.Outcome, r.Err, outcome)
		}
	}
	return got
}

func TestQueueDeliversWhenServerComesUp(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	addr := freeAddr(t)
	cfg := testConfig(addr)
	cfg.TLSConfig = cliTLS
	onResult, res := results()
	dir := filepath.Join(t.TempDir(), "mail")
	q := openQueue(t, dir, cfg, Options{OnResult: onResult, Backoff: func(int) time.Duration { return 10 * time.Millisecond }})

	m := testMessage("joelle@gemeente.example.nl")
	id, err := q.Enqueue(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	// Enqueue returned, so the message is on disk.
	if files := spoolFiles(t, filepath.Join(dir, "queue")); len(files) != 1 || files[0] != id+".json" {
		t.Fatalf("spool holds %v after Enqueue, want %s.json", files, id)
	}
	r := waitOutcome(t, res, id, Retry)
	if r.Attempt != 1 || r.Err == nil {
		t.Fatalf("first try against no server: %+v", r)
	}
	if q.Len() != 1 {
		t.Errorf("Len = %d while the server is down, want 1", q.Len())
	}
	ts := startServer(t, serverOptions{addr: addr, startTLS: srvTLS, user: "wiki", pass: "geheim wachtwoord"})
	sent := waitOutcome(t, res, id, Sent)
	if sent.Attempt < 2 {
		t.Errorf("sent at attempt %d", sent.Attempt)
	}
	checkReceived(t, waitMsg(t, ts), m)
	if q.Len() != 0 {
		t.Errorf("Len = %d after delivery", q.Len())
	}
	if files := spoolFiles(t, filepath.Join(dir, "queue")); len(files) != 0 {
		t.Errorf("spool still holds %v", files)
	}
}

func TestQueueRestartDeliversPending(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	addr := freeAddr(t)
	cfg := testConfig(addr)
	cfg.TLSConfig = cliTLS
	dir := filepath.Join(t.TempDir(), "mail")
	onResult, res := results()
	// A long back-off: after one failed try, only a restart tries again.
	q, err := Open(context.Background(), dir, cfg, Options{OnResult: onResult, Logger: testLog(t), Backoff: func(int) time.Duration { return time.Hour }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Message{}
	for _, to := range []string{"een@example.nl", "twee@example.nl"} {
		m := testMessage(to)
		id, err := q.Enqueue(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		want[id] = m
	}
	waitAll(t, res, want, Retry)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(context.Background(), testMessage("drie@example.nl")); err != ErrClosed {
		t.Errorf("Enqueue after Close: %v, want ErrClosed", err)
	}
	for id := range want {
		b, err := os.ReadFile(filepath.Join(dir, "queue", id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var s spooled
		if err := json.Unmarshal(b, &s); err != nil || s.Attempts != 1 || s.LastError == "" {
			t.Errorf("spool file after a failed try: %+v (%v)", s, err)
		}
	}

	ts := startServer(t, serverOptions{addr: addr, startTLS: srvTLS, user: "wiki", pass: "geheim wachtwoord"})
	onResult2, res2 := results()
	q2 := openQueue(t, dir, cfg, Options{OnResult: onResult2, Backoff: func(int) time.Duration { return time.Hour }})
	if n := q2.Len(); n != 2 {
		t.Errorf("reopened queue has Len %d, want 2", n)
	}
	for id, r := range waitAll(t, res2, want, Sent) {
		if r.Attempt != 2 {
			t.Errorf("%s sent at attempt %d, want 2", id, r.Attempt)
		}
	}
	got := map[string]bool{}
	for range want {
		got[waitMsg(t, ts).To] = true
	}
	if !got["een@example.nl"] || !got["twee@example.nl"] {
		t.Errorf("delivered to %v", got)
	}
}

func TestQueuePermanentFailureMovesToFailed(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	ts := startServer(t, serverOptions{startTLS: srvTLS, user: "wiki", pass: "geheim wachtwoord", reject: "weg@example.nl"})
	cfg := testConfig(ts.addr)
	cfg.TLSConfig = cliTLS
	dir := filepath.Join(t.TempDir(), "mail")
	onResult, res := results()
	// No back-off at all: a message wrongly kept would be tried again
	// before any later one.
	q := openQueue(t, dir, cfg, Options{OnResult: onResult, Backoff: func(int) time.Duration { return 0 }})

	bad, err := q.Enqueue(context.Background(), testMessage("weg@example.nl"))
	if err != nil {
		t.Fatal(err)
	}
	// The very first report must be the end: no retry of a 5xx.
	r := <-res
	if r.ID != bad || r.Outcome != Failed || r.Attempt != 1 || !IsPermanent(r.Err) {
		t.Errorf("rejected recipient: %+v", r)
	}
	for _, to := range []string{"een@example.nl", "twee@example.nl"} {
		id, err := q.Enqueue(context.Background(), testMessage(to))
		if err != nil {
			t.Fatal(err)
		}
		waitOutcome(t, res, id, Sent)
		waitMsg(t, ts)
	}
	if n := ts.rcptCount("weg@example.nl"); n != 1 {
		t.Errorf("rejected recipient was tried %d times, want 1", n)
	}
	if files := spoolFiles(t, filepath.Join(dir, "queue")); len(files) != 0 {
		t.Errorf("queue still holds %v", files)
	}
	b, err := os.ReadFile(filepath.Join(dir, "failed", bad+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var s spooled
	if err := json.Unmarshal(b, &s); err != nil || !strings.Contains(s.LastError, "550") || s.To != "weg@example.nl" {
		t.Errorf("failed file: %+v (%v)", s, err)
	}
	// A restart does not bring it back.
	q.Close()
	q2 := openQueue(t, dir, cfg, Options{})
	if q2.Len() != 0 {
		t.Errorf("reopened queue has Len %d", q2.Len())
	}
}

// fakeClock is a clock that moves only when the test says so.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	waiting chan struct{}
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), waiting: make(chan struct{}, 64)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	c.waiting <- struct{}{}
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

func TestQueueGivesUpAfterDeadline(t *testing.T) {
	cfg := testConfig(freeAddr(t))
	dir := filepath.Join(t.TempDir(), "mail")
	clock := newFakeClock()
	onResult, res := results()
	q := openQueue(t, dir, cfg, Options{
		OnResult: onResult, Clock: clock, GiveUpAfter: 48 * time.Hour,
		Backoff: func(int) time.Duration { return time.Hour },
	})
	id, err := q.Enqueue(context.Background(), testMessage("een@example.nl"))
	if err != nil {
		t.Fatal(err)
	}
	waitOutcome(t, res, id, Retry)
	<-clock.waiting // the worker waits for the retry
	clock.Advance(time.Hour)
	waitOutcome(t, res, id, Retry)
	<-clock.waiting
	clock.Advance(47 * time.Hour)
	r := waitOutcome(t, res, id, Failed)
	if r.Attempt != 3 || r.Err == nil || IsPermanent(r.Err) {
		t.Errorf("given up: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "failed", id+".json")); err != nil {
		t.Error(err)
	}
	if q.Len() != 0 || len(spoolFiles(t, filepath.Join(dir, "queue"))) != 0 {
		t.Errorf("given-up message still queued")
	}
}

func TestQueueCloseStopsWorker(t *testing.T) {
	// Closing while the worker waits on a long back-off returns, and a
	// cancelled Open context stops the worker as well.
	cfg := testConfig(freeAddr(t))
	dir := filepath.Join(t.TempDir(), "mail")
	ctx, cancel := context.WithCancel(context.Background())
	onResult, res := results()
	q, err := Open(ctx, dir, cfg, Options{Logger: testLog(t), OnResult: onResult, Backoff: func(int) time.Duration { return time.Hour }})
	if err != nil {
		t.Fatal(err)
	}
	id, err := q.Enqueue(ctx, testMessage("een@example.nl"))
	if err != nil {
		t.Fatal(err)
	}
	waitOutcome(t, res, id, Retry)
	cancel()
	<-q.done
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if q.Len() != 1 {
		t.Errorf("Len = %d, want the message kept", q.Len())
	}
}

func TestQueueQuarantinesUnreadableFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	if err := os.MkdirAll(filepath.Join(dir, "queue"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "queue", "kapot.json"), []byte("{niet af"), 0o600); err != nil {
		t.Fatal(err)
	}
	onResult, res := results()
	openQueue(t, dir, testConfig(freeAddr(t)), Options{OnResult: onResult})
	waitOutcome(t, res, "kapot", Failed)
	if _, err := os.Stat(filepath.Join(dir, "failed", "kapot.json")); err != nil {
		t.Error(err)
	}
}

func TestQueueRefusesBadMessage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	q := openQueue(t, dir, testConfig(freeAddr(t)), Options{})
	m := testMessage("een@example.nl")
	m.Subject = "Hallo\r\nBcc: spion@example.com"
	if _, err := q.Enqueue(context.Background(), m); err == nil {
		t.Fatal("Enqueue took a subject with a line break")
	}
	if files := spoolFiles(t, filepath.Join(dir, "queue")); len(files) != 0 {
		t.Errorf("spool holds %v", files)
	}
}

func TestDefaultBackoff(t *testing.T) {
	prevMax := time.Duration(0)
	for attempt := 1; attempt <= 30; attempt++ {
		d := DefaultBackoff(attempt)
		max := min(time.Minute<<(attempt-1), 6*time.Hour)
		if attempt > 20 {
			max = 6 * time.Hour
		}
		if d > max || d < max*4/5 {
			t.Errorf("attempt %d: wait %v, want between %v and %v", attempt, d, max*4/5, max)
		}
		if max < prevMax {
			t.Errorf("attempt %d: ceiling went down", attempt)
		}
		prevMax = max
	}
}
