package web

import (
	"strings"
	"sync"
	"time"
)

// Sign-in back-off: after freeAttempts failures of one client address or
// one user name, each further attempt must wait, twice as long each time
// (1 s, 2 s, 4 s, ...) up to maxBackoff. A success clears both; failures
// are forgotten after forgetAfter without any.
const (
	freeAttempts  = 5
	firstBackoff  = time.Second
	maxBackoff    = 15 * time.Minute
	forgetAfter   = time.Hour
	maxLimitedKey = 100000
)

// limiter counts failed sign-ins per client address and per user name. It
// is owned by a Server (no package state), safe for concurrent use, and
// bounded: at most maxLimitedKey keys are tracked.
type limiter struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*limitEntry
}

type limitEntry struct {
	failures int
	last     time.Time // last failure
	until    time.Time // no attempt before this
}

func newLimiter(now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{now: now, entries: map[string]*limitEntry{}}
}

func limitKeys(ip, user string) []string {
	keys := []string{"ip:" + ip}
	if user = strings.ToLower(strings.TrimSpace(user)); user != "" {
		keys = append(keys, "user:"+user)
	}
	return keys
}

// wait returns how long the client must wait before it may try to sign in
// as user; 0 means now.
func (l *limiter) wait(ip, user string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range limitKeys(ip, user) {
		if e, ok := l.entries[k]; ok && e.until.After(now) {
			wait = max(wait, e.until.Sub(now))
		}
	}
	return wait
}

// fail records a failed attempt.
func (l *limiter) fail(ip, user string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range limitKeys(ip, user) {
		e, ok := l.entries[k]
		if ok && now.Sub(e.last) > forgetAfter {
			*e = limitEntry{}
		}
		if !ok {
			if len(l.entries) >= maxLimitedKey {
				l.evict(now)
			}
			e = &limitEntry{}
			l.entries[k] = e
		}
		e.failures++
		e.last = now
		if n := e.failures - freeAttempts; n >= 0 {
			d := maxBackoff
			if n < 20 {
				d = min(firstBackoff<<n, maxBackoff)
			}
			e.until = now.Add(d)
		}
	}
}

// succeed clears the record of the client and the user name.
func (l *limiter) succeed(ip, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range limitKeys(ip, user) {
		delete(l.entries, k)
	}
}

// evict makes room, a tenth of the table at a time so that the cost is
// shared by many failures: first whatever would be forgotten anyway, then
// entries at random (map order), which only happens when someone spreads
// failures over a hundred thousand addresses or names. The caller holds
// mu.
func (l *limiter) evict(now time.Time) {
	for k, e := range l.entries {
		if now.Sub(e.last) > forgetAfter && !e.until.After(now) {
			delete(l.entries, k)
		}
	}
	target := maxLimitedKey - maxLimitedKey/10
	for k := range l.entries {
		if len(l.entries) <= target {
			break
		}
		delete(l.entries, k)
	}
}
