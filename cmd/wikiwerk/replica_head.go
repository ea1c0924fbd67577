package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wikiwerk/wikiwerk/metrics"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// headPath is the long poll that wakes replicas: GET /-/api/head?after=ID
// &wait=30s answers {"head": ID} as soon as main is not at after, or
// after wait with main as it is. Every wiki serves it (a replica too, so
// that replicas may follow a replica); it needs the right to read, as a
// clone does.
const headPath = "/-/api/head"

// maxHeadWait bounds wait below the server's write timeout (60 s).
const maxHeadWait = 50 * time.Second

// headWatch is a change-feed consumer that knows main's head and wakes
// the long polls waiting for it to move.
type headWatch struct {
	repo *storage.Repo
	// stopping is closed when the server shuts down: the polls answer at
	// once, so that they do not hold up the shutdown.
	stopping <-chan struct{}

	mu    sync.Mutex
	head  string
	moved chan struct{}
}

func newHeadWatch(repo *storage.Repo, stopping <-chan struct{}) *headWatch {
	return &headWatch{repo: repo, stopping: stopping, moved: make(chan struct{})}
}

// Name names the consumer in logs and metrics.
func (h *headWatch) Name() string { return "replica-head" }

// Checkpoint is main's head when the watch starts, so that it never
// asks for a reset (a list of every file) it has no use for.
func (h *headWatch) Checkpoint(context.Context) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.head == "" {
		_, head, err := h.repo.Branch()
		if err != nil {
			return "", err
		}
		if !head.IsZero() {
			h.head = head.String()
		}
	}
	return h.head, nil
}

// Apply records the new head and wakes the waiting polls.
func (h *headWatch) Apply(_ context.Context, cs wiki.ChangeSet) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cs.To != h.head {
		h.head = cs.To
		close(h.moved)
		h.moved = make(chan struct{})
	}
	return nil
}

func (h *headWatch) current() (string, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.head, h.moved
}

// startHeadWatch subscribes the watch to the change feed; the returned
// function ends the subscription.
func (m *Main) startHeadWatch(ctx context.Context, repo *storage.Repo) (func(), error) {
	w := newHeadWatch(repo, ctx.Done())
	sub, err := repo.Subscribe(ctx, w)
	if err != nil {
		return nil, err
	}
	m.heads = w
	return func() { sub.Close() }, nil
}

// withHeadPoll serves headPath in front of next.
func (m *Main) withHeadPoll(next http.Handler) http.Handler {
	heads := m.heads
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != headPath || heads == nil {
			next.ServeHTTP(w, r)
			return
		}
		metrics.SetRoute(r.Context(), headPath)
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := m.authorizeHead(r); err != nil {
			status := http.StatusForbidden
			if errors.Is(err, wiki.ErrUnauthenticated) {
				status = http.StatusUnauthorized
				w.Header().Set("WWW-Authenticate", `Basic realm="wikiwerk"`)
			}
			http.Error(w, "reading this wiki needs an account", status)
			return
		}
		wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
		wait = min(max(wait, 0), maxHeadWait)
		after := strings.TrimSpace(r.URL.Query().Get("after"))
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		head, moved := heads.current()
	waiting:
		for head == after && after != "" {
			select {
			case <-moved:
				head, moved = heads.current()
			case <-heads.stopping:
				break waiting
			case <-ctx.Done():
				if r.Context().Err() != nil {
					return // the replica is gone
				}
				break waiting
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]string{"head": head}) //nolint:errcheck // the client is gone
	})
}

// authorizeHead applies the read policy as for a clone: HTTP Basic with a
// password or token, or none.
func (m *Main) authorizeHead(r *http.Request) error {
	site := m.site
	if site == nil {
		return nil
	}
	u, err := site.GitUser(r)
	if err != nil {
		return err
	}
	return site.AuthorizeGit(r, u, false)
}
