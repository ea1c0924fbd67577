package accounts

import "context"

// reviewsTarget holds the switch for review mail (of proposals, reviews
// and their discussions) in bucketFollows, as mentionsTarget does for
// mention mail: no page name starts with "@".
const reviewsTarget = "@reviews"

// SetReviewMail implements web.FollowStore: it switches the mail about
// proposals, reviews and their discussions on or off for user.
func (s *Store) SetReviewMail(ctx context.Context, user string, on bool) error {
	return s.setMailSwitch(ctx, user, reviewsTarget, on)
}

// ReviewMail implements web.FollowStore: review mail is on until it is
// switched off.
func (s *Store) ReviewMail(ctx context.Context, user string) (bool, error) {
	return s.mailSwitch(ctx, user, reviewsTarget)
}
