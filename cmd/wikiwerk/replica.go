package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wikiwerk/wikiwerk/gitsync"
	"github.com/wikiwerk/wikiwerk/metrics"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// A read replica (-replica-of): its own copy of the content repository,
// fetched from the primary (gitsync.Replica), every read served from it,
// every write proxied to the primary with the visitor's own credentials,
// and the visitor's identity asked from the primary (replicaAccounts).

// replicaTokenEnv holds the token the replica fetches with when the
// primary needs an account to read (-read signed-in).
const replicaTokenEnv = "WIKIWERK_REPLICA_TOKEN"

// whoamiTTL is how long the primary's answer about a credential is used
// before it is asked again: sign-out and disabling reach the replica
// within this time. While the primary cannot be reached an answer is
// used up to whoamiStale old, so that signed-in readers keep reading.
const (
	whoamiTTL   = 30 * time.Second
	whoamiStale = 24 * time.Hour
)

// replicaFlags are the flags of a read replica.
type replicaFlags struct {
	// Primary is the primary wiki's address (https://wiki.intern/), nil
	// when this wiki is not a replica.
	Primary *url.URL
	// PrimaryGit is the primary's content repository, with the token.
	PrimaryGit gitsync.Remote
	// ReplicaInterval is how often the primary's main is looked at.
	ReplicaInterval time.Duration

	replica *gitsync.Replica
	// heads wakes the replicas' long polls (replica_head.go).
	heads *headWatch
}

func (f *replicaFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	token := getenv(replicaTokenEnv)
	fs.Func("replica-of", "serve as a read replica of the wiki at this address (https://...): fetch its content, send every write to it; the token in "+replicaTokenEnv, func(v string) error {
		rem, err := gitsync.ParseRemote(strings.TrimSuffix(v, "/")+"/"+strings.Trim(gitPrefix, "/"), token)
		if err != nil {
			return err
		}
		u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(v), "/"))
		if err != nil {
			return err
		}
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		f.Primary, f.PrimaryGit = u, rem
		return nil
	})
	fs.DurationVar(&f.ReplicaInterval, "replica-interval", 2*time.Second, "how often a replica looks for changes on the primary (-replica-of)")
}

// checkReplicaKey refuses to start a replica without a key file: the key
// made for it would not be the primary's, and every form posted through
// it (signed with the replica's key, checked with the primary's) would be
// refused.
func (m *Main) checkReplicaKey() error {
	if m.Primary == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(m.DataDir, keyFile)); err != nil {
		return fmt.Errorf("-replica-of: a replica signs its forms with the primary's key: copy %s from the primary's data folder to %s (%v)",
			keyFile, m.DataDir, err)
	}
	return nil
}

// startReplica starts following the primary; the returned function stops
// it. It does nothing when this wiki is not a replica.
func (m *Main) startReplica(ctx context.Context, repo *storage.Repo) (func(), error) {
	// Every wiki wakes the replicas that follow it.
	stopHeads, err := m.startHeadWatch(ctx, repo)
	if err != nil {
		return nil, err
	}
	if m.Primary == nil {
		return stopHeads, nil
	}
	stop, err := m.startFollowing(ctx, repo)
	if err != nil {
		stopHeads()
		return nil, err
	}
	return func() { stop(); stopHeads() }, nil
}

// startFollowing starts the replica proper.
func (m *Main) startFollowing(ctx context.Context, repo *storage.Repo) (func(), error) {
	if m.syncFlags.Mirror != nil || m.syncFlags.Upstream != nil {
		return nil, errors.New("-replica-of: a replica takes its content from the primary only; set -mirror and -upstream on the primary")
	}
	if m.Mail.Addr != "" {
		return nil, errors.New("-replica-of: a replica sends no mail (the primary does); leave out -smtp-addr")
	}
	rep, err := gitsync.NewReplica(gitsync.ReplicaOptions{
		Repo: repo, Remote: m.PrimaryGit, Dir: filepath.Join(m.DataDir, "replica"), Interval: m.ReplicaInterval, Logger: m.log,
		HeadURL: m.Primary.JoinPath(headPath).String(),
	})
	if err != nil {
		return nil, err
	}
	m.replica = rep
	m.metrics.AddGauge("replica_lag_commits", "Commits of the primary's main, as last seen, that this replica has not applied yet.", func() float64 {
		return float64(rep.Status().Behind)
	})
	m.metrics.AddGauge("replica_last_fetch_age_seconds", "Seconds since this replica last asked the primary successfully (-1 before the first time).", func() float64 {
		st := rep.Status()
		if !st.Fetched {
			return -1
		}
		return time.Since(st.LastSuccess).Seconds()
	})
	m.metrics.AddGauge("replica_diverged", "1 when this replica stopped following the primary because its main has commits the primary's lacks.", func() float64 {
		if rep.Status().Diverged {
			return 1
		}
		return 0
	})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rep.Run(ctx)
	}()
	m.log.Info("read replica: following the primary", "primary", m.Primary.String(), "every", m.ReplicaInterval, "token", m.PrimaryGit.Token != "")
	return func() { cancel(); <-done }, nil
}

// replicaState returns what the replica's admin page shows; nil when
// this wiki is not a replica.
func (m *Main) replicaState() func() web.ReplicaState {
	rep := m.replica
	if rep == nil {
		return nil
	}
	return func() web.ReplicaState {
		st := rep.Status()
		return web.ReplicaState{Primary: m.Primary.String(), PrimaryHead: st.Primary, Head: st.Head, Behind: st.Behind,
			Fetched: st.Fetched, LastSuccess: st.LastSuccess, LastError: st.LastError, LastErrorAt: st.LastErrorAt, Diverged: st.Diverged}
	}
}

// replicaAccounts returns the account store the web server uses: on a
// replica the local store with identities taken from the primary.
func (m *Main) replicaAccounts(local web.AccountStore) web.AccountStore {
	if m.Primary == nil {
		return local
	}
	return &primaryAccounts{AccountStore: local, whoami: m.Primary.JoinPath(web.WhoamiPath).String(),
		client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		ttl:    whoamiTTL, stale: whoamiStale, cache: map[[32]byte]whoamiEntry{}}
}

// primaryAccounts answers who a session or a token belongs to by asking
// the primary (GET /-/api/whoami with the visitor's own credentials), and
// caches the answer for whoamiTTL. Everything else that touches accounts
// (signing in and out, settings, admin pages) is proxied to the primary
// and never reaches this store; the local one behind it holds only the
// replica's own audit records.
type primaryAccounts struct {
	web.AccountStore
	whoami string
	client *http.Client
	// ttl and stale are whoamiTTL and whoamiStale (shorter in tests).
	ttl, stale time.Duration

	mu    sync.Mutex
	cache map[[32]byte]whoamiEntry
}

type whoamiEntry struct {
	user *wiki.User // nil: the primary said 401
	at   time.Time
}

// errPrimaryDown says the primary could not be asked.
var errPrimaryDown = errors.New("the primary wiki cannot be reached")

// Count is never 0: a replica offers no setup link; accounts are made on
// the primary.
func (p *primaryAccounts) Count(context.Context) (int, error) { return 1, nil }

// SessionUser asks the primary about a session cookie.
func (p *primaryAccounts) SessionUser(ctx context.Context, id string) (*wiki.User, error) {
	return p.ask(ctx, "session "+id, func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "wikiwerk_session", Value: id})
	})
}

// Authenticate asks the primary about a user name and password.
func (p *primaryAccounts) Authenticate(ctx context.Context, name, password string) (*wiki.User, error) {
	return p.ask(ctx, "basic "+name+"\x00"+password, func(r *http.Request) { r.SetBasicAuth(name, password) })
}

// AuthenticateToken asks the primary about a personal access token.
func (p *primaryAccounts) AuthenticateToken(ctx context.Context, secret string) (*wiki.User, error) {
	return p.ask(ctx, "token "+secret, func(r *http.Request) { r.SetBasicAuth("", secret) })
}

func (p *primaryAccounts) ask(ctx context.Context, credential string, set func(*http.Request)) (*wiki.User, error) {
	// Only a hash of the credential is kept.
	key := sha256.Sum256([]byte(credential))
	p.mu.Lock()
	e, ok := p.cache[key]
	p.mu.Unlock()
	if ok && time.Since(e.at) < p.ttl {
		return e.answer()
	}
	u, err := p.fetch(ctx, set)
	if errors.Is(err, errPrimaryDown) {
		if ok && time.Since(e.at) < p.stale {
			return e.answer()
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if len(p.cache) > 10000 {
		for k, old := range p.cache {
			if time.Since(old.at) > p.ttl {
				delete(p.cache, k)
			}
		}
	}
	p.cache[key] = whoamiEntry{user: u, at: time.Now()}
	p.mu.Unlock()
	return whoamiEntry{user: u}.answer()
}

func (e whoamiEntry) answer() (*wiki.User, error) {
	if e.user == nil {
		return nil, wiki.ErrUnauthenticated
	}
	u := *e.user
	return &u, nil
}

// fetch asks the primary; a nil user is its 401 (or 403: a password
// without the second step).
func (p *primaryAccounts) fetch(ctx context.Context, set func(*http.Request)) (*wiki.User, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.whoami, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	set(req)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errPrimaryDown, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, nil
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("%w: %s", errPrimaryDown, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("the primary answered %s to %s", resp.Status, web.WhoamiPath)
	}
	var j web.WhoamiJSON
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&j); err != nil || j.Name == "" {
		return nil, fmt.Errorf("the primary's answer to %s: %v", web.WhoamiPath, err)
	}
	return j.User(), nil
}

// primaryPrefixes are the paths a replica sends to the primary also for
// reading: signing in and out, accounts and admin pages (the accounts
// live there), and what lives outside main (proposals, discussions,
// follows, who is editing).
var primaryPrefixes = []string{
	"/-/login", "/-/logout", "/-/setup", "/-/oidc/", "/-/account", "/-/admin", "/-/invite/", "/-/reset/", "/-/unsubscribe",
	"/-/proposals", "/-/talk/", "/-/watch",
	"/-/api/users", "/-/api/proposals", "/-/api/talk/", "/-/api/watch", "/-/api/presence/", "/-/api/sync", web.WhoamiPath,
}

// toPrimary reports whether a replica sends r to the primary: a git push,
// every other request but GET and HEAD outside git, and primaryPrefixes.
func toPrimary(r *http.Request) bool {
	p := r.URL.Path
	if strings.HasPrefix(p, gitPrefix) {
		// Clone and fetch (upload-pack, whose second request is a POST)
		// are the replica's; a push is the primary's.
		return r.URL.Query().Get("service") == "git-receive-pack" || strings.HasSuffix(p, "/git-receive-pack")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return true
	}
	if p == web.ReplicaAdminPath {
		return false // the replica's own page
	}
	for _, pre := range primaryPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// replicaHandler sends writes to the primary and serves the rest with
// next; on a wiki that is not a replica it is next.
func (m *Main) replicaHandler(next http.Handler) http.Handler {
	next = m.withHeadPoll(next)
	if m.Primary == nil {
		return next
	}
	rep, primary, log, trustProxy := m.replica, m.Primary, m.log, m.TrustProxy
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(primary)
			// The primary sees the address the visitor used (its CSRF
			// check and links need it) and, with -trust-proxy, the
			// visitor's address and scheme: as the proxy in front of the
			// replica said them when the replica trusts it, else as the
			// replica saw them (never what a client claims).
			pr.Out.Host = pr.In.Host
			if trustProxy {
				for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Proto"} {
					if v := pr.In.Header.Values(h); len(v) > 0 {
						pr.Out.Header[h] = v
					}
				}
				return
			}
			proto := "http"
			if pr.In.TLS != nil {
				proto = "https"
			}
			pr.Out.Header.Set("X-Forwarded-Proto", proto)
			if ip, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
				pr.Out.Header.Set("X-Forwarded-For", ip)
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			r := resp.Request
			if r.Method == http.MethodGet || r.Method == http.MethodHead || resp.StatusCode >= 400 {
				return nil
			}
			if strings.HasPrefix(r.URL.Path, gitPrefix) {
				// A push's outcome is in the body: fetch once it is read.
				resp.Body = &afterClose{ReadCloser: resp.Body, f: rep.Trigger}
				return nil
			}
			// Fetch the write before answering, so that the page the
			// visitor is sent to next shows it.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := rep.Sync(ctx); err != nil {
				log.Warn("replica: fetch after a write failed", "err", err)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("replica: the primary cannot be reached", "path", r.URL.Path, "err", err)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintln(w, "De hoofdserver van de wiki is nu niet bereikbaar: opslaan en aanmelden lukken even niet, lezen gaat door. Probeer het zo opnieuw.")
			fmt.Fprintln(w, "The wiki's primary server cannot be reached right now: saving and signing in do not work for the moment, reading does. Try again shortly.")
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if toPrimary(r) {
			metrics.SetRoute(r.Context(), "primary")
			proxy.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// replicaReady answers /-/readyz with 503 while the replica is not ready
// (replicaProblem), and leaves the other checks to next.
func (m *Main) replicaReady(next http.Handler) http.Handler {
	if m.Primary == nil {
		return next
	}
	rep := m.replica
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/-/readyz" {
			if msg := replicaProblem(rep.Status()); msg != "" {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, msg)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// replicaProblem is why a replica is not ready: before its first fetch,
// and once it stopped following.
func replicaProblem(st gitsync.ReplicaStatus) string {
	switch {
	case st.Diverged:
		return "replica: stopped following the primary: " + st.LastError
	case !st.Fetched && st.LastError != "":
		return "replica: no fetch from the primary yet: " + st.LastError
	case !st.Fetched:
		return "replica: no fetch from the primary yet"
	}
	return ""
}

type afterClose struct {
	io.ReadCloser
	once sync.Once
	f    func()
}

func (a *afterClose) Close() error {
	err := a.ReadCloser.Close()
	a.once.Do(a.f)
	return err
}
