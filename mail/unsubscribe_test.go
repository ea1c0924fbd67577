package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUnsubscribeToken(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	u := Unsubscribe{Recipient: "joelle@gemeente.example.nl", Topic: "watch:Beleid/WMO-loket", Expires: now.Add(90 * 24 * time.Hour)}
	tok, err := SignUnsubscribe(key, u)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(tok, "+/=?&") {
		t.Errorf("token %q is not URL-safe", tok)
	}
	got, err := VerifyUnsubscribe(key, tok, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Recipient != u.Recipient || got.Topic != u.Topic || !got.Expires.Equal(u.Expires) {
		t.Errorf("verified %+v, want %+v", got, u)
	}

	// Someone else's address in a token signed for Joëlle.
	payload, mac, _ := strings.Cut(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	forged := base64.RawURLEncoding.EncodeToString(bytes.Replace(raw, []byte("joelle"), []byte("jansen"), 1)) + "." + mac
	// A later expiry with the old signature.
	longer := base64.RawURLEncoding.EncodeToString(bytes.Replace(raw, []byte(`"e":1`), []byte(`"e":9`), 1)) + "." + mac
	flipped := []byte(tok)
	flipped[len(flipped)-2] ^= 1
	other := bytes.Repeat([]byte{8}, 32)
	otherTok, _ := SignUnsubscribe(other, u)
	for name, bad := range map[string]string{
		"other recipient": forged, "later expiry": longer, "changed signature": string(flipped),
		"other key": otherTok, "no signature": payload, "empty": "", "garbage": "a.b.c",
	} {
		if _, err := VerifyUnsubscribe(key, bad, now); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: %v, want ErrTokenInvalid", name, err)
		}
	}
	if _, err := VerifyUnsubscribe(key, tok, u.Expires); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("at expiry: %v, want ErrTokenExpired", err)
	}
	if _, err := VerifyUnsubscribe(key, tok, u.Expires.Add(time.Hour)); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("after expiry: %v, want ErrTokenExpired", err)
	}
	if _, err := SignUnsubscribe(key[:16], u); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func TestUnsubscribeHeadersInMessage(t *testing.T) {
	cfg := testConfig("smtp.example.nl:587")
	key := bytes.Repeat([]byte{1}, 32)
	tok, err := SignUnsubscribe(key, Unsubscribe{Recipient: "a@example.nl", Topic: "digest", Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage("a@example.nl")
	m.Headers = UnsubscribeHeaders(cfg.Link("/-/unsubscribe", map[string][]string{"token": {tok}}))
	raw, err := Compose(Address{Email: "wiki@example.nl"}, m, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("List-Unsubscribe: <https://wiki.example.nl/-/unsubscribe?token="+tok+">\r\n")) {
		t.Errorf("no List-Unsubscribe with the token in\n%s", raw)
	}
}
