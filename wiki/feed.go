package wiki

import (
	"context"
	"errors"
)

// The change feed: every move of main — a web save, an API call, a rename,
// delete or revert, an upload, a git push, a merge — is published once, by
// the store, after the branch moved and its lock was released. Everything
// that reacts to edits (the search index, the link graph, notifications,
// mirrors, replicas) is a Consumer of it; no handler calls a consumer
// directly, so a change made through git reaches them exactly like one
// made on the web.
//
// A consumer keeps its own checkpoint: the commit whose state it holds.
// The feed always delivers the difference between that checkpoint and the
// current head, so a consumer that was down, slow or killed between the
// branch moving and its own update catches up at its next turn, and
// applies nothing twice. Several moves that happen while a consumer is
// busy arrive as one ChangeSet.

// ChangeSet is the difference between two commits of main, as a consumer
// receives it.
type ChangeSet struct {
	// From is the commit the consumer had applied; "" when it had applied
	// nothing.
	From string
	// To is the commit main points at; after Apply succeeds it is the
	// consumer's checkpoint.
	To string
	// Reset is true when the consumer must throw away what it holds and
	// take Files as the whole state: it had applied nothing, or history
	// was rewritten so that From is no longer an ancestor of To. A reset
	// lists every file at To as Added and carries no Revisions.
	Reset bool
	// Revisions are the commits that became reachable from main, parents
	// before children, each with the files it changed itself.
	Revisions []Revision
	// Files lists every file whose content differs between From and To,
	// sorted by path; a merge shows here with everything it brought in.
	Files []FileDelta
}

// FileDelta is one file whose content differs between the two ends of a
// ChangeSet.
type FileDelta struct {
	// Path is the file's path in the repository, e.g. "Beleid/Wmo.md".
	Path string
	// Kind is Added, Modified or Deleted.
	Kind ChangeKind
	// Blob is the file's blob id at To; "" when it was deleted.
	Blob string
	// OldBlob is the file's blob id at From; "" when it was added.
	OldBlob string
}

// Page returns the page the file holds and true, or false when it is not a
// page (an attachment).
func (d FileDelta) Page() (Name, bool) { return ParsePath(d.Path) }

// Consumer reacts to the moves of main. Apply is called from one goroutine
// per consumer, never concurrently with itself.
type Consumer interface {
	// Name identifies the consumer in logs and metrics, e.g. "search".
	Name() string
	// Checkpoint returns the commit whose state the consumer holds, ""
	// for none. The feed asks once, when the consumer is subscribed.
	Checkpoint(ctx context.Context) (string, error)
	// Apply brings the consumer from cs.From to cs.To and records cs.To as
	// its checkpoint. The checkpoint may be made durable later (a consumer
	// may batch), as long as Checkpoint at the next start names a commit
	// whose state the consumer really holds: the feed then delivers the
	// rest again. An error means nothing was applied: the feed tries again
	// later from cs.From (merged with whatever happened since).
	Apply(ctx context.Context, cs ChangeSet) error
}

// ChangeFeed publishes the moves of main to consumers.
type ChangeFeed interface {
	// Subscribe starts delivering changes to c, beginning with the
	// difference between its checkpoint and the current head, until ctx
	// is done or the subscription is closed.
	Subscribe(ctx context.Context, c Consumer) (Subscription, error)
}

// Subscription is a consumer's place in the change feed.
type Subscription interface {
	// Applied returns the commit the consumer has applied ("" for none).
	Applied() string
	// Lag returns how many commits of main the consumer has not applied
	// yet.
	Lag() int
	// Err returns the error of the last failed Apply, nil when the last
	// one succeeded.
	Err() error
	// Sync blocks until the consumer has applied main as it is when Sync
	// is called, or ctx is done.
	Sync(ctx context.Context) error
	// Close stops delivery and waits for an Apply in progress to end.
	Close() error
}

// RevisionReader reads one commit by id; a Store is one.
type RevisionReader interface {
	// Revision returns the commit; ErrNotFound for an unknown id.
	Revision(ctx context.Context, id string) (*Revision, error)
}

// LastChanges finds, for consumers that show who changed a page when (the
// search index, the link graph), the revision that last changed each page
// of one change set, reading each commit once.
type LastChanges struct {
	src  RevisionReader
	snap *Snapshot
	to   string
	// last maps a path to the last revision of the set that touched it.
	last  map[string]string
	cache map[string]*Revision
}

// NewLastChanges prepares LastChanges for cs, with snap the current state
// of main.
func NewLastChanges(src RevisionReader, snap *Snapshot, cs ChangeSet) *LastChanges {
	r := &LastChanges{src: src, snap: snap, to: cs.To, last: map[string]string{}, cache: map[string]*Revision{}}
	for _, rev := range cs.Revisions {
		for _, c := range rev.Changes {
			r.last[c.Path] = rev.ID
		}
	}
	return r
}

// Of returns the revision that last changed the page. The snapshot knows
// it, as long as main has not moved on and changed the page again since
// the change set was made; then the set's own revisions say it, and
// failing those (a reset) its end does. nil when that revision cannot be
// found.
func (r *LastChanges) Of(ctx context.Context, name Name, d FileDelta) (*Revision, error) {
	id := r.to
	if info, ok := r.snap.Page(name); ok && info.Blob == d.Blob && info.Revision != "" {
		id = info.Revision
	} else if last, ok := r.last[d.Path]; ok {
		id = last
	}
	if rev, ok := r.cache[id]; ok {
		return rev, nil
	}
	rev, err := r.src.Revision(ctx, id)
	if errors.Is(err, ErrNotFound) {
		rev, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.cache[id] = rev
	return rev, nil
}
