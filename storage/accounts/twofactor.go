package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file keeps second factors: TOTP (RFC 6238: 30-second steps, six
// digits, SHA-1, as every authenticator app expects) and recovery codes.
//
// The TOTP secret is stored as it is: the server needs it to compute the
// codes, so unlike passwords and tokens it cannot be a hash. Recovery
// codes are stored as SHA-256 hashes (they carry 50 random bits, enough
// that no slow hash is needed) and each works once. A code is accepted
// one step early or late (clocks drift), and never twice: the last step
// used is stored, and only a later one is accepted.

// TOTP parameters.
const (
	totpPeriod  = 30
	totpDigits  = otp.DigitsSix
	totpSkew    = 1
	secretBytes = 20 // 160 bits, as RFC 4226 recommends
	recoveryN   = 10
)

// secondFactorRecord is a user's second factor, keyed by login name.
type secondFactorRecord struct {
	// Secret is the enrolled TOTP secret (base32), "" when none.
	Secret string `json:"secret,omitempty"`
	// Pending is a secret being enrolled, not yet confirmed with a code.
	Pending string `json:"pending,omitempty"`
	// PendingSince is when Pending was made.
	PendingSince time.Time `json:"pending_since,omitzero"`
	// LastStep is the last TOTP time step accepted; codes of that step
	// or an earlier one are refused.
	LastStep uint64 `json:"last_step,omitempty"`
	// Recovery holds the SHA-256 hashes (hex) of unused recovery codes.
	Recovery []string `json:"recovery,omitempty"`
	// Enrolled is when the secret was confirmed.
	Enrolled time.Time `json:"enrolled,omitzero"`
}

func getSecondFactor(tx *bolt.Tx, name string) (*secondFactorRecord, error) {
	var r secondFactorRecord
	v := tx.Bucket(bucketSecondFactor).Get([]byte(name))
	if v == nil {
		return &r, nil
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("second factor of %q: damaged record: %w", name, err)
	}
	return &r, nil
}

func putSecondFactor(tx *bolt.Tx, name string, r *secondFactorRecord) error {
	b := tx.Bucket(bucketSecondFactor)
	if r.Secret == "" && r.Pending == "" {
		return b.Delete([]byte(name))
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(name), v)
}

// secondFactorTx runs fn on the user's account and second factor in one
// write transaction and stores both afterwards.
func (s *Store) secondFactorTx(ctx context.Context, user string, fn func(tx *bolt.Tx, name string, u *userRecord, f *secondFactorRecord) error) error {
	name, err := normalizeName(user)
	if err != nil {
		return fmt.Errorf("user %q: %w", user, wiki.ErrNotFound)
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		f, err := getSecondFactor(tx, name)
		if err != nil {
			return err
		}
		if err := fn(tx, name, u, f); err != nil {
			return err
		}
		u.TwoFactor = f.Secret != ""
		if err := putUser(tx, name, u); err != nil {
			return err
		}
		return putSecondFactor(tx, name, f)
	})
}

// SecondFactorOf describes the user's second factor. Returns
// wiki.ErrNotFound for an unknown user.
func (s *Store) SecondFactorOf(ctx context.Context, user string) (wiki.SecondFactor, error) {
	name, err := normalizeName(user)
	if err != nil {
		return wiki.SecondFactor{}, fmt.Errorf("user %q: %w", user, wiki.ErrNotFound)
	}
	var sf wiki.SecondFactor
	err = s.view(ctx, func(tx *bolt.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		f, err := getSecondFactor(tx, name)
		if err != nil {
			return err
		}
		sf = wiki.SecondFactor{Enrolled: f.Secret != "", Since: f.Enrolled, Pending: f.Pending != "",
			RecoveryLeft: len(f.Recovery), Password: u.Password != ""}
		return nil
	})
	if err != nil {
		return wiki.SecondFactor{}, fmt.Errorf("second factor: %w", err)
	}
	return sf, nil
}

// StartTOTP makes a new TOTP secret for the user and returns it (base32,
// for the authenticator app). It stays pending, and sign-in does not ask
// for it, until ConfirmTOTP; a pending secret made earlier is replaced,
// and an enrolled one keeps working until the new one is confirmed.
// Returns wiki.ErrNotFound for an unknown user, wiki.ErrUnauthenticated
// for a disabled one.
func (s *Store) StartTOTP(ctx context.Context, user string) (string, error) {
	raw := make([]byte, secretBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("start TOTP: %w", err)
	}
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	err := s.secondFactorTx(ctx, user, func(_ *bolt.Tx, name string, u *userRecord, f *secondFactorRecord) error {
		if u.Disabled {
			return fmt.Errorf("%w: the account %q is disabled", wiki.ErrUnauthenticated, name)
		}
		f.Pending, f.PendingSince = secret, s.now().UTC()
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("start TOTP: %w", err)
	}
	return secret, nil
}

// PendingTOTP returns the secret StartTOTP made and ConfirmTOTP has not
// confirmed yet. Returns wiki.ErrNotFound when there is none.
func (s *Store) PendingTOTP(ctx context.Context, user string) (string, error) {
	name, err := normalizeName(user)
	if err != nil {
		return "", fmt.Errorf("user %q: %w", user, wiki.ErrNotFound)
	}
	var secret string
	err = s.view(ctx, func(tx *bolt.Tx) error {
		f, err := getSecondFactor(tx, name)
		if err != nil {
			return err
		}
		if f.Pending == "" {
			return fmt.Errorf("%w: no two-factor enrolment has been started", wiki.ErrNotFound)
		}
		secret = f.Pending
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("pending TOTP: %w", err)
	}
	return secret, nil
}

// ConfirmTOTP checks a code of the pending secret; when it is right the
// secret becomes the user's second factor (replacing an earlier one),
// and ten new recovery codes are made and returned, to be shown once.
// Records "2fa-enrolled" on behalf of by. Returns wiki.ErrNotFound when
// no enrolment was started and wiki.ErrUnauthenticated for a wrong code.
func (s *Store) ConfirmTOTP(ctx context.Context, by wiki.Actor, user, code string) ([]string, error) {
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP: %w", err)
	}
	err = s.secondFactorTx(ctx, user, func(tx *bolt.Tx, name string, u *userRecord, f *secondFactorRecord) error {
		if f.Pending == "" {
			return fmt.Errorf("%w: no two-factor enrolment has been started", wiki.ErrNotFound)
		}
		step, ok := matchTOTP(f.Pending, code, s.now(), 0)
		if !ok {
			return fmt.Errorf("%w: wrong code", wiki.ErrUnauthenticated)
		}
		replaced := f.Secret != ""
		*f = secondFactorRecord{Secret: f.Pending, LastStep: step, Recovery: hashes, Enrolled: s.now().UTC()}
		detail := "TOTP set up, 10 recovery codes made"
		if replaced {
			detail = "TOTP replaced by a new one, 10 recovery codes made"
		}
		return s.appendAudit(tx, event(by, "2fa-enrolled", name, detail))
	})
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP: %w", err)
	}
	return codes, nil
}

// VerifySecondFactor checks a TOTP code (six digits) or one of the
// user's recovery codes, and returns which it was (wiki.FactorTOTP or
// wiki.FactorRecovery). A TOTP code counts once; a recovery code is used up,
// which records "2fa-recovery-used" on behalf of by. Returns
// wiki.ErrUnauthenticated for a wrong, reused or used-up code and for a
// user without a second factor or disabled.
func (s *Store) VerifySecondFactor(ctx context.Context, by wiki.Actor, user, code string) (string, error) {
	var method string
	err := s.secondFactorTx(ctx, user, func(tx *bolt.Tx, name string, u *userRecord, f *secondFactorRecord) error {
		if u.Disabled {
			return fmt.Errorf("%w: the account %q is disabled", wiki.ErrUnauthenticated, name)
		}
		if f.Secret == "" {
			return fmt.Errorf("%w: %q has no second factor", wiki.ErrUnauthenticated, name)
		}
		if c := strings.Join(strings.Fields(code), ""); isDigits(c) {
			step, ok := matchTOTP(f.Secret, c, s.now(), f.LastStep)
			if !ok {
				return errWrongCode
			}
			f.LastStep, method = step, wiki.FactorTOTP
			return nil
		}
		i := findRecovery(f.Recovery, code)
		if i < 0 {
			return errWrongCode
		}
		f.Recovery = append(f.Recovery[:i:i], f.Recovery[i+1:]...)
		method = wiki.FactorRecovery
		return s.appendAudit(tx, event(by, "2fa-recovery-used", name, fmt.Sprintf("%d recovery codes left", len(f.Recovery))))
	})
	if err != nil {
		if errors.Is(err, errWrongCode) {
			// Not wrapped with the transaction's context: the message is
			// the same for a wrong, a reused and a used-up code.
			return "", fmt.Errorf("second factor: %w", errWrongCode)
		}
		return "", fmt.Errorf("second factor: %w", err)
	}
	return method, nil
}

// errWrongCode is a wrong, reused or used-up code.
var errWrongCode = fmt.Errorf("%w: wrong or already used code", wiki.ErrUnauthenticated)

// NewRecoveryCodes replaces the user's recovery codes by ten new ones and
// returns them, to be shown once. Records "2fa-recovery-new" on behalf
// of by. Returns wiki.ErrNotFound when the user has no second factor.
func (s *Store) NewRecoveryCodes(ctx context.Context, by wiki.Actor, user string) ([]string, error) {
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, fmt.Errorf("new recovery codes: %w", err)
	}
	err = s.secondFactorTx(ctx, user, func(tx *bolt.Tx, name string, _ *userRecord, f *secondFactorRecord) error {
		if f.Secret == "" {
			return fmt.Errorf("%w: %q has no second factor", wiki.ErrNotFound, name)
		}
		f.Recovery = hashes
		return s.appendAudit(tx, event(by, "2fa-recovery-new", name, "10 new recovery codes; the old ones no longer work"))
	})
	if err != nil {
		return nil, fmt.Errorf("new recovery codes: %w", err)
	}
	return codes, nil
}

// RemoveSecondFactor removes the user's TOTP secret, pending enrolment
// and recovery codes: the user signs in with a password alone again.
// kind is what the audit log records on behalf of by: "2fa-disabled"
// when users switch it off themselves, "2fa-reset" when an admin does.
// Returns wiki.ErrNotFound for an unknown user or one without a second
// factor.
func (s *Store) RemoveSecondFactor(ctx context.Context, by wiki.Actor, user, kind string) error {
	err := s.secondFactorTx(ctx, user, func(tx *bolt.Tx, name string, _ *userRecord, f *secondFactorRecord) error {
		if f.Secret == "" && f.Pending == "" {
			return fmt.Errorf("%w: %q has no second factor", wiki.ErrNotFound, name)
		}
		*f = secondFactorRecord{}
		return s.appendAudit(tx, event(by, kind, name, "TOTP and recovery codes removed"))
	})
	if err != nil {
		return fmt.Errorf("remove second factor: %w", err)
	}
	return nil
}

// matchTOTP finds the time step, within the skew around now, whose code
// is code, and that is later than after. Every candidate is computed and
// compared in constant time.
func matchTOTP(secret, code string, now time.Time, after uint64) (uint64, bool) {
	if len(code) != totpDigits.Length() || !isDigits(code) {
		return 0, false
	}
	cur := uint64(now.Unix()) / totpPeriod
	var found uint64
	ok := false
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		want, err := hotp.GenerateCodeCustom(secret, step, hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > after {
			found, ok = step, true
		}
	}
	return found, ok
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// recoveryAlphabet leaves out letters that look alike (0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCodes makes ten codes like "k7wq9-m3xpa" and their hashes.
func newRecoveryCodes() (codes, hashes []string, err error) {
	for range recoveryN {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, err
		}
		var sb strings.Builder
		for i, x := range b {
			if i == 5 {
				sb.WriteByte('-')
			}
			// 31 letters: the bias of a byte modulo 31 is under 1%,
			// and the code has ten of them (about 49 bits).
			sb.WriteByte(recoveryAlphabet[int(x)%len(recoveryAlphabet)])
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, recoveryHash(sb.String()))
	}
	return codes, hashes, nil
}

// recoveryHash hashes a recovery code as typed: letter case, spaces and
// dashes do not matter.
func recoveryHash(code string) string {
	c := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, strings.ToLower(code))
	sum := sha256.Sum256([]byte("wikiwerk recovery code\x00" + c))
	return hex.EncodeToString(sum[:])
}

// findRecovery returns the index of the code's hash among hashes, or -1.
// Every hash is compared, in constant time.
func findRecovery(hashes []string, code string) int {
	h := []byte(recoveryHash(code))
	found := -1
	for i, have := range hashes {
		if subtle.ConstantTimeCompare([]byte(have), h) == 1 {
			found = i
		}
	}
	return found
}
