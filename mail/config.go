// Package mail sends the wiki's mail: invitations, password resets and
// change notifications. It builds RFC 5322 messages (UTF-8 subjects as
// RFC 2047 encoded words, plain text and HTML as multipart/alternative),
// sends them over SMTP with TLS, keeps them in a durable spool folder
// until the server has taken them, and signs the links that let a reader
// unsubscribe with one click.
package mail

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PasswordEnv is the environment variable that holds the SMTP password.
// It is never a flag, so that it does not show in ps or shell history.
const PasswordEnv = "WIKIWERK_SMTP_PASSWORD"

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

const (
	// TLSStartTLS connects in clear text and upgrades with STARTTLS; a
	// server that does not offer STARTTLS gets no mail at all.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone sends in clear text; only sensible to a relay on localhost.
	TLSNone TLSMode = "none"
)

// ErrNotConfigured is returned by ConfigFromFlags when no SMTP server is
// given: the wiki then runs without mail.
var ErrNotConfigured = errors.New("mail is not configured (no -smtp-addr)")

// Config holds what the SMTP client needs.
type Config struct {
	// Addr is the server as host:port.
	Addr string
	// TLS is how the connection is protected; empty means TLSStartTLS.
	TLS TLSMode
	// User and Password are for AUTH PLAIN; both empty means no AUTH.
	User     string
	Password string
	// From is the sender, as "Name <addr>" or a bare address. It is the
	// envelope sender too, and its domain ends every Message-ID.
	From string
	// BaseURL is the wiki's public address, for links in mail.
	BaseURL string
	// HELO is the name the client gives in EHLO; empty means "localhost".
	HELO string
	// DialTimeout bounds connecting; zero means 30 seconds.
	DialTimeout time.Duration
	// SendTimeout bounds one whole SMTP session; zero means 2 minutes.
	SendTimeout time.Duration
	// TLSConfig, when set, is used for the TLS handshake (for a private
	// CA, say); its ServerName is filled from Addr when empty.
	TLSConfig *tls.Config
}

// Settings are the command-line values of the mail flags.
type Settings struct {
	Addr    string
	TLS     string
	User    string
	From    string
	BaseURL string
}

// Register defines -smtp-addr, -smtp-tls, -smtp-user, -mail-from and
// -base-url on fs, stored in s.
func (s *Settings) Register(fs *flag.FlagSet) {
	fs.StringVar(&s.Addr, "smtp-addr", "", "SMTP server as host:port; empty means no mail")
	fs.StringVar(&s.TLS, "smtp-tls", string(TLSStartTLS), "SMTP connection security: starttls, tls or none")
	fs.StringVar(&s.User, "smtp-user", "", "SMTP user name (the password comes from $"+PasswordEnv+")")
	fs.StringVar(&s.From, "mail-from", "", `sender of the wiki's mail, e.g. "Wiki <wiki@example.nl>"`)
	fs.StringVar(&s.BaseURL, "base-url", "", "public address of the wiki, for links in mail, e.g. https://wiki.example.nl")
}

// ConfigFromFlags makes a validated Config from the flag values and the
// password in the environment (getenv is os.Getenv outside tests). It
// returns ErrNotConfigured when no server is given and nothing else asks
// for one.
func ConfigFromFlags(s Settings, getenv func(string) string) (Config, error) {
	pw := getenv(PasswordEnv)
	if s.Addr == "" {
		if s.User != "" || pw != "" {
			return Config{}, errors.New("mail: -smtp-user or $" + PasswordEnv + " is set but -smtp-addr is empty")
		}
		return Config{}, ErrNotConfigured
	}
	c := Config{Addr: s.Addr, TLS: TLSMode(s.TLS), User: s.User, Password: pw, From: s.From, BaseURL: s.BaseURL}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate reports the first thing wrong with c, in words an operator
// can act on.
func (c Config) Validate() error {
	host, err := c.host()
	if err != nil {
		return err
	}
	switch c.mode() {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("mail: -smtp-tls %q: want starttls, tls or none", c.TLS)
	}
	if c.User != "" && c.Password == "" {
		return fmt.Errorf("mail: -smtp-user is set but $%s is empty", PasswordEnv)
	}
	if c.User == "" && c.Password != "" {
		return fmt.Errorf("mail: $%s is set but -smtp-user is empty", PasswordEnv)
	}
	if c.User != "" && c.mode() == TLSNone && !isLocalhost(host) {
		return fmt.Errorf("mail: refusing to send the SMTP password in clear text to %s; use -smtp-tls starttls or tls", host)
	}
	if err := noCRLF("SMTP user", c.User); err != nil {
		return err
	}
	if err := noCRLF("HELO name", c.HELO); err != nil {
		return err
	}
	if _, err := c.from(); err != nil {
		return err
	}
	if _, err := c.base(); err != nil {
		return err
	}
	return nil
}

func (c Config) mode() TLSMode {
	if c.TLS == "" {
		return TLSStartTLS
	}
	return c.TLS
}

func (c Config) host() (string, error) {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return "", fmt.Errorf("mail: -smtp-addr %q: want host:port: %w", c.Addr, err)
	}
	if host == "" {
		return "", fmt.Errorf("mail: -smtp-addr %q: no host", c.Addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("mail: -smtp-addr %q: port must be 1-65535", c.Addr)
	}
	return host, nil
}

// from parses From; it must be one address with a domain.
func (c Config) from() (Address, error) {
	if c.From == "" {
		return Address{}, errors.New("mail: -mail-from is empty")
	}
	if err := noCRLF("-mail-from", c.From); err != nil {
		return Address{}, err
	}
	a, err := netmail.ParseAddress(c.From)
	if err != nil {
		return Address{}, fmt.Errorf("mail: -mail-from %q: %w", c.From, err)
	}
	addr := Address{Name: a.Name, Email: a.Address}
	if err := addr.validate(); err != nil {
		return Address{}, fmt.Errorf("mail: -mail-from: %w", err)
	}
	return addr, nil
}

func (c Config) base() (*url.URL, error) {
	if c.BaseURL == "" {
		return nil, errors.New("mail: -base-url is empty; mail needs it for its links")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("mail: -base-url %q: %w", c.BaseURL, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("mail: -base-url %q: want an absolute http(s) address without query, like https://wiki.example.nl", c.BaseURL)
	}
	return u, nil
}

// Link makes an absolute link under BaseURL, for use in mail; path is
// relative to the wiki's root ("/-/unsubscribe"). It returns "" when
// BaseURL is not valid, which Validate rules out.
func (c Config) Link(path string, query url.Values) string {
	u, err := c.base()
	if err != nil {
		return ""
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strings.TrimPrefix(path, "/")
	u.RawQuery = query.Encode()
	return u.String()
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func noCRLF(what, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return fmt.Errorf("mail: %s contains a line break: %w", what, ErrHeaderInjection)
	}
	return nil
}
