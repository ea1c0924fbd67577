package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// ErrHeaderInjection is wrapped by errors for a header value or address
// that holds a line break, which would let it add headers of its own.
var ErrHeaderInjection = errors.New("line break in a mail header")

// ErrInvalidAddress is wrapped by errors for an address that is not one
// plain ASCII address with a domain.
var ErrInvalidAddress = errors.New("invalid mail address")

// Address is a mailbox: an address and, optionally, a display name.
type Address struct {
	// Name is the display name, any UTF-8 text without line breaks.
	Name string
	// Email is the bare address, user@domain.
	Email string
}

func (a Address) validate() error {
	if strings.ContainsAny(a.Name, "\r\n") || strings.ContainsAny(a.Email, "\r\n") {
		return fmt.Errorf("address %q: %w", a.Email, ErrHeaderInjection)
	}
	for _, r := range a.Name {
		if unicode.IsControl(r) {
			return fmt.Errorf("name %q: control character: %w", a.Name, ErrInvalidAddress)
		}
	}
	p, err := netmail.ParseAddress(a.Email)
	if err != nil || p.Address != a.Email || p.Name != "" {
		return fmt.Errorf("address %q: %w", a.Email, ErrInvalidAddress)
	}
	at := strings.LastIndexByte(a.Email, '@')
	if at <= 0 || at == len(a.Email)-1 {
		return fmt.Errorf("address %q: no domain: %w", a.Email, ErrInvalidAddress)
	}
	for i := 0; i < len(a.Email); i++ {
		if a.Email[i] >= 0x80 || a.Email[i] <= ' ' {
			return fmt.Errorf("address %q: only ASCII addresses are supported: %w", a.Email, ErrInvalidAddress)
		}
	}
	return nil
}

func (a Address) domain() string {
	return a.Email[strings.LastIndexByte(a.Email, '@')+1:]
}

// header renders the address for a From or To header; net/mail encodes
// a non-ASCII name as an encoded word.
func (a Address) header() string {
	return (&netmail.Address{Name: a.Name, Address: a.Email}).String()
}

// Message is one mail to one recipient, written in the recipient's
// language by the caller.
type Message struct {
	// To is the recipient.
	To Address
	// Subject is UTF-8 text; it is sent as encoded words when not ASCII.
	Subject string
	// Text is the plain-text body; it must not be empty.
	Text string
	// HTML is the optional HTML body; with it the mail is
	// multipart/alternative, the text part first.
	HTML string
	// Lang is the BCP 47 tag of the language the mail is in ("nl",
	// "en"), sent as Content-Language; empty sends none.
	Lang string
	// Headers are extra headers such as List-Unsubscribe (see
	// UnsubscribeHeaders). They may not replace the ones Compose sets.
	Headers map[string]string
}

// reserved are the headers Compose writes itself.
var reserved = []string{"Auto-Submitted", "Bcc", "Cc", "Content-Language", "Content-Transfer-Encoding",
	"Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Reply-To", "Sender", "Subject", "To"}

var (
	headerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
	langTag    = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)
)

func (m Message) validate() error {
	if err := m.To.validate(); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	if err := noCRLF("subject", m.Subject); err != nil {
		return err
	}
	if strings.TrimSpace(m.Text) == "" {
		return errors.New("mail: message has no text")
	}
	if m.Lang != "" && !langTag.MatchString(m.Lang) {
		return fmt.Errorf("mail: language %q is not a language tag", m.Lang)
	}
	for k, v := range m.Headers {
		if !headerName.MatchString(k) {
			return fmt.Errorf("mail: header name %q: %w", k, ErrHeaderInjection)
		}
		if slices.Contains(reserved, textproto.CanonicalMIMEHeaderKey(k)) {
			return fmt.Errorf("mail: header %s is set by the mail package", k)
		}
		if err := noCRLF("header "+k, v); err != nil {
			return err
		}
	}
	return nil
}

// Compose renders m, sent by from at date, as RFC 5322 bytes with CRLF
// line ends, all ASCII. The Message-ID is random, at the domain of from.
func Compose(from Address, m Message, date time.Time) ([]byte, error) {
	if err := from.validate(); err != nil {
		return nil, fmt.Errorf("mail: sender: %w", err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	id, err := messageID(from.domain())
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeHeader(&b, "From", from.header())
	writeHeader(&b, "To", m.To.header())
	writeHeader(&b, "Subject", encodeText(m.Subject))
	writeHeader(&b, "Date", date.Format(time.RFC1123Z))
	writeHeader(&b, "Message-ID", id)
	writeHeader(&b, "MIME-Version", "1.0")
	// Tells vacation responders not to answer (RFC 3834).
	writeHeader(&b, "Auto-Submitted", "auto-generated")
	if m.Lang != "" {
		writeHeader(&b, "Content-Language", m.Lang)
	}
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		writeHeader(&b, textproto.CanonicalMIMEHeaderKey(k), encodeText(m.Headers[k]))
	}
	if m.HTML == "" {
		writeHeader(&b, "Content-Type", "text/plain; charset=utf-8")
		writeHeader(&b, "Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	if err := writeAlternative(&b, m.Text, m.HTML); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeAlternative(b *bytes.Buffer, text, html string) error {
	mw := multipart.NewWriter(b)
	writeHeader(b, "Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", p.typ+"; charset=utf-8")
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := mw.CreatePart(h)
		if err != nil {
			return fmt.Errorf("mail: %s part: %w", p.typ, err)
		}
		if err := writeQP(w, p.body); err != nil {
			return err
		}
	}
	return mw.Close()
}

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return fmt.Errorf("mail: encode body: %w", err)
	}
	return qp.Close()
}

// encodeText makes an unstructured header value ASCII: as is when it is,
// else as RFC 2047 Q encoded words.
func encodeText(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// writeHeader writes one header, folded at spaces so that lines stay
// near 78 characters; encoded words are separated by spaces, so long
// subjects fold too.
func writeHeader(b *bytes.Buffer, name, value string) {
	line := len(name) + 2
	b.WriteString(name)
	b.WriteString(":")
	for i, word := range strings.Split(value, " ") {
		if i > 0 && line+1+len(word) > 78 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(" ")
		b.WriteString(word)
		line += 1 + len(word)
	}
	b.WriteString("\r\n")
}

func messageID(domain string) (string, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("mail: message id: %w", err)
	}
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">", nil
}
