// Package smtptest runs a real SMTP server (emersion/go-smtp) on
// loopback for tests, and reads the mail it receives: the decoded
// subject, text and HTML parts and the headers.
package smtptest

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message as the server received it.
type Mail struct {
	// From and To are the envelope addresses.
	From, To string
	// Raw is the message as sent.
	Raw []byte
	// Header is the parsed header; Subject is decoded.
	Header  mail.Header
	Subject string
	// Text and HTML are the decoded parts ("" when absent).
	Text, HTML string
}

// Server is a running SMTP server.
type Server struct {
	// Addr is host:port; a server restarted with Restart keeps it.
	Addr string
	t    testing.TB
	msgs chan *Mail

	mu  sync.Mutex
	srv *smtp.Server
}

// Start runs a server on addr ("" for a free port) until the test ends.
func Start(t testing.TB, addr string) *Server {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s := &Server{t: t, msgs: make(chan *Mail, 100)}
	s.listen(addr)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) listen(addr string) {
	s.t.Helper()
	var (
		l   net.Listener
		err error
	)
	// A port just closed may take a moment to be free again.
	for range 50 {
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = logger{s.t}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(l)
}

// Stop shuts the server down; mail sent meanwhile fails to connect.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart starts the server again on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.listen(s.Addr)
}

// Next returns the next mail received, failing the test when none comes
// within timeout.
func (s *Server) Next(t testing.TB, timeout time.Duration) *Mail {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(timeout):
		t.Fatalf("no mail arrived within %v", timeout)
		return nil
	}
}

type logger struct{ t testing.TB }

func (l logger) Printf(format string, v ...any) { l.t.Logf(format, v...) }
func (l logger) Println(v ...any)               { l.t.Log(v...) }

type session struct {
	s        *Server
	from, to string
}

func (ss *session) AuthMechanisms() []string { return nil }
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = to
	return nil
}
func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(b)
	if err != nil {
		ss.s.t.Errorf("received mail that does not parse: %v\n%s", err, b)
		return err
	}
	m.From, m.To = ss.from, ss.to
	ss.s.msgs <- m
	return nil
}
func (ss *session) Reset()        { ss.from, ss.to = "", "" }
func (ss *session) Logout() error { return nil }

// Parse reads a message: its header, decoded subject, and its text and
// HTML parts (single part or multipart/alternative, quoted-printable or
// not).
func Parse(raw []byte) (*Mail, error) {
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return nil, err
	}
	m := &Mail{Raw: raw, Header: msg.Header}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, err
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decodeBody(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		if err != nil {
			return nil, err
		}
		m.Text = body
		return m, nil
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		body, err := decodeBody(p.Header.Get("Content-Transfer-Encoding"), p)
		if err != nil {
			return nil, err
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
	return m, nil
}

func decodeBody(cte string, r io.Reader) (string, error) {
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n"), err
}
