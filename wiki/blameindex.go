package wiki

import "context"

// BlameIndex knows, for the versions of pages it holds, which revision
// gave each line its text, so that Wiki.Blame is a lookup instead of a
// walk through the page's history. It is kept up to date from the change
// feed (package storage/blameindex), so it may lag behind main for a
// moment, and after a rewrite of history it is rebuilt page by page: it
// answers ok == false for any version it does not hold, and Wiki.Blame
// then walks the history as it would without an index.
type BlameIndex interface {
	// Blame returns, for every line of the version blob of the page file
	// path (e.g. "Beleid/Wmo.md"), the id of the revision that gave the
	// line its text, in line order (lines split as BlameLine counts them).
	// When revision is not "", the answer must be for the version as
	// that revision made it: a page whose text returned to an earlier
	// version has the later revision's blame. ok is false when the index
	// does not hold that version (yet). An error is returned only when
	// ctx is done; a broken index answers ok == false.
	Blame(ctx context.Context, path, blob, revision string) (owners []string, ok bool, err error)
}
