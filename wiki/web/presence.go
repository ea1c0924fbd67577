package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Limits of the presence registry and of what a heartbeat may carry.
const (
	// presenceTTL is how long a session counts as editing after its last
	// heartbeat; editor.js sends one every 15 s.
	presenceTTL = 45 * time.Second
	// presenceMaxSessions bounds the registry's memory. When it is full,
	// new sessions are answered but not recorded.
	presenceMaxSessions = 10000
	// presenceMaxListed bounds the editors listed in one answer.
	presenceMaxListed = 50
	// Session ids are random tokens from the browser.
	minSessionLen, maxSessionLen = 8, 64
	// maxEditorName matches the name field of the edit form.
	maxEditorName = 200
)

// presence is the registry of open editors: page -> session -> entry. It is
// owned by a Server and safe for concurrent use.
type presence struct {
	now func() time.Time

	mu    sync.Mutex
	pages map[wiki.Name]map[string]*presenceEntry
	size  int       // sessions recorded, over all pages
	swept time.Time // when expired entries were last removed everywhere
}

type presenceEntry struct {
	name  string
	since time.Time // first heartbeat
	seen  time.Time // last heartbeat
}

// editor is someone else who has a page's editor open.
type editor struct {
	// Name is the name the editor typed; "" when they gave none.
	Name string `json:"name"`
	// Since is when they opened the editor.
	Since time.Time `json:"since"`
}

// newPresence returns an empty registry that reads the time from now;
// nil means time.Now. Tests pass a clock of their own.
func newPresence(now func() time.Time) *presence {
	if now == nil {
		now = time.Now
	}
	return &presence{now: now, pages: map[wiki.Name]map[string]*presenceEntry{}}
}

// beat records that session has page's editor open under name, and returns
// the other sessions editing page, longest first.
func (p *presence) beat(page wiki.Name, session, name string) []editor {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.swept) >= presenceTTL || p.size >= presenceMaxSessions {
		p.sweep(now)
	}
	sessions := p.pages[page]
	if e, ok := sessions[session]; ok {
		e.name, e.seen = name, now
	} else if p.size < presenceMaxSessions {
		if sessions == nil {
			sessions = map[string]*presenceEntry{}
			p.pages[page] = sessions
		}
		sessions[session] = &presenceEntry{name: name, since: now, seen: now}
		p.size++
	}
	others := []editor{}
	for id, e := range sessions {
		if id != session && !p.expired(e, now) {
			others = append(others, editor{Name: e.name, Since: e.since})
		}
	}
	slices.SortFunc(others, func(a, b editor) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(others) > presenceMaxListed {
		others = others[:presenceMaxListed]
	}
	return others
}

// leave forgets session's editor of page.
func (p *presence) leave(page wiki.Name, session string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sessions := p.pages[page]
	if _, ok := sessions[session]; !ok {
		return
	}
	delete(sessions, session)
	p.size--
	if len(sessions) == 0 {
		delete(p.pages, page)
	}
}

func (p *presence) expired(e *presenceEntry, now time.Time) bool {
	return now.Sub(e.seen) > presenceTTL
}

// sweep removes expired sessions everywhere. The caller holds mu.
func (p *presence) sweep(now time.Time) {
	for page, sessions := range p.pages {
		for id, e := range sessions {
			if p.expired(e, now) {
				delete(sessions, id)
				p.size--
			}
		}
		if len(sessions) == 0 {
			delete(p.pages, page)
		}
	}
	p.swept = now
}

// registerPresenceRoutes registers the presence API on the /-/api/ router.
// Presence tells an editor who else has the same page's editor open, and
// whether someone saved the page since the editor was opened. It is a hint
// for people, not a lock: saves are protected by the base revision and the
// merge on the server whether or not anyone's browser runs the script
// (themes/default/static/editor.js) that asks for it.
//
// The API is plain request and answer, so that it works behind any
// reverse proxy:
//
//	POST   /-/api/presence/{page}               heartbeat: {"session", "name", "base"}
//	DELETE /-/api/presence/{page}?session=ID    the editor was closed (204)
//
// The heartbeat answers
//
//	{"editors": [{"name", "since"}], "revision", "changed", "last_change"}
//
// where editors are the others editing the page (never the caller's own
// session), longest first; revision is the page's current revision ("" when
// it does not exist); changed is true when revision differs from the
// caller's base; and last_change is the last commit that changed the page
// (its deletion, when it was deleted), or null for a page that never
// existed. A session that sends no heartbeat for presenceTTL is forgotten,
// so a browser that crashes or loses its network drops out by itself. The
// leave call is DELETE because a page being closed can still send it with
// fetch(..., {keepalive: true}); a suffix route such as ".../leave" would
// make a page whose name ends in "leave" unreachable.
//
// Refused with 400: an invalid page name, a session that is not 8 to 64
// letters, digits, "-" or "_", a name over 200 characters or with control
// characters, a base that is not a revision id. Both calls need the right
// to edit the page (401 or 403 otherwise); from a browser signed in with a
// session cookie they also need the page's CSRF token in X-CSRF-Token. A
// signed-in editor is shown by their account's name, whatever the body
// says.
func (s *Server) registerPresenceRoutes(r *mux.Router) {
	r.Handle("/presence/{page:.+}", s.api(s.handlePresenceBeat)).Methods(http.MethodPost)
	r.Handle("/presence/{page:.+}", s.api(s.handlePresenceLeave)).Methods(http.MethodDelete)
}

// presenceJSON is the answer to a heartbeat.
type presenceJSON struct {
	Editors    []editor      `json:"editors"`
	Revision   string        `json:"revision"`
	Changed    bool          `json:"changed"`
	LastChange *revisionJSON `json:"last_change"`
}

func (s *Server) handlePresenceBeat(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	var body struct {
		Session string `json:"session"`
		Name    string `json:"name"`
		Base    string `json:"base"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	body.Name = strings.TrimSpace(body.Name)
	if u := currentUser(r); u != nil {
		// Others see a signed-in editor by their account's name.
		body.Name = u.Author().Name
	}
	if err := checkSession(body.Session); err != nil {
		return err
	}
	if err := checkEditorName(body.Name); err != nil {
		return err
	}
	if !isRevision(body.Base) {
		return fmt.Errorf("%w: base is not a revision id", wiki.ErrInvalidInput)
	}
	out := presenceJSON{Editors: s.presence.beat(name, body.Session, body.Name)}
	p, err := s.wiki.Page(r.Context(), name, "")
	switch {
	case err == nil:
		out.Revision = p.Revision.ID
		out.LastChange = new(toRevisionJSON(p.Revision))
	case errors.Is(err, wiki.ErrNotFound):
		// Deleted meanwhile, or not created yet: the last change, if any,
		// is the deletion.
		revs, err := s.wiki.History(r.Context(), name, wiki.HistoryQuery{Limit: 1})
		if err != nil {
			return err
		}
		if len(revs) > 0 {
			out.LastChange = new(toRevisionJSON(revs[0].Revision))
		}
	default:
		return err
	}
	out.Changed = out.Revision != body.Base
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handlePresenceLeave(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	session := r.URL.Query().Get("session")
	if err := checkSession(session); err != nil {
		return err
	}
	s.presence.leave(name, session)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkSession accepts the random ids browsers make: letters, digits, "-"
// and "_".
func checkSession(id string) error {
	if len(id) < minSessionLen || len(id) > maxSessionLen {
		return fmt.Errorf("%w: session must be %d to %d characters", wiki.ErrInvalidInput, minSessionLen, maxSessionLen)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: session may hold only letters, digits, - and _", wiki.ErrInvalidInput)
		}
	}
	return nil
}

// checkEditorName refuses names that are too long to be names, or that hold
// control characters (which could break the lines they are shown in).
func checkEditorName(name string) error {
	if utf8.RuneCountInString(name) > maxEditorName {
		return fmt.Errorf("%w: name is longer than %d characters", wiki.ErrInvalidInput, maxEditorName)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: name holds control characters", wiki.ErrInvalidInput)
	}
	return nil
}

// isRevision reports whether s is "" (no revision: the page is being
// created) or a hex commit id (40 digits for SHA-1, 64 for SHA-256).
func isRevision(s string) bool {
	if s != "" && len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
