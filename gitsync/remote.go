// Package gitsync keeps the wiki's content repository in step with the
// organisation's git server: a Mirror pushes main (and the proposal
// branches) there after every change, and an Upstream fetches a branch
// from there and merges what was committed on it into main, three ways,
// keeping its authors. Neither ever forces: a remote that diverged is
// reported, an upstream change that conflicts is kept as a branch beside
// main with a notice for the admins, and the rest keeps flowing.
//
// Network I/O never happens under the repository's lock: the mirror asks
// storage for a prepared pack (planned under the lock, written without
// it), and the upstream fetches into a staging repository of its own and
// hands storage a pack, which is checked and applied like a git push.
package gitsync

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// DefaultUser is the user name sent with the token when the URL names none.
// GitLab and Gitea take a personal or project access token as the password
// whatever the user name; give the account's name in the URL
// (https://wikibot@git.example.nl/...) where a server needs it.
const DefaultUser = "wikiwerk"

// Remote is a git server the wiki talks to over HTTPS.
type Remote struct {
	// URL is the repository's address, without credentials.
	URL string
	// User is the user name for HTTP Basic; DefaultUser when empty.
	User string
	// Token is sent as the HTTP Basic password; empty sends no
	// credentials. It never appears in logs, errors or Shown.
	Token string
}

// ErrInsecureURL refuses a remote that would see the token in clear text.
var ErrInsecureURL = errors.New("only https:// addresses are allowed (http:// only on this machine)")

// ParseRemote checks a remote's address: https, or http to a loopback
// address (a server on the same machine, as in tests), with no password
// in it (tokens come from the environment). A user name in the URL is
// taken as User.
func ParseRemote(raw, token string) (Remote, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return Remote{}, fmt.Errorf("%q is not a repository address (https://host/group/wiki.git)", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return Remote{}, fmt.Errorf("%s: %w", shown(u), ErrInsecureURL)
		}
	default:
		return Remote{}, fmt.Errorf("%s: %w", shown(u), ErrInsecureURL)
	}
	rem := Remote{Token: token}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return Remote{}, fmt.Errorf("%s: put the token in the environment, not in the address", shown(u))
		}
		rem.User = u.User.Username()
	}
	u.User = nil
	rem.URL = u.String()
	return rem, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// shown is an address as logs and pages may show it: without user
// information, query or fragment.
func shown(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return c.String()
}

// Shown returns the address as it may be shown.
func (r Remote) Shown() string {
	u, err := url.Parse(r.URL)
	if err != nil {
		return "(invalid address)"
	}
	return shown(u)
}

// auth returns the credentials for go-git, nil for none.
func (r Remote) auth() transport.AuthMethod {
	if r.Token == "" {
		return nil
	}
	user := r.User
	if user == "" {
		user = DefaultUser
	}
	return &githttp.BasicAuth{Username: user, Password: r.Token}
}

// client returns a transport and the endpoint, with timeouts of its own
// (go-git's default client has none).
func (r Remote) client() (transport.Transport, *transport.Endpoint, error) {
	ep, err := transport.NewEndpoint(r.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", r.Shown(), err)
	}
	hc := &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 2 * time.Minute,
			IdleConnTimeout:       time.Minute,
		},
		// A redirect to another host would carry the token there.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 0 && req.URL.Host != via[0].URL.Host {
				return fmt.Errorf("the git server redirected to another host (%s); not following", req.URL.Host)
			}
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	return githttp.NewClient(hc), ep, nil
}

// redact removes the token from a message, should a server or library
// ever echo it.
func (r Remote) redact(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if r.Token != "" {
		s = strings.ReplaceAll(s, r.Token, "***")
	}
	return s
}

// backoff returns the wait after n failures in a row: doubling from
// first, at most limit.
func backoff(n int, first, limit time.Duration) time.Duration {
	d := first
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
