package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// testClock is the account store's clock, moved by the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// usersOptions configure newUsersWiki.
type usersOptions struct {
	// smtp, when set, is a running SMTP server the wiki mails through.
	smtp *smtpServer
	// commits is the wiki's commit address setting.
	commits wiki.CommitAddresses
	// policy is the wiki's policy; the zero value means editors edit.
	policy wiki.Policy
}

// usersWiki is an authWiki (the same four people) whose account store
// runs on a clock the test moves, optionally with mail.
type usersWiki struct {
	*authWiki
	clock *testClock
}

func newUsersWiki(t *testing.T, o usersOptions) *usersWiki {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit(context.Background(), wiki.Commit{
		Author: wiki.Author{Name: "wikiwerk"}, Message: "seed",
		Changes: []wiki.Change{{Name: "Home", Content: []byte("# Welkom\n")}},
	}); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	store, err := accounts.OpenWith(filepath.Join(t.TempDir(), "accounts.db"),
		accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, u := range []wiki.User{
		{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@example.nl", Role: wiki.RoleEditor},
		{Name: "bram", DisplayName: "Bram Jansen", Email: "bram@example.nl", Role: wiki.RoleReader},
		{Name: "carla", DisplayName: "Carla Smit", Email: "carla@example.nl", Role: wiki.RoleAdmin},
		{Name: "dirk", DisplayName: "Dirk Bakker", Email: "dirk@example.nl", Role: wiki.RoleEditor, Groups: []string{"beleidsteam"}},
	} {
		if _, err := store.Create(ctx, u, passwords[u.Name]); err != nil {
			t.Fatal(err)
		}
	}
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	var mailer web.Mailer
	if o.smtp != nil {
		q, err := mail.Open(ctx, filepath.Join(t.TempDir(), "mail"), mail.Config{Addr: o.smtp.addr, TLS: mail.TLSNone,
			From: "Wiki <wiki@example.nl>", BaseURL: base}, mail.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		mailer = q
	}
	policy := o.policy
	if policy.Edit == "" {
		policy.Edit = wiki.Editors
	}
	s, err := web.New(web.Config{
		Wiki:            wiki.New(repo, wiki.Options{MaxPageBytes: 64 << 10}),
		Theme:           theme,
		Policy:          policy,
		Accounts:        store,
		MaxBodyBytes:    256 << 10,
		Logger:          slog.New(slog.DiscardHandler),
		Mail:            mailer,
		BaseURL:         base,
		CommitAddresses: o.commits,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s
	srv.Start()
	tw := &testWiki{t: t, srv: srv, repo: repo, dir: dir}
	t.Cleanup(func() { tw.srv.Close(); repo.Close(); store.Close() })
	return &usersWiki{authWiki: &authWiki{testWiki: tw, server: s, accounts: store}, clock: clock}
}

// smtpServer is a real SMTP server (emersion/go-smtp) on loopback that
// keeps what it receives.
type smtpServer struct {
	addr string
	msgs chan smtpMessage
}

type smtpMessage struct {
	To   string
	Data []byte
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &smtpServer{addr: l.Addr().String(), msgs: make(chan smtpMessage, 16)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{ts: ts}, nil }))
	srv.Domain = "localhost"
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return ts
}

type smtpSession struct {
	ts *smtpServer
	to string
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.msgs <- smtpMessage{To: s.to, Data: b}
	return nil
}
func (s *smtpSession) Reset()        { s.to = "" }
func (s *smtpSession) Logout() error { return nil }

// wait returns the next message the server receives.
func (ts *smtpServer) wait(t *testing.T) smtpMessage {
	t.Helper()
	select {
	case m := <-ts.msgs:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no mail arrived")
	}
	panic("unreachable")
}

// parts decodes a received message: its subject and its text and HTML
// parts.
func (m smtpMessage) parts(t *testing.T) (subject, text, html string) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	return subject, text, html
}
