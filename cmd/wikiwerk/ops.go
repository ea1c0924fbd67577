package main

// Running the wiki as a service: metrics for Prometheus, readiness for
// load balancers, logs as text or JSON with a request id per request.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wikiwerk/wikiwerk/internal/requestid"
	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/metrics"
	"github.com/wikiwerk/wikiwerk/search"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// metricsTokenVar holds the bearer token that opens /-/metrics on the
// main address. It is read from the environment only, never a flag, so
// that it does not show in the process list.
const metricsTokenVar = "WIKIWERK_METRICS_TOKEN"

// opsFlags are the flags of running the wiki as a service, and what Run
// builds from them.
type opsFlags struct {
	// MetricsAddr, when set, serves /metrics there (a port for
	// Prometheus only, not exposed to users).
	MetricsAddr string
	// LogFormat is text or json.
	LogFormat string
	// metricsToken is WIKIWERK_METRICS_TOKEN: with it, /-/metrics on
	// the main address answers to "Authorization: Bearer <token>".
	metricsToken string

	// metrics is the server's own registry.
	metrics *metrics.Metrics
	// consumers are the change feed's consumers, for readiness.
	consumers []namedSub
}

// namedSub is a change-feed subscription with the name it is known by.
type namedSub struct {
	name string
	sub  wiki.Subscription
}

// newLogger returns the server's logger in format (text or json) on w.
// Every line written with a request's context carries its request id.
func newLogger(w io.Writer, format string) *slog.Logger {
	opt := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(w, opt)
	if format == "json" {
		h = slog.NewJSONHandler(w, opt)
	}
	return slog.New(requestid.Handler(h))
}

// registerOps adds the service flags to fs and reads the metrics token
// with getenv.
func (m *Main) registerOps(fs *flag.FlagSet, getenv func(string) string) {
	m.metricsToken = getenv(metricsTokenVar)
	fs.StringVar(&m.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9150); without it /-/metrics on -addr answers only with the bearer token in "+metricsTokenVar)
	m.LogFormat = "text"
	fs.Func("log-format", "log format: text or json (one JSON object per line)", func(v string) error {
		switch v {
		case "text", "json":
			m.LogFormat = v
			m.log = newLogger(m.stderr, v)
			return nil
		}
		return fmt.Errorf("the log format is text or json, not %q", v)
	})
}

// watch records a change-feed consumer for the metrics (its lag) and
// for readiness.
func (m *Main) watch(name string, sub wiki.Subscription) {
	m.consumers = append(m.consumers, namedSub{name: name, sub: sub})
	m.metrics.AddConsumer(name, sub)
}

// opsParts are the running parts that metrics and readiness look at.
type opsParts struct {
	repo   *storage.Repo
	site   *web.Server
	search *search.Index
	mail   *mail.Queue
	// next is the wiki's handler (the site and git).
	next http.Handler
}

// startOps registers the collectors of the running parts, starts the
// metrics listener when -metrics-addr is set, and returns the handler to
// serve on the main address (request ids, request metrics, /-/readyz and
// /-/metrics around next) with the function that stops the listener.
func (m *Main) startOps(p opsParts) (http.Handler, func(), error) {
	mt := m.metrics
	mt.AddCache("blobs", func() (uint64, uint64) { s := p.repo.BlobCacheStats(); return s.Hits, s.Misses })
	mt.AddCache("views", func() (uint64, uint64) { s := p.site.ViewCacheStats(); return s.Hits, s.Misses })
	q := p.mail
	mt.AddGauge("mail_queue_length", "Mails waiting to be sent (0 when mail is not set up).", func() float64 {
		if q == nil {
			return 0
		}
		return float64(q.Len())
	})
	ready := &readiness{gitDir: m.gitDir(), repo: p.repo, history: p.repo, search: p.search}
	for _, c := range m.consumers {
		if c.name == "search" {
			ready.consumers = append(ready.consumers, &readyConsumer{name: c.name, sub: c.sub})
		}
	}
	scrape := metrics.Protect(m.metricsToken, mt.Handler())
	// A switch, not an http.ServeMux: that would redirect paths with
	// ".." that the wiki answers with 400 itself.
	routes := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/-/readyz":
			ready.ServeHTTP(w, r)
		case "/-/metrics":
			scrape.ServeHTTP(w, r)
		default:
			p.next.ServeHTTP(w, r)
		}
	})
	h := requestid.Middleware(requestid.Options{Logger: m.log}, mt.Middleware(labelOps(routes)))
	stop := func() {}
	if m.MetricsAddr != "" {
		ln, err := net.Listen("tcp", m.MetricsAddr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen for metrics: %w", err)
		}
		mm := http.NewServeMux()
		mm.Handle("/metrics", mt.Handler())
		srv := &http.Server{Handler: mm, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn)}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.log.Error("metrics listener", "err", err)
			}
		}()
		m.log.Info("metrics for Prometheus", "address", ln.Addr().String(), "path", "/metrics")
		stop = func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			<-done
		}
	}
	return h, stop, nil
}

// gitDir is the content repository's git folder.
func (m *Main) gitDir() string {
	dir := filepath.Join(m.DataDir, "content.git")
	if m.RepoPath != "" {
		dir = m.RepoPath
		if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && fi.IsDir() {
			dir = filepath.Join(dir, ".git")
		}
	}
	return dir
}

// labelOps gives the requests that the router does not see their route
// label: git, readiness and metrics.
func labelOps(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/-/readyz", p == "/-/metrics":
			metrics.SetRoute(r.Context(), p)
		case strings.HasPrefix(p, gitPrefix):
			metrics.SetRoute(r.Context(), gitPrefix+"*")
		}
		next.ServeHTTP(w, r)
	})
}

// timedSearch times the full-text queries and suggestions for the
// metrics.
type timedSearch struct {
	web.Searcher
	m *metrics.Metrics
}

// Search runs and times a query.
func (t timedSearch) Search(ctx context.Context, q search.Query) (search.Results, error) {
	start := time.Now()
	res, err := t.Searcher.Search(ctx, q)
	t.m.ObserveSearch("query", time.Since(start), err)
	return res, err
}

// Suggest runs and times a jump-to-page lookup.
func (t timedSearch) Suggest(ctx context.Context, prefix string, limit int, canRead func(wiki.Name) bool) ([]search.Suggestion, error) {
	start := time.Now()
	res, err := t.Searcher.Suggest(ctx, prefix, limit, canRead)
	t.m.ObserveSearch("suggest", time.Since(start), err)
	return res, err
}
