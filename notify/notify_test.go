package notify_test

import (
	"context"
	"html"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/internal/smtptest"
	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/notify"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

var (
	_ notify.Source   = (*storage.Repo)(nil)
	_ notify.Accounts = (*accounts.Store)(nil)
	_ notify.Mailer   = (*mail.Queue)(nil)
	_ notify.Clock    = mail.Clock(nil)
)

var (
	annaAuthor = wiki.Author{Name: "Anna de Vries", Email: "anna@gemeente.nl"}
	bobAuthor  = wiki.Author{Name: "Bob Bakker", Email: "bob@gemeente.nl"}
	key        = notify.UnsubscribeKey([]byte("0123456789abcdef0123456789abcdef"))
)

const base = "https://wiki.example.nl"

// fakeClock moves only when the test says so; the notifier waits on it
// for the digest time.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

// waitingFor reports whether someone waits for exactly at.
func (c *fakeClock) waitingFor(at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.waiters {
		if w.at.Equal(at) {
			return true
		}
	}
	return false
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- t
	}
	c.waiters = kept
}

// fixture is a repository, an account store and a mail queue that sends
// to a real SMTP server, with a notifier subscribed to the repository.
type fixture struct {
	t     *testing.T
	root  string
	repo  *storage.Repo
	store *accounts.Store
	smtp  *smtptest.Server
	queue *mail.Queue
	clock *fakeClock

	n      *notify.Notifier
	sub    wiki.Subscription
	cancel context.CancelFunc
	done   chan struct{}
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	repo, err := storage.Init(filepath.Join(root, "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	store, err := accounts.OpenWith(filepath.Join(root, "accounts.db"), accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{t: t, root: root, repo: repo, store: store, smtp: smtptest.Start(t, ""),
		clock: &fakeClock{now: time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)}}
	q, err := mail.Open(context.Background(), filepath.Join(root, "mail"),
		mail.Config{Addr: f.smtp.Addr, TLS: mail.TLSNone, From: "Wiki <wiki@gemeente.nl>", BaseURL: base, DialTimeout: 2 * time.Second},
		mail.Options{Backoff: func(int) time.Duration { return 100 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	f.queue = q
	// A first page, so that the notifier starts from a history.
	f.commit(annaAuthor, "Start", map[string]string{"Home": "# Welkom\n"})
	for _, u := range []wiki.User{
		{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@gemeente.nl", Role: wiki.RoleEditor},
		{Name: "bob", DisplayName: "Bob Bakker", Email: "bob@gemeente.nl", Role: wiki.RoleEditor, Lang: "en"},
		{Name: "carol", DisplayName: "Carol", Email: "carol@gemeente.nl", Role: wiki.RoleReader},
		{Name: "dirk", DisplayName: "Dirk", Email: "dirk@gemeente.nl", Role: wiki.RoleEditor, Disabled: true},
		{Name: "noor", DisplayName: "Noor", Role: wiki.RoleEditor},
	} {
		if _, err := store.Create(context.Background(), u, "een lang wachtwoord"); err != nil {
			t.Fatal(err)
		}
		if u.Disabled {
			if err := store.SetDisabled(context.Background(), wiki.Actor{}, u.Name, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.open()
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	n, err := notify.Open(filepath.Join(f.root, "notify"), notify.Options{
		Source: f.repo, Accounts: f.store, Mailer: f.queue, BaseURL: base, Key: key,
		DigestAt: 8 * time.Hour, Location: time.UTC, Clock: f.clock,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	sub, err := f.repo.Subscribe(context.Background(), n)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.n, f.sub, f.cancel, f.done = n, sub, cancel, make(chan struct{})
	go func() {
		defer close(f.done)
		n.Run(ctx)
	}()
	f.sync()
	f.t.Cleanup(f.close)
}

func (f *fixture) close() {
	if f.n == nil {
		return
	}
	f.sub.Close()
	f.cancel()
	<-f.done
	f.n.Close()
	f.n = nil
}

func (f *fixture) sync() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.sub.Sync(ctx); err != nil {
		f.t.Fatalf("sync: %v (last apply: %v)", err, f.sub.Err())
	}
	if err := f.sub.Err(); err != nil {
		f.t.Fatalf("apply: %v", err)
	}
}

// commit writes pages as one commit by author (and waits for the
// notifier when it runs).
func (f *fixture) commit(author wiki.Author, msg string, pages map[string]string) wiki.CommitResult {
	f.t.Helper()
	ctx := context.Background()
	snap, err := f.repo.Snapshot(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	c := wiki.Commit{Author: author, Message: msg}
	for name, content := range pages {
		n := wiki.MustParseName(name)
		info, _ := snap.Page(n)
		c.Changes = append(c.Changes, wiki.Change{Name: n, Base: info.Revision, Content: []byte(content)})
	}
	res, err := f.repo.Commit(ctx, c)
	if err != nil {
		f.t.Fatal(err)
	}
	if f.n != nil {
		f.sync()
	}
	return res
}

func (f *fixture) follow(user, target string, mode wiki.FollowMode) {
	f.t.Helper()
	if err := f.store.Follow(context.Background(), user, target, mode); err != nil {
		f.t.Fatal(err)
	}
}

// next is the next mail the SMTP server receives.
func (f *fixture) next() *smtptest.Mail {
	f.t.Helper()
	return f.smtp.Next(f.t, 20*time.Second)
}

// marker makes a change that mails carol alone (she follows Marker), and
// expects that mail to be the next: so no other mail was sent before it.
func (f *fixture) marker(what string) {
	f.t.Helper()
	f.follow("carol", "Marker", wiki.FollowImmediately)
	f.commit(bobAuthor, "Marker "+what, map[string]string{"Marker": "Marker " + what + "\n"})
	m := f.next()
	if m.To != "carol@gemeente.nl" || !strings.Contains(m.Text, "Marker "+what) {
		f.t.Fatalf("%s: expected the marker mail to carol next, got a mail to %s: %s\n%s", what, m.To, m.Subject, m.Text)
	}
}

var diffLinkRE = regexp.MustCompile(regexp.QuoteMeta(base) + `/-/diff/([^?\s]+)\?from=([0-9a-f]{40})&to=([0-9a-f]{40})`)

// TestFollowerGetsTheChange: an edit by someone else mails the follower
// once, with the author, the summary, the changed lines, a link to
// exactly that difference and a signed one-click unsubscribe link; an
// edit by the follower themself (by e-mail or by pseudonymous address)
// mails nobody.
func TestFollowerGetsTheChange(t *testing.T) {
	f := newFixture(t)
	first := f.commit(bobAuthor, "Eerste versie", map[string]string{"Beleid/Wmo": "# Wmo\n\nRegel een.\nRegel twee.\n"})
	f.follow("anna", "Beleid/Wmo", wiki.FollowImmediately)
	second := f.commit(bobAuthor, "Termijn aangepast", map[string]string{"Beleid/Wmo": "# Wmo\n\nRegel een.\nRegel 2, nieuw.\n"})

	m := f.next()
	if m.To != "anna@gemeente.nl" {
		t.Fatalf("mail to %s, want anna", m.To)
	}
	if m.Subject != "Beleid/Wmo gewijzigd door Bob Bakker" {
		t.Errorf("subject = %q", m.Subject)
	}
	if m.Header.Get("Content-Language") != "nl" {
		t.Errorf("Content-Language = %q", m.Header.Get("Content-Language"))
	}
	for _, want := range []string{"Bob Bakker", "Termijn aangepast", "-Regel twee.\n", "+Regel 2, nieuw.\n", " Regel een.\n"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "-Regel een.") {
		t.Errorf("an unchanged line shows as removed:\n%s", m.Text)
	}
	dl := diffLinkRE.FindStringSubmatch(m.Text)
	if dl == nil || dl[1] != "Beleid/Wmo" || dl[2] != first.Revision || dl[3] != second.Revision {
		t.Errorf("diff link = %v, want from %s to %s", dl, first.Revision, second.Revision)
	}
	if h := html.UnescapeString(m.HTML); !strings.Contains(h, `<span style="color: #0a5c1a">+Regel 2, nieuw.</span>`) || !strings.Contains(h, "/-/diff/Beleid/Wmo?from="+first.Revision) {
		t.Errorf("html part lacks the diff or its link:\n%s", m.HTML)
	}
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicFollow, User: "anna", Target: "Beleid/Wmo"}, f.clock.Now())

	// Anna's own edits, under her address in any case or her
	// pseudonymous one, mail nobody.
	f.commit(wiki.Author{Name: "Anna", Email: "Anna@Gemeente.NL"}, "Zelf", map[string]string{"Beleid/Wmo": "Eigen wijziging 1\n"})
	f.commit(wiki.Author{Name: "Anna", Email: "anna@users.noreply.wiki.example.nl"}, "Zelf", map[string]string{"Beleid/Wmo": "Eigen wijziging 2\n"})
	f.marker("after own edits")
}

// checkUnsubscribe checks the List-Unsubscribe headers and that the link
// in them and in the text is signed for topic.
func checkUnsubscribe(t *testing.T, m *smtptest.Mail, want notify.Topic, now time.Time) {
	t.Helper()
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	lu := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	u, err := url.Parse(lu)
	if err != nil || !strings.HasPrefix(lu, base+"/-/unsubscribe?t=") {
		t.Fatalf("List-Unsubscribe = %q", lu)
	}
	if !strings.Contains(m.Text, lu) || !strings.Contains(m.HTML, strings.ReplaceAll(lu, "&", "&amp;")) {
		t.Errorf("the mail's text or html lacks the unsubscribe link %s", lu)
	}
	tok, err := mail.VerifyUnsubscribe(key, u.Query().Get("t"), now)
	if err != nil {
		t.Fatalf("unsubscribe token: %v", err)
	}
	got, err := notify.ParseTopic(tok.Topic)
	if err != nil || got != want {
		t.Errorf("unsubscribe topic = %+v (%v), want %+v", got, err, want)
	}
	if tok.Recipient != m.To {
		t.Errorf("token recipient %q, mail to %q", tok.Recipient, m.To)
	}
}

// TestFolderAndLanguage: following a folder covers the pages in it at
// any depth (and the folder's own page), one mail per change even when
// the page is followed twice; the mail is in the recipient's language;
// readers only hear what they may read.
func TestFolderAndLanguage(t *testing.T) {
	f := newFixture(t)
	f.follow("bob", "Beleid/", wiki.FollowImmediately)
	f.follow("bob", "Beleid/Zorg/Wmo", wiki.FollowImmediately)
	f.commit(annaAuthor, "Nieuw", map[string]string{"Beleid/Zorg/Wmo": "Nieuwe pagina\n"})
	m := f.next()
	if m.To != "bob@gemeente.nl" || m.Subject != "Beleid/Zorg/Wmo created by Anna de Vries" || m.Header.Get("Content-Language") != "en" {
		t.Fatalf("mail to %s: %q (%s)", m.To, m.Subject, m.Header.Get("Content-Language"))
	}
	if !strings.Contains(m.Text, "+Nieuwe pagina") || !strings.Contains(m.Text, "Stop following") {
		t.Errorf("text:\n%s", m.Text)
	}
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicFollow, User: "bob", Target: "Beleid/Zorg/Wmo"}, f.clock.Now())
	f.commit(annaAuthor, "De map zelf", map[string]string{"Beleid": "De map\n"})
	if m := f.next(); m.To != "bob@gemeente.nl" || !strings.Contains(m.Subject, "Beleid created") {
		t.Errorf("folder page: mail to %s: %q", m.To, m.Subject)
	}
	f.commit(annaAuthor, "Elders", map[string]string{"Beleidsplan": "Niet in de map\n"})
	f.marker("after a page outside the folder")
}

// TestMentions: an @login that an edit adds mails that person, once,
// also when they do not follow the page; not a mention already there,
// not the author's own, not disabled accounts or ones without e-mail,
// not unknown names, not e-mail addresses.
func TestMentions(t *testing.T) {
	f := newFixture(t)
	f.commit(annaAuthor, "Begin", map[string]string{"Overleg": "Vraag voor @carol.\n"})
	f.next() // carol was mentioned by this first edit already.
	f.commit(annaAuthor, "Vraag", map[string]string{"Overleg": "Vraag voor @carol.\n\n@Bob, kun jij dit bekijken? Ook @anna @dirk @noor @niemand en mail@bob.nl.\n"})
	m := f.next()
	if m.To != "bob@gemeente.nl" || m.Subject != "Anna de Vries mentioned you on Overleg" {
		t.Fatalf("mail to %s: %q", m.To, m.Subject)
	}
	if !strings.Contains(m.Text, "+@Bob, kun jij dit bekijken?") || !strings.Contains(m.Text, "(@bob)") {
		t.Errorf("text:\n%s", m.Text)
	}
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicMention, User: "bob"}, f.clock.Now())
	f.marker("after mentions")

	// With mention mail off, bob hears nothing.
	if err := f.store.SetMentionMail(context.Background(), "bob", false); err != nil {
		t.Fatal(err)
	}
	f.commit(annaAuthor, "Nog eens", map[string]string{"Overleg": "@bob nog een keer.\n"})
	f.marker("with mention mail off")
}

// TestDigest: in daily mode the changes wait for the digest time of the
// injected clock, then go out as one mail listing them all.
func TestDigest(t *testing.T) {
	f := newFixture(t)
	f.follow("anna", "Beleid/", wiki.FollowDaily)
	// Noor has no e-mail address; bob stops following before the digest.
	f.follow("noor", "Beleid/", wiki.FollowDaily)
	f.follow("bob", "Beleid/A", wiki.FollowDaily)
	f.commit(bobAuthor, "Een", map[string]string{"Beleid/A": "Eerste tekst A\n"})
	f.commit(bobAuthor, "Twee", map[string]string{"Beleid/B": "Eerste tekst B\n"})
	f.commit(bobAuthor, "Drie", map[string]string{"Beleid/A": "Tweede tekst A\n"})
	f.commit(annaAuthor, "Vier", map[string]string{"Beleid/A": "Derde tekst A\n"})
	if err := f.store.Unfollow(context.Background(), "bob", "Beleid/A"); err != nil {
		t.Fatal(err)
	}
	f.marker("before the digest time")
	if _, digest := f.n.Pending(); digest != 4 {
		t.Fatalf("%d changes wait for the digest, want 4 (3 for anna, 1 for bob)", digest)
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
	m := f.next()
	if m.To != "anna@gemeente.nl" || m.Subject != "Dagoverzicht: 3 wijzigingen in pagina's die je volgt" {
		t.Fatalf("mail to %s: %q", m.To, m.Subject)
	}
	if strings.Contains(m.Text, "Vier") {
		t.Errorf("anna's digest holds her own change:\n%s", m.Text)
	}
	for _, want := range []string{"Een", "Twee", "Drie", "+Eerste tekst B", "-Eerste tekst A", "+Tweede tekst A"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("digest lacks %q:\n%s", want, m.Text)
		}
	}
	if got := len(diffLinkRE.FindAllString(m.Text, -1)); got != 3 {
		t.Errorf("%d diff links in the digest, want 3", got)
	}
	checkUnsubscribe(t, m, notify.Topic{Kind: notify.TopicDigest, User: "anna"}, f.clock.Now())
	f.marker("after the digest")
	// The outbox lets go of a mail just after the queue took it, which
	// may be after it arrived.
	deadline = time.Now().Add(20 * time.Second)
	for {
		out, digest := f.n.Pending()
		if out == 0 && digest == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending after the digest: %d in the outbox, %d waiting", out, digest)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCatchUpAfterRestart: changes made while the notifier was down (or
// killed before it applied them) are mailed at its next start, from its
// checkpoint, and nothing twice.
func TestCatchUpAfterRestart(t *testing.T) {
	f := newFixture(t)
	f.follow("anna", "Plan", wiki.FollowImmediately)
	f.commit(bobAuthor, "Voor", map[string]string{"Plan": "Versie 1\n"})
	if m := f.next(); !strings.Contains(m.Text, "+Versie 1") {
		t.Fatalf("first mail:\n%s", m.Text)
	}
	f.close()
	f.commit(bobAuthor, "Tijdens", map[string]string{"Plan": "Versie 2\n"})
	f.open()
	m := f.next()
	if m.To != "anna@gemeente.nl" || !strings.Contains(m.Text, "+Versie 2") || !strings.Contains(m.Text, "-Versie 1") {
		t.Fatalf("caught-up mail to %s:\n%s", m.To, m.Text)
	}
	f.marker("after catching up")
}

// TestMailWhileSMTPIsDown: mail for a change made while the SMTP server
// is down waits in the queue and is delivered once it is back.
func TestMailWhileSMTPIsDown(t *testing.T) {
	f := newFixture(t)
	f.follow("anna", "Plan", wiki.FollowImmediately)
	f.smtp.Stop()
	f.commit(bobAuthor, "Terwijl de mailserver plat ligt", map[string]string{"Plan": "Tekst\n"})
	deadline := time.Now().Add(20 * time.Second)
	for f.queue.Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the mail never reached the queue")
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.smtp.Restart()
	m := f.next()
	if m.To != "anna@gemeente.nl" || !strings.Contains(m.Text, "Terwijl de mailserver plat ligt") {
		t.Fatalf("mail to %s:\n%s", m.To, m.Text)
	}
}

func TestTopicRoundTrip(t *testing.T) {
	for _, tp := range []notify.Topic{
		{Kind: notify.TopicFollow, User: "anna", Target: "Beleid/Wmo 2026"},
		{Kind: notify.TopicFollow, User: "anna", Target: "Beleid/"},
		{Kind: notify.TopicDigest, User: "bob"},
		{Kind: notify.TopicMention, User: "carol"},
	} {
		got, err := notify.ParseTopic(tp.String())
		if err != nil || got != tp {
			t.Errorf("ParseTopic(%q) = %+v, %v", tp.String(), got, err)
		}
	}
	for _, bad := range []string{"", "follow:anna", "follow:anna:../x", "other:anna", "digest:"} {
		if _, err := notify.ParseTopic(bad); err == nil {
			t.Errorf("ParseTopic(%q) accepted", bad)
		}
	}
}

func TestIsAuthor(t *testing.T) {
	u := &wiki.User{Name: "anna", Email: "anna@gemeente.nl"}
	for _, c := range []struct {
		email string
		want  bool
	}{
		{"anna@gemeente.nl", true}, {"ANNA@Gemeente.nl", true}, {"anna@users.noreply.wiki.nl", true},
		{"Anna@Users.Noreply.example", true}, {"", false}, {"bob@gemeente.nl", false},
		{"annabel@users.noreply.wiki.nl", false}, {"anna@users.noreply", false},
	} {
		if got := notify.IsAuthor(wiki.Author{Email: c.email}, u); got != c.want {
			t.Errorf("IsAuthor(%q) = %v", c.email, got)
		}
	}
}

// TestRenameKeepsTheFollow: a rename tells the followers of the page
// once, as a rename, and their follow moves to the new name; a page
// deleted beside an unrelated new one is no rename.
func TestRenameKeepsTheFollow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.commit(annaAuthor, "Begin", map[string]string{"Plan": "Het plan\nin drie regels\nklaar\n", "Oud": "Iets anders\n"})
	f.follow("anna", "Plan", wiki.FollowDaily)
	f.follow("anna", "Oud", wiki.FollowImmediately)
	f.follow("carol", "Plannen/", wiki.FollowImmediately)
	rename := func(from, to string, content string) {
		t.Helper()
		snap, _ := f.repo.Snapshot(ctx)
		info, _ := snap.Page(wiki.Name(from))
		if _, err := f.repo.Commit(ctx, wiki.Commit{Author: bobAuthor, Message: "Rename " + from + " to " + to, Changes: []wiki.Change{
			{Name: wiki.Name(from), Base: info.Revision, Delete: true},
			{Name: wiki.Name(to), Content: []byte(content)},
		}}); err != nil {
			t.Fatal(err)
		}
		f.sync()
	}
	// The renamed page's own links may change with it.
	rename("Plan", "Plannen/Plan", "Het plan\nin drie regels\nklaar, zie [[../Oud]]\n")
	m := f.next()
	if m.To != "carol@gemeente.nl" || m.Subject != "Plan hernoemd naar Plannen/Plan door Bob Bakker" || !strings.Contains(m.Text, base+"/-/history/Plannen/Plan") {
		t.Fatalf("rename mail to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	fs, err := f.store.Follows(ctx, "anna")
	if err != nil || len(fs) != 2 || fs[0].Target != "Oud" || fs[1].Target != "Plannen/Plan" || fs[1].Mode != wiki.FollowDaily {
		t.Fatalf("anna follows %+v, %v", fs, err)
	}
	if _, digest := f.n.Pending(); digest != 1 {
		t.Errorf("%d changes wait for anna's digest, want the rename", digest)
	}
	// Deleting Oud beside a new, unrelated page: anna hears Oud was
	// deleted, and does not follow the new page.
	rename("Oud", "Nieuw", "Heel\nandere\ntekst\n")
	m = f.next()
	if m.To != "anna@gemeente.nl" || m.Subject != "Oud verwijderd door Bob Bakker" {
		t.Fatalf("delete mail to %s: %q", m.To, m.Subject)
	}
	if fs, _ := f.store.Follows(ctx, "anna"); len(fs) != 2 || fs[0].Target != "Oud" {
		t.Errorf("anna follows %+v after a delete and an unrelated add", fs)
	}
}
