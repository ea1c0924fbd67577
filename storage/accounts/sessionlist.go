package accounts

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file lets people see and end their own sessions.

// lastSeenEvery is how stale a session's LastSeen may get before a
// request writes it again: often enough for "last used", rarely enough
// that reading pages does not mean a database write each time.
const lastSeenEvery = 5 * time.Minute

// maxAgentLen bounds the user agent kept with a session.
const maxAgentLen = 200

// sessionID is the public name of a session: the first 8 bytes of the
// hash of its secret, in hex. It tells sessions apart in a list and
// cannot be turned back into a cookie.
func sessionID(key []byte) string { return hex.EncodeToString(key[:8]) }

// touchSession writes LastSeen; best-effort, as a failure costs only the
// precision of the list.
func (s *Store) touchSession(ctx context.Context, key []byte, now time.Time) {
	_ = s.update(ctx, func(tx *bolt.Tx) error {
		return updateSession(tx, key, func(r *sessionRecord) { r.LastSeen = now.UTC() })
	})
}

func updateSession(tx *bolt.Tx, key []byte, change func(*sessionRecord)) error {
	b := tx.Bucket(bucketSessions)
	v := b.Get(key)
	if v == nil {
		return nil
	}
	var r sessionRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil
	}
	change(&r)
	nv, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(key, nv)
}

// NoteSessionClient records the client address and user agent of a new
// session, for its owner's list.
func (s *Store) NoteSessionClient(ctx context.Context, id, ip, agent string) error {
	if !wellFormedSecret(id) {
		return nil
	}
	agent = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(agent, ""))
	if len(agent) > maxAgentLen {
		agent = strings.ToValidUTF8(agent[:maxAgentLen], "")
	}
	now := s.now().UTC()
	err := s.update(ctx, func(tx *bolt.Tx) error {
		return updateSession(tx, secretKey(id), func(r *sessionRecord) {
			r.IP, r.Agent, r.LastSeen = ip, agent, now
		})
	})
	if err != nil {
		return fmt.Errorf("note session: %w", err)
	}
	return nil
}

// Sessions lists the user's live sessions, newest first; current (a
// session secret, may be "") is marked.
func (s *Store) Sessions(ctx context.Context, user, current string) ([]wiki.Session, error) {
	name, err := normalizeName(user)
	if err != nil {
		return nil, fmt.Errorf("sessions: user %q: %w", user, wiki.ErrNotFound)
	}
	var cur string
	if wellFormedSecret(current) {
		cur = sessionID(secretKey(current))
	}
	now := s.now()
	var list []wiki.Session
	err = s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			var r sessionRecord
			if json.Unmarshal(v, &r) != nil || r.User != name || !now.Before(r.Expires) {
				return nil
			}
			id := sessionID(k)
			last := r.LastSeen
			if last.IsZero() {
				last = r.Created
			}
			list = append(list, wiki.Session{ID: id, Created: r.Created, LastSeen: last, Expires: r.Expires,
				IP: r.IP, Agent: r.Agent, Current: id == cur})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("sessions of %q: %w", name, err)
	}
	slices.SortFunc(list, func(a, b wiki.Session) int { return b.Created.Compare(a.Created) })
	return list, nil
}

// EndSessionOf ends one of the user's sessions by its public ID. Returns
// wiki.ErrNotFound when the user has no such session.
func (s *Store) EndSessionOf(ctx context.Context, by wiki.Actor, user, id string) error {
	name, err := normalizeName(user)
	if err != nil {
		return fmt.Errorf("end session: user %q: %w", user, wiki.ErrNotFound)
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		n := 0
		b := tx.Bucket(bucketSessions)
		var doomed []byte
		err := b.ForEach(func(k, v []byte) error {
			var r sessionRecord
			if json.Unmarshal(v, &r) == nil && r.User == name && sessionID(k) == id {
				doomed = append([]byte(nil), k...)
				n++
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("session %q: %w", id, wiki.ErrNotFound)
		}
		if err := b.Delete(doomed); err != nil {
			return err
		}
		return s.appendAudit(tx, event(by, "session-ended", name, "session "+id))
	})
	if err != nil {
		return fmt.Errorf("end session of %q: %w", name, err)
	}
	return nil
}

// EndOtherSessions ends all of the user's sessions but current (a session
// secret; "" ends them all) and returns how many ended.
func (s *Store) EndOtherSessions(ctx context.Context, by wiki.Actor, user, current string) (int, error) {
	name, err := normalizeName(user)
	if err != nil {
		return 0, fmt.Errorf("end sessions: user %q: %w", user, wiki.ErrNotFound)
	}
	var keep string
	if wellFormedSecret(current) {
		keep = string(secretKey(current))
	}
	n := 0
	err = s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		var doomed [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var r sessionRecord
			if json.Unmarshal(v, &r) == nil && r.User == name && string(k) != keep {
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
		n = len(doomed)
		return s.appendAudit(tx, event(by, "sessions-ended", name, fmt.Sprintf("%d other sessions ended", n)))
	})
	if err != nil {
		return 0, fmt.Errorf("end sessions of %q: %w", name, err)
	}
	return n, nil
}
