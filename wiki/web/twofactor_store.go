package web

// SecondFactorStore keeps second factors: TOTP secrets and recovery
// codes.
type SecondFactorStore interface {
}
