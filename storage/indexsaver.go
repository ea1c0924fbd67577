package storage

import (
	"context"
	"sync"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// The history index itself is updated with the branch, under the lock, so
// that a page's history shows a save the moment it is acknowledged. Its
// file, though, is a consumer of the change feed like any other: saving
// it is off the save path, and its checkpoint is the last commit the file
// holds, from which a start catches up.

// IndexSaver returns the consumer that appends new commits to the history
// index file: at once when many arrived, else within interval of a move.
func (r *Repo) IndexSaver(interval time.Duration) wiki.Consumer {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	return &indexSaver{r: r, interval: interval}
}

type indexSaver struct {
	r        *Repo
	interval time.Duration

	mu    sync.Mutex
	timer *time.Timer
}

// saveBatch is how many unsaved commits make the saver write at once.
const saveBatch = 200

func (s *indexSaver) Name() string { return "history-index" }

func (s *indexSaver) Checkpoint(ctx context.Context) (string, error) {
	s.r.saveMu.Lock()
	n := s.r.file.commits
	s.r.saveMu.Unlock()
	if n == 0 {
		return "", nil
	}
	s.r.mu.RLock()
	defer s.r.mu.RUnlock()
	if n > len(s.r.idx.chain) {
		return "", nil
	}
	return s.r.idx.chain[n-1].ID, nil
}

func (s *indexSaver) Apply(ctx context.Context, cs wiki.ChangeSet) error {
	s.r.saveMu.Lock()
	saved := s.r.file.commits
	s.r.saveMu.Unlock()
	if int(s.r.seqOf(cs.To))+1-saved >= saveBatch {
		return s.r.SaveIndex()
	}
	// A few commits: write them soon, in one segment with whatever else
	// arrives meanwhile. Until then the checkpoint at the next start is
	// the file's, and the start indexes what the file lacks.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer == nil {
		s.timer = time.AfterFunc(s.interval, func() {
			s.mu.Lock()
			s.timer = nil
			s.mu.Unlock()
			if err := s.r.SaveIndex(); err != nil {
				s.r.log.Warn("saving the history index failed; it is saved again after the next change", "err", err)
			}
		})
	}
	return nil
}
