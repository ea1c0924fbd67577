package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TokenPrefix starts every personal access token, so that secret
// scanners recognise a leaked one and users can tell it from a password.
const TokenPrefix = "wwt_"

// lastUsedEvery is how stale a token's LastUsed may get: recording every
// use would make each API request a database write.
const lastUsedEvery = time.Minute

// tokenRecord is a personal access token, keyed by the SHA-256 of its
// secret.
type tokenRecord struct {
	ID       string    `json:"id"`
	User     string    `json:"user"`
	Label    string    `json:"label,omitempty"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
}

func (r tokenRecord) token() wiki.Token {
	return wiki.Token{ID: r.ID, Label: r.Label, Created: r.Created, LastUsed: r.LastUsed}
}

// NewToken creates a personal access token for the user and returns its
// secret, "wwt_" and 43 characters of base64url, which is not stored and
// cannot be shown again. Returns wiki.ErrNotFound for an unknown user,
// wiki.ErrUnauthenticated for a disabled one and wiki.ErrInvalidInput
// for a label over 100 bytes or with control characters.
func (s *Store) NewToken(ctx context.Context, user, label string) (string, wiki.Token, error) {
	name, err := normalizeName(user)
	if err != nil {
		return "", wiki.Token{}, fmt.Errorf("new token: user %q: %w", user, wiki.ErrNotFound)
	}
	label = strings.TrimSpace(label)
	if err := checkText("the token label", label, maxLabelLen); err != nil {
		return "", wiki.Token{}, fmt.Errorf("new token: %w", err)
	}
	random, err := newSecret()
	if err != nil {
		return "", wiki.Token{}, fmt.Errorf("new token: %w", err)
	}
	secret := TokenPrefix + random
	idBytes := make([]byte, 8)
	if _, err := rand.Read(idBytes); err != nil {
		return "", wiki.Token{}, fmt.Errorf("new token: %w", err)
	}
	rec := tokenRecord{ID: hex.EncodeToString(idBytes), User: name, Label: label, Created: s.now().UTC()}
	v, err := json.Marshal(rec)
	if err != nil {
		return "", wiki.Token{}, err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getUser(tx, name)
		if err != nil {
			return err
		}
		if r.Disabled {
			return fmt.Errorf("%w: the account %q is disabled", wiki.ErrUnauthenticated, name)
		}
		return tx.Bucket(bucketTokens).Put(secretKey(secret), v)
	})
	if err != nil {
		return "", wiki.Token{}, fmt.Errorf("new token: %w", err)
	}
	return secret, rec.token(), nil
}

// AuthenticateToken returns the owner of a personal access token. A
// revoked or unknown token, or the token of a disabled user, returns
// wiki.ErrUnauthenticated. The token's LastUsed is brought up to date at
// most once a minute.
func (s *Store) AuthenticateToken(ctx context.Context, token string) (*wiki.User, error) {
	secret, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok || !wellFormedSecret(secret) {
		return nil, fmt.Errorf("token: %w: not a wikiwerk access token", wiki.ErrUnauthenticated)
	}
	key := secretKey(token)
	now := s.now()
	var (
		user  *wiki.User
		touch bool
	)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTokens).Get(key)
		if v == nil {
			return fmt.Errorf("%w: unknown or revoked token", wiki.ErrUnauthenticated)
		}
		var t tokenRecord
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("damaged token record: %w", err)
		}
		r, err := getUser(tx, t.User)
		if err != nil {
			return fmt.Errorf("%w: %w", wiki.ErrUnauthenticated, err)
		}
		if r.Disabled {
			return fmt.Errorf("%w: the account %q is disabled", wiki.ErrUnauthenticated, t.User)
		}
		user = r.user(t.User)
		touch = now.Sub(t.LastUsed) >= lastUsedEvery
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if touch {
		// Best-effort bookkeeping: a failure here must not refuse a
		// valid token, and the next use tries again.
		_ = s.update(ctx, func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketTokens)
			v := b.Get(key)
			if v == nil {
				return nil // revoked meanwhile
			}
			var t tokenRecord
			if err := json.Unmarshal(v, &t); err != nil || now.Sub(t.LastUsed) < lastUsedEvery {
				return err
			}
			t.LastUsed = now.UTC()
			v, err := json.Marshal(t)
			if err != nil {
				return err
			}
			return b.Put(key, v)
		})
	}
	return user, nil
}

// Tokens lists a user's tokens, oldest first, without their secrets.
// Returns wiki.ErrNotFound for an unknown user.
func (s *Store) Tokens(ctx context.Context, user string) ([]wiki.Token, error) {
	name, err := normalizeName(user)
	if err != nil {
		return nil, fmt.Errorf("tokens: user %q: %w", user, wiki.ErrNotFound)
	}
	var tokens []wiki.Token
	err = s.view(ctx, func(tx *bolt.Tx) error {
		if _, err := getUser(tx, name); err != nil {
			return err
		}
		return tx.Bucket(bucketTokens).ForEach(func(_, v []byte) error {
			var t tokenRecord
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("damaged token record: %w", err)
			}
			if t.User == name {
				tokens = append(tokens, t.token())
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	sort.Slice(tokens, func(i, j int) bool {
		if !tokens[i].Created.Equal(tokens[j].Created) {
			return tokens[i].Created.Before(tokens[j].Created)
		}
		return tokens[i].ID < tokens[j].ID
	})
	return tokens, nil
}

// RevokeToken deletes one of the user's tokens; it stops working at once.
// Returns wiki.ErrNotFound when the user has no token with that id.
func (s *Store) RevokeToken(ctx context.Context, user, id string) error {
	name, err := normalizeName(user)
	if err != nil {
		return fmt.Errorf("revoke token: user %q: %w", user, wiki.ErrNotFound)
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var key []byte
		err := b.ForEach(func(k, v []byte) error {
			var t tokenRecord
			if json.Unmarshal(v, &t) == nil && t.User == name && t.ID == id {
				key = append([]byte(nil), k...)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if key == nil {
			return fmt.Errorf("token %q of %q: %w", id, name, wiki.ErrNotFound)
		}
		return b.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}
