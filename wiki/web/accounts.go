package web

import (
	"context"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// AccountStore is what the web layer needs of the user database (package
// storage/accounts implements it). Besides checking credentials it keeps
// server-side sessions, so that signing out, disabling a user or revoking
// a token takes effect at once, and the audit log.
type AccountStore interface {
	wiki.Accounts
	// UserManager: accounts managed on the web, one-time links, the
	// user's own settings and sessions (users_store.go).
	UserManager
	// SecondFactorStore: TOTP and recovery codes (twofactor_store.go).
	SecondFactorStore
	// FollowStore: what people follow and what they last saw
	// (follow_store.go).
	FollowStore

	// Count returns the number of accounts (0 on a fresh install).
	Count(ctx context.Context) (int, error)
	// Create makes an account. Returns wiki.ErrNameTaken if the name is
	// in use, wiki.ErrInvalidInput for a bad name, role or a password
	// shorter than 12 characters.
	Create(ctx context.Context, u wiki.User, password string) (*wiki.User, error)
	// UpsertExternal finds or creates the account of a person signed in
	// through OpenID Connect, identified by issuer and subject, and
	// updates its display name, e-mail, role and groups from the claims.
	// preferredName is used for the login name of a new account, made
	// unique if taken.
	UpsertExternal(ctx context.Context, issuer, subject, preferredName string, claims wiki.User) (*wiki.User, error)

	// NewSession starts a session for the user and returns its secret id.
	NewSession(ctx context.Context, user string, ttl time.Duration) (string, error)
	// SessionUser returns the user of a live session; ErrUnauthenticated
	// for an unknown, expired or ended session or a disabled user.
	SessionUser(ctx context.Context, id string) (*wiki.User, error)
	// EndSession ends a session (sign-out).
	EndSession(ctx context.Context, id string) error

	// NewToken creates a personal access token; the secret is shown once
	// and only its hash is stored.
	NewToken(ctx context.Context, user, label string) (secret string, t wiki.Token, err error)
	// Tokens lists a user's tokens (without secrets).
	Tokens(ctx context.Context, user string) ([]wiki.Token, error)
	// RevokeToken revokes one of the user's tokens; it stops working at
	// once. Returns wiki.ErrNotFound for an unknown id.
	RevokeToken(ctx context.Context, user, id string) error

	// Record appends an event to the audit log.
	Record(ctx context.Context, e wiki.AuditEvent) error
	// AuditLog returns the newest events first.
	AuditLog(ctx context.Context, limit int) ([]wiki.AuditEvent, error)
}
