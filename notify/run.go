package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// retryFlush is how soon a failed hand-over to the mail queue is tried
// again.
const retryFlush = 30 * time.Second

// Run hands the outbox to the mail queue whenever Apply filled it, and
// sends the daily digests at Options.DigestAt, until ctx is done. A
// digest time missed while the server was down is caught up at once.
func (n *Notifier) Run(ctx context.Context) {
	for {
		wait := 24 * time.Hour
		if err := n.flush(ctx); err != nil {
			n.log.Warn("notify: hand mail to the queue", "err", err)
			wait = retryFlush
		}
		now := n.opt.Clock.Now()
		due := n.lastDigestTime(now)
		if err := n.digestIfDue(ctx, due); err != nil {
			n.log.Warn("notify: daily digest", "err", err)
			wait = retryFlush
		} else if err := n.flush(ctx); err != nil {
			n.log.Warn("notify: hand mail to the queue", "err", err)
			wait = retryFlush
		}
		next := n.nextDigestTime(due)
		wait = min(wait, next.Sub(now))
		timer := n.opt.Clock.After(wait)
		if n.opt.Clock.Now().Sub(now) > time.Second {
			// The clock moved on while this turn ran (a test's clock
			// jumps; a real one stalls under load): the wait was worked
			// out from a stale now, so look again instead.
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-n.kick:
		case <-timer:
		}
	}
}

// lastDigestTime is the latest digest time at or before now.
func (n *Notifier) lastDigestTime(now time.Time) time.Time {
	l := now.In(n.opt.Location)
	y, m, d := l.Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, n.opt.Location).Add(n.opt.DigestAt)
	if t.After(l) {
		t = time.Date(y, m, d-1, 0, 0, 0, 0, n.opt.Location).Add(n.opt.DigestAt)
	}
	return t
}

// nextDigestTime is the digest time the day after due, by the calendar
// (a day with a clock change is not 24 hours).
func (n *Notifier) nextDigestTime(due time.Time) time.Time {
	y, m, d := due.In(n.opt.Location).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, n.opt.Location).Add(n.opt.DigestAt)
}

// digestIfDue sends the digests of due unless they were sent: it turns
// every person's waiting entries into one mail in the outbox, in the
// transaction that removes the entries and records due as sent. The
// first time, it only records due: there is nothing from before.
func (n *Notifier) digestIfDue(ctx context.Context, due time.Time) error {
	var last time.Time
	if err := n.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyLastDigest); v != nil {
			return last.UnmarshalText(v)
		}
		return nil
	}); err != nil {
		return err
	}
	if !last.IsZero() && !due.After(last) {
		return nil
	}
	byUser := map[string][]entry{}
	var keys [][]byte
	var order []string
	err := n.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDigest).ForEach(func(k, v []byte) error {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				return nil
			}
			var e entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("digest entry %q: %w", k, err)
			}
			login := string(k[:i])
			if _, ok := byUser[login]; !ok {
				order = append(order, login)
			}
			byUser[login] = append(byUser[login], e)
			keys = append(keys, append([]byte(nil), k...))
			return nil
		})
	})
	if err != nil {
		return err
	}
	var out []mail.Message
	for _, login := range order {
		u, err := n.opt.Accounts.User(ctx, login)
		if err != nil || u.Disabled || u.Email == "" || !n.opt.Policy.CanRead(u) {
			// The account is gone or may no longer hear of changes.
			continue
		}
		es, err := n.stillFollowed(ctx, login, byUser[login])
		if err != nil {
			return err
		}
		if len(es) == 0 {
			continue
		}
		m, err := n.digestMail(u, es, due)
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	stamp, err := due.UTC().MarshalText()
	if err != nil {
		return err
	}
	err = n.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		for _, m := range out {
			if err := putSeq(ob, nil, m); err != nil {
				return err
			}
		}
		db := tx.Bucket(bucketDigest)
		for _, k := range keys {
			if err := db.Delete(k); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyLastDigest, stamp)
	})
	if err == nil && len(out) > 0 {
		n.log.Info("notify: daily digest", "mails", len(out), "entries", len(keys))
	}
	return err
}

// stillFollowed keeps the entries whose follow the person still has:
// one stopped since the change (say by an unsubscribe link) is not
// reported any more.
func (n *Notifier) stillFollowed(ctx context.Context, login string, es []entry) ([]entry, error) {
	var out []entry
	known := map[wiki.Name][]wiki.Follow{}
	for _, e := range es {
		fs, ok := known[e.Change.Page]
		if !ok {
			var err error
			if fs, err = n.opt.Accounts.Followers(ctx, e.Change.Page); err != nil {
				return nil, fmt.Errorf("followers of %s: %w", e.Change.Page, err)
			}
			known[e.Change.Page] = fs
		}
		for _, f := range fs {
			if f.User == login && f.Target == e.Target {
				out = append(out, e)
				break
			}
		}
	}
	return out, nil
}

// flush hands every mail of the outbox to the mail queue, each removed
// from the outbox once the queue has it durably.
func (n *Notifier) flush(ctx context.Context) error {
	n.flushMu.Lock()
	defer n.flushMu.Unlock()
	type item struct {
		k []byte
		m mail.Message
	}
	var items []item
	err := n.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			var m mail.Message
			if err := json.Unmarshal(v, &m); err != nil {
				n.log.Warn("notify: damaged mail in the outbox, dropped", "err", err)
			}
			items = append(items, item{append([]byte(nil), k...), m})
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.m.Text != "" {
			_, err := n.opt.Mailer.Enqueue(ctx, it.m)
			if errors.Is(err, mail.ErrInvalidAddress) || errors.Is(err, mail.ErrHeaderInjection) {
				// Trying again cannot help: the address is not one mail
				// can go to.
				n.log.Warn("notify: mail dropped", "err", err)
			} else if err != nil {
				return fmt.Errorf("enqueue mail: %w", err)
			}
		}
		if err := n.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketOutbox).Delete(it.k) }); err != nil {
			return err
		}
	}
	return nil
}

// Pending returns the number of mails in the outbox and of changes
// waiting for a digest.
func (n *Notifier) Pending() (outbox, digest int) {
	_ = n.db.View(func(tx *bolt.Tx) error {
		outbox = tx.Bucket(bucketOutbox).Stats().KeyN
		digest = tx.Bucket(bucketDigest).Stats().KeyN
		return nil
	})
	return outbox, digest
}
