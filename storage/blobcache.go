package storage

import (
	"container/list"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// blobCache keeps recently read blob contents, bounded by their total size.
// Blobs are immutable, so entries never go stale; the cache is what lets a
// page view skip the repository lock entirely.
type blobCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recently used; values are *blobEntry
	byID  map[plumbing.Hash]*list.Element
	// counters count lookups, for the cache's hit ratio.
	counters cacheCounters
}

type blobEntry struct {
	id      plumbing.Hash
	content []byte
}

func newBlobCache(maxBytes int64) *blobCache {
	return &blobCache{max: maxBytes, order: list.New(), byID: map[plumbing.Hash]*list.Element{}}
}

// get returns the cached content; callers must not modify it.
func (c *blobCache) get(id plumbing.Hash) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	c.counters.count(ok)
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*blobEntry).content, true
}

// put caches content under id. Blobs larger than a quarter of the cache are
// not kept, so that one huge file cannot flush everything else.
func (c *blobCache) put(id plumbing.Hash, content []byte) {
	n := int64(len(content))
	if n > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; ok {
		return
	}
	c.byID[id] = c.order.PushFront(&blobEntry{id: id, content: content})
	c.size += n
	for c.size > c.max {
		last := c.order.Back()
		e := last.Value.(*blobEntry)
		c.order.Remove(last)
		delete(c.byID, e.id)
		c.size -= int64(len(e.content))
	}
}
