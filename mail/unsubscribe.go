package mail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrTokenInvalid is returned for an unsubscribe token that is malformed
// or whose signature does not match.
var ErrTokenInvalid = errors.New("invalid unsubscribe token")

// ErrTokenExpired is returned for a well-signed token past its expiry.
var ErrTokenExpired = errors.New("unsubscribe token has expired")

// MinKeyLen is the shortest signing key accepted, in bytes.
const MinKeyLen = 32

// tokenDomain separates these MACs from any other use of the same key.
const tokenDomain = "wikiwerk-unsubscribe-v1\x00"

// Unsubscribe is what a signed unsubscribe link stands for.
type Unsubscribe struct {
	// Recipient is the address the mail went to.
	Recipient string
	// Topic is what is unsubscribed from, e.g. "watch:Beleid/WMO" or
	// "digest"; its meaning is the caller's.
	Topic string
	// Expires is when the link stops working.
	Expires time.Time
}

type tokenPayload struct {
	R string `json:"r"`
	T string `json:"t"`
	E int64  `json:"e"`
}

// SignUnsubscribe makes a URL-safe token for u: the payload and an
// HMAC-SHA256 over it with key, which must be at least MinKeyLen bytes.
func SignUnsubscribe(key []byte, u Unsubscribe) (string, error) {
	if len(key) < MinKeyLen {
		return "", fmt.Errorf("mail: unsubscribe key has %d bytes, want at least %d", len(key), MinKeyLen)
	}
	if u.Recipient == "" || u.Topic == "" || u.Expires.IsZero() {
		return "", errors.New("mail: unsubscribe token needs a recipient, a topic and an expiry")
	}
	payload, err := json.Marshal(tokenPayload{R: u.Recipient, T: u.Topic, E: u.Expires.Unix()})
	if err != nil {
		return "", fmt.Errorf("mail: unsubscribe token: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(tokenMAC(key, payload)), nil
}

// VerifyUnsubscribe checks token against key and returns what it stands
// for. It returns ErrTokenInvalid when the token was not made with key or
// was changed, and ErrTokenExpired when it is past its expiry at now.
func VerifyUnsubscribe(key []byte, token string, now time.Time) (Unsubscribe, error) {
	if len(key) < MinKeyLen {
		return Unsubscribe{}, fmt.Errorf("mail: unsubscribe key has %d bytes, want at least %d", len(key), MinKeyLen)
	}
	p64, m64, ok := strings.Cut(token, ".")
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if !ok || err1 != nil || err2 != nil {
		return Unsubscribe{}, ErrTokenInvalid
	}
	if !hmac.Equal(mac, tokenMAC(key, payload)) {
		return Unsubscribe{}, ErrTokenInvalid
	}
	var p tokenPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return Unsubscribe{}, ErrTokenInvalid
	}
	u := Unsubscribe{Recipient: p.R, Topic: p.T, Expires: time.Unix(p.E, 0)}
	if !now.Before(u.Expires) {
		return u, ErrTokenExpired
	}
	return u, nil
}

func tokenMAC(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(tokenDomain))
	h.Write(payload)
	return h.Sum(nil)
}

// UnsubscribeHeaders returns the headers for one-click unsubscribe
// (RFC 2369 and RFC 8058) with link, an https address that takes a POST
// with body "List-Unsubscribe=One-Click". Put them in Message.Headers.
func UnsubscribeHeaders(link string) map[string]string {
	return map[string]string{
		"List-Unsubscribe":      "<" + link + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
}
