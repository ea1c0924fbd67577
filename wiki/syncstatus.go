package wiki

import "time"

// The state of the git sync with the organisation's git server (package
// gitsync), as the admin page and the API show it.

// MirrorStatus is what the admin page shows of a mirror.
type MirrorStatus struct {
	// URL is the remote's address, without credentials.
	URL string `json:"url"`
	// Pushed is the commit of main the remote was last brought to.
	Pushed string `json:"pushed,omitempty"`
	// LastSuccess is when a push last succeeded (or found the remote up
	// to date); zero if never since the start.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastError is the last failure, "" after a success.
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when it happened.
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Diverged reports that the remote refused, or would need, a forced
	// update: someone pushed there directly.
	Diverged bool `json:"diverged,omitempty"`
	// Failures counts failed attempts in a row.
	Failures int `json:"failures,omitempty"`
	// NextRetry is about when the next attempt comes, while failing.
	NextRetry time.Time `json:"next_retry,omitzero"`
	// Pending counts the commits of main not yet on the remote.
	Pending int `json:"pending"`
	// Branches counts the proposal branches on the remote.
	Branches int `json:"branches"`
}

// UpstreamStatus is what the admin page shows of the upstream sync.
type UpstreamStatus struct {
	// URL and Branch name the upstream, without credentials.
	URL    string `json:"url"`
	Branch string `json:"branch"`
	// Fetched is the upstream commit last fetched.
	Fetched string `json:"fetched,omitempty"`
	// Considered is the last upstream commit merged into main or set
	// aside as a notice.
	Considered string `json:"considered,omitempty"`
	// LastFetch is when a fetch last succeeded.
	LastFetch time.Time `json:"last_fetch,omitzero"`
	// LastMerge is when the sync last moved main.
	LastMerge time.Time `json:"last_merge,omitzero"`
	// LastError is the last failure, "" after a success.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// NextFetch is when the next fetch is due.
	NextFetch time.Time `json:"next_fetch,omitzero"`
	// Notices are the upstream changes that wait for an admin, oldest
	// first.
	Notices []UpstreamNotice `json:"notices"`
}

// UpstreamNotice is an upstream change the sync could not take: it conflicts with
// the wiki's main (Paths), or was refused by the checks of a push
// (Refused). Later upstream changes keep flowing.
type UpstreamNotice struct {
	// Commit is the upstream commit.
	Commit string `json:"commit"`
	// Branch is the branch it is kept as in the content repository
	// (upstream-conflict/...), "" when it could not be stored.
	Branch string `json:"branch,omitempty"`
	// Author, Message (first line) and Time describe the commit.
	Author  string    `json:"author"`
	Message string    `json:"message"`
	Time    time.Time `json:"time"`
	// Paths are the files both sides changed in ways that do not merge.
	Paths []string `json:"paths,omitempty"`
	// Refused is why the checks of a push refused the change.
	Refused string `json:"refused,omitempty"`
	// Found is when the sync met it.
	Found time.Time `json:"found"`
}
