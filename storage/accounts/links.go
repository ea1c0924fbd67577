package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// How long one-time links stay valid. An invitation waits for someone to
// read their mail; a reset is asked for by the person who needs it now,
// so a stolen reset link is useful for an hour at most.
const (
	InviteTTL = 7 * 24 * time.Hour
	ResetTTL  = time.Hour
)

// linkRecord is a one-time link, keyed by the SHA-256 of its secret.
type linkRecord struct {
	User    string           `json:"user"`
	Purpose wiki.LinkPurpose `json:"purpose"`
	Created time.Time        `json:"created"`
	Expires time.Time        `json:"expires"`
	// By is who made the link (an admin's login name, or "cli").
	By string `json:"by,omitempty"`
}

func linkTTL(p wiki.LinkPurpose) time.Duration {
	if p == wiki.LinkInvite {
		return InviteTTL
	}
	return ResetTTL
}

// NewLink makes a one-time link for the user: an invitation (valid 7
// days) or a password reset (valid 1 hour). Only the hash of its secret
// is stored; an earlier link of the same user and purpose stops working.
// Returns wiki.ErrNotFound for an unknown user and wiki.ErrInvalidInput
// for a disabled one.
func (s *Store) NewLink(ctx context.Context, by wiki.Actor, user string, p wiki.LinkPurpose) (wiki.OneTimeLink, error) {
	p, err := wiki.ParseLinkPurpose(string(p))
	if err != nil {
		return wiki.OneTimeLink{}, fmt.Errorf("new link: %w", err)
	}
	name, err := normalizeName(user)
	if err != nil {
		return wiki.OneTimeLink{}, fmt.Errorf("new link: user %q: %w", user, wiki.ErrNotFound)
	}
	secret, err := newSecret()
	if err != nil {
		return wiki.OneTimeLink{}, fmt.Errorf("new link: %w", err)
	}
	now := s.now().UTC()
	rec := linkRecord{User: name, Purpose: p, Created: now, Expires: now.Add(linkTTL(p)), By: by.Name}
	v, err := json.Marshal(rec)
	if err != nil {
		return wiki.OneTimeLink{}, err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("%w: the account %q is disabled; enable it first", wiki.ErrInvalidInput, name)
		}
		replaced, err := deleteLinks(tx, func(r linkRecord) bool {
			return (r.User == name && r.Purpose == p) || !now.Before(r.Expires)
		}, name, p)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketLinks).Put(secretKey(secret), v); err != nil {
			return err
		}
		detail := "valid until " + rec.Expires.Format(time.RFC3339)
		if replaced > 0 {
			detail += ", replaces the earlier link"
		}
		return s.appendAudit(tx, event(by, string(p)+"-link", name, detail))
	})
	if err != nil {
		return wiki.OneTimeLink{}, fmt.Errorf("new %s link for %q: %w", p, name, err)
	}
	return wiki.OneTimeLink{Secret: secret, Purpose: p, User: name, Expires: rec.Expires}, nil
}

// deleteLinks deletes the links that match (damaged records too) and
// returns how many of them were user's links for purpose p.
func deleteLinks(tx *bolt.Tx, match func(linkRecord) bool, user string, p wiki.LinkPurpose) (int, error) {
	b := tx.Bucket(bucketLinks)
	var doomed [][]byte
	n := 0
	err := b.ForEach(func(k, v []byte) error {
		var r linkRecord
		if json.Unmarshal(v, &r) != nil || match(r) {
			doomed = append(doomed, append([]byte(nil), k...))
			if r.User == user && r.Purpose == p {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// getLink returns the live link of purpose p with the secret, and its
// user's record; wiki.ErrLinkInvalid when there is none (unknown, used,
// replaced, expired, another purpose, or the account disabled since).
func (s *Store) getLink(tx *bolt.Tx, secret string, p wiki.LinkPurpose) (*linkRecord, *userRecord, error) {
	if !wellFormedSecret(secret) {
		return nil, nil, wiki.ErrLinkInvalid
	}
	v := tx.Bucket(bucketLinks).Get(secretKey(secret))
	if v == nil {
		return nil, nil, wiki.ErrLinkInvalid
	}
	var l linkRecord
	if err := json.Unmarshal(v, &l); err != nil {
		return nil, nil, fmt.Errorf("damaged link record: %w", err)
	}
	if l.Purpose != p || !s.now().Before(l.Expires) {
		return nil, nil, wiki.ErrLinkInvalid
	}
	u, err := getUser(tx, l.User)
	if errors.Is(err, wiki.ErrNotFound) {
		return nil, nil, wiki.ErrLinkInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, wiki.ErrLinkInvalid
	}
	return &l, u, nil
}

// LinkUser returns the account a live one-time link is for, to greet the
// person on its form. Returns wiki.ErrLinkInvalid for a link that does
// not work (any more).
func (s *Store) LinkUser(ctx context.Context, secret string, p wiki.LinkPurpose) (*wiki.User, error) {
	var user *wiki.User
	err := s.view(ctx, func(tx *bolt.Tx) error {
		l, u, err := s.getLink(tx, secret, p)
		if err == nil {
			user = u.user(l.User)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s link: %w", p, err)
	}
	return user, nil
}

// UseLink sets the password a person chose with a one-time link (and, for
// an invitation, their display name) and consumes the link, in one
// transaction: a link works once, however many tabs submit it. The
// user's sessions end, so that whoever knew the old password is signed
// out. Returns wiki.ErrLinkInvalid for a link that does not work (any
// more) and wiki.ErrInvalidInput for a bad password or name, in which
// case the link stays valid.
func (s *Store) UseLink(ctx context.Context, req wiki.UseLinkRequest) (*wiki.User, error) {
	p, err := wiki.ParseLinkPurpose(string(req.Purpose))
	if err != nil {
		return nil, fmt.Errorf("use link: %w", err)
	}
	pw, err := checkNewPassword(req.Password)
	if err != nil {
		return nil, fmt.Errorf("use %s link: %w", p, err)
	}
	display, err := normalizeDisplayName(req.DisplayName)
	if err != nil {
		return nil, fmt.Errorf("use %s link: %w", p, err)
	}
	// Refuse a dead link before paying for the hash.
	if _, err := s.LinkUser(ctx, req.Secret, p); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return nil, fmt.Errorf("use %s link: %w", p, err)
	}
	var user *wiki.User
	err = s.update(ctx, func(tx *bolt.Tx) error {
		l, u, err := s.getLink(tx, req.Secret, p)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketLinks).Delete(secretKey(req.Secret)); err != nil {
			return err
		}
		u.Password = hash
		if p == wiki.LinkInvite && display != "" {
			u.DisplayName = display
		}
		if err := putUser(tx, l.User, u); err != nil {
			return err
		}
		n, err := endSessionsOf(tx, l.User)
		if err != nil {
			return err
		}
		kind := "invite-accepted"
		if p == wiki.LinkReset {
			kind = "password-reset"
		}
		user = u.user(l.User)
		return s.appendAudit(tx, event(wiki.Actor{Name: l.User, IP: req.IP}, kind, l.User,
			fmt.Sprintf("password set with a one-time link from %s, %d sessions ended", l.By, n)))
	})
	if err != nil {
		return nil, fmt.Errorf("use %s link: %w", p, err)
	}
	return user, nil
}

// PendingInvites returns, per login name, when the live invitation of an
// account that has not chosen a password yet expires.
func (s *Store) PendingInvites(ctx context.Context) (map[string]time.Time, error) {
	now := s.now()
	out := map[string]time.Time{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLinks).ForEach(func(_, v []byte) error {
			var l linkRecord
			if json.Unmarshal(v, &l) != nil || l.Purpose != wiki.LinkInvite || !now.Before(l.Expires) {
				return nil
			}
			if u, err := getUser(tx, l.User); err == nil && u.Password == "" {
				out[l.User] = l.Expires
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pending invitations: %w", err)
	}
	return out, nil
}
