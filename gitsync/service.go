package gitsync

import (
	"fmt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Service is the mirror and the upstream sync together, as the web pages
// see them (it satisfies web.SyncService). Either may be nil.
type Service struct {
	mirror   *Mirror
	upstream *Upstream
}

// NewService combines a mirror and an upstream sync; either may be nil.
func NewService(m *Mirror, u *Upstream) *Service { return &Service{mirror: m, upstream: u} }

// Mirror returns the mirror's state; false when there is none.
func (s *Service) Mirror() (wiki.MirrorStatus, bool) {
	if s.mirror == nil {
		return wiki.MirrorStatus{}, false
	}
	return s.mirror.Status(), true
}

// Upstream returns the upstream sync's state; false when there is none.
func (s *Service) Upstream() (wiki.UpstreamStatus, bool) {
	if s.upstream == nil {
		return wiki.UpstreamStatus{}, false
	}
	return s.upstream.Status(), true
}

// SyncUpstream asks the upstream sync for a round now; false when there
// is none.
func (s *Service) SyncUpstream() bool {
	if s.upstream == nil {
		return false
	}
	s.upstream.Trigger()
	return true
}

// DismissNotice removes the notice about an upstream commit;
// wiki.ErrNotFound when there is none.
func (s *Service) DismissNotice(commit string) error {
	if s.upstream == nil {
		return fmt.Errorf("upstream: %w", wiki.ErrNotFound)
	}
	return s.upstream.Dismiss(commit)
}
