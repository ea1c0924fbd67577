package wiki

import (
	"context"
	"strings"
	"time"
)

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

// AuditEvent is an entry of the audit log. Each one answers what the
// BIO (the Dutch government's security baseline) asks of a log record:
// action (Kind), object (Subject), result, origin address (IP), actor
// and time. Nothing secret goes into any field.
type AuditEvent struct {
	Time time.Time
	// Kind is the action, e.g. "signin", "signin-failed", "signout",
	// "role", "disable", "denied", "token-created", "token-revoked",
	// "2fa-enrolled", "push", "settings".
	Kind string
	// Actor is who did it ("anonymous" when not signed in, "cli" for
	// the wikiwerk user command, "wikiwerk" for the server itself);
	// Subject is the object: whom or what it concerned (a user, a page,
	// a setting).
	Actor, Subject string
	// Detail is free text, e.g. the new role or the denied action.
	Detail string
	// IP is the origin: the client address as seen by the server, or
	// "local" for the command line and the server itself.
	IP string
	// Result is AuditSuccess, AuditFailure (wrong credentials, a wrong
	// code) or AuditDenied (no right to do it). The store fills it in
	// from Kind when it is empty: see ResultOf.
	Result string `json:",omitempty"`
}

// The results of an audited action.
const (
	AuditSuccess = "success"
	AuditFailure = "failure"
	AuditDenied  = "denied"
)

// ResultOf is the result an event of kind has when its recorder gave
// none: "denied" for a denial, "failure" for a kind that ends in
// "-failed", else "success".
func ResultOf(kind string) string {
	switch {
	case kind == "denied" || strings.HasSuffix(kind, "-denied"):
		return AuditDenied
	case strings.HasSuffix(kind, "-failed"):
		return AuditFailure
	}
	return AuditSuccess
}

// AuditQuery selects audit events, newest first. Empty fields match
// everything.
type AuditQuery struct {
	// Actor and Action match exactly (letter case aside); Result is one
	// of the Audit results; Object matches when it occurs in the event's
	// object (letter case aside).
	Actor, Action, Result, Object string
	// Since and Until bound the time (inclusive Since, exclusive Until).
	Since, Until time.Time
	// Before is a cursor from an earlier AuditPage.Next: only older
	// events. "" starts at the newest.
	Before string
	// Limit is the page size; <= 0 means 50.
	Limit int
}

// AuditPage is one page of an audit query.
type AuditPage struct {
	Events []AuditEvent
	// Next is the cursor for the following (older) page, "" at the end.
	Next string
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

type originKey struct{}

// WithOrigin returns a context that carries the client address of the
// request it serves, for audit events a store records on its own (such
// as a role taken from single sign-on claims).
func WithOrigin(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, originKey{}, ip)
}

// OriginFrom returns the address WithOrigin put in ctx, "" if none.
func OriginFrom(ctx context.Context) string {
	ip, _ := ctx.Value(originKey{}).(string)
	return ip
}
