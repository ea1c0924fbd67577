package wiki

import (
	"net"
	"strings"
)

// NoreplyLabel starts the domain of every pseudonymous commit address:
// <login>@users.noreply.<domain>. Code that needs to know whether a
// commit is a given person's (own changes are not notified) compares
// with CommitAddresses.Pseudonym rather than parsing this.
const NoreplyLabel = "users.noreply."

// DefaultNoreplyDomain is the <domain> of pseudonymous addresses when the
// wiki has no public address (-base-url) and none is configured. The
// .invalid top-level domain is reserved (RFC 2606): no mail can ever go
// there, so a pseudonym never reaches somebody else.
const DefaultNoreplyDomain = "wikiwerk.invalid"

// CommitAddresses decides which e-mail address the commits of a
// signed-in person carry. The zero value records the account's own
// address, as wikiwerk did before the setting existed.
//
// A git history is copied to every clone and shown in feeds; once a work
// address is in it, it cannot be taken back without rewriting history.
// With Pseudonymous set, commits carry a stable address made from the
// login name instead, which still tells one person's changes from
// another's.
type CommitAddresses struct {
	// Pseudonymous records <login>@users.noreply.<Domain> instead of the
	// account's e-mail address.
	Pseudonymous bool
	// Domain is the wiki's own part of pseudonyms, e.g. "wiki.gemeente.nl";
	// "" means DefaultNoreplyDomain.
	Domain string
}

// NoreplyDomainFor returns the host of the wiki's public address, for
// CommitAddresses.Domain, or DefaultNoreplyDomain when there is no usable
// host name (none given, an IP address, localhost).
func NoreplyDomainFor(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]."))
	if host == "" || host == "localhost" || net.ParseIP(host) != nil || strings.ContainsAny(host, "@/ \\") {
		return DefaultNoreplyDomain
	}
	return host
}

// Pseudonym is the pseudonymous address of a login name.
func (c CommitAddresses) Pseudonym(login string) string {
	d := c.Domain
	if d == "" {
		d = DefaultNoreplyDomain
	}
	return login + "@" + NoreplyLabel + d
}

// Author is u as the author of a commit: their display name (or login
// name), with their e-mail address or its pseudonym.
func (c CommitAddresses) Author(u *User) Author {
	a := u.Author()
	if c.Pseudonymous {
		a.Email = c.Pseudonym(u.Name)
	}
	return a
}
