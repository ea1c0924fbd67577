package gitserver

import "github.com/wikiwerk/wikiwerk/storage"

// PushObserver is told the outcome of every push that reached the
// repository (after authorization), for metrics. It must be safe for
// concurrent use and quick.
type PushObserver interface {
	// ObservePush is told whether the push was accepted: every ref it
	// updated was updated. A push with an unreadable pack or a refused
	// ref counts as refused.
	ObservePush(accepted bool)
}

// observePush reports res to the observer, if any.
func (h *Handler) observePush(res storage.PushResult) {
	if h.obs == nil {
		return
	}
	accepted := res.UnpackErr == nil
	for _, err := range res.Refs {
		if err != nil {
			accepted = false
		}
	}
	h.obs.ObservePush(accepted)
}
