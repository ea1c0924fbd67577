package accounts

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// reviewsTarget holds the switch for review mail (of proposals, reviews
// and their discussions) in bucketFollows, as mentionsTarget does for
// mention mail: no page name starts with "@".
const reviewsTarget = "@reviews"

// SetReviewMail implements web.FollowStore: it switches the mail about
// proposals, reviews and their discussions on or off for user.
func (s *Store) SetReviewMail(ctx context.Context, user string, on bool) error {
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
			return b.Delete(followKey(n, reviewsTarget))
		}
		return b.Put(followKey(n, reviewsTarget), v)
	})
}

// ReviewMail implements web.FollowStore: review mail is on until it is
// switched off.
func (s *Store) ReviewMail(ctx context.Context, user string) (bool, error) {
	n, err := normalizeName(user)
	if err != nil {
		return false, err
	}
	on := true
	err = s.view(ctx, func(tx *bolt.Tx) error {
		on = tx.Bucket(bucketFollows).Get(followKey(n, reviewsTarget)) == nil
		return nil
	})
	return on, err
}
