package accounts

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file answers the audit log as the BIO asks for it: every record
// complete (action, object, result, origin, actor, time), searchable by
// each of them, and copied as JSON lines to a SIEM.

// Fill-ins for the fields an event must always carry.
const (
	// ActorAnonymous is the actor of an event without a signed-in user.
	ActorAnonymous = "anonymous"
	// ActorServer is the actor of what the server does on its own, such
	// as recording changed settings at start.
	ActorServer = "wikiwerk"
	// OriginLocal is the origin of events from the command line and the
	// server itself.
	OriginLocal = "local"
)

// defaultAuditPage is QueryAudit's page size when the query gives none;
// maxAuditPage bounds it.
const (
	defaultAuditPage = 50
	maxAuditPage     = 1000
)

// completeAudit fills in the fields a record must carry, so that events
// from every caller (including those that predate the Result field) are
// complete.
func completeAudit(e *wiki.AuditEvent) {
	if strings.TrimSpace(e.Actor) == "" {
		e.Actor = ActorAnonymous
	}
	if strings.TrimSpace(e.IP) == "" {
		e.IP = OriginLocal
	}
	switch e.Result {
	case wiki.AuditSuccess, wiki.AuditFailure, wiki.AuditDenied:
	default:
		e.Result = wiki.ResultOf(e.Kind)
	}
	if strings.TrimSpace(e.Subject) == "" {
		// The object of an event about nobody in particular is the wiki.
		e.Subject = "-"
	}
}

// SetAuditSink makes fn receive every audit event once it is committed
// (nil stops it). fn runs while the store's write lock is held, so it
// must be quick and must not call the store. JSONLines makes one that
// writes to a file.
func (s *Store) SetAuditSink(fn func(wiki.AuditEvent)) {
	if fn == nil {
		s.auditSink.Store(nil)
		return
	}
	s.auditSink.Store(&fn)
}

// AuditLine is an audit event as one line of the JSON-lines output, with
// the field names SIEMs map easily.
type AuditLine struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	Object string    `json:"object"`
	Result string    `json:"result"`
	Origin string    `json:"origin"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail"`
}

// JSONLines returns an audit sink that writes each event to w as one
// JSON object and a newline, in a single Write so that lines from several
// processes appending to one file do not interleave. Write errors go to
// onError (which may be nil); the event stays in the database.
func JSONLines(w io.Writer, onError func(error)) func(wiki.AuditEvent) {
	var mu sync.Mutex
	return func(e wiki.AuditEvent) {
		b, err := json.Marshal(AuditLine{Time: e.Time.UTC(), Action: e.Kind, Object: e.Subject, Result: e.Result,
			Origin: e.IP, Actor: e.Actor, Detail: e.Detail})
		if err == nil {
			mu.Lock()
			_, err = w.Write(append(b, '\n'))
			mu.Unlock()
		}
		if err != nil && onError != nil {
			onError(fmt.Errorf("audit log output: %w", err))
		}
	}
}

// QueryAudit returns one page of the events that q selects, newest
// first, with the cursor of the next page. Returns wiki.ErrInvalidInput
// for a cursor it did not make.
func (s *Store) QueryAudit(ctx context.Context, q wiki.AuditQuery) (wiki.AuditPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditPage
	}
	limit = min(limit, maxAuditPage)
	var start []byte
	if q.Before != "" {
		b, err := hex.DecodeString(q.Before)
		if err != nil || len(b) != 8 {
			return wiki.AuditPage{}, fmt.Errorf("audit log: %w: %q is not a page of the audit log", wiki.ErrInvalidInput, q.Before)
		}
		start = b
	}
	var page wiki.AuditPage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if start == nil {
			k, v = c.Last()
		} else {
			// Seek lands on start or the first key after it; either
			// way the page begins at the key before.
			k, _ = c.Seek(start)
			if k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		for ; k != nil; k, v = c.Prev() {
			if len(page.Events) == limit {
				page.Next = hex.EncodeToString(seqKey(binary.BigEndian.Uint64(k) + 1))
				return nil
			}
			var e wiki.AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("damaged audit event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if !q.Since.IsZero() && e.Time.Before(q.Since) {
				// Events are appended in time order: nothing older can
				// match.
				return nil
			}
			completeAudit(&e)
			if auditMatches(q, e) {
				page.Events = append(page.Events, e)
			}
		}
		return nil
	})
	if err != nil {
		return wiki.AuditPage{}, fmt.Errorf("audit log: %w", err)
	}
	return page, nil
}

func auditMatches(q wiki.AuditQuery, e wiki.AuditEvent) bool {
	switch {
	case q.Actor != "" && !strings.EqualFold(q.Actor, e.Actor),
		q.Action != "" && !strings.EqualFold(q.Action, e.Kind),
		q.Result != "" && !strings.EqualFold(q.Result, e.Result),
		q.Object != "" && !strings.Contains(strings.ToLower(e.Subject), strings.ToLower(q.Object)),
		!q.Until.IsZero() && !e.Time.Before(q.Until):
		return false
	}
	return true
}

// keySettings keeps the security settings of the last start, for
// RecordSettings.
var keySettings = []byte("settings")

// RecordSettings compares the security-relevant settings the server
// starts with (name -> value; nothing secret) with those of the last
// start, and records a "settings" event for each that changed, with the
// server as actor. The first start records them all. It returns the
// names that changed.
func (s *Store) RecordSettings(ctx context.Context, settings map[string]string) ([]string, error) {
	var changed []string
	err := s.update(ctx, func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		old := map[string]string{}
		if v := meta.Get(keySettings); v != nil {
			if err := json.Unmarshal(v, &old); err != nil {
				return fmt.Errorf("damaged settings record: %w", err)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(settings)) {
			was, had := old[name]
			now := settings[name]
			if had && was == now {
				continue
			}
			detail := fmt.Sprintf("%q at start", now)
			if had {
				detail = fmt.Sprintf("%q -> %q", was, now)
			}
			changed = append(changed, name)
			e := wiki.AuditEvent{Kind: "settings", Actor: ActorServer, IP: OriginLocal, Subject: name, Detail: detail}
			if err := s.appendAudit(tx, e); err != nil {
				return err
			}
		}
		v, err := json.Marshal(settings)
		if err != nil {
			return err
		}
		return meta.Put(keySettings, v)
	})
	if err != nil {
		return nil, fmt.Errorf("record settings: %w", err)
	}
	return changed, nil
}

// TokenOf describes the personal access token whose secret is given
// (for the audit record of its use). Returns wiki.ErrNotFound for an
// unknown or revoked token.
func (s *Store) TokenOf(ctx context.Context, secret string) (wiki.Token, error) {
	var t tokenRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTokens).Get(secretKey(secret))
		if v == nil {
			return fmt.Errorf("%w: unknown or revoked token", wiki.ErrNotFound)
		}
		return json.Unmarshal(v, &t)
	})
	if err != nil {
		return wiki.Token{}, fmt.Errorf("token: %w", err)
	}
	return t.token(), nil
}
