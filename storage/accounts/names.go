package accounts

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Limits on account fields.
const (
	MaxNameLen        = 64  // login name, bytes
	maxDisplayNameLen = 200 // bytes
	maxEmailLen       = 254 // bytes (RFC 5321)
	maxGroupLen       = 200 // bytes
	maxGroups         = 100
	maxLabelLen       = 100 // token label, bytes
)

// normalizeName lower-cases a login name and checks it: 1 to 64 of
// a-z, 0-9, '.', '-', '_', beginning with a letter or digit (so that a
// name is never taken for a command-line flag or a relative path).
func normalizeName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || len(n) > MaxNameLen {
		return "", fmt.Errorf("%w: a login name has 1 to %d characters", wiki.ErrInvalidInput, MaxNameLen)
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '-' || c == '_') && i > 0:
		default:
			return "", fmt.Errorf("%w: login name %q: use only a-z, 0-9, '.', '-' and '_', starting with a letter or digit", wiki.ErrInvalidInput, name)
		}
	}
	return n, nil
}

// checkText rejects what cannot go into a git author line or a log line:
// invalid UTF-8, '<', '>' and control characters such as newlines.
func checkText(field, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%w: %s is longer than %d bytes", wiki.ErrInvalidInput, field, max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", wiki.ErrInvalidInput, field)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r == '<' || r == '>' || unicode.IsControl(r) }); i >= 0 {
		return fmt.Errorf("%w: %s may not contain '<', '>' or control characters such as newlines", wiki.ErrInvalidInput, field)
	}
	return nil
}

func normalizeDisplayName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := checkText("the display name", s, maxDisplayNameLen); err != nil {
		return "", err
	}
	return norm.NFC.String(s), nil
}

// normalizeEmail checks an optional e-mail address: "" or a bare
// local@domain address.
func normalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if err := checkText("the e-mail address", s, maxEmailLen); err != nil {
		return "", err
	}
	addr, err := mail.ParseAddress(s)
	at := strings.LastIndexByte(s, '@')
	if err != nil || addr.Name != "" || addr.Address != s || at <= 0 || at == len(s)-1 ||
		strings.ContainsAny(s, " \t,;") || strings.Contains(s[at+1:], "..") {
		return "", fmt.Errorf("%w: %q does not look like an e-mail address", wiki.ErrInvalidInput, s)
	}
	return s, nil
}

// normalizeGroups trims the group names, drops empty ones and duplicates
// (groups compare without regard to letter case) and checks the rest.
func normalizeGroups(groups []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, g := range groups {
		g = norm.NFC.String(strings.TrimSpace(g))
		if g == "" {
			continue
		}
		if err := checkText("group name "+strconv.Quote(g), g, maxGroupLen); err != nil {
			return nil, err
		}
		if k := strings.ToLower(g); !seen[k] {
			seen[k] = true
			out = append(out, g)
		}
	}
	if len(out) > maxGroups {
		return nil, fmt.Errorf("%w: more than %d groups", wiki.ErrInvalidInput, maxGroups)
	}
	return out, nil
}

// normalizeRole accepts the three roles; "" means reader, the least.
func normalizeRole(r wiki.Role) (wiki.Role, error) {
	if r == "" {
		return wiki.RoleReader, nil
	}
	return wiki.ParseRole(string(r))
}

// loginNameFrom derives a login name from an identity provider's
// preferred user name: the part before '@' of an address, accents
// dropped, other characters turned into '-'. It returns "" when nothing
// usable is left.
func loginNameFrom(preferred string) string {
	s := strings.TrimSpace(preferred)
	if at := strings.IndexByte(s, '@'); at > 0 {
		s = s[:at]
	}
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// the accent of a decomposed letter
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			if b.Len() == 0 && (r == '.' || r == '_' || r == '-') {
				continue
			}
			b.WriteRune(r)
			dash = r == '-'
		default:
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return trimName(b.String(), MaxNameLen)
}

// trimName shortens a valid name to at most max bytes without leaving a
// separator at its end.
func trimName(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.TrimRight(s, ".-_")
}
