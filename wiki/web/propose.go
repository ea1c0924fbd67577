package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// The editor's side of proposals: "Propose" beside "Save", the notice
// that a save in a review folder becomes a proposal, and changing one's
// own proposal in the editor (/-/edit/{page}?proposal={id}).

// proposablePage parses the {page} route variable and checks that the
// user may save it, or, in a review folder, propose a change of it.
func (s *Server) proposablePage(r *http.Request) (wiki.Name, error) {
	name, err := pageName(r)
	if err != nil {
		return "", err
	}
	return name, s.mayPropose(r, name)
}

// mayPropose is mayEdit, except that in a review folder an account that
// may propose is enough: its save becomes a proposal.
func (s *Server) mayPropose(r *http.Request, name wiki.Name) error {
	u := currentUser(r)
	if s.policy.NeedsReview(u, name) && s.policy.CanPropose(u, name) {
		return nil
	}
	return s.mayEdit(r, name)
}

// setProposing fills in what the editor says and offers about proposals.
func (s *Server) setProposing(r *http.Request, d *editData) {
	u := currentUser(r)
	d.ReviewRequired = s.policy.NeedsReview(u, d.Page)
	d.CanPropose = u != nil && s.policy.CanPropose(u, d.Page)
}

// openProposal puts the user's own proposal in the editor.
func (s *Server) openProposal(r *http.Request, d *editData, id string) error {
	p, err := s.wiki.Proposal(r.Context(), id, currentUser(r))
	if err != nil {
		return err
	}
	if !p.ProposedBy(currentUser(r)) || !p.Status.Active() {
		return &deniedError{status: http.StatusForbidden, key: "prop-not-yours"}
	}
	if p.Page != d.Page {
		return fmt.Errorf("%w: proposal %s is about %s", wiki.ErrInvalidInput, p.ID, p.Page)
	}
	text, err := s.wiki.ProposalText(r.Context(), p, d.Page)
	if err != nil && !errors.Is(err, wiki.ErrNotFound) {
		return err
	}
	d.Content, d.Proposal, d.Base, d.Mode = string(text), p.ID, p.Base, ""
	return nil
}

// proposeFromEditor records the editor's text as a new proposal, or as a
// new version of the proposal being edited, and goes to the proposal.
func (s *Server) proposeFromEditor(w http.ResponseWriter, r *http.Request, d *editData, full, message string) error {
	var p *wiki.Proposal
	var err error
	who := author(r, wiki.Author{Name: d.AuthorName, Email: d.AuthorMail})
	done := "proposed"
	if d.Proposal != "" {
		done = "updated"
		p, err = s.wiki.UpdateProposal(r.Context(), wiki.UpdateProposalRequest{ID: d.Proposal, Name: d.Page, Content: []byte(full), Message: message, Author: who, Actor: currentUser(r)})
	} else {
		p, err = s.wiki.Propose(r.Context(), wiki.ProposeRequest{Name: d.Page, Content: []byte(full), Base: d.Base, Message: message, Author: who, Actor: currentUser(r)})
	}
	if err != nil {
		status := statusOf(err)
		s.logError(r, status, err)
		d.Content, d.Mode = full, ""
		d.Error = d.T("save-failed", publicMessage(err, status))
		return s.render(w, status, "edit", *d)
	}
	return proposalDone(w, r, p.ID, done)
}

// MayProposeByGit reports whether u, who may not push to main at all
// (a reader), may still push proposals: with an account, on a wiki with
// review folders, as on the web. The git handler then checks every ref:
// a push to main by u is refused page by page, a proposal is taken only
// for pages u may propose changes of.
func (s *Server) MayProposeByGit(u *wiki.User) bool {
	return u != nil && !u.Disabled && len(s.policy.Review) > 0 && s.policy.CanRead(u)
}
