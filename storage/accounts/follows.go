package accounts

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Layout of bucketFollows. Two key spaces share it:
//
//	login NUL target          -> followRecord   (what a person follows)
//	NUL target NUL login      -> empty          (who follows a target)
//
// A login name never begins with NUL, so the two never mix. The second
// lets a change find its followers without reading every follow. The
// target "@mentions" (no page name starts with "@") holds the switch for
// mention mail.
const mentionsTarget = "@mentions"

// followRecord is one follow as stored.
type followRecord struct {
	Mode  wiki.FollowMode `json:"mode"`
	Since time.Time       `json:"since"`
	// Off is set on the mentions record when mention mail is off.
	Off bool `json:"off,omitempty"`
}

func followKey(login, target string) []byte {
	return []byte(login + "\x00" + target)
}

func followerKey(target, login string) []byte {
	return []byte("\x00" + target + "\x00" + login)
}

// followLogin checks and normalises the login name of a follow call.
func followLogin(ctx context.Context, s *Store, user string) (string, error) {
	n, err := normalizeName(user)
	if err != nil {
		return "", err
	}
	err = s.view(ctx, func(tx *bolt.Tx) error {
		_, err := getUser(tx, n)
		return err
	})
	return n, err
}

// Follow implements web.FollowStore.
func (s *Store) Follow(ctx context.Context, user, target string, mode wiki.FollowMode) error {
	t, err := wiki.ParseFollowTarget(target)
	if err != nil {
		return err
	}
	if mode, err = wiki.ParseFollowMode(string(mode)); err != nil {
		return err
	}
	n, err := normalizeName(user)
	if err != nil {
		return err
	}
	v, err := json.Marshal(followRecord{Mode: mode, Since: s.now().UTC()})
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		if _, err := getUser(tx, n); err != nil {
			return err
		}
		b := tx.Bucket(bucketFollows)
		if err := b.Put(followKey(n, t), v); err != nil {
			return err
		}
		return b.Put(followerKey(t, n), nil)
	})
}

// Unfollow implements web.FollowStore.
func (s *Store) Unfollow(ctx context.Context, user, target string) error {
	t, err := wiki.ParseFollowTarget(target)
	if err != nil {
		return err
	}
	n, err := normalizeName(user)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFollows)
		if err := b.Delete(followKey(n, t)); err != nil {
			return err
		}
		return b.Delete(followerKey(t, n))
	})
}

// Follows implements web.FollowStore.
func (s *Store) Follows(ctx context.Context, user string) ([]wiki.Follow, error) {
	n, err := followLogin(ctx, s, user)
	if err != nil {
		return nil, err
	}
	var out []wiki.Follow
	prefix := []byte(n + "\x00")
	err = s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFollows).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			target := string(k[len(prefix):])
			if target == mentionsTarget || target == reviewsTarget {
				// Switches of mail, not follows.
				continue
			}
			var r followRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("follow %q: damaged record: %w", k, err)
			}
			out = append(out, wiki.Follow{User: n, Target: target, Mode: r.Mode, Since: r.Since})
		}
		return nil
	})
	return out, err
}

// Followers implements web.FollowStore.
func (s *Store) Followers(ctx context.Context, page wiki.Name) ([]wiki.Follow, error) {
	var out []wiki.Follow
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFollows)
		c := b.Cursor()
		for _, t := range wiki.FollowTargets(page) {
			prefix := followerKey(t, "")
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				login := string(k[len(prefix):])
				v := b.Get(followKey(login, t))
				if v == nil {
					continue
				}
				var r followRecord
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("follow %q of %q: damaged record: %w", t, login, err)
				}
				out = append(out, wiki.Follow{User: login, Target: t, Mode: r.Mode, Since: r.Since})
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b wiki.Follow) int { return cmp.Compare(a.User, b.User) })
	return out, err
}

// SetMentionMail implements web.FollowStore.
func (s *Store) SetMentionMail(ctx context.Context, user string, on bool) error {
	return s.setMailSwitch(ctx, user, mentionsTarget, on)
}

// MentionMail implements web.FollowStore.
func (s *Store) MentionMail(ctx context.Context, user string) (bool, error) {
	return s.mailSwitch(ctx, user, mentionsTarget)
}

// setMailSwitch switches one kind of mail (mentionsTarget, reviewsTarget)
// on or off for user. Off is a record under that target in
// bucketFollows; on is its absence, so mail is on until switched off.
func (s *Store) setMailSwitch(ctx context.Context, user, target string, on bool) error {
	n, err := normalizeName(user)
	if err != nil {
		return err
	}
	v, err := json.Marshal(followRecord{Since: s.now().UTC(), Off: true})
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		if _, err := getUser(tx, n); err != nil {
			return err
		}
		b := tx.Bucket(bucketFollows)
		if on {
			return b.Delete(followKey(n, target))
		}
		return b.Put(followKey(n, target), v)
	})
}

// mailSwitch reports whether one kind of mail is on for user.
func (s *Store) mailSwitch(ctx context.Context, user, target string) (bool, error) {
	n, err := normalizeName(user)
	if err != nil {
		return false, err
	}
	on := true
	err = s.view(ctx, func(tx *bolt.Tx) error {
		on = tx.Bucket(bucketFollows).Get(followKey(n, target)) == nil
		return nil
	})
	return on, err
}

func seenKey(login string, page wiki.Name) []byte {
	return []byte(login + "\x00" + string(page))
}

// Seen implements web.FollowStore.
func (s *Store) Seen(ctx context.Context, user string, pages ...wiki.Name) (map[wiki.Name]string, error) {
	n, err := normalizeName(user)
	if err != nil {
		return nil, err
	}
	out := make(map[wiki.Name]string, len(pages))
	err = s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeen)
		for _, p := range pages {
			out[p] = string(b.Get(seenKey(n, p)))
		}
		return nil
	})
	return out, err
}

// MarkSeen implements web.FollowStore. Page views call it: a view of a
// page already seen at rev only reads, and writes of many views share
// one transaction and fsync (bbolt's Batch).
func (s *Store) MarkSeen(ctx context.Context, user string, page wiki.Name, rev string) error {
	n, err := normalizeName(user)
	if err != nil {
		return err
	}
	if rev == "" {
		return fmt.Errorf("%w: mark seen: no revision", wiki.ErrInvalidInput)
	}
	k := seenKey(n, page)
	same := false
	if err := s.view(ctx, func(tx *bolt.Tx) error {
		same = string(tx.Bucket(bucketSeen).Get(k)) == rev
		return nil
	}); err != nil || same {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Batch(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSeen).Put(k, []byte(rev))
	})
}
