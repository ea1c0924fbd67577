package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// fakeClock is a time that tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func editorNames(es []editor) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func TestPresenceExpiresWithoutHeartbeat(t *testing.T) {
	c := &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	p := newPresence(c.now)
	page := wiki.Name("WMO-loket/Ontwerp")

	if got := p.beat(page, "anna-session", "Anna"); len(got) != 0 {
		t.Fatalf("first editor sees %v, want nobody", editorNames(got))
	}
	c.advance(10 * time.Second)
	got := p.beat(page, "bram-session", "Bram")
	if fmt.Sprint(editorNames(got)) != "[Anna]" || !got[0].Since.Equal(c.t.Add(-10*time.Second)) {
		t.Fatalf("Bram sees %+v, want Anna since 09:00:00", got)
	}

	// Anna keeps beating, Bram stops: 45 s after his last beat he is
	// still there, a moment later he is gone.
	c.advance(30 * time.Second)
	p.beat(page, "anna-session", "Anna")
	c.advance(15 * time.Second)
	if got := editorNames(p.beat(page, "anna-session", "Anna")); fmt.Sprint(got) != "[Bram]" {
		t.Fatalf("at the TTL Anna sees %v, want [Bram]", got)
	}
	c.advance(time.Second)
	if got := p.beat(page, "anna-session", "Anna"); len(got) != 0 {
		t.Fatalf("after the TTL Anna sees %v, want nobody", editorNames(got))
	}
	// A heartbeat keeps "since" and takes the latest name.
	c.advance(time.Second)
	p.beat(page, "anna-session", "Anna de Vries")
	got = p.beat(page, "carla-session", "")
	if len(got) != 1 || got[0].Name != "Anna de Vries" || !got[0].Since.Equal(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("Carla sees %+v", got)
	}

	// Expired sessions of pages nobody looks at any more are swept too.
	c.advance(time.Minute)
	p.beat("Home", "dirk-session", "Dirk")
	p.mu.Lock()
	size, pages := p.size, len(p.pages)
	p.mu.Unlock()
	if size != 1 || pages != 1 {
		t.Fatalf("after a sweep: %d sessions on %d pages, want 1 on 1", size, pages)
	}
}

func TestPresenceExcludesOwnSessionAndOtherPages(t *testing.T) {
	c := &fakeClock{t: time.Now()}
	p := newPresence(c.now)
	p.beat("A", "session-1", "Anna")
	p.beat("B", "session-2", "Bram")
	c.advance(time.Second)
	p.beat("A", "session-3", "")
	if got := p.beat("A", "session-1", "Anna"); len(got) != 1 || got[0].Name != "" {
		t.Fatalf("Anna on A sees %q, want one nameless editor", editorNames(got))
	}
	// The same person in two tabs is two sessions: each sees the other.
	p.beat("A", "session-4", "Anna")
	if got := editorNames(p.beat("A", "session-1", "Anna")); len(got) != 2 {
		t.Fatalf("Anna's first tab sees %q, want two others", got)
	}
	p.leave("A", "session-4")
	p.leave("A", "session-3")
	if got := p.beat("A", "session-1", "Anna"); len(got) != 0 {
		t.Fatalf("after the others left Anna sees %v", editorNames(got))
	}
	p.leave("A", "unknown-session") // no effect, no panic
	if p.size != 2 {
		t.Fatalf("size = %d, want 2", p.size)
	}
}

func TestPresenceIsBounded(t *testing.T) {
	c := &fakeClock{t: time.Now()}
	p := newPresence(c.now)
	// A hundred pages, so that listing the others stays cheap.
	for i := range presenceMaxSessions + 10 {
		p.beat(wiki.Name(fmt.Sprintf("P%d", i%100)), fmt.Sprintf("session-%06d", i), "")
	}
	if p.size != presenceMaxSessions {
		t.Fatalf("size = %d, want the bound %d", p.size, presenceMaxSessions)
	}
	if got := p.beat("P0", "one-more-session", ""); len(got) != presenceMaxListed {
		t.Fatalf("listed %d editors, want the bound %d", len(got), presenceMaxListed)
	}
	// Once the old sessions expire there is room again.
	c.advance(presenceTTL + time.Second)
	p.beat("Home", "late-session", "Laat")
	if got := editorNames(p.beat("Home", "later-session", "")); fmt.Sprint(got) != "[Laat]" {
		t.Fatalf("after expiry: %v", got)
	}
}
