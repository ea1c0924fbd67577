package wiki

import "time"

// Token describes a personal access token, used instead of a password for
// the API and for git over HTTP.
type Token struct {
	// ID identifies the token for revocation; it is not the secret.
	ID string
	// Label says what the token is for, e.g. "laptop git".
	Label string
	// Created and LastUsed (zero if never) are for the owner's overview.
	Created, LastUsed time.Time
}

// AuditEvent is an entry of the audit log: sign-ins, role changes,
// permission denials.
type AuditEvent struct {
	Time time.Time
	// Kind is e.g. "signin", "signin-failed", "signout", "role",
	// "disable", "denied", "token-created", "token-revoked".
	Kind string
	// Actor is who did it ("" when not signed in); Subject whom or what
	// it concerned (a user or a page).
	Actor, Subject string
	// Detail is free text, e.g. the new role or the denied action.
	Detail string
	// IP is the client address as seen by the server.
	IP string
}

// Actor is who makes an administrative change, as it goes into the audit
// log: a signed-in admin with the address of the request, or "cli" for
// the wikiwerk user command.
type Actor struct {
	// Name is the actor's login name, or "cli".
	Name string
	// IP is the client address; "" for the command line.
	IP string
}
