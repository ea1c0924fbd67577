package wiki

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role is what a user may do. Roles are ordered: an editor may do all a
// reader may, an admin all an editor may.
type Role string

// The roles.
const (
	RoleReader Role = "reader"
	RoleEditor Role = "editor"
	RoleAdmin  Role = "admin"
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleReader, RoleEditor, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("%w: %q is not a role (reader, editor or admin)", ErrInvalidInput, s)
}

// AtLeast reports whether r includes the rights of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

func (r Role) rank() int {
	switch r {
	case RoleReader:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// User is a person with an account. The zero value is not a user; code
// that deals with anonymous visitors uses a nil *User.
type User struct {
	// Name is the unique login name, e.g. "anna".
	Name string
	// DisplayName is the name shown and recorded as commit author.
	DisplayName string
	// Email is recorded as the commit author's e-mail.
	Email string
	// Role is what the user may do.
	Role Role
	// Groups name teams that protected folders may be opened to.
	Groups []string
	// Disabled accounts cannot sign in, and their sessions and tokens
	// stop working at once.
	Disabled bool
	// Created is when the account was made.
	Created time.Time
	// Lang is the language the person reads the wiki and its mail in
	// ("nl" or "en"); "" means the wiki's default.
	Lang string
	// TwoFactor is true when the account has a second factor (TOTP)
	// enrolled: signing in with a password then also asks for a code.
	TwoFactor bool
}

// Author is the user as a commit author.
func (u *User) Author() Author {
	name := u.DisplayName
	if strings.TrimSpace(name) == "" {
		name = u.Name
	}
	return Author{Name: name, Email: u.Email}
}

// InGroup reports whether the user belongs to the group.
func (u *User) InGroup(g string) bool {
	for _, have := range u.Groups {
		if strings.EqualFold(have, g) {
			return true
		}
	}
	return false
}

// ErrUnauthenticated: the request needs a signed-in user and has none, or
// its credentials are wrong. (401)
var ErrUnauthenticated = errors.New("sign-in required")

// Access says who may do something.
type Access string

// The kinds of access.
const (
	// Anyone, signed in or not.
	Anyone Access = "anyone"
	// SignedIn users of any role.
	SignedIn Access = "signed-in"
	// Editors and admins.
	Editors Access = "editors"
)

// Protected is a folder or page that only admins, or members of the named
// groups, may change.
type Protected struct {
	// Prefix is a page name or folder, e.g. "Beleid" covers the page
	// Beleid and every page in Beleid/.
	Prefix Name
	// Groups may edit besides admins; empty means admins only.
	Groups []string
}

// Covers reports whether the rule applies to the page. Names are compared
// case-folded and by their confusable skeletons, as new names are: a case
// twin ("beleid/Shadow") or a look-alike of a protected folder is covered
// by its rule.
func (p Protected) Covers(n Name) bool {
	if n == p.Prefix || strings.HasPrefix(string(n), string(p.Prefix)+"/") {
		return true
	}
	f, pf := n.Fold(), p.Prefix.Fold()
	if f == pf || strings.HasPrefix(f, pf+"/") {
		return true
	}
	s, ps := Skeleton(string(n)), Skeleton(string(p.Prefix))
	return s == ps || strings.HasPrefix(s, ps+Skeleton("/"))
}

// Policy decides who may read and who may change which page. The same
// policy is applied to every way in: web pages, the API and git.
type Policy struct {
	// Read is Anyone or SignedIn.
	Read Access
	// Edit is Anyone (anonymous edits) or Editors.
	Edit Access
	// Protected lists pages and folders with stricter edit rights.
	Protected []Protected
	// Review lists folders whose changes are reviewed before they are
	// published (review.go): Groups are the reviewers besides admins.
	Review []Protected
}

// CanRead reports whether u (nil when not signed in) may read the wiki.
func (p Policy) CanRead(u *User) bool {
	if u != nil && u.Disabled {
		return false
	}
	return p.Read == Anyone || u != nil
}

// CanEdit reports whether u (nil when not signed in) may change page n.
// The zero Name asks whether u may edit anything at all.
func (p Policy) CanEdit(u *User, n Name) bool {
	if !p.CanRead(u) {
		return false
	}
	if u != nil && u.Role.AtLeast(RoleAdmin) {
		return true
	}
	if n != "" {
		for _, rule := range p.Protected {
			if !rule.Covers(n) {
				continue
			}
			if u == nil {
				return false
			}
			allowed := false
			for _, g := range rule.Groups {
				if u.InGroup(g) {
					allowed = true
				}
			}
			if !allowed {
				return false
			}
		}
	}
	if p.Edit == Anyone {
		return true
	}
	return u != nil && u.Role.AtLeast(RoleEditor)
}

// CanAdmin reports whether u may manage the wiki (accounts, roles).
func (p Policy) CanAdmin(u *User) bool {
	return u != nil && !u.Disabled && u.Role.AtLeast(RoleAdmin)
}

// Accounts is the user database as the wiki needs it. Implementations
// (package storage/accounts) keep it outside the content repository and
// are safe for concurrent use. Methods return ErrNotFound for unknown
// users, ErrUnauthenticated for wrong or disabled credentials.
type Accounts interface {
	// Authenticate checks a password, in constant time whether or not the
	// user exists. A disabled user fails.
	Authenticate(ctx context.Context, name, password string) (*User, error)
	// AuthenticateToken checks a personal access token; a revoked token,
	// or the token of a disabled user, fails.
	AuthenticateToken(ctx context.Context, token string) (*User, error)
	// User returns an account by login name.
	User(ctx context.Context, name string) (*User, error)
}
