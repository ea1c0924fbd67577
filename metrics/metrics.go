// Package metrics collects what the wiki does for Prometheus: requests by
// route, saves and their outcome, pushes, the repository lock, caches,
// the change feed's consumers, search and the mail queue, with the Go
// runtime and process metrics. Everything is registered in a registry of
// its own (never the global default one), so two servers in one process,
// as in tests, do not share counters.
//
// The other packages do not import this one: each defines the small
// observer interface it reports to (wiki.SaveObserver,
// gitserver.PushObserver, storage.LockObserver, web.RouteObserver), and
// *Metrics implements them all.
package metrics

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// namespace prefixes every metric of the wiki itself.
const namespace = "wikiwerk"

// Metrics is the wiki's metrics registry and the observers that feed it.
// It is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	saves    *prometheus.CounterVec
	pushes   *prometheus.CounterVec
	lockWait prometheus.Histogram
	lockHold prometheus.Histogram
	search   *prometheus.HistogramVec

	mu        sync.Mutex
	consumers []consumer
	caches    []cache
}

// consumer is a change-feed subscription to report on.
type consumer struct {
	name string
	sub  wiki.Subscription
}

// cache is a cache whose lookups are reported.
type cache struct {
	name  string
	stats func() (hits, misses uint64)
}

// New returns an empty registry with the wiki's metrics, the Go runtime
// collector and the process collector in it.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "http_requests_total",
		Help: "HTTP requests answered, by route template, method and status.",
	}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route template and method.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method"})
	m.saves = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "page_saves_total",
		Help: "Page saves from the web and the API, by outcome: committed, merged, unchanged, conflict, refused, failed.",
	}, []string{"outcome"})
	m.pushes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "git_pushes_total",
		Help: "Git pushes that reached the repository, by result: accepted or refused.",
	}, []string{"result"})
	lockBuckets := []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5, 30}
	m.lockWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "repository_lock_wait_seconds",
		Help: "Time spent waiting for the repository lock.", Buckets: lockBuckets,
	})
	m.lockHold = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "repository_lock_hold_seconds",
		Help: "Time the repository lock was held.", Buckets: lockBuckets,
	})
	m.search = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "search_duration_seconds",
		Help:    "Time to run a full-text search, by kind (query: the search page and API; suggest: jump-to-page) and result (ok or error).",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"kind", "result"})
	m.reg.MustRegister(m.requests, m.duration, m.saves, m.pushes, m.lockWait, m.lockHold, m.search,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewBuildInfoCollector(),
		(*feedCollector)(m), (*cacheCollector)(m))
	// The outcomes exist from the start, so that a rate over them is
	// defined before the first save.
	for _, o := range []wiki.SaveOutcome{wiki.SaveCommitted, wiki.SaveMerged, wiki.SaveUnchanged, wiki.SaveConflict, wiki.SaveRefused, wiki.SaveFailed} {
		m.saves.WithLabelValues(string(o))
	}
	m.pushes.WithLabelValues("accepted")
	m.pushes.WithLabelValues("refused")
	return m
}

// Registry is where the metrics are registered, for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveSave implements wiki.SaveObserver.
func (m *Metrics) ObserveSave(o wiki.SaveOutcome) { m.saves.WithLabelValues(string(o)).Inc() }

// ObservePush implements gitserver.PushObserver.
func (m *Metrics) ObservePush(accepted bool) {
	if accepted {
		m.pushes.WithLabelValues("accepted").Inc()
	} else {
		m.pushes.WithLabelValues("refused").Inc()
	}
}

// LockWaited implements storage.LockObserver.
func (m *Metrics) LockWaited(d time.Duration) { m.lockWait.Observe(d.Seconds()) }

// LockHeld implements storage.LockObserver.
func (m *Metrics) LockHeld(d time.Duration) { m.lockHold.Observe(d.Seconds()) }

// ObserveSearch records how long one search took; kind is "query" or
// "suggest".
func (m *Metrics) ObserveSearch(kind string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.search.WithLabelValues(kind, result).Observe(d.Seconds())
}

// AddConsumer reports a change-feed consumer's lag (commits of main not
// applied yet) and whether its last apply failed, under name.
func (m *Metrics) AddConsumer(name string, sub wiki.Subscription) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.consumers = append(m.consumers, consumer{name: name, sub: sub})
}

// AddCache reports a cache's lookups under name; stats returns the hits
// and misses since the start.
func (m *Metrics) AddCache(name string, stats func() (hits, misses uint64)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.caches = append(m.caches, cache{name: name, stats: stats})
}

// AddGauge reports the value f returns at each scrape as the gauge
// wikiwerk_<name>.
func (m *Metrics) AddGauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, f))
}

var (
	lagDesc = prometheus.NewDesc(namespace+"_feed_consumer_lag_commits",
		"Commits of main that a change-feed consumer (search, links, blame, history) has not applied yet.", []string{"consumer"}, nil)
	failingDesc = prometheus.NewDesc(namespace+"_feed_consumer_failing",
		"1 when a change-feed consumer's last apply failed (it retries), else 0.", []string{"consumer"}, nil)
	hitsDesc = prometheus.NewDesc(namespace+"_cache_hits_total",
		"Cache lookups that found an entry, by cache.", []string{"cache"}, nil)
	missesDesc = prometheus.NewDesc(namespace+"_cache_misses_total",
		"Cache lookups that found no entry, by cache.", []string{"cache"}, nil)
)

// feedCollector collects the consumers' lag at each scrape.
type feedCollector Metrics

func (c *feedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lagDesc
	ch <- failingDesc
}

func (c *feedCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	cs := append([]consumer(nil), c.consumers...)
	c.mu.Unlock()
	for _, s := range cs {
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(s.sub.Lag()), s.name)
		failing := 0.0
		if s.sub.Err() != nil {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(failingDesc, prometheus.GaugeValue, failing, s.name)
	}
}

// cacheCollector collects the caches' counters at each scrape.
type cacheCollector Metrics

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- hitsDesc
	ch <- missesDesc
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	cs := append([]cache(nil), c.caches...)
	c.mu.Unlock()
	for _, k := range cs {
		hits, misses := k.stats()
		ch <- prometheus.MustNewConstMetric(hitsDesc, prometheus.CounterValue, float64(hits), k.name)
		ch <- prometheus.MustNewConstMetric(missesDesc, prometheus.CounterValue, float64(misses), k.name)
	}
}

// routeKey is the context key of a request's route label.
type routeKey struct{}

// routeLabel is filled in by RouteMatched while the request is handled.
type routeLabel struct {
	mu    sync.Mutex
	route string
}

// RouteMatched implements web.RouteObserver: it labels the request, which
// must have passed through Middleware, with its route template.
func (m *Metrics) RouteMatched(r *http.Request, template string) { SetRoute(r.Context(), template) }

// SetRoute labels the request of ctx with route, for handlers outside the
// router (git, health, metrics).
func SetRoute(ctx context.Context, route string) {
	if l, ok := ctx.Value(routeKey{}).(*routeLabel); ok {
		l.mu.Lock()
		l.route = route
		l.mu.Unlock()
	}
}

// Middleware counts and times every request that next answers, labelled
// with the route template that RouteMatched or SetRoute gave it, or
// "unmatched" (a 404, or a request refused before routing).
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		label := &routeLabel{}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, label)))
		label.mu.Lock()
		route := label.route
		label.mu.Unlock()
		if route == "" {
			route = "unmatched"
		}
		method := methodLabel(r.Method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(rec.Status())).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// methodLabel keeps the method label to the methods the wiki answers, so
// that a client sending made-up methods cannot grow the label set.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "OTHER"
}

// statusRecorder remembers the status of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes a flush on, for streamed answers.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (git sets
// deadlines per write).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Status is the status sent, 200 when the handler wrote nothing.
func (s *statusRecorder) Status() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// Protect serves next only to requests with "Authorization: Bearer
// token", compared in constant time: 401 without credentials, 403 with
// wrong ones. An empty token answers 404 to everybody, as if there were
// nothing here.
func Protect(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			http.NotFound(w, r)
			return
		}
		auth := r.Header.Get("Authorization")
		const prefix = "Bearer "
		if len(auth) < len(prefix) || !strings.EqualFold(auth[:len(prefix)], prefix) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="wikiwerk metrics"`)
			http.Error(w, "metrics need a bearer token (WIKIWERK_METRICS_TOKEN)", http.StatusUnauthorized)
			return
		}
		if subtle.ConstantTimeCompare([]byte(auth[len(prefix):]), []byte(token)) != 1 {
			http.Error(w, "wrong metrics token", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
