package wiki

import (
	"fmt"
	"time"
)

// LinkPurpose is what a one-time link is for.
type LinkPurpose string

// The purposes of one-time links.
const (
	// LinkInvite lets a new person choose their password (and name).
	LinkInvite LinkPurpose = "invite"
	// LinkReset lets a person who forgot their password choose a new
	// one; using it ends their sessions.
	LinkReset LinkPurpose = "reset"
)

// ParseLinkPurpose validates a purpose.
func ParseLinkPurpose(s string) (LinkPurpose, error) {
	switch p := LinkPurpose(s); p {
	case LinkInvite, LinkReset:
		return p, nil
	}
	return "", fmt.Errorf("%w: %q is not a kind of link (invite or reset)", ErrInvalidInput, s)
}

// ErrLinkInvalid is returned for a one-time link that is unknown, used
// already, replaced by a newer one or expired. It wraps ErrNotFound, so
// that such a link answers 404 like any other address that leads nowhere.
var ErrLinkInvalid = fmt.Errorf("%w: this link is not valid (any more)", ErrNotFound)

// OneTimeLink is a link just made: its secret is shown (or mailed) this
// once; the store keeps only its hash.
type OneTimeLink struct {
	Secret  string
	Purpose LinkPurpose
	User    string
	Expires time.Time
}

// UserUpdate changes some fields of an account; nil fields stay as they
// are.
type UserUpdate struct {
	DisplayName *string
	Email       *string
	Role        *Role
	Groups      *[]string
	Disabled    *bool
	// Lang is "nl", "en" or "" (the wiki's default).
	Lang *string
}

// Session is a signed-in browser as its owner sees it in their list; it
// holds no secret.
type Session struct {
	// ID names the session for ending it: a prefix of the hash of its
	// secret, useless as a cookie.
	ID      string
	Created time.Time
	// LastSeen is when the session was last used, to within minutes.
	LastSeen time.Time
	Expires  time.Time
	// IP and Agent are the client address and browser at sign-in.
	IP, Agent string
	// Current is the session of the request that asked for the list.
	Current bool
}

// UseLinkRequest is what a person sends with a one-time link.
type UseLinkRequest struct {
	Secret  string
	Purpose LinkPurpose
	// Password is the new password (at least 12 characters).
	Password string
	// DisplayName, for an invitation, replaces the name the admin gave;
	// "" keeps it.
	DisplayName string
	// IP is the client address, for the audit log.
	IP string
}
