package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds the admin's view of the audit log, /-/admin/audit:
// filtered by actor, action, result, object and dates, newest first, a
// page at a time; and the records of git pushes.

// auditPageSize is how many events one page of /-/admin/audit shows.
const auditPageSize = 50

type auditData struct {
	base
	// Filter is the query as given, for the form.
	Filter auditFilter
	Events []wiki.AuditEvent
	// NextURL is the next (older) page, "" at the end.
	NextURL string
	// Results are the choices of the result filter.
	Results []string
	Error   string
}

// auditFilter is the filter form's fields as typed.
type auditFilter struct {
	Actor, Action, Result, Object, Since, Until string
}

// dateLayout is how the filter's dates are typed (an <input type=date>).
const dateLayout = "2006-01-02"

func (f auditFilter) query() (wiki.AuditQuery, error) {
	q := wiki.AuditQuery{Actor: f.Actor, Action: f.Action, Result: f.Result, Object: f.Object, Limit: auditPageSize}
	switch f.Result {
	case "", wiki.AuditSuccess, wiki.AuditFailure, wiki.AuditDenied:
	default:
		return q, fmt.Errorf("%w: result %q: use success, failure or denied", wiki.ErrInvalidInput, f.Result)
	}
	var err error
	if f.Since != "" {
		if q.Since, err = time.Parse(dateLayout, f.Since); err != nil {
			return q, fmt.Errorf("%w: from %q: not a date like 2026-12-31", wiki.ErrInvalidInput, f.Since)
		}
	}
	if f.Until != "" {
		until, err := time.Parse(dateLayout, f.Until)
		if err != nil {
			return q, fmt.Errorf("%w: until %q: not a date like 2026-12-31", wiki.ErrInvalidInput, f.Until)
		}
		// Up to and including that day.
		q.Until = until.AddDate(0, 0, 1)
	}
	return q, nil
}

func (f auditFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": f.Actor, "action": f.Action, "result": f.Result, "object": f.Object, "since": f.Since, "until": f.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// handleAuditLog shows the audit log to admins.
func (s *Server) handleAuditLog(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayAdmin(r); err != nil {
		return err
	}
	q := r.URL.Query()
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	d := auditData{base: s.base(r, "", ""), Results: []string{wiki.AuditSuccess, wiki.AuditFailure, wiki.AuditDenied},
		Filter: auditFilter{Actor: get("actor"), Action: get("action"), Result: get("result"), Object: get("object"), Since: get("since"), Until: get("until")}}
	d.Title = d.T("auditlog-title")
	w.Header().Set("Cache-Control", "no-store")
	query, err := d.Filter.query()
	if err != nil {
		d.Error = publicMessage(err, http.StatusBadRequest)
		return s.render(w, http.StatusBadRequest, "admin-audit", d)
	}
	query.Before = get("before")
	page, err := s.accounts.QueryAudit(r.Context(), query)
	if err != nil {
		return err
	}
	d.Events = page.Events
	if page.Next != "" {
		v := d.Filter.values()
		v.Set("before", page.Next)
		d.NextURL = "/-/admin/audit?" + v.Encode()
	}
	return s.render(w, http.StatusOK, "admin-audit", d)
}

// auditPush records a push that was let through, and with which
// credential: for a token, which one (never its secret).
func (s *Server) auditPush(r *http.Request, u *wiki.User, paths []string) {
	if u == nil {
		s.audit(r, wiki.AuditEvent{Kind: "push", Subject: pathList(paths), Detail: "git push without an account"})
		return
	}
	how := "git push with a password"
	if _, secret, ok := r.BasicAuth(); ok && looksLikeToken(secret) {
		how = "git push with a personal access token"
		if t, err := s.accounts.TokenOf(r.Context(), secret); err == nil {
			how += fmt.Sprintf(" (%s %q)", t.ID, t.Label)
		}
	}
	s.audit(r, wiki.AuditEvent{Kind: "push", Actor: u.Name, Subject: pathList(paths), Detail: fmt.Sprintf("%s, %d files", how, len(paths))})
}

// pathList is the object of a push record: the files, cut short.
func pathList(paths []string) string {
	const max = 20
	if len(paths) > max {
		return strings.Join(paths[:max], " ") + fmt.Sprintf(" (+%d)", len(paths)-max)
	}
	return strings.Join(paths, " ")
}
