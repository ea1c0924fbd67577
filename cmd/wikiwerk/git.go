package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/wikiwerk/wikiwerk/gitserver"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// gitPrefix is where the content repository is served to git clients.
const gitPrefix = "/wiki.git/"

// gitHandler serves the content repository over git's smart HTTP protocol.
// A push is held to the same size limit for attachments as an upload on
// the web (-max-file-mb).
func (m *Main) gitHandler(repo *storage.Repo) *gitserver.Handler {
	return gitserver.New(gitserver.Config{
		Repo:      repo,
		Limits:    m.pushLimits(),
		Authorize: m.gitAccess,
		MayChange: m.gitMayChange,
		Proposals: m.gitProposals,
		Logger:    m.log,
		Observer:  m.metrics,
	})
}

// pushLimits are the limits of a push: files as large as -max-file-mb
// allows, of the types -file-types allows, and a pack that can hold a few
// of them.
func (m *Main) pushLimits() storage.PushLimits {
	maxFile := m.MaxFileMiB << 20
	if maxFile <= 0 {
		maxFile = 20 << 20
	}
	return storage.PushLimits{
		MaxFileBytes: maxFile,
		MaxPackBytes: max(256<<20, 4*maxFile),
		FileTypes:    m.FileTypes,
	}
}

// gitAccess decides who may use git, by the web's policy: clone and fetch
// need the right to read, push the right to edit. Git clients sign in with
// HTTP Basic (a user name with a password or a personal access token);
// without credentials they are anonymous, and a refusal for that reason
// makes git ask for them.
func (m *Main) gitAccess(r *http.Request, a gitserver.Access) error {
	u, err := m.site.GitUser(r)
	if err == nil {
		err = m.site.AuthorizeGit(r, u, a == gitserver.Write)
		if a == gitserver.Write && errors.Is(err, wiki.ErrForbidden) && m.site.MayProposeByGit(u) {
			// A reader may push proposals to review folders; every ref
			// and file is checked once the push arrives.
			err = nil
		}
	}
	if errors.Is(err, wiki.ErrUnauthenticated) {
		return fmt.Errorf("%w: %v", gitserver.ErrUnauthorized, err)
	}
	return err
}

// gitMayChange applies the per-page rules (protected folders) to the
// files a push changes.
func (m *Main) gitMayChange(r *http.Request, paths []string) error {
	u, err := m.site.GitUser(r)
	if err != nil {
		return err
	}
	return m.site.AuthorizePush(r, u, paths)
}

// gitProposals takes pushes to refs/for/main and voorstel/ branches as
// change proposals by the pusher.
func (m *Main) gitProposals(r *http.Request) wiki.ProposalReceiver {
	return m.site.GitProposals(r)
}

// withGit sends git's requests straight to the git handler. The web server
// limits request bodies to a size meant for pages and forms, which a push
// with attachments exceeds; gitserver applies its own limits.
func withGit(site, git http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, gitPrefix) {
			git.ServeHTTP(w, r)
			return
		}
		site.ServeHTTP(w, r)
	})
}

// cloneURL is the address shown for git clone: the listening address, with
// a loopback name when listening on all interfaces.
func cloneURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + strings.TrimSuffix(gitPrefix, "/")
}

// startHousekeeping packs the repository in the background until the
// returned function is called; that function waits for it to stop, so that
// the repository can then be closed.
func startHousekeeping(ctx context.Context, repo *storage.Repo, opt storage.HousekeepingOptions) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		repo.Housekeep(ctx, opt)
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}
