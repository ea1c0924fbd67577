// Package accounts keeps the wiki's user database: accounts with argon2id
// password hashes, server-side sessions, personal access tokens, the link
// from single sign-on identities to accounts, and the audit log.
//
// Everything lives in one bbolt file, DATA/accounts.db, beside (never
// inside) the content repository. bbolt lets one process at a time open
// the file: while the server runs, the wikiwerk user command gets
// ErrInUse.
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// PathIn is the accounts database in a data folder, DATA/accounts.db.
func PathIn(dataDir string) string { return filepath.Join(dataDir, "accounts.db") }

// ErrInUse is returned by Open when another process has the database
// open: bbolt allows one process at a time.
var ErrInUse = errors.New("in use by another process")

// Bucket names. Keys and values are described where they are written.
var (
	bucketMeta     = []byte("meta")
	bucketUsers    = []byte("users")    // login name -> userRecord
	bucketExternal = []byte("external") // issuer NUL subject -> login name
	bucketSessions = []byte("sessions") // sha256(session id) -> sessionRecord
	bucketTokens   = []byte("tokens")   // sha256(secret) -> tokenRecord
	bucketAudit    = []byte("audit")    // big-endian sequence -> wiki.AuditEvent
	// bucketLinks holds one-time links (invitations, password resets):
	// sha256(secret) -> linkRecord (links.go).
	bucketLinks = []byte("links")
	// bucketSecondFactor holds second factors: login name -> TOTP secret,
	// last used time step and recovery code hashes (twofactor.go).
	bucketSecondFactor = []byte("2fa")
	// bucketFollows holds what people follow: login name NUL target ->
	// followRecord, and bucketSeen the revision of a page a person last
	// saw: login name NUL page -> revision (follows.go).
	bucketFollows = []byte("follows")
	bucketSeen    = []byte("seen")
	allBuckets    = [][]byte{bucketMeta, bucketUsers, bucketExternal, bucketSessions, bucketTokens, bucketAudit,
		bucketLinks, bucketSecondFactor, bucketFollows, bucketSeen}

	keySchema = []byte("schema")
)

// schemaVersion is the layout of the file; a newer wikiwerk may raise it,
// and an older one then refuses the file rather than misread it.
const schemaVersion = "1"

// Options tune a Store. The zero value is what the server uses.
type Options struct {
	// Hash is the argon2id cost of new password hashes; zero means
	// OWASP's recommendation (19 MiB, 2 passes, 1 thread). Tests lower it.
	Hash Argon2
	// LockTimeout is how long Open waits for another process to release
	// the file before it returns ErrInUse; zero means one second.
	LockTimeout time.Duration
	// MaxAuditEvents is how many audit events are kept; older ones are
	// dropped. Zero means 100,000.
	MaxAuditEvents int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is the user database. It implements web.AccountStore and is safe
// for concurrent use.
//
// Interface methods that start sessions and tokens leave their audit
// events to the caller, who knows the client's address. Every change to
// an account itself (creation, password, role, groups, disabling) is
// recorded by the Store, in the same transaction as the change.
type Store struct {
	db   *bolt.DB
	hash Argon2
	now  func() time.Time
	// hashing limits concurrent argon2 computations: each takes
	// Hash.MemoryKiB, and a burst of sign-in attempts must not exhaust
	// memory.
	hashing   chan struct{}
	dummySalt []byte
	maxAudit  int
	// lastPurge is the Unix time expired sessions were last removed.
	lastPurge atomic.Int64
	// auditSink, when set, receives every recorded audit event
	// (SetAuditSink, auditquery.go).
	auditSink atomic.Pointer[func(wiki.AuditEvent)]
}

// Open opens or creates the database at path with the default options.
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith opens or creates the database at path. It returns an error
// wrapping ErrInUse when another process holds the file.
func OpenWith(path string, opt Options) (*Store, error) {
	if opt.Hash == (Argon2{}) {
		opt.Hash = defaultArgon2()
	}
	if !opt.Hash.valid() {
		return nil, fmt.Errorf("accounts: invalid argon2 parameters %+v", opt.Hash)
	}
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = time.Second
	}
	if opt.MaxAuditEvents <= 0 {
		opt.MaxAuditEvents = 100_000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opt.LockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keySchema); {
		case v == nil:
			return meta.Put(keySchema, []byte(schemaVersion))
		case string(v) != schemaVersion:
			return fmt.Errorf("the file has layout version %s; this wikiwerk reads version %s", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{
		db:        db,
		hash:      opt.Hash,
		now:       opt.Now,
		hashing:   make(chan struct{}, max(1, runtime.GOMAXPROCS(0))),
		dummySalt: make([]byte, saltLen),
		maxAudit:  opt.MaxAuditEvents,
	}
	if _, err := rand.Read(s.dummySalt); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database file.
func (s *Store) Close() error { return s.db.Close() }

// userRecord is an account as stored, keyed by its login name.
type userRecord struct {
	DisplayName string    `json:"display_name,omitempty"`
	Email       string    `json:"email,omitempty"`
	Role        wiki.Role `json:"role"`
	Groups      []string  `json:"groups,omitempty"`
	Disabled    bool      `json:"disabled,omitempty"`
	Created     time.Time `json:"created"`
	// Password is the PHC-encoded argon2id hash; "" for accounts that
	// sign in only through single sign-on.
	Password string `json:"password,omitempty"`
	// Lang is the person's language, "" for the wiki's default.
	Lang string `json:"lang,omitempty"`
	// TwoFactor mirrors an enrolled TOTP factor in bucketSecondFactor,
	// kept in the same transactions (twofactor.go).
	TwoFactor bool `json:"two_factor,omitempty"`
}

func (r *userRecord) user(name string) *wiki.User {
	return &wiki.User{
		Name:        name,
		DisplayName: r.DisplayName,
		Email:       r.Email,
		Role:        r.Role,
		Groups:      append([]string(nil), r.Groups...),
		Disabled:    r.Disabled,
		Created:     r.Created,
		Lang:        r.Lang,
		TwoFactor:   r.TwoFactor,
	}
}

func getUser(tx *bolt.Tx, name string) (*userRecord, error) {
	v := tx.Bucket(bucketUsers).Get([]byte(name))
	if v == nil {
		return nil, fmt.Errorf("user %q: %w", name, wiki.ErrNotFound)
	}
	var r userRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("user %q: damaged record: %w", name, err)
	}
	return &r, nil
}

func putUser(tx *bolt.Tx, name string, r *userRecord) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketUsers).Put([]byte(name), v)
}

// view and update run a transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}

// Count returns the number of accounts.
func (s *Store) Count(ctx context.Context) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketUsers).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// User returns an account by login name (in any letter case).
func (s *Store) User(ctx context.Context, name string) (*wiki.User, error) {
	n, err := normalizeName(name)
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", name, wiki.ErrNotFound)
	}
	var u *wiki.User
	err = s.view(ctx, func(tx *bolt.Tx) error {
		r, err := getUser(tx, n)
		if err == nil {
			u = r.user(n)
		}
		return err
	})
	return u, err
}

// List returns every account, sorted by login name.
func (s *Store) List(ctx context.Context) ([]wiki.User, error) {
	var users []wiki.User
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
			var r userRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("user %q: damaged record: %w", k, err)
			}
			users = append(users, *r.user(string(k)))
			return nil
		})
	})
	return users, err
}

// Create makes an account with a password, recording "user-created" in
// the audit log without an actor. See CreateBy.
func (s *Store) Create(ctx context.Context, u wiki.User, password string) (*wiki.User, error) {
	return s.CreateBy(ctx, wiki.Actor{}, u, password)
}

// CreateBy makes an account on behalf of by. The login name is stored in
// lower case; an empty Role means reader; Disabled and Created are
// ignored. Returns wiki.ErrNameTaken when the name is in use and
// wiki.ErrInvalidInput for a bad name, display name, e-mail, role, group,
// language or password (fewer than 12 characters or more than 1024
// bytes).
func (s *Store) CreateBy(ctx context.Context, by wiki.Actor, u wiki.User, password string) (*wiki.User, error) {
	name, rec, err := newRecord(u)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	pw, err := checkNewPassword(password)
	if err != nil {
		return nil, fmt.Errorf("create user %q: %w", name, err)
	}
	// Refuse a taken name before paying for the hash.
	if _, err := s.User(ctx, name); err == nil {
		return nil, fmt.Errorf("create user %q: %w", name, wiki.ErrNameTaken)
	}
	if rec.Password, err = s.hashPassword(ctx, pw); err != nil {
		return nil, fmt.Errorf("create user %q: %w", name, err)
	}
	rec.Created = s.now().UTC()
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(name)) != nil {
			return wiki.ErrNameTaken
		}
		if err := putUser(tx, name, rec); err != nil {
			return err
		}
		return s.appendAudit(tx, event(by, "user-created", name, "role "+string(rec.Role)))
	})
	if err != nil {
		return nil, fmt.Errorf("create user %q: %w", name, err)
	}
	return rec.user(name), nil
}

// newRecord checks and normalises the fields of a new account.
func newRecord(u wiki.User) (string, *userRecord, error) {
	name, err := normalizeName(u.Name)
	if err != nil {
		return "", nil, err
	}
	rec := &userRecord{}
	if rec.DisplayName, err = normalizeDisplayName(u.DisplayName); err != nil {
		return "", nil, err
	}
	if rec.Email, err = normalizeEmail(u.Email); err != nil {
		return "", nil, err
	}
	if rec.Role, err = normalizeRole(u.Role); err != nil {
		return "", nil, err
	}
	if rec.Groups, err = normalizeGroups(u.Groups); err != nil {
		return "", nil, err
	}
	if rec.Lang, err = normalizeLang(u.Lang); err != nil {
		return "", nil, err
	}
	return name, rec, nil
}

// hashPassword hashes a normalised password with the store's parameters,
// waiting for a free hashing slot.
func (s *Store) hashPassword(ctx context.Context, pw string) (string, error) {
	if err := s.acquireHashing(ctx); err != nil {
		return "", err
	}
	defer s.releaseHashing()
	return hashPassword(pw, s.hash)
}

func (s *Store) acquireHashing(ctx context.Context) error {
	select {
	case s.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) releaseHashing() { <-s.hashing }

// modify changes an existing account in one transaction and records the
// audit event that change returns ("" to record nothing).
func (s *Store) modify(ctx context.Context, by wiki.Actor, name string, change func(tx *bolt.Tx, name string, r *userRecord) (kind, detail string, err error)) error {
	n, err := normalizeName(name)
	if err != nil {
		return fmt.Errorf("user %q: %w", name, wiki.ErrNotFound)
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getUser(tx, n)
		if err != nil {
			return err
		}
		kind, detail, err := change(tx, n, r)
		if err != nil {
			return fmt.Errorf("user %q: %w", n, err)
		}
		if err := putUser(tx, n, r); err != nil {
			return err
		}
		if kind == "" {
			return nil
		}
		return s.appendAudit(tx, event(by, kind, n, detail))
	})
}

// SetPassword sets a user's password and ends the user's sessions
// (personal access tokens keep working). Returns wiki.ErrNotFound for an
// unknown user and wiki.ErrInvalidInput for a password that is too short
// or too long.
func (s *Store) SetPassword(ctx context.Context, by wiki.Actor, name, password string) error {
	pw, err := checkNewPassword(password)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	if _, err := s.User(ctx, name); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	err = s.modify(ctx, by, name, func(tx *bolt.Tx, name string, r *userRecord) (string, string, error) {
		r.Password = hash
		n, err := endSessionsOf(tx, name)
		return "password", fmt.Sprintf("password set, %d sessions ended", n), err
	})
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// SetRole changes a user's role. Returns wiki.ErrNotFound for an unknown
// user and wiki.ErrInvalidInput for an unknown role.
func (s *Store) SetRole(ctx context.Context, by wiki.Actor, name string, role wiki.Role) error {
	role, err := wiki.ParseRole(string(role))
	if err != nil {
		return fmt.Errorf("set role of %q: %w", name, err)
	}
	err = s.modify(ctx, by, name, func(_ *bolt.Tx, _ string, r *userRecord) (string, string, error) {
		old := r.Role
		r.Role = role
		return "role", fmt.Sprintf("%s -> %s", old, role), nil
	})
	if err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	return nil
}

// SetDisabled disables or re-enables an account. A disabled user cannot
// sign in, and their sessions and tokens stop working at once; disabling
// also ends their sessions, so re-enabling means signing in again (tokens
// work again). Returns wiki.ErrNotFound for an unknown user.
func (s *Store) SetDisabled(ctx context.Context, by wiki.Actor, name string, disabled bool) error {
	err := s.modify(ctx, by, name, func(tx *bolt.Tx, name string, r *userRecord) (string, string, error) {
		r.Disabled = disabled
		if !disabled {
			return "enable", "", nil
		}
		n, err := endSessionsOf(tx, name)
		return "disable", fmt.Sprintf("%d sessions ended", n), err
	})
	if err != nil {
		return fmt.Errorf("set disabled: %w", err)
	}
	return nil
}

// SetGroups replaces a user's groups. Returns wiki.ErrNotFound for an
// unknown user and wiki.ErrInvalidInput for a bad group name.
func (s *Store) SetGroups(ctx context.Context, by wiki.Actor, name string, groups []string) error {
	groups, err := normalizeGroups(groups)
	if err != nil {
		return fmt.Errorf("set groups of %q: %w", name, err)
	}
	err = s.modify(ctx, by, name, func(_ *bolt.Tx, _ string, r *userRecord) (string, string, error) {
		r.Groups = groups
		return "groups", fmt.Sprintf("%q", groups), nil
	})
	if err != nil {
		return fmt.Errorf("set groups: %w", err)
	}
	return nil
}

// Authenticate checks a login name and password. It costs one argon2id
// hash whether or not the user exists or has a password, so the time it
// takes does not tell which names exist. A wrong password, an unknown
// user, a user without a password (single sign-on only) and a disabled
// user all return wiki.ErrUnauthenticated.
func (s *Store) Authenticate(ctx context.Context, name, password string) (*wiki.User, error) {
	pw, pwErr := normalizePassword(password)
	n, nameErr := normalizeName(name)
	var rec *userRecord
	if pwErr == nil && nameErr == nil {
		err := s.view(ctx, func(tx *bolt.Tx) error {
			r, err := getUser(tx, n)
			if err == nil {
				rec = r
			}
			if errors.Is(err, wiki.ErrNotFound) {
				return nil
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("sign in: %w", err)
		}
	}
	if pwErr != nil {
		// Refused before hashing: an oversize password costs nothing,
		// and the answer is the same for every name.
		return nil, fmt.Errorf("sign in: %w: wrong user name or password", wiki.ErrUnauthenticated)
	}
	if err := s.acquireHashing(ctx); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	ok, stale := false, false
	if h, err := parsePHC(passwordOf(rec)); err == nil {
		ok = h.verify(pw)
		stale = h.params != s.hash
	} else {
		s.hash.key(pw, s.dummySalt)
	}
	s.releaseHashing()
	if !ok {
		return nil, fmt.Errorf("sign in: %w: wrong user name or password", wiki.ErrUnauthenticated)
	}
	if rec.Disabled {
		return nil, fmt.Errorf("sign in: %w: the account %q is disabled", wiki.ErrUnauthenticated, n)
	}
	if stale {
		s.rehash(ctx, n, rec.Password, pw)
	}
	return rec.user(n), nil
}

func passwordOf(r *userRecord) string {
	if r == nil {
		return ""
	}
	return r.Password
}

// rehash stores the password again with the current parameters after a
// successful sign-in. It is best-effort: on failure the old hash stays
// valid and the next sign-in tries again, so the error is not reported.
func (s *Store) rehash(ctx context.Context, name, old, pw string) {
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return
	}
	_ = s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getUser(tx, name)
		if err != nil || r.Password != old {
			return err // changed meanwhile: leave it
		}
		r.Password = hash
		return putUser(tx, name, r)
	})
}

// UpsertExternal finds or creates the account of a person signed in
// through OpenID Connect, identified by issuer and subject, and updates
// it from claims: display name and e-mail always (values that cannot be
// a git author are dropped), the role when claims.Role is set, the groups
// when claims.Groups is not nil. A new account gets a login name derived
// from preferredName (or the display name), made unique with -2, -3, ...,
// the reader role unless the claims give one, and no password. A
// disabled account returns wiki.ErrUnauthenticated and is not changed.
func (s *Store) UpsertExternal(ctx context.Context, issuer, subject, preferredName string, claims wiki.User) (*wiki.User, error) {
	if issuer == "" || subject == "" || strings.IndexByte(issuer, 0) >= 0 {
		return nil, fmt.Errorf("external account: %w: issuer and subject are required", wiki.ErrInvalidInput)
	}
	var role wiki.Role
	if claims.Role != "" {
		r, err := wiki.ParseRole(string(claims.Role))
		if err != nil {
			return nil, fmt.Errorf("external account: %w", err)
		}
		role = r
	}
	var groups []string
	if claims.Groups != nil {
		g, err := normalizeGroups(claims.Groups)
		if err != nil {
			return nil, fmt.Errorf("external account: %w", err)
		}
		groups = append([]string{}, g...)
	}
	display, _ := normalizeDisplayName(claims.DisplayName)
	email, _ := normalizeEmail(claims.Email)
	key := []byte(issuer + "\x00" + subject)
	by := wiki.Actor{Name: issuer, IP: wiki.OriginFrom(ctx)}
	var user *wiki.User
	err := s.update(ctx, func(tx *bolt.Tx) error {
		ext := tx.Bucket(bucketExternal)
		if v := ext.Get(key); v != nil {
			name := string(v)
			r, err := getUser(tx, name)
			if err != nil {
				return err
			}
			if r.Disabled {
				return fmt.Errorf("%w: the account %q is disabled", wiki.ErrUnauthenticated, name)
			}
			r.DisplayName, r.Email = display, email
			if role != "" && role != r.Role {
				if err := s.appendAudit(tx, event(by, "role", name, fmt.Sprintf("%s -> %s (from sign-on claims)", r.Role, role))); err != nil {
					return err
				}
				r.Role = role
			}
			if groups != nil {
				r.Groups = groups
			}
			user = r.user(name)
			return putUser(tx, name, r)
		}
		base := loginNameFrom(preferredName)
		if base == "" {
			base = loginNameFrom(display)
		}
		if base == "" {
			base = "user"
		}
		name, err := freeName(tx, base)
		if err != nil {
			return err
		}
		r := &userRecord{DisplayName: display, Email: email, Role: role, Groups: groups, Created: s.now().UTC()}
		if r.Role == "" {
			r.Role = wiki.RoleReader
		}
		if err := putUser(tx, name, r); err != nil {
			return err
		}
		if err := ext.Put(key, []byte(name)); err != nil {
			return err
		}
		user = r.user(name)
		return s.appendAudit(tx, event(by, "user-created", name, fmt.Sprintf("role %s, single sign-on subject %s", r.Role, subject)))
	})
	if err != nil {
		return nil, fmt.Errorf("external account %s at %s: %w", subject, issuer, err)
	}
	return user, nil
}

// freeName returns base, or base-2, base-3, ... whichever is not taken.
func freeName(tx *bolt.Tx, base string) (string, error) {
	users := tx.Bucket(bucketUsers)
	if users.Get([]byte(base)) == nil {
		return base, nil
	}
	for i := 2; i < 10_000; i++ {
		suffix := fmt.Sprintf("-%d", i)
		name := trimName(base, MaxNameLen-len(suffix)) + suffix
		if users.Get([]byte(name)) == nil {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free login name like %q", base)
}
