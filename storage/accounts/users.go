package accounts

import (
	"context"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds account management on the web: accounts made for an
// invitation, changes of several fields at once, and whether an account
// has a password at all.

// CreateInvited makes an account without a password, for a person who
// chooses one through an invitation (NewLink with wiki.LinkInvite). Until
// then nobody can sign in to it. Errors as CreateBy.
func (s *Store) CreateInvited(ctx context.Context, by wiki.Actor, u wiki.User) (*wiki.User, error) {
	name, rec, err := newRecord(u)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	rec.Created = s.now().UTC()
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(name)) != nil {
			return wiki.ErrNameTaken
		}
		if err := putUser(tx, name, rec); err != nil {
			return err
		}
		return s.appendAudit(tx, event(by, "user-created", name, "role "+string(rec.Role)+", to be invited"))
	})
	if err != nil {
		return nil, fmt.Errorf("create user %q: %w", name, err)
	}
	return rec.user(name), nil
}

// normalizeLang accepts the languages of the wiki, "" for its default.
func normalizeLang(s string) (string, error) {
	switch l := strings.ToLower(strings.TrimSpace(s)); l {
	case "", "nl", "en":
		return l, nil
	}
	return "", fmt.Errorf("%w: %q is not a language of the wiki (nl or en)", wiki.ErrInvalidInput, s)
}

// UpdateUser changes the fields of an account that ch sets, all or none,
// and records each change in the audit log. Disabling ends the user's
// sessions, as SetDisabled does. Returns the account as it is now,
// wiki.ErrNotFound for an unknown user and wiki.ErrInvalidInput for a bad
// value (nothing is changed then).
func (s *Store) UpdateUser(ctx context.Context, by wiki.Actor, name string, ch wiki.UserUpdate) (*wiki.User, error) {
	var (
		display, email, lang *string
		role                 *wiki.Role
		groups               *[]string
	)
	if ch.DisplayName != nil {
		v, err := normalizeDisplayName(*ch.DisplayName)
		if err != nil {
			return nil, fmt.Errorf("update user %q: %w", name, err)
		}
		display = &v
	}
	if ch.Email != nil {
		v, err := normalizeEmail(*ch.Email)
		if err != nil {
			return nil, fmt.Errorf("update user %q: %w", name, err)
		}
		email = &v
	}
	if ch.Lang != nil {
		v, err := normalizeLang(*ch.Lang)
		if err != nil {
			return nil, fmt.Errorf("update user %q: %w", name, err)
		}
		lang = &v
	}
	if ch.Role != nil {
		v, err := wiki.ParseRole(string(*ch.Role))
		if err != nil {
			return nil, fmt.Errorf("update user %q: %w", name, err)
		}
		role = &v
	}
	if ch.Groups != nil {
		v, err := normalizeGroups(*ch.Groups)
		if err != nil {
			return nil, fmt.Errorf("update user %q: %w", name, err)
		}
		groups = &v
	}
	n, err := normalizeName(name)
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", name, wiki.ErrNotFound)
	}
	var user *wiki.User
	err = s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getUser(tx, n)
		if err != nil {
			return err
		}
		var events []wiki.AuditEvent
		note := func(kind, detail string) { events = append(events, event(by, kind, n, detail)) }
		if display != nil && *display != r.DisplayName {
			r.DisplayName = *display
			note("profile", "display name changed")
		}
		if email != nil && *email != r.Email {
			r.Email = *email
			// The address itself is personal data; the log says only
			// that it changed.
			note("profile", "e-mail address changed")
		}
		if lang != nil && *lang != r.Lang {
			r.Lang = *lang
			note("profile", "language "+*lang)
		}
		if role != nil && *role != r.Role {
			note("role", fmt.Sprintf("%s -> %s", r.Role, *role))
			r.Role = *role
		}
		if groups != nil && !slices.Equal(*groups, r.Groups) {
			note("groups", fmt.Sprintf("%s -> %s", strings.Join(r.Groups, ","), strings.Join(*groups, ",")))
			r.Groups = *groups
		}
		if ch.Disabled != nil && *ch.Disabled != r.Disabled {
			r.Disabled = *ch.Disabled
			if r.Disabled {
				ended, err := endSessionsOf(tx, n)
				if err != nil {
					return err
				}
				note("disable", fmt.Sprintf("%d sessions ended", ended))
			} else {
				note("enable", "")
			}
		}
		if err := putUser(tx, n, r); err != nil {
			return err
		}
		for _, e := range events {
			if err := s.appendAudit(tx, e); err != nil {
				return err
			}
		}
		user = r.user(n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update user %q: %w", n, err)
	}
	return user, nil
}

// HasPassword reports whether the account has a password: not when it
// signs in only through single sign-on, or was invited and has not
// chosen one yet.
func (s *Store) HasPassword(ctx context.Context, name string) (bool, error) {
	n, err := normalizeName(name)
	if err != nil {
		return false, fmt.Errorf("user %q: %w", name, wiki.ErrNotFound)
	}
	has := false
	err = s.view(ctx, func(tx *bolt.Tx) error {
		r, err := getUser(tx, n)
		if err == nil {
			has = r.Password != ""
		}
		return err
	})
	return has, err
}
