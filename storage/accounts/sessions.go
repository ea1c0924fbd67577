package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// secretLen is the number of random bytes in a session id or token.
const secretLen = 32

// purgeEvery is how often NewSession sweeps out expired sessions.
const purgeEvery = 10 * time.Minute

// sessionRecord is a live session, keyed by the SHA-256 of its id, so
// that a copy of the database does not hand out usable session cookies.
type sessionRecord struct {
	User    string    `json:"user"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// LastSeen, IP and Agent are for the owner's list of sessions
	// (sessionlist.go).
	LastSeen time.Time `json:"last_seen,omitempty"`
	IP       string    `json:"ip,omitempty"`
	Agent    string    `json:"agent,omitempty"`
}

// newSecret returns 32 random bytes in unpadded base64url (43 characters).
func newSecret() (string, error) {
	b := make([]byte, secretLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// secretKey is the database key of a secret.
func secretKey(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// wellFormedSecret reports whether s could be a value of newSecret, so
// that garbage is refused without a lookup.
func wellFormedSecret(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(secretLen) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// NewSession starts a session of ttl for the user and returns its secret
// id (43 characters of base64url). Returns wiki.ErrNotFound for an
// unknown user, wiki.ErrUnauthenticated for a disabled one.
func (s *Store) NewSession(ctx context.Context, user string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("new session: %w: the lifetime must be positive", wiki.ErrInvalidInput)
	}
	name, err := normalizeName(user)
	if err != nil {
		return "", fmt.Errorf("new session: user %q: %w", user, wiki.ErrNotFound)
	}
	id, err := newSecret()
	if err != nil {
		return "", fmt.Errorf("new session: %w", err)
	}
	now := s.now()
	rec, err := json.Marshal(sessionRecord{User: name, Created: now.UTC(), Expires: now.Add(ttl).UTC()})
	if err != nil {
		return "", err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getUser(tx, name)
		if err != nil {
			return err
		}
		if r.Disabled {
			return fmt.Errorf("%w: the account %q is disabled", wiki.ErrUnauthenticated, name)
		}
		if last := s.lastPurge.Load(); now.Unix()-last >= int64(purgeEvery/time.Second) && s.lastPurge.CompareAndSwap(last, now.Unix()) {
			if err := purgeSessions(tx, now); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketSessions).Put(secretKey(id), rec)
	})
	if err != nil {
		return "", fmt.Errorf("new session: %w", err)
	}
	return id, nil
}

// purgeSessions deletes the sessions that have expired by now.
func purgeSessions(tx *bolt.Tx, now time.Time) error {
	return deleteSessions(tx, func(r sessionRecord) bool { return !now.Before(r.Expires) })
}

// endSessionsOf deletes all sessions of a user and returns how many.
func endSessionsOf(tx *bolt.Tx, name string) (int, error) {
	n := 0
	err := deleteSessions(tx, func(r sessionRecord) bool {
		if r.User == name {
			n++
			return true
		}
		return false
	})
	return n, err
}

// deleteSessions deletes the sessions that match; damaged records go too.
func deleteSessions(tx *bolt.Tx, match func(sessionRecord) bool) error {
	b := tx.Bucket(bucketSessions)
	var doomed [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var r sessionRecord
		if json.Unmarshal(v, &r) != nil || match(r) {
			doomed = append(doomed, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// SessionUser returns the user of a live session. The user's record is
// read on every call, so disabling an account or changing a role takes
// effect at once. An unknown, ended or expired session, or a disabled
// user, returns wiki.ErrUnauthenticated.
func (s *Store) SessionUser(ctx context.Context, id string) (*wiki.User, error) {
	if !wellFormedSecret(id) {
		return nil, fmt.Errorf("session: %w: unknown session", wiki.ErrUnauthenticated)
	}
	key := secretKey(id)
	now := s.now()
	var (
		user    *wiki.User
		expired bool
		stale   bool
	)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get(key)
		if v == nil {
			return fmt.Errorf("%w: unknown or ended session", wiki.ErrUnauthenticated)
		}
		var sess sessionRecord
		if err := json.Unmarshal(v, &sess); err != nil {
			return fmt.Errorf("damaged session record: %w", err)
		}
		if !now.Before(sess.Expires) {
			expired = true
			return fmt.Errorf("%w: the session has expired", wiki.ErrUnauthenticated)
		}
		r, err := getUser(tx, sess.User)
		if err != nil {
			return fmt.Errorf("%w: %w", wiki.ErrUnauthenticated, err)
		}
		if r.Disabled {
			return fmt.Errorf("%w: the account %q is disabled", wiki.ErrUnauthenticated, sess.User)
		}
		user = r.user(sess.User)
		stale = now.Sub(sess.LastSeen) >= lastSeenEvery
		return nil
	})
	if err == nil && stale {
		s.touchSession(ctx, key, now)
	}
	if expired {
		// Tidy up now rather than wait for the next sweep; if this
		// fails the sweep will do it, and the session is refused anyway.
		_ = s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Delete(key) })
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return user, nil
}

// EndSession ends a session (sign-out). Ending an unknown session is not
// an error: the outcome is the same.
func (s *Store) EndSession(ctx context.Context, id string) error {
	if !wellFormedSecret(id) {
		return nil
	}
	err := s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Delete(secretKey(id)) })
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
