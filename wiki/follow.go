package wiki

import (
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
