package web

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"

	"github.com/golang/groupcache/lru"
)

// viewKey identifies one rendered page response. Everything the response
// depends on is in it, so entries never need invalidating: a save changes
// the page's version and so its key.
type viewKey struct {
	version string // wiki.RenderedPage.Version
	path    string
	lang    string
	canEdit bool
	// who is the signed-in user as the layout shows them, "" for anonymous
	// visitors (who all share one entry).
	who string
}

// etag is a strong validator for the response the key identifies. The
// cached body holds a placeholder for the CSRF token; form is the
// requester's CSRF cookie, so that a browser whose cookie changed does not
// keep a page with a token that no longer fits.
func (k viewKey) etag(form string) string {
	h := sha256.Sum256([]byte(k.version + "\x00" + k.path + "\x00" + k.lang + "\x00" + strconv.FormatBool(k.canEdit) + "\x00" + k.who + "\x00" + form))
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// viewCache holds recently served page views.
type viewCache struct {
	mu  sync.Mutex
	lru *lru.Cache
	// counters count lookups, for the cache's hit ratio.
	counters viewCacheCounters
}

func newViewCache(entries int) *viewCache {
	return &viewCache{lru: lru.New(entries)}
}

func (c *viewCache) get(k viewKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.lru.Get(k)
	if ok {
		c.counters.hits.Add(1)
	} else {
		c.counters.misses.Add(1)
	}
	if !ok {
		return nil, false
	}
	return v.([]byte), true
}

func (c *viewCache) put(k viewKey, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Add(k, b)
}
