package web

import (
	"context"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// SecondFactorStore keeps second factors: TOTP secrets and recovery
// codes (storage/accounts, twofactor.go). Each change is recorded in the
// audit log by the store, on behalf of the actor given. It also answers
// what the audit log page and the records of git pushes need (AuditReader).
type SecondFactorStore interface {
	AuditReader

	// SecondFactorOf describes the user's second factor.
	SecondFactorOf(ctx context.Context, user string) (wiki.SecondFactor, error)
	// StartTOTP makes a new TOTP secret (base32), pending until
	// ConfirmTOTP; an enrolled one keeps working until then.
	StartTOTP(ctx context.Context, user string) (string, error)
	// PendingTOTP returns the pending secret; wiki.ErrNotFound when no
	// enrolment was started.
	PendingTOTP(ctx context.Context, user string) (string, error)
	// ConfirmTOTP checks a code of the pending secret and makes it the
	// user's second factor; it returns ten recovery codes, to be shown
	// once. wiki.ErrUnauthenticated for a wrong code.
	ConfirmTOTP(ctx context.Context, by wiki.Actor, user, code string) ([]string, error)
	// VerifySecondFactor checks a TOTP code or a recovery code and says
	// which it was (wiki.FactorTOTP, wiki.FactorRecovery). A code counts
	// once. wiki.ErrUnauthenticated for a wrong or reused code.
	VerifySecondFactor(ctx context.Context, by wiki.Actor, user, code string) (string, error)
	// NewRecoveryCodes replaces the recovery codes by ten new ones.
	NewRecoveryCodes(ctx context.Context, by wiki.Actor, user string) ([]string, error)
	// RemoveSecondFactor removes TOTP and recovery codes, recording kind
	// ("2fa-disabled" or "2fa-reset"). wiki.ErrNotFound when there are none.
	RemoveSecondFactor(ctx context.Context, by wiki.Actor, user, kind string) error
}

// AuditReader answers queries of the audit log.
type AuditReader interface {
	// QueryAudit returns one page of matching events, newest first.
	QueryAudit(ctx context.Context, q wiki.AuditQuery) (wiki.AuditPage, error)
	// TokenOf describes the personal access token with this secret, for
	// the record of a git push made with it.
	TokenOf(ctx context.Context, secret string) (wiki.Token, error)
}
