package web

import (
	"context"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// UserManager is what account management on the web needs of the user
// database: listing and changing accounts, one-time links for
// invitations and password resets, and the user's own sessions. The
// store records every change to an account in the audit log itself, in
// the same transaction, with the actor given.
type UserManager interface {
	// List returns every account, sorted by login name.
	List(ctx context.Context) ([]wiki.User, error)
	// CreateBy makes an account with a password.
	CreateBy(ctx context.Context, by wiki.Actor, u wiki.User, password string) (*wiki.User, error)
	// CreateInvited makes an account without a password, for an
	// invitation.
	CreateInvited(ctx context.Context, by wiki.Actor, u wiki.User) (*wiki.User, error)
	// UpdateUser changes the fields ch sets, all or none.
	UpdateUser(ctx context.Context, by wiki.Actor, name string, ch wiki.UserUpdate) (*wiki.User, error)
	// SetPassword sets a password and ends the user's sessions.
	SetPassword(ctx context.Context, by wiki.Actor, name, password string) error
	// HasPassword reports whether the account has a password (not so
	// for single sign-on only, or an invitation not yet accepted).
	HasPassword(ctx context.Context, name string) (bool, error)

	// NewLink makes a one-time link (invitation or password reset); an
	// earlier link of the same user and purpose stops working.
	NewLink(ctx context.Context, by wiki.Actor, user string, p wiki.LinkPurpose) (wiki.OneTimeLink, error)
	// LinkUser returns the account of a live link, wiki.ErrLinkInvalid
	// for one that does not work (any more).
	LinkUser(ctx context.Context, secret string, p wiki.LinkPurpose) (*wiki.User, error)
	// UseLink sets the password chosen with a link and consumes it.
	UseLink(ctx context.Context, req wiki.UseLinkRequest) (*wiki.User, error)
	// PendingInvites returns when the live invitations of accounts
	// without a password expire, by login name.
	PendingInvites(ctx context.Context) (map[string]time.Time, error)

	// Sessions lists the user's live sessions, current marked.
	Sessions(ctx context.Context, user, current string) ([]wiki.Session, error)
	// NoteSessionClient records the client address and browser of a new
	// session.
	NoteSessionClient(ctx context.Context, id, ip, agent string) error
	// EndSessionOf ends one of the user's sessions by its public ID.
	EndSessionOf(ctx context.Context, by wiki.Actor, user, id string) error
	// EndOtherSessions ends all the user's sessions but current.
	EndOtherSessions(ctx context.Context, by wiki.Actor, user, current string) (int, error)
}
