package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Mail about proposals, reviews and discussions. The wiki tells the
// notifier of these through wiki.ReviewListener, synchronously after the
// change is stored, so ReviewEvent only works out who hears of it and
// writes their mail to the outbox (and comments for daily followers to
// the digest); Run hands it to the mail queue as it does change mail.
//
//   - proposed, updated: the reviewers of the page's review folder (the
//     members of ReviewEvent.Reviewers who may review the page; admins
//     when the folder names no group).
//   - reviewed, published, withdrawn, resolved: the proposer.
//   - commented on a page: the page's followers (immediately or in their
//     digest, as they follow it); on a proposal: the proposer, the
//     reviewers who reviewed it and whoever commented on it before.
//   - @name in a comment: that person, when their mention mail is on.
//
// Nobody hears of what they did themself, of a comment only edited, or
// of anything in a wiki they may not read. Mail to reviewers, proposers
// and the people of a proposal's discussion can be stopped with its
// unsubscribe link (TopicReview, the account's review mail switch);
// follower mail stops with the follow, mention mail with the mention
// switch.

// ReviewAccounts is what mail about proposals needs of the account store
// besides Accounts; storage/accounts.Store is one.
type ReviewAccounts interface {
	// List returns every account, to find a folder's reviewers.
	List(ctx context.Context) ([]wiki.User, error)
	// ReviewMail reports whether user wants mail about proposals and
	// reviews.
	ReviewMail(ctx context.Context, user string) (bool, error)
}

var _ wiki.ReviewListener = (*Notifier)(nil)

// reviewMessages holds the text of mail about proposals and discussions:
// index 0 Dutch, 1 English. t looks here for keys not in messages.
var reviewMessages = map[string][2]string{
	// Arguments: page, actor.
	"subject-proposed":         {"Voorstel voor %s van %s: graag je beoordeling", "Proposal for %s by %s: please review"},
	"subject-updated":          {"Voorstel voor %s bijgewerkt door %s", "Proposal for %s updated by %s"},
	"subject-reviewed-approve": {"Je voorstel voor %s is goedgekeurd door %s", "Your proposal for %s was approved by %s"},
	"subject-reviewed-changes": {"Wijzigingen gevraagd in je voorstel voor %s door %s", "Changes requested in your proposal for %s by %s"},
	"subject-reviewed-reject":  {"Je voorstel voor %s is afgewezen door %s", "Your proposal for %s was rejected by %s"},
	"subject-published":        {"Je voorstel voor %s is gepubliceerd door %s", "Your proposal for %s was published by %s"},
	"subject-withdrawn":        {"Je voorstel voor %s is ingetrokken door %s", "Your proposal for %s was withdrawn by %s"},
	"subject-resolved":         {"Conflict in je voorstel voor %s opgelost door %s", "Conflict in your proposal for %s resolved by %s"},
	"subject-proposal-comment": {"Nieuwe opmerking bij het voorstel voor %s van %s", "New comment on the proposal for %s by %s"},
	"subject-commented":        {"Nieuwe opmerking in het overleg over %s van %s", "New comment in the discussion of %s by %s"},
	// Arguments: actor, page, time.
	"did-proposed":         {"%s stelt een wijziging van de pagina %s voor, op %s. Je beoordeelt wijzigingen daar.", "%s proposes a change of the page %s, on %s. You review changes there."},
	"did-updated":          {"%s heeft het voorstel voor de pagina %s bijgewerkt op %s.", "%s updated the proposal for the page %s on %s."},
	"did-reviewed-approve": {"%s heeft je voorstel voor de pagina %s goedgekeurd op %s.", "%s approved your proposal for the page %s on %s."},
	"did-reviewed-changes": {"%s vraagt wijzigingen in je voorstel voor de pagina %s, op %s.", "%s asks for changes in your proposal for the page %s, on %s."},
	"did-reviewed-reject":  {"%s heeft je voorstel voor de pagina %s afgewezen op %s.", "%s rejected your proposal for the page %s on %s."},
	"did-published":        {"%s heeft je voorstel voor de pagina %s gepubliceerd op %s: de wijziging staat nu op de pagina.", "%s published your proposal for the page %s on %s: the change is on the page now."},
	"did-withdrawn":        {"%s heeft je voorstel voor de pagina %s ingetrokken op %s.", "%s withdrew your proposal for the page %s on %s."},
	"did-resolved":         {"%s heeft het conflict in je voorstel voor de pagina %s opgelost op %s.", "%s resolved the conflict in your proposal for the page %s on %s."},
	"did-proposal-comment": {"%s schreef een opmerking bij het voorstel voor de pagina %s, op %s.", "%s wrote a comment on the proposal for the page %s, on %s."},
	"did-commented":        {"%s schreef een opmerking in het overleg over de pagina %s, op %s.", "%s wrote a comment in the discussion of the page %s, on %s."},
	"did-mention-comment":  {"%s noemde je (@%s) in een opmerking over de pagina %s, op %s.", "%s mentioned you (@%s) in a comment about the page %s, on %s."},

	"comment":        {"Opmerking", "Comment"},
	"review-comment": {"Toelichting bij de beoordeling", "The reviewer's comment"},
	"comment-cut":    {"(Ingekort: de link hieronder toont de hele opmerking.)", "(Shortened: the link below shows the whole comment.)"},
	"see-proposal":   {"Bekijk het voorstel", "See the proposal"},
	"see-talk":       {"Bekijk het overleg", "See the discussion"},
	"why-reviewer":   {"Je krijgt deze mail omdat je wijzigingen van %s beoordeelt.", "You get this mail because you review changes of %s."},
	"why-proposer":   {"Je krijgt deze mail omdat je dit voorstel deed.", "You get this mail because you made this proposal."},
	"why-took-part":  {"Je krijgt deze mail omdat je aan de beoordeling van dit voorstel meedeed.", "You get this mail because you took part in the review of this proposal."},
	"stop-review":    {"Geen mail meer over voorstellen en beoordelingen", "No more mail about proposals and reviews"},
}

// Why someone hears of a review event besides following or a mention.
const (
	asReviewer = "reviewer"
	asProposer = "proposer"
	asTookPart = "took-part"
)

// reviewRecipient is one person to tell of one review event.
type reviewRecipient struct {
	// user is the account when the search for reviewers found it.
	user *wiki.User
	// as is asReviewer, asProposer or asTookPart ("" for none).
	as string
	// follow is the follow that covers a commented page.
	follow    *wiki.Follow
	mentioned bool
}

// ReviewEvent implements wiki.ReviewListener: it writes the mail about e
// to the outbox. It never fails the change, which is stored already: a
// problem is logged.
func (n *Notifier) ReviewEvent(ctx context.Context, e wiki.ReviewEvent) {
	if n.opt.Reviews == nil {
		return
	}
	// The request may end as soon as we return; the outbox must not.
	ctx = context.WithoutCancel(ctx)
	msgs, digests, err := n.reviewMails(ctx, e)
	if err == nil {
		err = n.queue(msgs, digests)
	}
	if err != nil {
		n.log.Warn("notify: mail about a review event", "kind", e.Kind, "page", string(e.Page), "err", err)
		return
	}
	if len(msgs) > 0 || len(digests) > 0 {
		n.log.Info("notify: mail for a review event", "kind", e.Kind, "page", string(e.Page), "mails", len(msgs), "digest", len(digests))
	}
}

// queue writes mail to the outbox and digest entries in one transaction,
// and wakes Run.
func (n *Notifier) queue(msgs []mail.Message, digests map[string]entry) error {
	if len(msgs) == 0 && len(digests) == 0 {
		return nil
	}
	err := n.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		for _, m := range msgs {
			if err := putSeq(ob, nil, m); err != nil {
				return err
			}
		}
		db := tx.Bucket(bucketDigest)
		for login, e := range digests {
			if err := putSeq(db, []byte(login+"\x00"), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("notify: write: %w", err)
	}
	select {
	case n.kick <- struct{}{}:
	default:
	}
	return nil
}

// actorLogin is the login name of who caused e, when the event names it;
// IsAuthor covers the rest.
func actorLogin(e wiki.ReviewEvent) string {
	switch {
	case e.Kind == "commented" && e.Comment != nil:
		return e.Comment.User
	case e.Kind == "reviewed" && e.Review != nil:
		return e.Review.User
	case (e.Kind == "proposed" || e.Kind == "updated") && e.Proposal != nil:
		return e.Proposal.User
	}
	return ""
}

// isReviewer reports whether u is one of the reviewers e is for: a member
// of one of the folder's groups who may review the page, or an admin
// when the folder names none.
func (n *Notifier) isReviewer(u *wiki.User, e wiki.ReviewEvent) bool {
	if len(e.Reviewers) == 0 {
		return n.opt.Policy.CanAdmin(u)
	}
	for _, g := range e.Reviewers {
		if u.InGroup(g) {
			return n.opt.Policy.CanReview(u, e.Page)
		}
	}
	return false
}

// reviewMails works out who hears of e and makes their mail, and the
// digest entries (by login) of followers of a commented page who follow
// it with a daily digest.
func (n *Notifier) reviewMails(ctx context.Context, e wiki.ReviewEvent) ([]mail.Message, map[string]entry, error) {
	p := e.Proposal
	who := map[string]*reviewRecipient{}
	var order []string
	add := func(login string) *reviewRecipient {
		login = strings.ToLower(login)
		if r, ok := who[login]; ok {
			return r
		}
		r := &reviewRecipient{}
		who[login] = r
		order = append(order, login)
		return r
	}
	// as sets why someone hears of e, keeping the first reason.
	as := func(login, why string) {
		if login == "" {
			return
		}
		if r := add(login); r.as == "" {
			r.as = why
		}
	}
	switch e.Kind {
	case "proposed", "updated":
		if p == nil {
			return nil, nil, nil
		}
		users, err := n.opt.Reviews.List(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("notify: accounts: %w", err)
		}
		for i := range users {
			if u := &users[i]; n.isReviewer(u, e) {
				as(u.Name, asReviewer)
				who[strings.ToLower(u.Name)].user = u
			}
		}
	case "reviewed", "published", "withdrawn", "resolved":
		if p == nil {
			return nil, nil, nil
		}
		as(p.User, asProposer)
	case "commented":
		if e.Comment == nil || !e.Comment.Edited.IsZero() {
			// An edit of a comment is not news to mail about.
			return nil, nil, nil
		}
		if p != nil {
			as(p.User, asProposer)
			for _, r := range p.Reviews {
				as(r.User, asTookPart)
			}
			for _, c := range p.Comments {
				if c.ID != e.Comment.ID {
					as(c.User, asTookPart)
				}
			}
		} else {
			follows, err := n.opt.Accounts.Followers(ctx, e.Page)
			if err != nil {
				return nil, nil, fmt.Errorf("notify: followers of %s: %w", e.Page, err)
			}
			for i := range follows {
				f := &follows[i]
				r := add(f.User)
				// As for page changes: a follow that mails at once wins,
				// and of those the nearest.
				if r.follow == nil || (r.follow.Mode == wiki.FollowDaily && f.Mode == wiki.FollowImmediately) {
					r.follow = f
				}
			}
		}
		for _, login := range e.Mentions {
			add(login).mentioned = true
		}
	default:
		return nil, nil, nil
	}
	if len(order) == 0 {
		return nil, nil, nil
	}
	var ch change
	if e.Kind == "commented" {
		ch = change{Page: e.Page, Author: e.Actor.Name, Time: e.Comment.Time, Kind: "commented", Comment: e.Comment.ID}
		if p != nil {
			ch.Proposal = p.ID
		}
		ch.Diff, ch.Cut = cutText(e.Comment.Text)
	}
	self := strings.ToLower(actorLogin(e))
	var (
		msgs    []mail.Message
		digests = map[string]entry{}
	)
	for _, login := range order {
		r := who[login]
		u := r.user
		if u == nil {
			var err error
			u, err = n.opt.Accounts.User(ctx, login)
			if errors.Is(err, wiki.ErrNotFound) || errors.Is(err, wiki.ErrInvalidInput) {
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("notify: account %s: %w", login, err)
			}
		}
		if u.Disabled || u.Email == "" || !n.opt.Policy.CanRead(u) || IsAuthor(e.Actor, u) || (self != "" && strings.EqualFold(u.Name, self)) {
			continue
		}
		if r.mentioned {
			on, err := n.opt.Accounts.MentionMail(ctx, u.Name)
			if err != nil {
				return nil, nil, fmt.Errorf("notify: mention mail of %s: %w", login, err)
			}
			if on {
				m, err := n.changeMail(u, ch, nil, true)
				if err != nil {
					return nil, nil, err
				}
				msgs = append(msgs, m)
				continue
			}
		}
		switch {
		case r.as != "":
			on, err := n.opt.Reviews.ReviewMail(ctx, u.Name)
			if err != nil {
				return nil, nil, fmt.Errorf("notify: review mail of %s: %w", login, err)
			}
			if !on {
				continue
			}
			m, err := n.reviewMail(u, e, r.as, ch)
			if err != nil {
				return nil, nil, err
			}
			msgs = append(msgs, m)
		case r.follow == nil:
		case r.follow.Mode == wiki.FollowDaily:
			digests[u.Name] = entry{Change: ch, Target: r.follow.Target}
		default:
			m, err := n.changeMail(u, ch, r.follow, false)
			if err != nil {
				return nil, nil, err
			}
			msgs = append(msgs, m)
		}
	}
	return msgs, digests, nil
}

// cutText bounds a comment's text for mail as a diff is bounded; cut
// reports it was shortened.
func cutText(s string) (text string, cut bool) {
	s = strings.TrimRight(s, "\n") + "\n"
	lines := strings.SplitAfter(s, "\n")
	size := 0
	for i, l := range lines {
		if i >= maxDiffLines || size+len(l) > maxDiffBytes {
			return strings.Join(lines[:i], ""), true
		}
		size += len(l)
	}
	return s, false
}

// proposalLink is the proposal's page.
func (n *Notifier) proposalLink(id string) string {
	return n.link("/-/proposals/"+url.PathEscape(id), nil)
}

// commentLink is the comment in its discussion: the proposal's page or
// the page's discussion.
func (n *Notifier) commentLink(ch change) string {
	s := n.link("/-/talk/"+ch.Page.EscapedPath(), nil)
	if ch.Proposal != "" {
		s = n.proposalLink(ch.Proposal)
	}
	if ch.Comment != "" {
		s += "#c-" + url.PathEscape(ch.Comment)
	}
	return s
}

// commentChange fills what mail shows of a comment: its text as it was
// written (Markdown), plain, and a link to it.
func commentChange(lang string, ch change, mc mailChange) mailChange {
	mc.Label, mc.LinkText = t(lang, "comment"), t(lang, "see-talk")
	if ch.Proposal != "" {
		mc.LinkText = t(lang, "see-proposal")
	}
	if ch.Cut {
		mc.Cut = t(lang, "comment-cut")
	}
	mc.Lines = textLines(ch.Diff)
	return mc
}

// textLines are the lines of a text for the HTML part, without the
// colours of a diff.
func textLines(s string) []diffLine {
	if s == "" {
		return nil
	}
	var out []diffLine
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		out = append(out, diffLine{Text: l})
	}
	return out
}

// reviewMail is the mail about a review event to someone who reviews,
// proposed or took part (as); ch is the comment for Kind "commented".
func (n *Notifier) reviewMail(u *wiki.User, e wiki.ReviewEvent, as string, ch change) (mail.Message, error) {
	lang := n.langOf(u)
	p := e.Proposal
	key := e.Kind
	switch e.Kind {
	case "reviewed":
		verdict := wiki.VerdictChanges
		if e.Review != nil {
			verdict = e.Review.Verdict
		}
		key = "reviewed-" + string(verdict)
	case "commented":
		key = "proposal-comment"
	}
	page := p.Page
	if page == "" {
		page = e.Page
	}
	subject := t(lang, "subject-"+key, page, e.Actor.Name)
	mc := mailChange{Did: t(lang, "did-"+key, e.Actor.Name, page, n.date(lang, e.Time)),
		DiffLink: n.proposalLink(p.ID), LinkText: t(lang, "see-proposal")}
	cut := false
	switch e.Kind {
	case "reviewed":
		mc.Summary = p.Summary
		if e.Review != nil && e.Review.Comment != "" {
			mc.Diff, cut = cutText(e.Review.Comment)
			mc.Label = t(lang, "review-comment")
		}
	case "commented":
		mc.Diff, cut, mc.Label = ch.Diff, ch.Cut, t(lang, "comment")
		mc.DiffLink = n.commentLink(ch)
	default:
		mc.Summary = p.Summary
	}
	if cut {
		mc.Cut = t(lang, "comment-cut")
	}
	mc.Lines = textLines(mc.Diff)
	why := t(lang, "why-proposer")
	switch as {
	case asReviewer:
		why = t(lang, "why-reviewer", page)
	case asTookPart:
		why = t(lang, "why-took-part")
	}
	return n.composeMail(u, lang, subject, mc, why, t(lang, "stop-review"), Topic{Kind: TopicReview, User: u.Name})
}

// composeMail makes the text and HTML parts of a mail about one thing,
// with the reason it is sent and its signed unsubscribe link.
func (n *Notifier) composeMail(u *wiki.User, lang, subject string, mc mailChange, why, stop string, topic Topic) (mail.Message, error) {
	unsub, err := n.unsubscribeLink(u, topic)
	if err != nil {
		return mail.Message{}, err
	}
	watchlist := n.link("/-/watchlist", nil)
	var b strings.Builder
	b.WriteString(mc.Did + "\n")
	if mc.Summary != "" {
		b.WriteString(t(lang, "summary") + ": " + mc.Summary + "\n")
	}
	if mc.Diff != "" {
		b.WriteString("\n" + mc.Label + ":\n\n" + mc.Diff)
		if mc.Cut != "" {
			b.WriteString(mc.Cut + "\n")
		}
	}
	b.WriteString("\n" + mc.LinkText + ": " + mc.DiffLink + "\n")
	b.WriteString("\n-- \n" + why + "\n" + stop + ": " + unsub + "\n" + t(lang, "watchlist") + ": " + watchlist + "\n")
	html, err := renderHTML(htmlData{Lang: lang, Subject: subject, SummaryLabel: t(lang, "summary"),
		Changes: []htmlChange{{mailChange: mc}}, Why: why, Unsubscribe: unsub, StopText: stop,
		Watchlist: watchlist, WatchlistText: t(lang, "watchlist")})
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{To: mail.Address{Name: u.DisplayName, Email: u.Email}, Subject: subject,
		Text: b.String(), HTML: html, Lang: lang, Headers: mail.UnsubscribeHeaders(unsub)}, nil
}
