package wiki

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki/diff"
)

// Change proposals. A proposal is a branch refs/heads/voorstel/<id> in the
// content repository: its commits are by their real authors, on top of the
// main commit they started from. Its state (page, status, reviews) is a
// small JSON file <id>.json on the branch ProposalsRef, committed by whoever
// changed it, so that the whole review is in git and survives a clone.
// Publishing merges the branch into main three ways: a merge commit whose
// first parent is main, whose message names the proposer and the approver
// (trailers the history index reads, see ApprovedByTrailer).

// ProposalStatus is where a proposal stands.
type ProposalStatus string

// The statuses of a proposal. Merged, withdrawn and rejected are final.
const (
	ProposalOpen      ProposalStatus = "open"
	ProposalChanges   ProposalStatus = "changes-requested"
	ProposalApproved  ProposalStatus = "approved"
	ProposalMerged    ProposalStatus = "merged"
	ProposalWithdrawn ProposalStatus = "withdrawn"
	ProposalRejected  ProposalStatus = "rejected"
)

// ProposalStatuses lists every status, for filters.
var ProposalStatuses = []ProposalStatus{ProposalOpen, ProposalChanges, ProposalApproved, ProposalMerged, ProposalWithdrawn, ProposalRejected}

// Active reports whether the proposal can still be reviewed or changed.
func (s ProposalStatus) Active() bool {
	return s == ProposalOpen || s == ProposalChanges || s == ProposalApproved
}

// Verdict is a reviewer's decision.
type Verdict string

// The verdicts.
const (
	VerdictApprove Verdict = "approve"
	VerdictChanges Verdict = "changes"
	VerdictReject  Verdict = "reject"
)

// ProposalReview is one review.
type ProposalReview struct {
	Verdict Verdict   `json:"verdict"`
	Comment string    `json:"comment,omitempty"`
	Author  Author    `json:"author"`
	User    string    `json:"user,omitempty"`
	Time    time.Time `json:"time"`
	// Revision is the proposal's commit the review is about.
	Revision string `json:"revision"`
}

// Proposal is a proposed change and its review.
type Proposal struct {
	ID string `json:"id"`
	// Page is the page the proposal is about (the first one it changes).
	Page Name `json:"page"`
	// Paths are the files it changes, as repository paths.
	Paths   []string       `json:"paths"`
	Summary string         `json:"summary"`
	Status  ProposalStatus `json:"status"`
	// Author is the proposer; User their login name ("" when anonymous).
	Author Author `json:"author"`
	User   string `json:"user,omitempty"`
	// Base is the main commit the proposal builds on; Revision the
	// proposal branch's commit as last recorded.
	Base     string           `json:"base"`
	Revision string           `json:"revision"`
	Created  time.Time        `json:"created"`
	Updated  time.Time        `json:"updated"`
	Reviews  []ProposalReview `json:"reviews"`
	// Comments are the proposal's discussion, oldest first.
	Comments []Comment `json:"comments,omitempty"`
	// Merged is the merge commit on main, once published; ClosedBy who
	// published, withdrew or rejected it.
	Merged   string  `json:"merged,omitempty"`
	ClosedBy *Author `json:"closed_by,omitempty"`
}

// Branch is the proposal's branch.
func (p *Proposal) Branch() string { return ProposalRefPrefix + p.ID }

// Approver is the author of the last approval, nil when there is none.
func (p *Proposal) Approver() *Author {
	for i := len(p.Reviews) - 1; i >= 0; i-- {
		if p.Reviews[i].Verdict == VerdictApprove {
			a := p.Reviews[i].Author
			return &a
		}
	}
	return nil
}

// ProposedBy reports whether u made the proposal.
func (p *Proposal) ProposedBy(u *User) bool {
	return u != nil && p.User != "" && strings.EqualFold(p.User, u.Name)
}

// names are the pages (and, for other files, their folders) the proposal
// changes, for the policy.
func (p *Proposal) names() []Name {
	var out []Name
	for _, f := range p.Paths {
		if n, ok := ParsePath(f); ok {
			out = append(out, n)
		} else {
			out = append(out, Name(strings.TrimSuffix(f, "/")))
		}
	}
	if len(out) == 0 && p.Page != "" {
		out = append(out, p.Page)
	}
	return out
}

var proposalID = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,39}$`)

// ParseProposalID validates a proposal id (also the name after voorstel/).
func ParseProposalID(id string) (string, error) {
	if !proposalID.MatchString(id) || strings.Contains(id, "..") || strings.HasSuffix(id, ".") || strings.HasSuffix(id, ".lock") {
		return "", fmt.Errorf("%w: %q is not a proposal id (lower-case letters, digits, '-' and '.')", ErrInvalidInput, id)
	}
	return id, nil
}

func newProposalID() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// branches returns the store's BranchStore.
func (w *Wiki) branches() (BranchStore, error) {
	bs, ok := w.store.(BranchStore)
	if !ok {
		return nil, fmt.Errorf("%w: this store keeps no proposals", ErrInvalidInput)
	}
	return bs, nil
}

// thePolicy is the policy, or one that allows everything.
func (w *Wiki) thePolicy() Policy {
	if w.policy == nil {
		return Policy{Read: Anyone, Edit: Anyone}
	}
	return *w.policy
}

// ProposalPolicy is the policy proposals are decided by.
func (w *Wiki) ProposalPolicy() Policy { return w.thePolicy() }

func proposalFile(id string) string { return id + ".json" }

// readProposal reads a proposal's record at the records commit tip.
func readProposal(ctx context.Context, bs BranchStore, tip, id string) (*Proposal, error) {
	if tip == "" {
		return nil, fmt.Errorf("proposal %s: %w", id, ErrNotFound)
	}
	b, err := bs.FileAt(ctx, tip, proposalFile(id))
	if err != nil {
		return nil, fmt.Errorf("proposal %s: %w", id, err)
	}
	var p Proposal
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("proposal %s: its record is damaged: %v", id, err)
	}
	return &p, nil
}

// ProposalQuery filters a listing of proposals; zero values match all.
type ProposalQuery struct {
	Status ProposalStatus
	// Folder keeps proposals of the page or of pages below it.
	Folder Name
	// Author matches the proposer's login name or display name.
	Author string
	// Actor is who asks: proposals are listed to those who may read.
	Actor *User
}

// Proposals lists proposals, the most recently changed first.
func (w *Wiki) Proposals(ctx context.Context, q ProposalQuery) ([]*Proposal, error) {
	if !w.thePolicy().CanRead(q.Actor) {
		return nil, fmt.Errorf("%w: reading needs an account", ErrForbidden)
	}
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	tip, err := bs.RefTip(ctx, ProposalsRef)
	if err != nil || tip == "" {
		return nil, err
	}
	files, err := bs.FilesAt(ctx, tip, "")
	if err != nil {
		return nil, err
	}
	var out []*Proposal
	for _, f := range files {
		id, ok := strings.CutSuffix(f, ".json")
		if !ok || strings.Contains(id, "/") {
			continue
		}
		p, err := readProposal(ctx, bs, tip, id)
		if err != nil {
			return nil, err
		}
		if q.Status != "" && p.Status != q.Status {
			continue
		}
		if q.Folder != "" && !(Protected{Prefix: q.Folder}).Covers(p.Page) {
			continue
		}
		if q.Author != "" && !strings.EqualFold(p.User, q.Author) && !strings.EqualFold(p.Author.Name, q.Author) {
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out, nil
}

// Proposal returns one proposal.
func (w *Wiki) Proposal(ctx context.Context, id string, actor *User) (*Proposal, error) {
	if !w.thePolicy().CanRead(actor) {
		return nil, fmt.Errorf("%w: reading needs an account", ErrForbidden)
	}
	if _, err := ParseProposalID(id); err != nil {
		return nil, fmt.Errorf("proposal %q: %w", id, ErrNotFound)
	}
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	tip, err := bs.RefTip(ctx, ProposalsRef)
	if err != nil {
		return nil, err
	}
	return readProposal(ctx, bs, tip, id)
}

// updateProposal changes a proposal's record (or creates it, when create
// is set) by compare-and-swap of the records branch, committed by who.
func (w *Wiki) updateProposal(ctx context.Context, id string, create bool, who Author, message string, change func(*Proposal) error) (*Proposal, error) {
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		tip, err := bs.RefTip(ctx, ProposalsRef)
		if err != nil {
			return nil, err
		}
		p, err := readProposal(ctx, bs, tip, id)
		switch {
		case create && err == nil:
			return nil, fmt.Errorf("%w: proposal %s exists already", ErrNameTaken, id)
		case create && errors.Is(err, ErrNotFound):
			p = &Proposal{ID: id}
		case err != nil:
			return nil, err
		}
		if err := change(p); err != nil {
			return nil, err
		}
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return nil, err
		}
		_, err = bs.WriteBranch(ctx, BranchWrite{Ref: ProposalsRef, Old: tip, Files: map[string][]byte{proposalFile(id): append(b, '\n')},
			Author: w.withDefaultName(who), Message: message})
		if errors.Is(err, ErrStale) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("record proposal %s: %w", id, err)
		}
		return p, nil
	}
}

// ProposeRequest asks to propose a change of a page.
type ProposeRequest struct {
	Name    Name
	Content []byte
	// Base is the page revision the text was started from ("" for a new
	// page); the proposal's branch starts there.
	Base    string
	Message string
	Author  Author
	Actor   *User
}

// Propose records a change of a page as a new proposal: a commit by its
// author on a new branch, not on main.
func (w *Wiki) Propose(ctx context.Context, req ProposeRequest) (*Proposal, error) {
	pol := w.thePolicy()
	if !pol.CanPropose(req.Actor, req.Name) {
		return nil, fmt.Errorf("%w: you may not propose changes of %s", ErrForbidden, req.Name)
	}
	if err := CheckText("summary", req.Message); err != nil {
		return nil, err
	}
	if err := checkAuthorText(req.Author); err != nil {
		return nil, err
	}
	if err := w.checkContent(req.Content); err != nil {
		return nil, err
	}
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	content := normalizeNewlines(req.Content)
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	parent := snap.Head
	var baseText []byte
	if req.Base != "" {
		bp, err := w.store.ReadPage(ctx, req.Name, req.Base)
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: %s did not exist at the base revision %s", ErrInvalidInput, req.Name, req.Base)
		}
		if err != nil {
			return nil, err
		}
		parent, baseText = req.Base, bp.Content
	} else if other, ok := snap.CaseTwin(req.Name); ok && other != req.Name {
		return nil, fmt.Errorf("%w: %s differs from the existing page %s only in letter case", ErrNameTaken, req.Name, other)
	}
	if parent == "" {
		return nil, fmt.Errorf("%w: the wiki has no pages yet; create the first one directly", ErrInvalidInput)
	}
	if req.Base != "" && bytes.Equal(baseText, content) {
		return nil, fmt.Errorf("%w: the text is the same as the page's; there is nothing to propose", ErrInvalidInput)
	}
	author := w.withDefaultName(req.Author)
	msg := strings.TrimSpace(req.Message)
	if msg == "" {
		msg = w.defaultMessage(req.Name, req.Base == "", baseText, content)
	}
	id, err := newProposalID()
	if err != nil {
		return nil, err
	}
	tip, err := bs.WriteBranch(ctx, BranchWrite{Ref: ProposalRefPrefix + id, Parents: []string{parent},
		Files: map[string][]byte{req.Name.Path(): content}, Author: author, Message: msg})
	if err != nil {
		return nil, fmt.Errorf("propose %s: %w", req.Name, err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	user := ""
	if req.Actor != nil {
		user = req.Actor.Name
	}
	p, err := w.updateProposal(ctx, id, true, author, w.say("proposal-new", id, firstLineOf(msg)), func(p *Proposal) error {
		*p = Proposal{ID: id, Page: req.Name, Paths: []string{req.Name.Path()}, Summary: firstLineOf(msg), Status: ProposalOpen,
			Author: author, User: user, Base: parent, Revision: tip, Created: now, Updated: now, Reviews: []ProposalReview{}}
		return nil
	})
	return w.proposalEvent(ctx, "proposed", author, p, err)
}

func firstLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// UpdateProposalRequest asks to change a proposal's text: a new commit on
// its branch. Only the proposer may.
type UpdateProposalRequest struct {
	ID string
	// Name, when set, must be the proposal's page (the editor's page).
	Name    Name
	Content []byte
	Message string
	Author  Author
	Actor   *User
}

// UpdateProposal adds a commit to the proposal. An approval or a request
// for changes was about the text before: the proposal is open again.
func (w *Wiki) UpdateProposal(ctx context.Context, req UpdateProposalRequest) (*Proposal, error) {
	p, err := w.Proposal(ctx, req.ID, req.Actor)
	if err != nil {
		return nil, err
	}
	if !p.ProposedBy(req.Actor) {
		return nil, fmt.Errorf("%w: only the proposer changes a proposal; propose your own change instead", ErrForbidden)
	}
	if !p.Status.Active() {
		return nil, fmt.Errorf("%w: the proposal is %s", ErrInvalidInput, p.Status)
	}
	if p.Page == "" || (req.Name != "" && req.Name != p.Page) {
		return nil, fmt.Errorf("%w: proposal %s is about %q, not %q", ErrInvalidInput, p.ID, p.Page, req.Name)
	}
	if err := CheckText("summary", req.Message); err != nil {
		return nil, err
	}
	if err := w.checkContent(req.Content); err != nil {
		return nil, err
	}
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	tip, err := bs.RefTip(ctx, p.Branch())
	if err != nil {
		return nil, err
	}
	content := normalizeNewlines(req.Content)
	old, _ := bs.FileAt(ctx, tip, p.Page.Path())
	msg := strings.TrimSpace(req.Message)
	if msg == "" {
		msg = w.defaultMessage(p.Page, false, old, content)
	}
	author := w.withDefaultName(req.Author)
	rev, err := bs.WriteBranch(ctx, BranchWrite{Ref: p.Branch(), Old: tip, Files: map[string][]byte{p.Page.Path(): content}, Author: author, Message: msg})
	if err != nil {
		return nil, fmt.Errorf("update proposal %s: %w", p.ID, err)
	}
	p, err = w.updateProposal(ctx, p.ID, false, author, w.say("proposal-update", p.ID, firstLineOf(msg)), func(p *Proposal) error {
		p.Revision, p.Updated, p.Status = rev, time.Now().UTC().Truncate(time.Second), ProposalOpen
		return nil
	})
	return w.proposalEvent(ctx, "updated", author, p, err)
}

// ReviewRequest is a reviewer's verdict on a proposal.
type ReviewRequest struct {
	ID      string
	Verdict Verdict
	Comment string
	Actor   *User
}

// mayReview refuses actor unless they review every page of p.
func (w *Wiki) mayReview(actor *User, p *Proposal) error {
	pol := w.thePolicy()
	if actor == nil {
		return fmt.Errorf("%w: reviewing needs an account", ErrUnauthenticated)
	}
	for _, n := range p.names() {
		if !pol.CanReview(actor, n) {
			return fmt.Errorf("%w: %s does not review changes of %s", ErrForbidden, actor.Name, n)
		}
	}
	return nil
}

// CanReviewProposal reports whether actor may review p.
func (w *Wiki) CanReviewProposal(actor *User, p *Proposal) bool { return w.mayReview(actor, p) == nil }

// ReviewProposal records a review. Nobody approves their own proposal.
func (w *Wiki) ReviewProposal(ctx context.Context, req ReviewRequest) (*Proposal, error) {
	switch req.Verdict {
	case VerdictApprove, VerdictChanges, VerdictReject:
	default:
		return nil, fmt.Errorf("%w: the verdict is approve, changes or reject, not %q", ErrInvalidInput, req.Verdict)
	}
	if err := CheckText("comment", req.Comment); err != nil {
		return nil, err
	}
	if len(req.Comment) > 20000 {
		return nil, fmt.Errorf("%w: the comment is longer than 20,000 bytes", ErrTooLarge)
	}
	p, err := w.Proposal(ctx, req.ID, req.Actor)
	if err != nil {
		return nil, err
	}
	if err := w.mayReview(req.Actor, p); err != nil {
		return nil, err
	}
	if req.Verdict == VerdictApprove && p.ProposedBy(req.Actor) {
		return nil, fmt.Errorf("%w: nobody approves their own proposal; someone else reviews it", ErrForbidden)
	}
	if !p.Status.Active() {
		return nil, fmt.Errorf("%w: the proposal is %s", ErrInvalidInput, p.Status)
	}
	who := req.Actor.Author()
	now := time.Now().UTC().Truncate(time.Second)
	p, err = w.updateProposal(ctx, p.ID, false, who, w.say("proposal-review", p.ID, req.Verdict), func(p *Proposal) error {
		if !p.Status.Active() {
			return fmt.Errorf("%w: the proposal is %s", ErrInvalidInput, p.Status)
		}
		p.Reviews = append(p.Reviews, ProposalReview{Verdict: req.Verdict, Comment: strings.TrimSpace(req.Comment), Author: who, User: req.Actor.Name, Time: now, Revision: p.Revision})
		p.Updated = now
		switch req.Verdict {
		case VerdictApprove:
			p.Status = ProposalApproved
		case VerdictChanges:
			p.Status = ProposalChanges
		case VerdictReject:
			p.Status, p.ClosedBy = ProposalRejected, &who
		}
		return nil
	})
	return w.proposalEvent(ctx, "reviewed", who, p, err)
}

// WithdrawProposal closes a proposal without publishing it; the proposer
// or an admin may. Main is not touched.
func (w *Wiki) WithdrawProposal(ctx context.Context, id string, actor *User) (*Proposal, error) {
	p, err := w.Proposal(ctx, id, actor)
	if err != nil {
		return nil, err
	}
	if !p.ProposedBy(actor) && !w.thePolicy().CanAdmin(actor) {
		return nil, fmt.Errorf("%w: only the proposer (or an admin) withdraws a proposal", ErrForbidden)
	}
	if !p.Status.Active() {
		return nil, fmt.Errorf("%w: the proposal is %s", ErrInvalidInput, p.Status)
	}
	who := actor.Author()
	p, err = w.updateProposal(ctx, id, false, who, w.say("proposal-withdraw", id), func(p *Proposal) error {
		p.Status, p.ClosedBy, p.Updated = ProposalWithdrawn, &who, time.Now().UTC().Truncate(time.Second)
		return nil
	})
	return w.proposalEvent(ctx, "withdrawn", who, p, err)
}

// mergeFiles works out the files a merge of the proposal at tip into main
// at head writes: for every file the proposal changed since its base, the
// three-way merge of base, main and the proposal. resolved holds texts
// chosen by hand. A conflict returns a *ConflictError for the first page
// that has one.
func (w *Wiki) mergeFiles(ctx context.Context, bs BranchStore, base, head, tip string, resolved map[string][]byte) (map[string][]byte, error) {
	changes, err := bs.Diff(ctx, base, tip)
	if err != nil {
		return nil, err
	}
	read := func(commit, p string) ([]byte, bool, error) {
		if commit == "" {
			return nil, false, nil
		}
		b, err := bs.FileAt(ctx, commit, p)
		if errors.Is(err, ErrNotFound) {
			return nil, false, nil
		}
		return b, err == nil, err
	}
	files := map[string][]byte{}
	for _, c := range changes {
		if text, ok := resolved[c.Path]; ok {
			files[c.Path] = text
			continue
		}
		mine, hasMine, err := read(tip, c.Path)
		if err != nil {
			return nil, err
		}
		orig, hasOrig, err := read(base, c.Path)
		if err != nil {
			return nil, err
		}
		theirs, hasTheirs, err := read(head, c.Path)
		if err != nil {
			return nil, err
		}
		switch {
		case hasTheirs == hasOrig && bytes.Equal(theirs, orig):
			// Main did not change it: the proposal's version.
			if hasMine {
				files[c.Path] = nonNilBytes(mine)
			} else if hasTheirs {
				files[c.Path] = nil
			}
			continue
		case hasTheirs == hasMine && bytes.Equal(theirs, mine):
			continue // both made the same change
		}
		name, page := ParsePath(c.Path)
		ce := &ConflictError{Name: name, Base: head, Yours: string(mine)}
		if hasTheirs {
			ce.Current = &Page{Name: name, Content: theirs}
		}
		if !page || !hasMine || !hasTheirs {
			if !page {
				ce.Name = Name(c.Path)
			}
			return nil, ce
		}
		m, err := diff.Merge3(string(orig), string(theirs), string(mine), diff.Options{})
		if err != nil {
			return nil, fmt.Errorf("merge %s: %w", name, err)
		}
		if m.Conflicts > 0 {
			ce.Merge = m
			return nil, ce
		}
		files[c.Path] = []byte(m.Text)
	}
	return files, nil
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// mayPublish refuses actor unless they may publish or resolve p: its
// reviewers, and the proposer once someone else approved it.
func (w *Wiki) mayPublish(actor *User, p *Proposal) error {
	if p.ProposedBy(actor) && p.Approver() != nil {
		return nil
	}
	return w.mayReview(actor, p)
}

// PublishRequest asks to publish an approved proposal.
type PublishRequest struct {
	ID    string
	Actor *User
}

// PublishProposal merges an approved proposal into main: a merge commit
// whose first parent is main and whose second is the proposal, so that the
// proposer's commits keep their author. When main changed the same lines
// meanwhile, it returns a *ConflictError (nothing is written); once the
// conflict is resolved (ResolveProposal) publishing succeeds.
func (w *Wiki) PublishProposal(ctx context.Context, req PublishRequest) (*Proposal, error) {
	p, err := w.Proposal(ctx, req.ID, req.Actor)
	if err != nil {
		return nil, err
	}
	if err := w.mayPublish(req.Actor, p); err != nil {
		return nil, err
	}
	if p.Status != ProposalApproved {
		return nil, fmt.Errorf("%w: only an approved proposal is published (this one is %s)", ErrInvalidInput, p.Status)
	}
	approver := p.Approver()
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	who := req.Actor.Author()
	var rev string
	for attempt := 0; ; attempt++ {
		tip, err := bs.RefTip(ctx, p.Branch())
		if err != nil {
			return nil, err
		}
		if tip == "" {
			return nil, fmt.Errorf("proposal %s: its branch is missing: %w", p.ID, ErrNotFound)
		}
		base, err := bs.MergeBase(ctx, tip)
		if err != nil {
			return nil, err
		}
		snap, err := w.store.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		files, err := w.mergeFiles(ctx, bs, base, snap.Head, tip, nil)
		if err != nil {
			return nil, w.fillConflict(ctx, err)
		}
		if err := checkNewNames(snap, files); err != nil {
			return nil, err
		}
		msg := fmt.Sprintf("%s\n\n%s: %s <%s>\n%s: %s <%s>\n%s: %s",
			w.say("proposal-publish", p.ID, p.Summary), ProposedByTrailer, p.Author.Name, p.Author.Email,
			ApprovedByTrailer, approver.Name, approver.Email, ProposalTrailer, p.Branch())
		res, err := bs.WriteMerge(ctx, MergeWrite{Main: snap.Head, Other: tip, Files: files, Author: who, Message: msg})
		if errors.Is(err, ErrStale) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("publish proposal %s: %w", p.ID, err)
		}
		rev = res.Revision
		break
	}
	p, err = w.updateProposal(ctx, p.ID, false, who, w.say("proposal-record", p.ID), func(p *Proposal) error {
		p.Status, p.Merged, p.ClosedBy, p.Updated = ProposalMerged, rev, &who, time.Now().UTC().Truncate(time.Second)
		return nil
	})
	return w.proposalEvent(ctx, "published", who, p, err)
}

// fillConflict completes a conflict with the current page's revision.
func (w *Wiki) fillConflict(ctx context.Context, err error) error {
	var ce *ConflictError
	if errors.As(err, &ce) && ce.Current != nil {
		if cur, rerr := w.store.ReadPage(ctx, ce.Name, ""); rerr == nil {
			ce.Current.Revision = cur.Revision
		}
	}
	return err
}

// ResolveRequest settles a conflict between a proposal and main.
type ResolveRequest struct {
	ID string
	// Name is the page resolved, Content its text as chosen.
	Name    Name
	Content []byte
	// Base is main's commit the resolution was made against: if main
	// moved since, the resolution is refused with ErrStale.
	Base  string
	Actor *User
}

// ResolveProposal records the resolution of a conflict as a commit on the
// proposal that merges main in (parents: the proposal, main), by whoever
// resolved it: the proposer or a reviewer. A proposer's resolution needs
// approval again; a reviewer's keeps the proposal's status.
func (w *Wiki) ResolveProposal(ctx context.Context, req ResolveRequest) (*Proposal, error) {
	p, err := w.Proposal(ctx, req.ID, req.Actor)
	if err != nil {
		return nil, err
	}
	if !p.ProposedBy(req.Actor) {
		if err := w.mayReview(req.Actor, p); err != nil {
			return nil, err
		}
	}
	if !p.Status.Active() {
		return nil, fmt.Errorf("%w: the proposal is %s", ErrInvalidInput, p.Status)
	}
	if err := w.checkContent(req.Content); err != nil {
		return nil, err
	}
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	tip, err := bs.RefTip(ctx, p.Branch())
	if err != nil {
		return nil, err
	}
	base, err := bs.MergeBase(ctx, tip)
	if err != nil {
		return nil, err
	}
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if req.Base != "" && req.Base != snap.Head {
		return nil, fmt.Errorf("%w: main changed again while you resolved; look at the conflict once more", ErrStale)
	}
	files, err := w.mergeFiles(ctx, bs, base, snap.Head, tip, map[string][]byte{req.Name.Path(): normalizeNewlines(req.Content)})
	if err != nil {
		return nil, w.fillConflict(ctx, err)
	}
	who := req.Actor.Author()
	rev, err := bs.WriteBranch(ctx, BranchWrite{Ref: p.Branch(), Old: tip, Parents: []string{tip, snap.Head}, TreeOf: snap.Head, Files: files,
		Author: who, Message: w.say("proposal-merge-main", p.ID, req.Name)})
	if err != nil {
		return nil, fmt.Errorf("resolve proposal %s: %w", p.ID, err)
	}
	byProposer := p.ProposedBy(req.Actor)
	p, err = w.updateProposal(ctx, p.ID, false, who, w.say("proposal-resolve", p.ID), func(p *Proposal) error {
		p.Revision, p.Base, p.Updated = rev, snap.Head, time.Now().UTC().Truncate(time.Second)
		if byProposer && p.Status == ProposalApproved {
			p.Status = ProposalOpen
		}
		return nil
	})
	return w.proposalEvent(ctx, "resolved", who, p, err)
}

// ProposalChange is what a proposal does to one page, for display.
type ProposalChange struct {
	// Comparison is the current page against the page as publishing would
	// leave it (or, for a closed proposal, the base against the proposal).
	*Comparison
	// Conflict is set when publishing now would conflict with main.
	Conflict *ConflictError
}

// ProposalChanges compares each page of the proposal with main.
func (w *Wiki) ProposalChanges(ctx context.Context, p *Proposal) ([]ProposalChange, error) {
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	tip, err := bs.RefTip(ctx, p.Branch())
	if err != nil {
		return nil, err
	}
	if tip == "" {
		tip = p.Revision
	}
	base, err := bs.MergeBase(ctx, tip)
	if err != nil {
		return nil, err
	}
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var merged map[string][]byte
	var conflict *ConflictError
	from := snap.Head
	if p.Status == ProposalMerged || !p.Status.Active() {
		from = base
	} else if merged, err = w.mergeFiles(ctx, bs, base, snap.Head, tip, nil); err != nil && !errors.As(err, &conflict) {
		return nil, err
	}
	changes, err := bs.Diff(ctx, base, tip)
	if err != nil {
		return nil, err
	}
	var out []ProposalChange
	for _, c := range changes {
		name, ok := ParsePath(c.Path)
		if !ok {
			continue
		}
		old, oerr := bs.FileAt(ctx, from, c.Path)
		if oerr != nil && !errors.Is(oerr, ErrNotFound) {
			return nil, oerr
		}
		var neu []byte
		if text, ok := merged[c.Path]; ok && conflict == nil {
			neu = text
		} else if merged != nil && conflict == nil {
			neu = old // main has it already
		} else {
			neu, _ = bs.FileAt(ctx, tip, c.Path)
		}
		cmp := &Comparison{Name: name, To: &Page{Name: name, Content: neu}}
		if oerr == nil {
			cmp.From = &Page{Name: name, Content: old}
		}
		if cmp.Diff, err = diff.Compare(string(old), string(neu), diff.Options{}); err != nil {
			return nil, err
		}
		fromLabel := "a/" + c.Path
		if cmp.From == nil {
			fromLabel = "/dev/null"
		}
		if cmp.Unified, err = diff.Unified(string(old), string(neu), fromLabel, "b/"+c.Path, 3, diff.Options{}); err != nil {
			return nil, err
		}
		ch := ProposalChange{Comparison: cmp}
		if conflict != nil && conflict.Name == name {
			ch.Conflict = conflict
		}
		out = append(out, ch)
	}
	return out, nil
}

// ProposalReceiver returns the receiver of proposals pushed by actor.
func (w *Wiki) ProposalReceiver(actor *User) ProposalReceiver {
	return &pushReceiver{w: w, actor: actor}
}

type pushReceiver struct {
	w     *Wiki
	actor *User
}

func (pr *pushReceiver) mayPropose(paths []string) error {
	pol := pr.w.thePolicy()
	for _, f := range paths {
		n, ok := ParsePath(f)
		if !ok {
			n = Name(strings.TrimSuffix(path.Clean(f), "/"))
		}
		if !pol.CanPropose(pr.actor, n) {
			return fmt.Errorf("%w: you may not propose changes of %s", ErrForbidden, n)
		}
	}
	return nil
}

// PrepareProposal implements ProposalReceiver.
func (pr *pushReceiver) PrepareProposal(ctx context.Context, p PushedProposal) (string, error) {
	if len(p.Paths) == 0 {
		return "", fmt.Errorf("the pushed commits change nothing against main")
	}
	if err := pr.mayPropose(p.Paths); err != nil {
		return "", err
	}
	if p.Ref == ProposeRef {
		id, err := newProposalID()
		return ProposalRefPrefix + id, err
	}
	id, err := ParseProposalID(strings.TrimPrefix(p.Ref, ProposalRefPrefix))
	if err != nil {
		return "", err
	}
	existing, err := pr.w.Proposal(ctx, id, pr.actor)
	switch {
	case errors.Is(err, ErrNotFound):
		if p.Old != "" {
			return "", fmt.Errorf("there is no proposal %s", id)
		}
		return p.Ref, nil
	case err != nil:
		return "", err
	case !existing.ProposedBy(pr.actor):
		return "", fmt.Errorf("proposal %s is %s's; only the proposer adds to it (push to refs/for/main to propose your own change)", id, existing.Author.Name)
	case !existing.Status.Active():
		return "", fmt.Errorf("proposal %s is %s; push to refs/for/main to propose anew", id, existing.Status)
	}
	return p.Ref, nil
}

// ProposalPushed implements ProposalReceiver.
func (pr *pushReceiver) ProposalPushed(ctx context.Context, p PushedProposal, ref string) error {
	id := strings.TrimPrefix(ref, ProposalRefPrefix)
	var page Name
	for _, f := range p.Paths {
		if n, ok := ParsePath(f); ok {
			page = n
			break
		}
	}
	who := Author{Name: AnonymousName}
	user := ""
	if pr.actor != nil {
		who, user = pr.actor.Author(), pr.actor.Name
	}
	summary := ""
	if rev, err := pr.w.store.Revision(ctx, p.New); err == nil {
		summary = rev.Summary()
	}
	now := time.Now().UTC().Truncate(time.Second)
	_, err := pr.w.Proposal(ctx, id, pr.actor)
	create := errors.Is(err, ErrNotFound)
	kind := "updated"
	if create {
		kind = "proposed"
	}
	p2, err := pr.w.updateProposal(ctx, id, create, who, pr.w.say("proposal-pushed", id), func(q *Proposal) error {
		if create {
			*q = Proposal{ID: id, Page: page, Summary: summary, Status: ProposalOpen, Author: who, User: user, Created: now, Reviews: []ProposalReview{}}
		} else {
			q.Status = ProposalOpen
		}
		q.Paths, q.Base, q.Revision, q.Updated = p.Paths, p.Base, p.New, now
		return nil
	})
	_, err = pr.w.proposalEvent(ctx, kind, who, p2, err)
	return err
}

// ProposalText is a page's text on the proposal's branch.
func (w *Wiki) ProposalText(ctx context.Context, p *Proposal, name Name) ([]byte, error) {
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	tip, err := bs.RefTip(ctx, p.Branch())
	if err != nil {
		return nil, err
	}
	if tip == "" {
		return nil, fmt.Errorf("proposal %s: its branch is missing: %w", p.ID, ErrNotFound)
	}
	return bs.FileAt(ctx, tip, name.Path())
}

// ProposalTip is the commit the proposal's branch points at now.
func (w *Wiki) ProposalTip(ctx context.Context, p *Proposal) (string, error) {
	bs, err := w.branches()
	if err != nil {
		return "", err
	}
	return bs.RefTip(ctx, p.Branch())
}

// ProposalCommentRequest adds a comment to a proposal's discussion.
type ProposalCommentRequest struct {
	ID      string
	Text    string
	ReplyTo string
	Author  Author
	Actor   *User
}

// CommentOnProposal adds a comment to the proposal's discussion, kept in
// its record.
func (w *Wiki) CommentOnProposal(ctx context.Context, req ProposalCommentRequest) (*Proposal, error) {
	if err := w.mayComment(req.Actor); err != nil {
		return nil, err
	}
	text := strings.ReplaceAll(req.Text, "\r\n", "\n")
	if err := checkComment(text); err != nil {
		return nil, err
	}
	if err := checkAuthorText(req.Author); err != nil {
		return nil, err
	}
	if _, err := w.Proposal(ctx, req.ID, req.Actor); err != nil {
		return nil, err
	}
	cid, err := newProposalID()
	if err != nil {
		return nil, err
	}
	author := w.withDefaultName(req.Author)
	user := ""
	if req.Actor != nil {
		user = req.Actor.Name
	}
	c := Comment{ID: cid, Author: author, User: user, Time: time.Now().UTC().Truncate(time.Second), Text: text, ReplyTo: req.ReplyTo}
	p, err := w.updateProposal(ctx, req.ID, false, author, w.say("proposal-comment", req.ID), func(p *Proposal) error {
		if req.ReplyTo != "" {
			found := false
			for _, o := range p.Comments {
				found = found || o.ID == req.ReplyTo
			}
			if !found {
				return fmt.Errorf("%w: there is no comment %s to reply to", ErrInvalidInput, req.ReplyTo)
			}
		}
		p.Comments = append(p.Comments, c)
		p.Updated = c.Time
		return nil
	})
	if err == nil {
		w.notify(ctx, ReviewEvent{Kind: "commented", Proposal: p, Comment: &c, Actor: author, Mentions: Mentions(c.Text)})
	}
	return p, err
}

// checkNewNames refuses pages a merge would add whose names differ from
// an existing page's only by letter case, or look the same, as a save of
// a new page refuses them.
func checkNewNames(snap *Snapshot, files map[string][]byte) error {
	for p, content := range files {
		n, ok := ParsePath(p)
		if !ok || content == nil {
			continue
		}
		if _, exists := snap.Page(n); exists {
			continue
		}
		if other, ok := snap.CaseTwin(n); ok && other != n {
			return fmt.Errorf("%w: %s differs from the existing page %s only in letter case", ErrNameTaken, n, other)
		}
		if other, ok := snap.LookAlike(n); ok && other != n {
			return fmt.Errorf("%w: %s looks the same as the existing page %s", ErrNameTaken, n, other)
		}
	}
	return nil
}
