package wiki

import (
	"context"
	"time"
)

// ReviewEvent is something that happened to a proposal or a discussion,
// for whoever wants to tell people about it (the notifications of the
// follow machinery): reviewers of new proposals in their folders,
// proposers of reviews and publication, followers of a page of its new
// comments. The event is sent after the change is stored.
type ReviewEvent struct {
	// Kind is "proposed", "updated", "reviewed", "published",
	// "withdrawn", "resolved" or "commented".
	Kind string
	// Proposal is the proposal as it is now (nil for a page comment).
	Proposal *Proposal
	// Page is the page concerned.
	Page Name
	// Review is the review just made (Kind "reviewed").
	Review *ProposalReview
	// Comment is the comment just made or changed (Kind "commented").
	Comment *Comment
	// Mentions are the login names a comment mentions (@name), for
	// Kind "commented".
	Mentions []string
	// Actor is who did it; Reviewers the groups that review Page (empty:
	// admins).
	Actor     Author
	Reviewers []string
	Time      time.Time
}

// ReviewListener hears of review events (Options.ReviewListener). It is
// called synchronously after the change is stored, so it must be quick:
// queue mail, do not send it.
type ReviewListener interface {
	ReviewEvent(ctx context.Context, e ReviewEvent)
}

// notify tells the listener, if there is one.
func (w *Wiki) notify(ctx context.Context, e ReviewEvent) {
	if w.listener == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if e.Proposal != nil && e.Page == "" {
		e.Page = e.Proposal.Page
	}
	e.Reviewers = w.thePolicy().Reviewers(e.Page)
	w.listener.ReviewEvent(ctx, e)
}

// proposalEvent notifies of a change of p when err is nil and passes the
// result on.
func (w *Wiki) proposalEvent(ctx context.Context, kind string, actor Author, p *Proposal, err error) (*Proposal, error) {
	if err == nil {
		e := ReviewEvent{Kind: kind, Proposal: p, Actor: actor}
		if kind == "reviewed" && len(p.Reviews) > 0 {
			r := p.Reviews[len(p.Reviews)-1]
			e.Review = &r
		}
		w.notify(ctx, e)
	}
	return p, err
}
