package notify_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/internal/smtptest"
	"github.com/wikiwerk/wikiwerk/notify"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

var _ notify.ReviewAccounts = (*accounts.Store)(nil)

// reviewPolicy reviews Beleid/ by the beleidsteam; reading needs an
// account.
var reviewPolicy = wiki.Policy{Read: wiki.SignedIn, Edit: wiki.Editors,
	Review: []wiki.Protected{{Prefix: "Beleid", Groups: []string{"beleidsteam"}}}}

// reviewFixture is the fixture with the notifier opened as a
// ReviewListener and a wiki that tells it of proposals and comments. Its
// people besides those of newFixture: rita and ramon (English) review
// Beleid, adam is an admin outside the group.
type reviewFixture struct {
	*fixture
	w     *wiki.Wiki
	users map[string]*wiki.User
}

func newReviewFixture(t *testing.T) *reviewFixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	for _, u := range []wiki.User{
		{Name: "rita", DisplayName: "Rita Rood", Email: "rita@gemeente.nl", Role: wiki.RoleEditor, Groups: []string{"beleidsteam"}},
		{Name: "ramon", DisplayName: "Ramon", Email: "ramon@gemeente.nl", Role: wiki.RoleEditor, Groups: []string{"Beleidsteam"}, Lang: "en"},
		{Name: "adam", DisplayName: "Adam", Email: "adam@gemeente.nl", Role: wiki.RoleAdmin},
	} {
		if _, err := f.store.Create(ctx, u, "een lang wachtwoord"); err != nil {
			t.Fatal(err)
		}
	}
	// The notifier of newFixture again, now also as the wiki's listener.
	f.close()
	n, err := notify.Open(filepath.Join(f.root, "notify"), notify.Options{
		Source: f.repo, Accounts: f.store, Mailer: f.queue, BaseURL: base, Key: key,
		DigestAt: 8 * time.Hour, Location: time.UTC, Clock: f.clock,
		Policy: reviewPolicy, Reviews: f.store,
	})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := f.repo.Subscribe(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	f.n, f.sub, f.cancel, f.done = n, sub, cancel, make(chan struct{})
	go func() {
		defer close(f.done)
		n.Run(runCtx)
	}()
	f.sync()
	pol := reviewPolicy
	rf := &reviewFixture{fixture: f, w: wiki.New(f.repo, wiki.Options{Policy: &pol, ReviewListener: n}), users: map[string]*wiki.User{}}
	for _, name := range []string{"anna", "bob", "carol", "rita", "ramon", "adam"} {
		u, err := f.store.User(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		rf.users[name] = u
	}
	return rf
}

// nextN is the next n mails, by recipient.
func (f *fixture) nextN(n int) map[string]*smtptest.Mail {
	f.t.Helper()
	out := map[string]*smtptest.Mail{}
	for range n {
		m := f.next()
		if out[m.To] != nil {
			f.t.Fatalf("two mails to %s: %q and %q", m.To, out[m.To].Subject, m.Subject)
		}
		out[m.To] = m
	}
	return out
}

func recipients(ms map[string]*smtptest.Mail) []string {
	var out []string
	for to := range ms {
		out = append(out, to)
	}
	slices.Sort(out)
	return out
}

func wantIn(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// propose has anna propose a new text of Beleid/Wmo.
func (f *reviewFixture) propose(text, summary string) *wiki.Proposal {
	f.t.Helper()
	ctx := context.Background()
	page, err := f.repo.ReadPage(ctx, "Beleid/Wmo", "")
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.w.Propose(ctx, wiki.ProposeRequest{Name: "Beleid/Wmo", Content: []byte(text), Base: page.Revision.ID,
		Message: summary, Author: f.users["anna"].Author(), Actor: f.users["anna"]})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// TestProposalReviewAndPublishMail: a proposal in a review folder mails
// the folder's reviewers (in their language, with the summary and a link
// to the proposal), not the proposer nor an admin outside the group; an
// approval with a comment and the publication mail the proposer, not the
// reviewer who did it; the proposer's own update mails the reviewers
// again.
func TestProposalReviewAndPublishMail(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	f.commit(bobAuthor, "Begin", map[string]string{"Beleid/Wmo": "# Wmo\n\nDe termijn is zes weken.\n"})
	p := f.propose("# Wmo\n\nDe termijn is acht weken.\n", "Termijn <verlengd>")

	ms := f.nextN(2)
	if got := recipients(ms); !slices.Equal(got, []string{"ramon@gemeente.nl", "rita@gemeente.nl"}) {
		t.Fatalf("the proposal mailed %v, want the two reviewers", got)
	}
	m := ms["rita@gemeente.nl"]
	if m.Subject != "Voorstel voor Beleid/Wmo van Anna de Vries: graag je beoordeling" {
		t.Errorf("subject %q", m.Subject)
	}
	link := base + "/-/proposals/" + p.ID
	wantIn(t, "rita's mail", m.Text, "Anna de Vries stelt een wijziging van de pagina Beleid/Wmo voor", "Samenvatting: Termijn <verlengd>",
		"Bekijk het voorstel: "+link, "omdat je wijzigingen van Beleid/Wmo beoordeelt")
	wantIn(t, "rita's html", m.HTML, "Termijn &lt;verlengd&gt;", `href="`+link+`"`)
	if strings.Contains(m.HTML, "<verlengd>") {
		t.Errorf("the summary is not escaped in the html part:\n%s", m.HTML)
	}
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicReview, User: "rita"}, f.clock.Now())
	if en := ms["ramon@gemeente.nl"]; en.Subject != "Proposal for Beleid/Wmo by Anna de Vries: please review" || en.Header.Get("Content-Language") != "en" {
		t.Errorf("ramon's mail: %q (%s)", en.Subject, en.Header.Get("Content-Language"))
	}
	f.marker("after the proposal")

	// Rita approves with a comment: anna hears of it, rita does not.
	if _, err := f.w.ReviewProposal(ctx, wiki.ReviewRequest{ID: p.ID, Verdict: wiki.VerdictApprove, Comment: "Prima, <b>akkoord</b>.", Actor: f.users["rita"]}); err != nil {
		t.Fatal(err)
	}
	m = f.next()
	if m.To != "anna@gemeente.nl" || m.Subject != "Je voorstel voor Beleid/Wmo is goedgekeurd door Rita Rood" {
		t.Fatalf("approval: mail to %s: %q", m.To, m.Subject)
	}
	wantIn(t, "the approval", m.Text, "Toelichting bij de beoordeling:\n\nPrima, <b>akkoord</b>.", link, "omdat je dit voorstel deed")
	wantIn(t, "the approval's html", m.HTML, "Prima, &lt;b&gt;akkoord&lt;/b&gt;.")
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicReview, User: "anna"}, f.clock.Now())
	f.marker("after the approval")

	// Ramon publishes: anna hears of it, ramon does not.
	if _, err := f.w.PublishProposal(ctx, wiki.PublishRequest{ID: p.ID, Actor: f.users["ramon"]}); err != nil {
		t.Fatal(err)
	}
	m = f.next()
	if m.To != "anna@gemeente.nl" || m.Subject != "Je voorstel voor Beleid/Wmo is gepubliceerd door Ramon" {
		t.Fatalf("publication: mail to %s: %q", m.To, m.Subject)
	}
	f.marker("after the publication")

	// A new proposal that rita asks changes of; anna's update tells both
	// reviewers again, and nobody tells anna of her own update.
	p = f.propose("# Wmo\n\nDe termijn is tien weken.\n", "Nog langer")
	f.nextN(2)
	if _, err := f.w.ReviewProposal(ctx, wiki.ReviewRequest{ID: p.ID, Verdict: wiki.VerdictChanges, Actor: f.users["rita"]}); err != nil {
		t.Fatal(err)
	}
	if m := f.next(); m.To != "anna@gemeente.nl" || m.Subject != "Wijzigingen gevraagd in je voorstel voor Beleid/Wmo door Rita Rood" {
		t.Fatalf("changes requested: mail to %s: %q", m.To, m.Subject)
	}
	if _, err := f.w.UpdateProposal(ctx, wiki.UpdateProposalRequest{ID: p.ID, Content: []byte("# Wmo\n\nNegen weken.\n"), Message: "Negen",
		Author: f.users["anna"].Author(), Actor: f.users["anna"]}); err != nil {
		t.Fatal(err)
	}
	ms = f.nextN(2)
	if got := recipients(ms); !slices.Equal(got, []string{"ramon@gemeente.nl", "rita@gemeente.nl"}) || ms["rita@gemeente.nl"].Subject != "Voorstel voor Beleid/Wmo bijgewerkt door Anna de Vries" {
		t.Fatalf("the update mailed %v: %q", got, ms["rita@gemeente.nl"].Subject)
	}
	// Anna withdraws it herself: nobody hears of that.
	if _, err := f.w.WithdrawProposal(ctx, p.ID, f.users["anna"]); err != nil {
		t.Fatal(err)
	}
	f.marker("after withdrawing")
}

// TestReviewMailOff: with review mail switched off (what the unsubscribe
// link of a review mail does) a reviewer hears of no proposal, the
// others still do; without groups the admins review and hear of it.
func TestReviewMailOff(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	f.commit(bobAuthor, "Begin", map[string]string{"Beleid/Wmo": "# Wmo\n"})
	if err := f.store.SetReviewMail(ctx, "rita", false); err != nil {
		t.Fatal(err)
	}
	f.propose("# Wmo\n\nNieuw.\n", "Nieuw")
	if m := f.next(); m.To != "ramon@gemeente.nl" {
		t.Fatalf("mail to %s: %q", m.To, m.Subject)
	}
	f.marker("with rita's review mail off")

	// A review folder without groups: the admins review it.
	pol := wiki.Policy{Read: wiki.SignedIn, Edit: wiki.Editors, Review: []wiki.Protected{{Prefix: "Raad"}}}
	w := wiki.New(f.repo, wiki.Options{Policy: &pol, ReviewListener: f.n})
	f.commit(bobAuthor, "Raad", map[string]string{"Raad/Besluit": "Besluit\n"})
	page, _ := f.repo.ReadPage(ctx, "Raad/Besluit", "")
	if _, err := w.Propose(ctx, wiki.ProposeRequest{Name: "Raad/Besluit", Content: []byte("Ander besluit\n"), Base: page.Revision.ID,
		Author: f.users["bob"].Author(), Actor: f.users["bob"]}); err != nil {
		t.Fatal(err)
	}
	if m := f.next(); m.To != "adam@gemeente.nl" {
		t.Fatalf("a folder without groups: mail to %s: %q", m.To, m.Subject)
	}
	f.marker("after the proposal in Raad")
}

// TestCommentMail: a comment in a page's discussion mails the page's
// followers (not the commenter), at once or in the daily digest as they
// follow it; an @mention mails the person mentioned; a comment on a
// proposal mails the proposer and the reviewers who took part; an edit
// of a comment mails nobody.
func TestCommentMail(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	f.commit(bobAuthor, "Begin", map[string]string{"Beleid/Wmo": "# Wmo\n", "Home": "# Welkom\n\nNieuw.\n"})
	f.follow("anna", "Beleid/", wiki.FollowImmediately)
	f.follow("carol", "Beleid/Wmo", wiki.FollowImmediately)
	f.follow("ramon", "Beleid/Wmo", wiki.FollowDaily)
	c, err := f.w.Comment(ctx, wiki.CommentRequest{Page: "Beleid/Wmo", Text: "Klopt de termijn? <script>alert(1)</script>\n\nVraag aan @bob.",
		Author: f.users["carol"].Author(), Actor: f.users["carol"]})
	if err != nil {
		t.Fatal(err)
	}
	ms := f.nextN(2)
	if got := recipients(ms); !slices.Equal(got, []string{"anna@gemeente.nl", "bob@gemeente.nl"}) {
		t.Fatalf("the comment mailed %v, want anna (follower) and bob (mentioned)", got)
	}
	m := ms["anna@gemeente.nl"]
	if m.Subject != "Nieuwe opmerking in het overleg over Beleid/Wmo van Carol" {
		t.Errorf("subject %q", m.Subject)
	}
	talk := base + "/-/talk/Beleid/Wmo#c-" + c.ID
	wantIn(t, "anna's mail", m.Text, "Carol schreef een opmerking in het overleg over de pagina Beleid/Wmo", "Opmerking:\n\nKlopt de termijn? <script>",
		"Bekijk het overleg: "+talk, "omdat je de map Beleid/ volgt")
	wantIn(t, "anna's html", m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;")
	if strings.Contains(m.HTML, "<script") {
		t.Errorf("the comment is not escaped in the html part:\n%s", m.HTML)
	}
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicFollow, User: "anna", Target: "Beleid/"}, f.clock.Now())
	m = ms["bob@gemeente.nl"]
	if m.Subject != "Carol mentioned you on Beleid/Wmo" {
		t.Errorf("mention subject %q", m.Subject)
	}
	wantIn(t, "bob's mail", m.Text, "Carol mentioned you (@bob) in a comment about the page Beleid/Wmo", talk)
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicMention, User: "bob"}, f.clock.Now())
	f.marker("after the comment")

	// Carol edits her comment: nobody hears of it.
	if _, err := f.w.Comment(ctx, wiki.CommentRequest{Page: "Beleid/Wmo", ID: c.ID, Text: "Klopt de termijn, @bob @anna?",
		Author: f.users["carol"].Author(), Actor: f.users["carol"]}); err != nil {
		t.Fatal(err)
	}
	f.marker("after the edit of the comment")

	// Ramon follows with a daily digest: the comment waits for it.
	if _, digest := f.n.Pending(); digest != 1 {
		t.Fatalf("%d entries wait for the digest, want ramon's 1", digest)
	}
	due := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	deadline := time.Now().Add(20 * time.Second)
	for !f.clock.waitingFor(due) {
		if time.Now().After(deadline) {
			t.Fatal("the notifier does not wait for the digest time")
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.clock.set(due)
	m = f.next()
	if m.To != "ramon@gemeente.nl" || m.Subject != "Daily digest: 1 change to a page you follow" {
		t.Fatalf("digest: mail to %s: %q", m.To, m.Subject)
	}
	wantIn(t, "the digest", m.Text, "Carol wrote a comment in the discussion of the page Beleid/Wmo", "Klopt de termijn?", "See the discussion: "+talk)

	// A proposal's discussion: rita asked for changes, so she took part;
	// ramon's comment mails anna (the proposer) and rita, not ramon, nor
	// the page's followers.
	p := f.propose("# Wmo\n\nTekst.\n", "Tekst")
	f.nextN(2)
	if _, err := f.w.ReviewProposal(ctx, wiki.ReviewRequest{ID: p.ID, Verdict: wiki.VerdictChanges, Actor: f.users["rita"]}); err != nil {
		t.Fatal(err)
	}
	f.next() // to anna
	p, err = f.w.CommentOnProposal(ctx, wiki.ProposalCommentRequest{ID: p.ID, Text: "Ik kijk mee.", Author: f.users["ramon"].Author(), Actor: f.users["ramon"]})
	if err != nil {
		t.Fatal(err)
	}
	ms = f.nextN(2)
	if got := recipients(ms); !slices.Equal(got, []string{"anna@gemeente.nl", "rita@gemeente.nl"}) {
		t.Fatalf("the proposal comment mailed %v, want anna and rita", got)
	}
	m = ms["rita@gemeente.nl"]
	if m.Subject != "Nieuwe opmerking bij het voorstel voor Beleid/Wmo van Ramon" {
		t.Errorf("subject %q", m.Subject)
	}
	wantIn(t, "rita's mail", m.Text, "Ik kijk mee.", base+"/-/proposals/"+p.ID+"#c-"+p.Comments[0].ID, "omdat je aan de beoordeling van dit voorstel meedeed")
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicReview, User: "rita"}, f.clock.Now())
	f.marker("after the proposal comment")
}
