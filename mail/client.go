package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"time"
)

// ErrNoSTARTTLS is returned when TLS mode is starttls and the server
// does not offer STARTTLS: nothing is sent in clear text then.
var ErrNoSTARTTLS = errors.New("the SMTP server does not offer STARTTLS; refusing to send in clear text")

// ErrNoAuth is returned when a user is configured but the server offers
// no AUTH.
var ErrNoAuth = errors.New("the SMTP server does not offer AUTH")

// Envelope is the SMTP sender and recipient of one message.
type Envelope struct {
	From string
	To   string
}

// Sender delivers one composed message. Client is the SMTP one.
type Sender interface {
	// Send hands msg to the next hop. An error for which IsPermanent is
	// true will fail the same way on every try.
	Send(ctx context.Context, env Envelope, msg []byte) error
}

// SendError tells at which SMTP step sending failed and whether trying
// again can help.
type SendError struct {
	// Step is the SMTP step: "connect", "starttls", "auth", "mail",
	// "rcpt" or "data".
	Step string
	// Permanent is true for a 5xx answer to RCPT or DATA: this message
	// to this recipient will never be taken. A 5xx at an earlier step
	// (a wrong password, say) is a setup problem and is retried.
	Permanent bool
	Err       error
}

func (e *SendError) Error() string { return "smtp " + e.Step + ": " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err says that sending will never succeed.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// Client sends mail over SMTP as its Config says.
type Client struct {
	cfg  Config
	host string
}

var _ Sender = (*Client)(nil)

// NewClient checks cfg and returns a Client for it.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, _ := cfg.host()
	return &Client{cfg: cfg, host: host}, nil
}

// Send delivers msg in one SMTP session. Cancelling ctx aborts it.
func (c *Client) Send(ctx context.Context, env Envelope, msg []byte) error {
	conn, err := c.dial(ctx)
	if err != nil {
		return &SendError{Step: "connect", Err: err}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	timeout := c.cfg.SendTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return &SendError{Step: "connect", Err: err}
	}
	err = c.session(conn, env, msg)
	if ctx.Err() != nil {
		return fmt.Errorf("smtp: %w", ctx.Err())
	}
	return err
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	timeout := c.cfg.DialTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d := &net.Dialer{Timeout: timeout}
	if c.cfg.mode() == TLSImplicit {
		td := &tls.Dialer{NetDialer: d, Config: c.tlsConfig()}
		return td.DialContext(ctx, "tcp", c.cfg.Addr)
	}
	return d.DialContext(ctx, "tcp", c.cfg.Addr)
}

func (c *Client) tlsConfig() *tls.Config {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.cfg.TLSConfig != nil {
		t = c.cfg.TLSConfig.Clone()
	}
	if t.ServerName == "" {
		t.ServerName = c.host
	}
	return t
}

func (c *Client) session(conn net.Conn, env Envelope, msg []byte) error {
	sc, err := smtp.NewClient(conn, c.host)
	if err != nil {
		return &SendError{Step: "connect", Err: err}
	}
	defer sc.Close()
	helo := c.cfg.HELO
	if helo == "" {
		helo = "localhost"
	}
	if err := sc.Hello(helo); err != nil {
		return &SendError{Step: "connect", Err: err}
	}
	if c.cfg.mode() == TLSStartTLS {
		if ok, _ := sc.Extension("STARTTLS"); !ok {
			return &SendError{Step: "starttls", Err: ErrNoSTARTTLS}
		}
		if err := sc.StartTLS(c.tlsConfig()); err != nil {
			return &SendError{Step: "starttls", Err: err}
		}
	}
	if c.cfg.User != "" {
		if ok, _ := sc.Extension("AUTH"); !ok {
			return &SendError{Step: "auth", Err: ErrNoAuth}
		}
		// PlainAuth itself refuses a connection without TLS unless the
		// server is localhost.
		if err := sc.Auth(smtp.PlainAuth("", c.cfg.User, c.cfg.Password, c.host)); err != nil {
			return &SendError{Step: "auth", Err: err}
		}
	}
	if err := sc.Mail(env.From); err != nil {
		return &SendError{Step: "mail", Err: err}
	}
	if err := sc.Rcpt(env.To); err != nil {
		return &SendError{Step: "rcpt", Permanent: is5xx(err), Err: err}
	}
	w, err := sc.Data()
	if err != nil {
		return &SendError{Step: "data", Permanent: is5xx(err), Err: err}
	}
	if _, err := w.Write(msg); err != nil {
		return &SendError{Step: "data", Err: err}
	}
	if err := w.Close(); err != nil {
		return &SendError{Step: "data", Permanent: is5xx(err), Err: err}
	}
	// The message is taken once DATA is answered; a failing QUIT does
	// not undo that.
	_ = sc.Quit()
	return nil
}

func is5xx(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}
