package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Password length limits. The upper bound keeps a single sign-in attempt
// from costing more than hashing a normal password does.
const (
	MinPasswordLen      = 12   // characters
	MaxPasswordBytes    = 1024 // bytes, before normalisation
	saltLen             = 16
	keyLen              = 32
	maxArgon2MemoryKiB  = 4 << 20 // 4 GiB: refuse absurd stored parameters
	maxArgon2Time       = 1000
	argon2VersionString = "v=19"
)

// Argon2 is the cost of hashing a password with argon2id. Hashes record
// their own parameters, so changing these later keeps old passwords
// working; each is rehashed with the new parameters at its next sign-in.
type Argon2 struct {
	// Time is the number of passes over the memory.
	Time uint32
	// MemoryKiB is the memory used, in KiB.
	MemoryKiB uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// defaultArgon2 follows OWASP's password storage cheat sheet for argon2id:
// 19 MiB, two passes, one thread.
func defaultArgon2() Argon2 { return Argon2{Time: 2, MemoryKiB: 19 * 1024, Threads: 1} }

func (a Argon2) valid() bool {
	return a.Time >= 1 && a.Time <= maxArgon2Time && a.Threads >= 1 &&
		a.MemoryKiB >= 8*uint32(a.Threads) && a.MemoryKiB <= maxArgon2MemoryKiB
}

func (a Argon2) key(password string, salt []byte) []byte {
	return argon2.IDKey([]byte(password), salt, a.Time, a.MemoryKiB, a.Threads, keyLen)
}

// normalizePassword checks a new or offered password and returns the form
// that is hashed. NFKC makes the same password typed on different systems
// (composed or decomposed accents) hash alike, as NIST SP 800-63B advises.
func normalizePassword(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", fmt.Errorf("%w: the password is longer than %d bytes", wiki.ErrInvalidInput, MaxPasswordBytes)
	}
	if !utf8.ValidString(password) {
		return "", fmt.Errorf("%w: the password is not valid UTF-8", wiki.ErrInvalidInput)
	}
	return norm.NFKC.String(password), nil
}

// checkNewPassword is normalizePassword plus the rules for a password
// being set.
func checkNewPassword(password string) (string, error) {
	p, err := normalizePassword(password)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(p) < MinPasswordLen {
		return "", fmt.Errorf("%w: the password must have at least %d characters", wiki.ErrInvalidInput, MinPasswordLen)
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: the password contains a NUL character", wiki.ErrInvalidInput)
	}
	return p, nil
}

// hashPassword returns the PHC string of a normalised password:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, both in unpadded base64.
func hashPassword(password string, a Argon2) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$%s$m=%d,t=%d,p=%d$%s$%s", argon2VersionString,
		a.MemoryKiB, a.Time, a.Threads, b64.EncodeToString(salt), b64.EncodeToString(a.key(password, salt))), nil
}

// phc is a decoded password hash.
type phc struct {
	params     Argon2
	salt, hash []byte
}

func parsePHC(s string) (phc, error) {
	var h phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != argon2VersionString {
		return h, fmt.Errorf("not an argon2id v19 hash")
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.params.MemoryKiB, &h.params.Time, &threads); err != nil {
		return h, fmt.Errorf("argon2id parameters %q: %w", parts[3], err)
	}
	if threads > 255 {
		return h, fmt.Errorf("argon2id parameters %q: too many threads", parts[3])
	}
	h.params.Threads = uint8(threads)
	if !h.params.valid() {
		return h, fmt.Errorf("argon2id parameters %q out of range", parts[3])
	}
	var err error
	b64 := base64.RawStdEncoding
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, fmt.Errorf("argon2id salt: bad encoding or too short")
	}
	if h.hash, err = b64.DecodeString(parts[5]); err != nil || len(h.hash) < 16 || len(h.hash) > 64 {
		return h, fmt.Errorf("argon2id hash: bad encoding or length")
	}
	return h, nil
}

// verify reports whether the normalised password matches h, comparing in
// constant time.
func (h phc) verify(password string) bool {
	got := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, uint32(len(h.hash)))
	return subtle.ConstantTimeCompare(got, h.hash) == 1
}
