package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
)

const dutchSubject = "Wijziging in ‘WMO-loket’ — één regel"

func testMessage(to string) Message {
	return Message{
		To:      Address{Name: "Joëlle de Vries", Email: to},
		Subject: dutchSubject,
		Text:    "Beste Joëlle,\n\nDe pagina ‘WMO-loket’ is gewijzigd: één regel.\n.\nEen regel met alleen een punt hierboven.\n",
		HTML:    "<p>Beste Joëlle,</p><p>De pagina <a href=\"https://wiki.example.nl/WMO-loket\">‘WMO-loket’</a> is gewijzigd.</p>",
		Lang:    "nl",
		Headers: UnsubscribeHeaders("https://wiki.example.nl/-/unsubscribe?token=abc"),
	}
}

func testConfig(addr string) Config {
	return Config{
		Addr:     addr,
		TLS:      TLSStartTLS,
		User:     "wiki",
		Password: "geheim wachtwoord",
		From:     "Wiki van de gemeente <wiki@gemeente.example.nl>",
		BaseURL:  "https://wiki.example.nl",
	}
}

func send(t *testing.T, cfg Config, m Message) error {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	from, err := cfg.from()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Compose(from, m, time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return c.Send(context.Background(), Envelope{From: from.Email, To: m.To.Email}, raw)
}

// checkReceived parses what the server got as a person's mail program
// would and checks every part of testMessage.
func checkReceived(t *testing.T, got received, want Message) {
	t.Helper()
	for i, line := range strings.Split(string(got.Data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d characters long", i, len(line))
		}
		for _, c := range []byte(line) {
			if c >= 0x80 {
				t.Fatalf("line %d is not ASCII: %q", i, line)
			}
		}
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatalf("received mail does not parse: %v\n%s", err, got.Data)
	}
	h := msg.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Errorf("subject decodes to %q (%v), want %q; raw %q", subject, err, want.Subject, h.Get("Subject"))
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != want.To.Email || to[0].Name != want.To.Name {
		t.Errorf("To = %v (%v), want %v", to, err, want.To)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "wiki@gemeente.example.nl" {
		t.Errorf("From = %v (%v)", from, err)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@gemeente.example.nl>") {
		t.Errorf("Message-ID = %q", id)
	}
	if h.Get("Content-Language") != want.Lang {
		t.Errorf("Content-Language = %q, want %q", h.Get("Content-Language"), want.Lang)
	}
	if got, want := h.Get("List-Unsubscribe"), want.Headers["List-Unsubscribe"]; got != want || want == "" {
		t.Errorf("List-Unsubscribe = %q, want %q", got, want)
	}
	if h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", h.Get("List-Unsubscribe-Post"))
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v)", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	parts := map[string]string{}
	var order []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if pp["charset"] != "utf-8" {
			t.Errorf("%s part charset %q", pt, pp["charset"])
		}
		// multipart.Reader undoes quoted-printable itself.
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts[pt] = strings.ReplaceAll(string(b), "\r\n", "\n")
		order = append(order, pt)
	}
	if len(order) != 2 || order[0] != "text/plain" || order[1] != "text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", order)
	}
	if parts["text/plain"] != want.Text {
		t.Errorf("text part %q, want %q", parts["text/plain"], want.Text)
	}
	if parts["text/html"] != want.HTML {
		t.Errorf("html part %q, want %q", parts["text/html"], want.HTML)
	}
}

func TestSendSTARTTLSWithAuth(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	ts := startServer(t, serverOptions{startTLS: srvTLS, user: "wiki", pass: "geheim wachtwoord"})
	cfg := testConfig(ts.addr)
	cfg.TLSConfig = cliTLS
	m := testMessage("joelle@gemeente.example.nl")
	if err := send(t, cfg, m); err != nil {
		t.Fatal(err)
	}
	got := waitMsg(t, ts)
	if !got.TLS {
		t.Error("message was sent without TLS")
	}
	if got.User != "wiki" {
		t.Errorf("authenticated as %q, want wiki", got.User)
	}
	if got.From != "wiki@gemeente.example.nl" || got.To != "joelle@gemeente.example.nl" {
		t.Errorf("envelope %q → %q", got.From, got.To)
	}
	checkReceived(t, got, m)
}

func TestSendImplicitTLS(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	ts := startServer(t, serverOptions{implicit: srvTLS, user: "wiki", pass: "geheim wachtwoord"})
	cfg := testConfig(ts.addr)
	cfg.TLS = TLSImplicit
	cfg.TLSConfig = cliTLS
	m := testMessage("joelle@gemeente.example.nl")
	if err := send(t, cfg, m); err != nil {
		t.Fatal(err)
	}
	got := waitMsg(t, ts)
	if !got.TLS || got.User != "wiki" {
		t.Errorf("TLS %v, user %q", got.TLS, got.User)
	}
	checkReceived(t, got, m)
}

func TestSendUntrustedCertificateRefused(t *testing.T) {
	srvTLS, _ := testCert(t)
	ts := startServer(t, serverOptions{startTLS: srvTLS, user: "wiki", pass: "geheim wachtwoord"})
	err := send(t, testConfig(ts.addr), testMessage("joelle@gemeente.example.nl"))
	if err == nil || IsPermanent(err) {
		t.Fatalf("send to a server with an unknown certificate: %v", err)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.auths != 0 || ts.mailCmds != 0 {
		t.Errorf("the client went on after a failed handshake: %d AUTH, %d MAIL", ts.auths, ts.mailCmds)
	}
}

func TestSendRefusesClearTextWithoutSTARTTLS(t *testing.T) {
	// This server offers no STARTTLS but would take AUTH in clear text.
	ts := startServer(t, serverOptions{user: "wiki", pass: "geheim wachtwoord"})
	err := send(t, testConfig(ts.addr), testMessage("joelle@gemeente.example.nl"))
	if !isNoSTARTTLS(err) {
		t.Fatalf("send without STARTTLS: %v, want ErrNoSTARTTLS", err)
	}
	if IsPermanent(err) {
		t.Error("a missing STARTTLS is a setup problem, not a permanent failure of the message")
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.auths != 0 || ts.mailCmds != 0 {
		t.Errorf("clear text was sent: %d AUTH, %d MAIL", ts.auths, ts.mailCmds)
	}
}

func TestSendWrongPasswordIsNotPermanent(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	ts := startServer(t, serverOptions{startTLS: srvTLS, user: "wiki", pass: "geheim wachtwoord"})
	cfg := testConfig(ts.addr)
	cfg.TLSConfig = cliTLS
	cfg.Password = "fout"
	err := send(t, cfg, testMessage("joelle@gemeente.example.nl"))
	var se *SendError
	if !errors.As(err, &se) || se.Step != "auth" || se.Permanent {
		t.Fatalf("send with a wrong password: %#v", err)
	}
}

func TestSendRejectedRecipientIsPermanent(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	ts := startServer(t, serverOptions{startTLS: srvTLS, user: "wiki", pass: "geheim wachtwoord", reject: "weg@gemeente.example.nl"})
	cfg := testConfig(ts.addr)
	cfg.TLSConfig = cliTLS
	err := send(t, cfg, testMessage("weg@gemeente.example.nl"))
	if !IsPermanent(err) || !strings.Contains(err.Error(), "550") {
		t.Fatalf("send to a rejected recipient: %v", err)
	}
}

func TestSendTextOnly(t *testing.T) {
	ts := startServer(t, serverOptions{})
	cfg := testConfig(ts.addr)
	cfg.TLS, cfg.User, cfg.Password = TLSNone, "", ""
	m := Message{To: Address{Email: "a@example.nl"}, Subject: "Uitnodiging", Text: "Welkom op de wiki.\n"}
	if err := send(t, cfg, m); err != nil {
		t.Fatal(err)
	}
	got := waitMsg(t, ts)
	msg, err := netmail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if msg.Header.Get("Subject") != "Uitnodiging" || msg.Header.Get("List-Unsubscribe") != "" {
		t.Errorf("headers %v", msg.Header)
	}
}

func TestComposeRefusesHeaderInjection(t *testing.T) {
	from := Address{Name: "Wiki", Email: "wiki@example.nl"}
	ok := testMessage("a@example.nl")
	cases := map[string]func(m *Message){
		"subject CRLF":      func(m *Message) { m.Subject = "Hallo\r\nBcc: spion@example.com" },
		"subject LF":        func(m *Message) { m.Subject = "Hallo\nBcc: spion@example.com" },
		"address LF":        func(m *Message) { m.To.Email = "a@example.nl\nBcc: spion@example.com" },
		"name CRLF":         func(m *Message) { m.To.Name = "Jan\r\nBcc: spion@example.com" },
		"header value CR":   func(m *Message) { m.Headers = map[string]string{"List-Unsubscribe": "<https://x>\rBcc: s@e.com"} },
		"header name colon": func(m *Message) { m.Headers = map[string]string{"X-A: b\r\nBcc": "s@e.com"} },
	}
	for name, change := range cases {
		m := ok
		m.Headers = map[string]string{}
		change(&m)
		raw, err := Compose(from, m, time.Now())
		if !errors.Is(err, ErrHeaderInjection) {
			t.Errorf("%s: Compose = %v, %q; want ErrHeaderInjection", name, err, raw)
		}
	}
	bad := map[string]func(m *Message){
		"reserved header":   func(m *Message) { m.Headers = map[string]string{"bcc": "spion@example.com"} },
		"two addresses":     func(m *Message) { m.To.Email = "a@example.nl, b@example.nl" },
		"address with name": func(m *Message) { m.To.Email = "Jan <a@example.nl>" },
		"no text":           func(m *Message) { m.Text = " \n" },
		"bad language":      func(m *Message) { m.Lang = "nl; x" },
	}
	for name, change := range bad {
		m := ok
		change(&m)
		if _, err := Compose(from, m, time.Now()); err == nil {
			t.Errorf("%s: Compose accepted it", name)
		}
	}
	if _, err := Compose(from, ok, time.Now()); err != nil {
		t.Errorf("the good message: %v", err)
	}
}

func TestComposeFoldsLongSubject(t *testing.T) {
	m := testMessage("a@example.nl")
	m.Subject = strings.Repeat(dutchSubject+" ", 6)
	raw, err := Compose(Address{Email: "wiki@example.nl"}, m, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || got != m.Subject {
		t.Errorf("long subject decodes to %q (%v)", got, err)
	}
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 100 {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
	}
}
