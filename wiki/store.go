package wiki

import (
	"context"
	"strings"
	"time"
)

// Author is the person behind a commit, as recorded in git.
type Author struct {
	// Name is the display name, e.g. "Anna de Vries".
	Name string `json:"name"`
	// Email may be empty for anonymous edits.
	Email string `json:"email"`
}

// Revision describes one commit of the content repository.
type Revision struct {
	// ID is the 40-hex commit id.
	ID string
	// Parent is the first parent's id, "" for the root commit.
	Parent string
	// Author is the commit's author (not its committer).
	Author Author
	// Time is the author time.
	Time time.Time
	// Message is the full commit message.
	Message string
	// Changes lists the files this commit changed itself, sorted by
	// path: against its parent, or for a merge, where it differs from every
	// parent (plus, for the head of a move of main, what the move changed
	// that no commit of it explains).
	Changes []FileChange
}

// Summary returns the first line of the commit message.
func (r Revision) Summary() string {
	for i := 0; i < len(r.Message); i++ {
		if r.Message[i] == '\n' {
			return r.Message[:i]
		}
	}
	return r.Message
}

// PageRevision is a revision as it concerns one page.
type PageRevision struct {
	Revision
	// Path is the page's file in this revision; before a rename it is the
	// file of the page's old name.
	Path string
	// Blob is the page's content after this revision, "" if it deleted
	// the page; PrevBlob is the content before, "" if it created it.
	Blob, PrevBlob string
	// Added and Removed count the lines the revision added and removed
	// (filled in by the Wiki, not the Store).
	Added, Removed int
}

// ChangeKind says what a commit did to a file.
type ChangeKind string

// The kinds of FileChange.
const (
	Added    ChangeKind = "added"
	Modified ChangeKind = "modified"
	Deleted  ChangeKind = "deleted"
)

// FileChange is one file touched by a commit.
type FileChange struct {
	// Path is the file's path in the repository, e.g. "WMO-loket/Ontwerp.md".
	Path string
	// Kind is what happened to it.
	Kind ChangeKind
}

// Page is the content of a page as of some revision.
type Page struct {
	// Name is the page's name.
	Name Name
	// Content is the Markdown source as stored.
	Content []byte
	// Blob is the git blob id of Content; it identifies the text exactly
	// and keys the render cache.
	Blob string
	// Revision is the last commit that changed the page, as of the
	// revision the page was read at.
	Revision Revision
}

// PageInfo is a page's entry in a Snapshot.
type PageInfo struct {
	// Name is the page's name.
	Name Name
	// Blob is the git blob id of the page's content.
	Blob string
	// Revision is the id of the last commit that changed the page.
	Revision string
}

// HistoryQuery selects a page of a history listing.
type HistoryQuery struct {
	// Limit is the maximum number of revisions; 0 means a default.
	Limit int
	// Before, when set, starts the listing after this revision id (the
	// last id of the previous page), for paging.
	Before string
	// The filters below apply to Recent only; zero values match all.
	//
	// Author matches the author's name or e-mail, exactly.
	Author string
	// Folder keeps commits that changed a file in this folder (or the
	// folder's own page), e.g. "WMO-loket".
	Folder string
	// Since and Until bound the author time: Since <= time < Until.
	Since, Until time.Time
}

// Matches reports whether a revision passes the query's filters.
func (q HistoryQuery) Matches(r *Revision) bool {
	if q.Author != "" && r.Author.Name != q.Author && r.Author.Email != q.Author {
		return false
	}
	if !q.Since.IsZero() && r.Time.Before(q.Since) {
		return false
	}
	if !q.Until.IsZero() && !r.Time.Before(q.Until) {
		return false
	}
	if q.Folder != "" {
		for _, c := range r.Changes {
			if strings.HasPrefix(c.Path, q.Folder+"/") || c.Path == q.Folder+PageExt {
				return true
			}
		}
		return false
	}
	return true
}

// Commit is a set of page changes to record as one commit on main.
type Commit struct {
	// Author is recorded as the commit's author and committer.
	Author Author
	// Message is the commit message.
	Message string
	// Time is the commit time; the zero value means now.
	Time time.Time
	// Changes are applied together, atomically.
	Changes []Change
}

// Change is one page (or attachment) written or deleted by a Commit.
type Change struct {
	// Name is the page to write or delete.
	Name Name
	// File, when set, is the repository path of a file that is not a page,
	// such as an attachment; Name is then ignored.
	File string
	// Blob, when set, is the id of a blob already in the repository to
	// write instead of Content, to move a file without reading it.
	Blob string
	// Content is the new Markdown text; ignored when Delete is set.
	Content []byte
	// Delete removes the page.
	Delete bool
	// Base is the revision of the page the change was made from: the
	// store refuses the change with ErrStale if the page's last revision
	// is no longer Base. "" means the page must not exist yet.
	Base string
	// Rebase, when set, is called instead of refusing a stale Base, while
	// the store holds its write lock, so that no other save can come in
	// between. It receives the page's current content and revision (nil
	// and "" when the page no longer exists) and returns the content to
	// commit instead, or an error that aborts the whole commit.
	Rebase func(current []byte, revision string) ([]byte, error)
}

// CommitResult reports the outcome of Store.Commit.
type CommitResult struct {
	// Revision is the new commit's id, or the unchanged head when the
	// commit would not have changed any file.
	Revision string
	// Committed is false when nothing changed and no commit was made.
	Committed bool
}

// Store is the content repository as the wiki needs it. Implementations
// serialise writes so that main only moves by compare-and-swap, and are safe
// for concurrent use.
type Store interface {
	// Snapshot returns the current state of main. It is cheap: no
	// repository access is needed.
	Snapshot(ctx context.Context) (*Snapshot, error)

	// ReadBlob returns the content of a blob by id, from a cache when
	// possible. Returns ErrNotFound for an unknown id.
	ReadBlob(ctx context.Context, id string) ([]byte, error)

	// ReadPage returns the page as of revision at (a commit id; "" means
	// head). Returns ErrNotFound if the revision is unknown or the page does
	// not exist in it, ErrInvalidInput if at is not a commit id.
	ReadPage(ctx context.Context, name Name, at string) (*Page, error)

	// ReadFile returns a file that is not a page (an attachment) by its
	// repository path, as of revision at (a commit id; "" means head), with
	// the last commit that changed it as of that revision. Returns
	// ErrNotFound if the revision is unknown or the file does not exist in
	// it, ErrInvalidInput if at is not a commit id or path is not a valid
	// file path.
	ReadFile(ctx context.Context, path, at string) (*File, error)

	// BlobSize returns a blob's length without reading it whole (an
	// attachment may be 20 MiB; lists show its size). Returns ErrNotFound
	// for an unknown id.
	BlobSize(ctx context.Context, id string) (int64, error)

	// Revision returns the commit with the given id. Returns ErrNotFound if
	// it is unknown, ErrInvalidInput if id is malformed.
	Revision(ctx context.Context, id string) (*Revision, error)

	// History returns the commits that changed the page, newest first,
	// over the whole commit graph reachable from head (a merge is listed
	// for what it changed itself, and for what a move of main changed that
	// no single commit explains), following renames into the page's old
	// names. Returns an empty list for a page that never existed.
	History(ctx context.Context, name Name, q HistoryQuery) ([]PageRevision, error)

	// FileHistory is History for any file of the repository, by path.
	FileHistory(ctx context.Context, path string, q HistoryQuery) ([]PageRevision, error)

	// Recent returns the commits reachable from main, newest first in the
	// order they arrived (a push's commits parents first).
	Recent(ctx context.Context, q HistoryQuery) ([]Revision, error)

	// Commit applies the changes as one new commit on main. It returns an
	// error wrapping ErrStale if a change's Base no longer matches and the
	// change has no Rebase (or the error Rebase returned),
	// ErrNameTaken if a new page's name differs from an existing page only
	// by case, and ErrNotFound when deleting a page that does not exist.
	// When no file would change, no commit is made.
	Commit(ctx context.Context, c Commit) (CommitResult, error)
}

// Indexer is implemented by stores that build their history index in the
// background on a first start.
type Indexer interface {
	// Indexing reports commits done of total, and whether the build is
	// still running.
	Indexing() (done, total int, busy bool)
}
