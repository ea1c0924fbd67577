package web

import (
	"context"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// FollowStore keeps what people follow (pages and folders) and which
// revision of a page each person last saw.
type FollowStore interface {
	// Follow starts following target (a page name or "Folder/", see
	// wiki.ParseFollowTarget) for user, or changes the mode of a follow.
	Follow(ctx context.Context, user, target string, mode wiki.FollowMode) error
	// Unfollow stops following target; it is no error when user did not
	// follow it.
	Unfollow(ctx context.Context, user, target string) error
	// Follows lists what user follows, sorted by target.
	Follows(ctx context.Context, user string) ([]wiki.Follow, error)
	// Followers lists the follows that cover page: of the page itself,
	// and of every folder above it (wiki.FollowTargets).
	Followers(ctx context.Context, page wiki.Name) ([]wiki.Follow, error)
	// SetMentionMail switches the mail for mentions (@login) of user on
	// or off; it is on until switched off.
	SetMentionMail(ctx context.Context, user string, on bool) error
	// MentionMail reports whether user gets mail for mentions.
	MentionMail(ctx context.Context, user string) (bool, error)
	// SetReviewMail switches the mail about proposals, reviews and their
	// discussions on or off for user; ReviewMail reports it (on until
	// switched off).
	SetReviewMail(ctx context.Context, user string, on bool) error
	ReviewMail(ctx context.Context, user string) (bool, error)
	// Seen returns the revision of each page that user last saw ("" for
	// a page never seen), for the pages asked.
	Seen(ctx context.Context, user string, pages ...wiki.Name) (map[wiki.Name]string, error)
	// MarkSeen records that user saw revision rev of page. It is called
	// on page views, so it writes only when rev differs from what is
	// recorded, and batches writes.
	MarkSeen(ctx context.Context, user string, page wiki.Name, rev string) error
}
