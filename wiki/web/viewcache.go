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
}

// etag is a strong validator for the response the key identifies.
func (k viewKey) etag() string {
	h := sha256.Sum256([]byte(k.version + "\x00" + k.path + "\x00" + k.lang + "\x00" + strconv.FormatBool(k.canEdit)))
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// viewCache holds recently served page views.
type viewCache struct {
	mu  sync.Mutex
	lru *lru.Cache
}

func newViewCache(entries int) *viewCache {
	return &viewCache{lru: lru.New(entries)}
}

func (c *viewCache) get(k viewKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.lru.Get(k)
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
