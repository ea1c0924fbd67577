package wiki

import "time"

// SecondFactor describes a user's second factor, without its secrets.
type SecondFactor struct {
	// Enrolled is true when TOTP is set up and asked for at sign-in.
	Enrolled bool
	// Since is when it was set up.
	Since time.Time
	// Pending is true while an enrolment waits for its first code.
	Pending bool
	// RecoveryLeft is the number of unused recovery codes.
	RecoveryLeft int
	// Password is true when the account signs in with a password (not
	// only through single sign-on, whose provider does the second step).
	Password bool
}

// How a second factor was proved (the stores' VerifySecondFactor).
const (
	FactorTOTP     = "totp"
	FactorRecovery = "recovery code"
)
