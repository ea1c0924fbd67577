package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// UnsubscribeKey derives the key that signs unsubscribe links from the
// server's key (DATA/csrf.key), so that both the notifier, which writes
// the links, and the web server, which checks them, have it without a
// second secret to keep.
func UnsubscribeKey(serverKey []byte) []byte {
	h := hmac.New(sha256.New, serverKey)
	h.Write([]byte("wikiwerk notify unsubscribe key v1"))
	return h.Sum(nil)
}

// TopicKind is what an unsubscribe link stops.
type TopicKind string

// The kinds of unsubscribe topics.
const (
	// TopicFollow stops one follow (a page or a folder).
	TopicFollow TopicKind = "follow"
	// TopicDigest stops every follow in daily-digest mode.
	TopicDigest TopicKind = "digest"
	// TopicMention stops mail about mentions.
	TopicMention TopicKind = "mention"
	// TopicReview stops mail about proposals, reviews and their
	// discussions (review.go).
	TopicReview TopicKind = "review"
)

// Topic is the meaning of a signed unsubscribe link: mail.Unsubscribe's
// Topic, parsed.
type Topic struct {
	Kind TopicKind
	// User is the login name the mail went to.
	User string
	// Target is the page or folder, for TopicFollow.
	Target string
}

// String encodes the topic as kind:user[:target]. Login names hold no
// ":", so the target is everything after the second one.
func (t Topic) String() string {
	s := string(t.Kind) + ":" + t.User
	if t.Kind == TopicFollow {
		s += ":" + t.Target
	}
	return s
}

// ParseTopic reads what Topic.String wrote; an error wraps
// wiki.ErrInvalidInput.
func ParseTopic(s string) (Topic, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return Topic{}, fmt.Errorf("%w: unsubscribe topic %q", wiki.ErrInvalidInput, s)
	}
	t := Topic{Kind: TopicKind(kind), User: rest}
	switch t.Kind {
	case TopicFollow:
		user, target, ok := strings.Cut(rest, ":")
		if !ok {
			return Topic{}, fmt.Errorf("%w: unsubscribe topic %q", wiki.ErrInvalidInput, s)
		}
		tgt, err := wiki.ParseFollowTarget(target)
		if err != nil {
			return Topic{}, err
		}
		t.User, t.Target = user, tgt
	case TopicDigest, TopicMention, TopicReview:
	default:
		return Topic{}, fmt.Errorf("%w: unsubscribe topic %q", wiki.ErrInvalidInput, s)
	}
	return t, nil
}
