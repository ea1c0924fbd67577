package wiki

import (
	"errors"
	"fmt"

	"github.com/wikiwerk/wikiwerk/wiki/diff"
)

// Sentinel errors of the domain. Callers test for them with errors.Is; the
// web layer maps each to one HTTP status in a single place.
var (
	// ErrNotFound: the page, revision or file does not exist. (404)
	ErrNotFound = errors.New("not found")
	// ErrInvalidName: a page name breaks the rules of ParseName. (400)
	ErrInvalidName = errors.New("invalid page name")
	// ErrInvalidInput: a request is malformed: invalid UTF-8, a bad
	// revision id, a missing field. (400)
	ErrInvalidInput = errors.New("invalid input")
	// ErrTooLarge: content exceeds the configured size limit. (413)
	ErrTooLarge = errors.New("too large")
	// ErrUnsupportedType: an uploaded file's type is not among the
	// allowed ones (Options.FileTypes). (415)
	ErrUnsupportedType = errors.New("unsupported file type")
	// ErrConflict: a save could not be applied because the page changed
	// since the editor's base revision. (409)
	ErrConflict = errors.New("conflict")
	// ErrStale is returned by a Store when a Change's Base no longer matches
	// the page's current revision. The Wiki turns it into a *ConflictError.
	ErrStale = errors.New("stale base revision")
	// ErrNameTaken: a new page's name collides with an existing page that
	// differs only in letter case, or looks the same (a confusable
	// skeleton, UTS #39). (409)
	ErrNameTaken = errors.New("name taken")
	// ErrForbidden: the action is not allowed for this user or in this mode. (403)
	ErrForbidden = errors.New("forbidden")
	// ErrNoSpace: the data disk is full, so a write was refused and
	// nothing was changed; it works again once there is space. (507)
	ErrNoSpace = errors.New("the data disk is full")
)

// ConflictError reports a save whose base is stale. It carries the page as it
// is now so that the editor can show it next to the user's own text, which is
// kept in Yours: a conflict never loses what the user typed.
type ConflictError struct {
	// Name is the page that was being saved.
	Name Name
	// Base is the revision the editor started from ("" when creating).
	Base string
	// Current is the page as it is now; nil if it has been deleted.
	Current *Page
	// Yours is the text the user submitted, unchanged.
	Yours string
	// Merge is the attempted three-way merge of the base, the current
	// text and Yours, region by region, when one was possible: its
	// conflicts are what the user has to choose between.
	Merge *diff.MergeResult
}

func (e *ConflictError) Error() string {
	cur := "deleted"
	if e.Current != nil {
		cur = e.Current.Revision.ID
	}
	return fmt.Sprintf("conflict saving %s: edited from %q but the page is now at %s", e.Name, e.Base, cur)
}

// Is makes errors.Is(err, ErrConflict) true for a *ConflictError.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
