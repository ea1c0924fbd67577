package storage

import (
	"sync"
	"sync/atomic"
	"time"
)

// LockObserver is told how long writers wait for the repository lock
// and how long they hold it, for metrics. Its methods are called with
// the lock held or just released, so they must be quick and must not
// call back into the Repo.
type LockObserver interface {
	// LockWaited is how long one caller waited to take the lock.
	LockWaited(d time.Duration)
	// LockHeld is how long one caller held it.
	LockHeld(d time.Duration)
}

// observedMutex is the repository lock (Repo.gitMu): a sync.Mutex that
// reports its wait and hold times to an optional observer. obs is set
// before the Repo is shared and never changed.
type observedMutex struct {
	mu  sync.Mutex
	obs LockObserver
	// since is when the current holder took the lock; under mu.
	since time.Time
}

// Lock takes the lock.
func (m *observedMutex) Lock() {
	if m.obs == nil {
		m.mu.Lock()
		return
	}
	start := time.Now()
	m.mu.Lock()
	m.since = time.Now()
	m.obs.LockWaited(m.since.Sub(start))
}

// TryLock takes the lock if it is free.
func (m *observedMutex) TryLock() bool {
	if !m.mu.TryLock() {
		return false
	}
	if m.obs != nil {
		m.since = time.Now()
		m.obs.LockWaited(0)
	}
	return true
}

// Unlock releases the lock.
func (m *observedMutex) Unlock() {
	if m.obs == nil {
		m.mu.Unlock()
		return
	}
	held := time.Since(m.since)
	m.mu.Unlock()
	m.obs.LockHeld(held)
}

// cacheCounters count lookups of a cache.
type cacheCounters struct {
	hits, misses atomic.Uint64
}

func (c *cacheCounters) count(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
}

// CacheStats are the lookups of a cache since the start.
type CacheStats struct {
	// Hits and Misses count lookups that found and did not find an entry.
	Hits, Misses uint64
}

// BlobCacheStats reports the lookups of the cache of page contents.
func (r *Repo) BlobCacheStats() CacheStats {
	return CacheStats{Hits: r.blobs.counters.hits.Load(), Misses: r.blobs.counters.misses.Load()}
}
