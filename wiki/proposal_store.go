package wiki

import (
	"context"
	"time"
)

// Refs of the content repository beside main. Proposals are branches
// under ProposalRefPrefix; the wiki's own records (the state of each
// proposal, the discussions) are on branches under RecordsRefPrefix, each
// with a history of its own that never touches main: the history index,
// search and the link graph follow main only, so nothing on these refs can
// be taken for a page.
const (
	// ProposalRefPrefix is where proposal branches live:
	// refs/heads/voorstel/<id>.
	ProposalRefPrefix = "refs/heads/voorstel/"
	// RecordsRefPrefix holds the wiki's own records.
	RecordsRefPrefix = "refs/heads/wikiwerk/"
	// ProposalsRef holds one JSON file per proposal, <id>.json.
	ProposalsRef = RecordsRefPrefix + "voorstellen"
	// TalkRef holds one JSON file per page's discussion, at the page's
	// path with .json for .md.
	TalkRef = RecordsRefPrefix + "overleg"
	// ProposeRef is the ref a git push names to propose a change to main
	// ("git push origin HEAD:refs/for/main"); it is never created.
	ProposeRef = "refs/for/main"
)

// BranchWrite is a commit on a ref other than main.
type BranchWrite struct {
	// Ref is the full ref name, e.g. "refs/heads/voorstel/3f9a0c1d".
	Ref string
	// Old is the commit the ref must point at now ("" when it must not
	// exist yet): the compare-and-swap that keeps two writers apart. A
	// mismatch returns ErrStale.
	Old string
	// Parents are the new commit's parents; nil means Old (or none when
	// Old is "": a history of its own).
	Parents []string
	// TreeOf is the commit whose tree Files are applied to; "" means the
	// first parent.
	TreeOf string
	// Files maps repository paths to their new content; a nil value
	// deletes the file.
	Files map[string][]byte
	// Author is recorded as author and committer; Time "" means now.
	Author  Author
	Time    time.Time
	Message string
}

// MergeWrite is a merge commit on main: its first parent is main's head
// (which must still be Main, else ErrStale), its second Other.
type MergeWrite struct {
	Main, Other string
	// Files are applied to main's tree (nil value: delete).
	Files   map[string][]byte
	Author  Author
	Message string
}

// TreeDiff is one file that differs between two commits.
type TreeDiff struct {
	// Path is the repository path; Old and New the blob ids ("" when
	// absent on that side).
	Path, Old, New string
}

// BranchStore is what proposals and discussions need of the content
// repository besides Store; *storage.Repo implements it. Every ref move
// is as durable as a move of main.
type BranchStore interface {
	// RefTip returns the commit a ref points at, "" when it does not exist.
	RefTip(ctx context.Context, ref string) (string, error)
	// RefsUnder maps the refs whose names start with prefix to their
	// commits.
	RefsUnder(ctx context.Context, prefix string) (map[string]string, error)
	// WriteBranch commits on a ref other than main and returns the commit.
	WriteBranch(ctx context.Context, b BranchWrite) (string, error)
	// WriteMerge commits a merge on main.
	WriteMerge(ctx context.Context, m MergeWrite) (CommitResult, error)
	// FileAt reads a file in a commit; ErrNotFound when it is not there.
	FileAt(ctx context.Context, commit, path string) ([]byte, error)
	// FilesAt lists the files of a commit's tree under folder ("" for all).
	FilesAt(ctx context.Context, commit, folder string) ([]string, error)
	// Diff lists the files that differ between two commits ("" from: the
	// empty tree).
	Diff(ctx context.Context, from, to string) ([]TreeDiff, error)
	// BranchHistory lists the first-parent history of a ref beside main,
	// newest first, at most limit commits (0: a default).
	BranchHistory(ctx context.Context, ref string, limit int) ([]Revision, error)
	// MergeBase returns the newest commit of main's history that tip
	// descends from ("" when none).
	MergeBase(ctx context.Context, tip string) (string, error)
}

// PushedProposal is a push to ProposeRef or to a proposal branch, after it
// passed every check that a push to main passes.
type PushedProposal struct {
	// Ref is the ref the push named; Old and New its old and pushed
	// commits.
	Ref, Old, New string
	// Base is the newest commit of main that New descends from.
	Base string
	// Paths are the files the proposal changes against Base.
	Paths []string
}

// ProposalReceiver takes pushed proposals for one pusher; the git
// handler gets one per push from the Wiki (ProposalReceiver).
type ProposalReceiver interface {
	// PrepareProposal decides whether the push may be taken and returns
	// the branch to move (a new one for ProposeRef). An error refuses the
	// push, its text shown to the pusher.
	PrepareProposal(ctx context.Context, p PushedProposal) (ref string, err error)
	// ProposalPushed records the push once the branch has moved.
	ProposalPushed(ctx context.Context, p PushedProposal, ref string) error
}

// ApprovedByTrailer and ProposedByTrailer end the message of the merge that
// publishes a proposal; the history lists such a merge for the pages it
// brings in, so that it shows who approved the change.
const (
	ApprovedByTrailer = "Approved-by"
	ProposedByTrailer = "Proposed-by"
	ProposalTrailer   = "Proposal"
)
