package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Change proposals on the web and in the API (see wiki/proposal.go for
// the domain): the list /-/proposals, one proposal at /-/proposals/{id}
// with its change in the three views of history, and the forms that
// review, publish, resolve and withdraw it.

// registerProposalRoutes registers the pages and the API of proposals.
func (s *Server) registerProposalRoutes(r, api *mux.Router) {
	r.Handle("/-/proposals", s.html(s.handleProposals)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/proposals/{id}", s.html(s.handleProposal)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/proposals/{id}/review", s.html(s.handleProposalReview)).Methods(http.MethodPost)
	r.Handle("/-/proposals/{id}/publish", s.html(s.handleProposalPublish)).Methods(http.MethodPost)
	r.Handle("/-/proposals/{id}/resolve", s.html(s.handleProposalResolve)).Methods(http.MethodPost)
	r.Handle("/-/proposals/{id}/withdraw", s.html(s.handleProposalWithdraw)).Methods(http.MethodPost)
	r.Handle("/-/proposals/{id}/comment", s.html(s.handleProposalComment)).Methods(http.MethodPost)

	api.Handle("/proposals", s.api(s.handleAPIProposals)).Methods(http.MethodGet)
	api.Handle("/proposals", s.api(s.handleAPIPropose)).Methods(http.MethodPost)
	api.Handle("/proposals/{id}", s.api(s.handleAPIProposal)).Methods(http.MethodGet)
	api.Handle("/proposals/{id}", s.api(s.handleAPIProposalUpdate)).Methods(http.MethodPut)
	api.Handle("/proposals/{id}/review", s.api(s.handleAPIProposalReview)).Methods(http.MethodPost)
	api.Handle("/proposals/{id}/merge", s.api(s.handleAPIProposalMerge)).Methods(http.MethodPost)
	api.Handle("/proposals/{id}/withdraw", s.api(s.handleAPIProposalWithdraw)).Methods(http.MethodPost)
	api.Handle("/proposals/{id}/comments", s.api(s.handleAPIProposalComment)).Methods(http.MethodPost)
	s.registerTalkRoutes(r, api)
}

// GitProposals is the receiver of proposals pushed by the git client of
// r (see gitserver.Config.Proposals); nil when its credentials are wrong.
func (s *Server) GitProposals(r *http.Request) wiki.ProposalReceiver {
	u, err := s.GitUser(r)
	if err != nil {
		return nil
	}
	return s.wiki.ProposalReceiver(u)
}

type proposalsData struct {
	base
	Proposals []*wiki.Proposal
	// Status, Folder and Author are the filters as given.
	Status, Folder, Author string
	Statuses               []wiki.ProposalStatus
}

func (s *Server) handleProposals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := proposalsData{base: s.base(r, "", ""), Status: q.Get("status"), Folder: strings.Trim(q.Get("page"), "/ "), Author: strings.TrimSpace(q.Get("author")),
		Statuses: wiki.ProposalStatuses}
	d.Title = d.T("prop-list-title")
	pq, err := proposalQuery(r)
	if err != nil {
		return err
	}
	if d.Proposals, err = s.wiki.Proposals(r.Context(), pq); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "proposals", d)
}

// proposalQuery reads the filters of a listing: status, page (a page or
// folder) and author.
func proposalQuery(r *http.Request) (wiki.ProposalQuery, error) {
	q := r.URL.Query()
	pq := wiki.ProposalQuery{Actor: currentUser(r), Author: strings.TrimSpace(q.Get("author"))}
	if st := q.Get("status"); st != "" {
		known := false
		for _, k := range wiki.ProposalStatuses {
			known = known || string(k) == st
		}
		if !known {
			return pq, fmt.Errorf("%w: %q is not a status of a proposal", wiki.ErrInvalidInput, st)
		}
		pq.Status = wiki.ProposalStatus(st)
	}
	if f := strings.Trim(q.Get("page"), "/ "); f != "" {
		n, err := wiki.ParseName(f)
		if err != nil {
			return pq, err
		}
		pq.Folder = n
	}
	return pq, nil
}

// proposalChangeView is one page of a proposal, in the chosen view.
type proposalChangeView struct {
	Name           wiki.Name
	New            bool
	Added, Removed int
	Rows           []diffRow
	SplitRows      []splitRow
	Blocks         []blockGroup
	Conflict       bool
}

type proposalData struct {
	base
	P       *wiki.Proposal
	Changes []proposalChangeView
	// View is "unified", "split" or "rendered"; ViewURL another view.
	View    string
	ViewURL func(view string) string
	// What the visitor may do.
	CanReview, CanApprove, CanPublish, CanWithdraw, CanUpdate, CanResolve bool
	// Reviewers names who reviews, for people.
	Reviewers string
	// Done says what was just done (?done=).
	Done string
	// Error says why an action failed.
	Error string
	// Conflict and Parts are the conflict with main to resolve.
	Conflict *wiki.ConflictError
	Parts    []conflictPart
	// Comments are the proposal's discussion, rendered; CanComment
	// offers the form.
	Comments   []*commentView
	CanComment bool
}

// StatusText is a status in the page's language.
func (d proposalData) StatusText(st wiki.ProposalStatus) string {
	return d.T("prop-status-" + string(st))
}

// VerdictText is a verdict in the page's language.
func (d proposalData) VerdictText(v wiki.Verdict) string { return d.T("prop-verdict-" + string(v)) }

// StatusText is a status in the page's language.
func (d proposalsData) StatusText(st wiki.ProposalStatus) string {
	return d.T("prop-status-" + string(st))
}

func proposalID(r *http.Request) (string, error) {
	id, err := wiki.ParseProposalID(mux.Vars(r)["id"])
	if err != nil {
		return "", fmt.Errorf("%w: %w", wiki.ErrNotFound, err)
	}
	return id, nil
}

// proposalPage builds the page of a proposal.
func (s *Server) proposalPage(r *http.Request, id string) (proposalData, error) {
	p, err := s.wiki.Proposal(r.Context(), id, currentUser(r))
	if err != nil {
		return proposalData{}, err
	}
	d := proposalData{base: s.base(r, "", ""), P: p, View: r.URL.Query().Get("view")}
	switch done := r.URL.Query().Get("done"); done {
	case "proposed", "updated", "approve", "changes", "reject", "published", "withdrawn", "resolved", "commented":
		d.Done = done
	}
	d.Title = d.T("prop-title", p.ID, p.Summary)
	u := currentUser(r)
	d.CanReview = p.Status.Active() && s.wiki.CanReviewProposal(u, p)
	d.CanApprove = d.CanReview && !p.ProposedBy(u)
	d.CanPublish = p.Status == wiki.ProposalApproved && (d.CanReview || p.ProposedBy(u))
	d.CanWithdraw = p.Status.Active() && (p.ProposedBy(u) || s.policy.CanAdmin(u))
	d.CanUpdate = p.Status.Active() && p.ProposedBy(u)
	d.CanResolve = p.Status.Active() && (d.CanReview || p.ProposedBy(u))
	if groups := s.policy.Reviewers(p.Page); len(groups) > 0 {
		d.Reviewers = d.T("prop-reviewers-groups", strings.Join(groups, ", "))
	} else if s.policy.Reviewed(p.Page) {
		d.Reviewers = d.T("prop-reviewers-admins")
	} else {
		d.Reviewers = d.T("prop-reviewers-editors")
	}
	changes, err := s.wiki.ProposalChanges(r.Context(), p)
	if err != nil {
		return d, err
	}
	switch d.View {
	case "split", "rendered":
	default:
		d.View = "unified"
	}
	for _, c := range changes {
		v := proposalChangeView{Name: c.Name, New: c.From == nil, Added: c.Diff.Added, Removed: c.Diff.Removed, Conflict: c.Conflict != nil}
		switch d.View {
		case "split":
			v.SplitRows = splitRows(c.Diff.Lines)
		case "rendered":
			blocks, err := s.wiki.RenderedComparison(r.Context(), c.Comparison)
			if err != nil {
				return d, err
			}
			v.Blocks = groupBlocks(blocks)
		default:
			v.Rows = unifiedRows(c.Diff.Lines)
		}
		if c.Conflict != nil && d.Conflict == nil {
			d.Conflict = c.Conflict
			d.Parts = conflictParts(c.Conflict)
		}
		d.Changes = append(d.Changes, v)
	}
	d.CanComment = s.wiki.CanComment(u)
	for _, c := range p.Comments {
		h, err := s.wiki.RenderComment(r.Context(), p.Page, c.Text)
		if err != nil {
			return d, err
		}
		v := &commentView{Comment: c, HTML: h}
		for _, o := range p.Comments {
			if o.ID == c.ReplyTo {
				v.To = o.Author.Name
			}
		}
		d.Comments = append(d.Comments, v)
	}
	d.ViewURL = func(view string) string {
		return "/-/proposals/" + url.PathEscape(p.ID) + "?" + url.Values{"view": {view}}.Encode()
	}
	return d, nil
}

func (s *Server) handleProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	d, err := s.proposalPage(r, id)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "proposal", d)
}

// proposalFailed shows the proposal again with why the action failed; a
// conflict shows the conflict to resolve.
func (s *Server) proposalFailed(w http.ResponseWriter, r *http.Request, id string, err error) error {
	status := statusOf(err)
	if status >= 500 || status == http.StatusNotFound || status == http.StatusUnauthorized {
		return err
	}
	s.logError(r, status, err)
	d, perr := s.proposalPage(r, id)
	if perr != nil {
		return errors.Join(err, perr)
	}
	var ce *wiki.ConflictError
	if errors.As(err, &ce) {
		d.Conflict, d.Parts = ce, conflictParts(ce)
		d.Error = d.T("prop-conflict-publish")
	} else {
		var de *deniedError
		if errors.As(err, &de) {
			d.Error = de.message(d.Lang)
		} else {
			d.Error = d.T("prop-failed", publicMessage(err, status))
		}
	}
	return s.render(w, status, "proposal", d)
}

// proposalDone goes back to the proposal with a word of what was done.
func proposalDone(w http.ResponseWriter, r *http.Request, id, done string) error {
	http.Redirect(w, r, "/-/proposals/"+url.PathEscape(id)+"?done="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}

func (s *Server) handleProposalReview(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if _, err := s.requireUser(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	verdict := wiki.Verdict(r.PostForm.Get("verdict"))
	if _, err := s.wiki.ReviewProposal(r.Context(), wiki.ReviewRequest{ID: id, Verdict: verdict, Comment: r.PostForm.Get("comment"), Actor: currentUser(r)}); err != nil {
		return s.proposalFailed(w, r, id, err)
	}
	return proposalDone(w, r, id, string(verdict))
}

func (s *Server) handleProposalPublish(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if _, err := s.requireUser(r); err != nil {
		return err
	}
	if _, err := s.wiki.PublishProposal(r.Context(), wiki.PublishRequest{ID: id, Actor: currentUser(r)}); err != nil {
		return s.proposalFailed(w, r, id, err)
	}
	return proposalDone(w, r, id, "published")
}

func (s *Server) handleProposalWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if _, err := s.requireUser(r); err != nil {
		return err
	}
	if _, err := s.wiki.WithdrawProposal(r.Context(), id, currentUser(r)); err != nil {
		return s.proposalFailed(w, r, id, err)
	}
	return proposalDone(w, r, id, "withdrawn")
}

func (s *Server) handleProposalResolve(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if _, err := s.requireUser(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	name, err := wiki.ParseName(r.PostForm.Get("page"))
	if err != nil {
		return err
	}
	text, err := resolution(r.PostForm)
	if err != nil {
		return err
	}
	_, err = s.wiki.ResolveProposal(r.Context(), wiki.ResolveRequest{ID: id, Name: name, Content: []byte(text), Base: r.PostForm.Get("base"), Actor: currentUser(r)})
	if err != nil {
		return s.proposalFailed(w, r, id, err)
	}
	return proposalDone(w, r, id, "resolved")
}

func (s *Server) handleProposalComment(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	_, err = s.wiki.CommentOnProposal(r.Context(), wiki.ProposalCommentRequest{ID: id, Text: r.PostForm.Get("text"), ReplyTo: r.PostForm.Get("reply_to"),
		Author: author(r, wiki.Author{}), Actor: currentUser(r)})
	if err != nil {
		return s.proposalFailed(w, r, id, err)
	}
	return proposalDone(w, r, id, "commented")
}

func (s *Server) handleAPIProposalComment(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	var body struct {
		Text    string `json:"text"`
		ReplyTo string `json:"reply_to"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	p, err := s.wiki.CommentOnProposal(r.Context(), wiki.ProposalCommentRequest{ID: id, Text: body.Text, ReplyTo: body.ReplyTo, Author: author(r, wiki.Author{}), Actor: currentUser(r)})
	if err != nil {
		return err
	}
	out, err := s.withDiff(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// proposalJSON is a proposal in the API.
type proposalJSON struct {
	ID       string                `json:"id"`
	Page     wiki.Name             `json:"page"`
	Paths    []string              `json:"paths"`
	Summary  string                `json:"summary"`
	Status   wiki.ProposalStatus   `json:"status"`
	Author   wiki.Author           `json:"author"`
	User     string                `json:"user,omitempty"`
	Branch   string                `json:"branch"`
	Base     string                `json:"base"`
	Revision string                `json:"revision"`
	Created  time.Time             `json:"created"`
	Updated  time.Time             `json:"updated"`
	Merged   string                `json:"merged,omitempty"`
	Diff     string                `json:"diff,omitempty"`
	Reviews  []wiki.ProposalReview `json:"reviews"`
	Comments []commentJSON         `json:"comments"`
}

func toProposalJSON(p *wiki.Proposal) proposalJSON {
	reviews := p.Reviews
	if reviews == nil {
		reviews = []wiki.ProposalReview{}
	}
	return proposalJSON{ID: p.ID, Page: p.Page, Paths: p.Paths, Summary: p.Summary, Status: p.Status, Author: p.Author, User: p.User,
		Branch: p.Branch(), Base: p.Base, Revision: p.Revision, Created: p.Created, Updated: p.Updated, Merged: p.Merged,
		Reviews: reviews, Comments: make([]commentJSON, 0, len(p.Comments))}
}

// withDiff adds the unified diff of the proposal against main.
func (s *Server) withDiff(r *http.Request, p *wiki.Proposal) (proposalJSON, error) {
	out := toProposalJSON(p)
	changes, err := s.wiki.ProposalChanges(r.Context(), p)
	if err != nil {
		return out, err
	}
	var b strings.Builder
	for _, c := range changes {
		b.WriteString(c.Unified)
	}
	out.Diff = b.String()
	for _, c := range p.Comments {
		h, err := s.wiki.RenderComment(r.Context(), p.Page, c.Text)
		if err != nil {
			return out, err
		}
		out.Comments = append(out.Comments, commentJSON{ID: c.ID, Author: c.Author, Time: c.Time, Text: c.Text, HTML: h, ReplyTo: c.ReplyTo})
	}
	return out, nil
}

func (s *Server) handleAPIProposals(w http.ResponseWriter, r *http.Request) error {
	pq, err := proposalQuery(r)
	if err != nil {
		return err
	}
	ps, err := s.wiki.Proposals(r.Context(), pq)
	if err != nil {
		return err
	}
	out := struct {
		Proposals []proposalJSON `json:"proposals"`
	}{Proposals: make([]proposalJSON, len(ps))}
	for i, p := range ps {
		out.Proposals[i] = toProposalJSON(p)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAPIProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	p, err := s.wiki.Proposal(r.Context(), id, currentUser(r))
	if err != nil {
		return err
	}
	out, err := s.withDiff(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAPIPropose(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Page    string      `json:"page"`
		Content *string     `json:"content"`
		Base    string      `json:"base"`
		Message string      `json:"message"`
		Author  wiki.Author `json:"author"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	name, err := wiki.ParseName(body.Page)
	if err != nil {
		return err
	}
	if body.Content == nil {
		return fmt.Errorf("%w: the body needs a \"content\" field", wiki.ErrInvalidInput)
	}
	p, err := s.wiki.Propose(r.Context(), wiki.ProposeRequest{Name: name, Content: []byte(*body.Content), Base: body.Base, Message: body.Message,
		Author: author(r, body.Author), Actor: currentUser(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toProposalJSON(p))
	return nil
}

func (s *Server) handleAPIProposalUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	var body struct {
		Content *string `json:"content"`
		Message string  `json:"message"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Content == nil {
		return fmt.Errorf("%w: the body needs a \"content\" field", wiki.ErrInvalidInput)
	}
	p, err := s.wiki.UpdateProposal(r.Context(), wiki.UpdateProposalRequest{ID: id, Content: []byte(*body.Content), Message: body.Message,
		Author: author(r, wiki.Author{}), Actor: currentUser(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProposalJSON(p))
	return nil
}

func (s *Server) handleAPIProposalReview(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if _, err := s.requireUser(r); err != nil {
		return err
	}
	var body struct {
		Verdict wiki.Verdict `json:"verdict"`
		Comment string       `json:"comment"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	p, err := s.wiki.ReviewProposal(r.Context(), wiki.ReviewRequest{ID: id, Verdict: body.Verdict, Comment: body.Comment, Actor: currentUser(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProposalJSON(p))
	return nil
}

func (s *Server) handleAPIProposalMerge(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if _, err := s.requireUser(r); err != nil {
		return err
	}
	p, err := s.wiki.PublishProposal(r.Context(), wiki.PublishRequest{ID: id, Actor: currentUser(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Revision string       `json:"revision"`
		Proposal proposalJSON `json:"proposal"`
	}{p.Merged, toProposalJSON(p)})
	return nil
}

func (s *Server) handleAPIProposalWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	if _, err := s.requireUser(r); err != nil {
		return err
	}
	p, err := s.wiki.WithdrawProposal(r.Context(), id, currentUser(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProposalJSON(p))
	return nil
}

// BranchName is the proposal's branch as git users name it.
func (d proposalData) BranchName() string { return strings.TrimPrefix(d.P.Branch(), "refs/heads/") }
