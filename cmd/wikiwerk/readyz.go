package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// maxReadyLag is how many commits a consumer that has caught up once may
// fall behind and still count as ready. A save moves main before the
// consumers apply it, so a lag of a few commits is normal under load;
// answering 503 then would make a load balancer drop a healthy server.
const maxReadyLag = 100

// snapshotter is the repository, for readiness: it is readable when its
// head commit can be read.
type snapshotter interface {
	Snapshot(ctx context.Context) (*wiki.Snapshot, error)
	Revision(ctx context.Context, id string) (*wiki.Revision, error)
}

// indexer reports a history index being built (storage.Repo.Indexing).
type indexer interface {
	Indexing() (done, total int, busy bool)
}

// progresser reports a search index being built (search.Index.Progress).
type progresser interface {
	Progress() (done, total int, building bool)
}

// readyConsumer is a change-feed consumer that readiness waits for.
type readyConsumer struct {
	name string
	sub  wiki.Subscription
	// caughtUp is set once the consumer had applied everything.
	caughtUp atomic.Bool
}

// readiness answers /-/readyz: 200 "ready" when the repository is
// readable, the history index is built and the search index has caught
// up with main; else 503 with one line per failing check.
type readiness struct {
	// gitDir, when set, is the repository's folder: its HEAD file is
	// read on every check, so that a disk gone away shows here even
	// while the history is served from memory.
	gitDir    string
	repo      snapshotter
	history   indexer
	search    progresser
	consumers []*readyConsumer
}

// problems returns what keeps the wiki from being ready, nothing when it is.
func (rd *readiness) problems(ctx context.Context) []string {
	var out []string
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	snap, err := rd.repo.Snapshot(ctx)
	switch {
	case err != nil:
		out = append(out, "repository: not readable: "+err.Error())
	case snap.Head == "":
		out = append(out, "repository: no commits yet")
	default:
		if _, err := rd.repo.Revision(ctx, snap.Head); err != nil {
			out = append(out, "repository: head not readable: "+err.Error())
		}
	}
	if rd.gitDir != "" {
		if _, err := os.ReadFile(filepath.Join(rd.gitDir, "HEAD")); err != nil {
			out = append(out, "repository: "+err.Error())
		}
	}
	if rd.history != nil {
		if done, total, busy := rd.history.Indexing(); busy {
			out = append(out, fmt.Sprintf("history index: being built (%d of %d commits)", done, total))
		}
	}
	if rd.search != nil {
		if done, total, building := rd.search.Progress(); building {
			out = append(out, fmt.Sprintf("search index: being built (%d of %d pages)", done, total))
		}
	}
	for _, c := range rd.consumers {
		lag := c.sub.Lag()
		if lag == 0 {
			c.caughtUp.Store(true)
		}
		switch {
		case !c.caughtUp.Load():
			out = append(out, fmt.Sprintf("%s index: catching up (%d commits behind)", c.name, lag))
		case lag > maxReadyLag:
			out = append(out, fmt.Sprintf("%s index: %d commits behind", c.name, lag))
		}
	}
	return out
}

func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if p := rd.problems(r.Context()); len(p) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(p, "\n"))
		return
	}
	fmt.Fprintln(w, "ready")
}
