package web

import (
	"net/http"
	"sync/atomic"

	"github.com/gorilla/mux"
)

// RouteObserver is told which route template each routed request
// matched (e.g. "/-/edit/{page:.+}"), so that metrics can count requests
// by route without a label per page. Requests that match no route (a 404,
// a refusal before routing) are not reported.
type RouteObserver interface {
	RouteMatched(r *http.Request, template string)
}

// observeRoutes is the router's middleware that reports the route
// template of every matched request.
func observeRoutes(obs RouteObserver) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		if obs == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if route := mux.CurrentRoute(r); route != nil {
				if t, err := route.GetPathTemplate(); err == nil {
					obs.RouteMatched(r, t)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CacheStats are the lookups of a cache since the start.
type CacheStats struct {
	// Hits and Misses count lookups that found and did not find an entry.
	Hits, Misses uint64
}

// viewCacheCounters count the lookups of the cache of rendered pages.
type viewCacheCounters struct {
	hits, misses atomic.Uint64
}

// ViewCacheStats reports the lookups of the cache of rendered page views.
func (s *Server) ViewCacheStats() CacheStats {
	return CacheStats{Hits: s.views.counters.hits.Load(), Misses: s.views.counters.misses.Load()}
}
