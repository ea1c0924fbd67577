package wiki

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// FollowMode says when a follower hears of a change.
type FollowMode string

// The modes of following.
const (
	// FollowImmediately mails every change as it happens.
	FollowImmediately FollowMode = "immediately"
	// FollowDaily collects the changes and mails them once a day.
	FollowDaily FollowMode = "daily"
)

// ParseFollowMode checks a mode; "" means FollowImmediately.
func ParseFollowMode(s string) (FollowMode, error) {
	switch FollowMode(s) {
	case "", FollowImmediately:
		return FollowImmediately, nil
	case FollowDaily:
		return FollowDaily, nil
	}
	return "", fmt.Errorf("%w: follow mode %q: use %q or %q", ErrInvalidInput, s, FollowImmediately, FollowDaily)
}

// Follow is one thing a person follows.
type Follow struct {
	// User is the follower's login name.
	User string
	// Target is a page name ("Beleid/Wmo") or a folder with a final
	// slash ("Beleid/"); a folder covers every page in it, at any depth,
	// and the folder's own page.
	Target string
	// Mode is when the follower hears of changes.
	Mode FollowMode
	// Since is when the follow was made or last changed.
	Since time.Time
}

// IsFolder reports whether the follow is of a folder.
func (f Follow) IsFolder() bool { return strings.HasSuffix(f.Target, "/") }

// ParseFollowTarget checks a follow target: a page name, or a folder (a
// page name with a final "/"). It returns the target as stored.
func ParseFollowTarget(s string) (string, error) {
	folder := strings.HasSuffix(s, "/")
	n, err := ParseName(strings.TrimSuffix(s, "/"))
	if err != nil {
		return "", err
	}
	if folder {
		return string(n) + "/", nil
	}
	return string(n), nil
}

// FollowTargets returns every target whose followers hear of a change to
// page n: the page itself, the folder of its own name (whose page it
// is), and every folder above it.
func FollowTargets(n Name) []string {
	out := []string{string(n), string(n) + "/"}
	s := string(n)
	for i := strings.LastIndexByte(s, '/'); i > 0; i = strings.LastIndexByte(s, '/') {
		s = s[:i]
		out = append(out, s+"/")
	}
	return out
}

// HasPagesBelow reports whether pages exist inside the folder of n's
// name ("Beleid/..." for "Beleid"), which can then be followed as
// "Beleid/".
func (w *Wiki) HasPagesBelow(ctx context.Context, n Name) bool {
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return false
	}
	for range snap.PagesUnder(string(n)) {
		return true
	}
	return false
}

// maxLatestScan bounds how many pages of a folder LatestChange reads.
const maxLatestScan = 500

// LatestChange returns the latest change of a follow target: of the
// page, or of the folder's page and the pages in it (the first
// maxLatestScan of a huge folder), and the page it changed. It returns
// nil when there is none, such as for a page not created yet.
func (w *Wiki) LatestChange(ctx context.Context, target string) (*Revision, Name, error) {
	name := Name(strings.TrimSuffix(target, "/"))
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, "", err
	}
	var (
		best    Name
		bestRev *Revision
	)
	consider := func(p PageInfo) error {
		if p.Revision == "" || (bestRev != nil && p.Revision == bestRev.ID) {
			return nil
		}
		rev, err := w.store.Revision(ctx, p.Revision)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if bestRev == nil || rev.Time.After(bestRev.Time) {
			best, bestRev = p.Name, rev
		}
		return nil
	}
	if p, ok := snap.Page(name); ok {
		if err := consider(p); err != nil {
			return nil, "", err
		}
	}
	if strings.HasSuffix(target, "/") {
		n := 0
		for p := range snap.PagesUnder(string(name)) {
			if n++; n > maxLatestScan {
				break
			}
			if err := consider(p); err != nil {
				return nil, "", err
			}
		}
	}
	return bestRev, best, nil
}
