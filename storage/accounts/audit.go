package accounts

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// maxAuditField bounds each text field of an audit event, so that a
// hostile request (a long user name at sign-in, say) cannot bloat the log.
const maxAuditField = 1000

// defaultAuditLimit is AuditLog's page size when the caller gives none.
const defaultAuditLimit = 100

// event is an audit event by an actor; appendAudit sets its time.
func event(by wiki.Actor, kind, subject, detail string) wiki.AuditEvent {
	return wiki.AuditEvent{Kind: kind, Actor: by.Name, IP: by.IP, Subject: subject, Detail: detail}
}

// Record appends an event to the audit log. A zero Time means now. Text
// fields are cut to 1000 bytes and their control characters replaced, so
// that the log cannot be forged with embedded newlines. Returns
// wiki.ErrInvalidInput without a Kind.
func (s *Store) Record(ctx context.Context, e wiki.AuditEvent) error {
	if strings.TrimSpace(e.Kind) == "" {
		return fmt.Errorf("audit: %w: an event needs a kind", wiki.ErrInvalidInput)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error { return s.appendAudit(tx, e) })
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// appendAudit adds e under the next sequence number and drops the oldest
// events beyond the store's limit.
func (s *Store) appendAudit(tx *bolt.Tx, e wiki.AuditEvent) error {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	completeAudit(&e)
	for _, f := range []*string{&e.Kind, &e.Actor, &e.Subject, &e.Detail, &e.IP, &e.Result} {
		*f = cleanAuditField(*f)
	}
	if sink := s.auditSink.Load(); sink != nil {
		// Only what was really recorded leaves the process.
		tx.OnCommit(func() { (*sink)(e) })
	}
	b := tx.Bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := b.Put(seqKey(seq), v); err != nil {
		return err
	}
	if seq <= uint64(s.maxAudit) {
		return nil
	}
	// Sequence numbers have no gaps (a rolled-back transaction rolls
	// its sequence back too), so everything at or below cutoff goes.
	cutoff := seq - uint64(s.maxAudit)
	var doomed [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= cutoff; k, _ = c.Next() {
		doomed = append(doomed, append([]byte(nil), k...))
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

func cleanAuditField(s string) string {
	if len(s) > maxAuditField {
		s = s[:maxAuditField]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// AuditLog returns up to limit events, newest first; limit <= 0 means 100.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]wiki.AuditEvent, error) {
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	var events []wiki.AuditEvent
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(events) < limit; k, v = c.Prev() {
			var e wiki.AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("damaged audit event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			completeAudit(&e) // events recorded before every field was
			events = append(events, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return events, nil
}
