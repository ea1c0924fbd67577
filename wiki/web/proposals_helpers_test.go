package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/wikiwerk/wikiwerk/gitserver"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// reviewPolicy reviews Beleid: the group beleidsteam (dirk) and admins
// (carla) review; anna (editor) proposes.
func reviewPolicy() wiki.Policy {
	return wiki.Policy{Read: wiki.Anyone, Edit: wiki.Editors, Review: []wiki.Protected{{Prefix: "Beleid", Groups: []string{"beleidsteam"}}}}
}

// newReviewWiki is newAuthWiki with the policy in the domain too (as
// cmd/wikiwerk wires it) and git served beside the web, as in production.
func newReviewWiki(t *testing.T, policy wiki.Policy) *authWiki {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = repo.Commit(context.Background(), wiki.Commit{
		Author: wiki.Author{Name: "wikiwerk"}, Message: "seed",
		Changes: []wiki.Change{
			{Name: "Home", Content: []byte("# Welkom\n\nZie [[Beleid/Visie]].\n")},
			{Name: "WMO-loket/Ontwerp", Content: []byte("Regel een\nRegel twee\nRegel drie\n")},
			{Name: "Beleid/Visie", Content: []byte("# Visie\n\nEen\n\nTwee\n\nDrie\n")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := accounts.OpenWith(filepath.Join(t.TempDir(), "accounts.db"), accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, u := range []wiki.User{
		{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@example.nl", Role: wiki.RoleEditor},
		{Name: "bram", DisplayName: "Bram Jansen", Email: "bram@example.nl", Role: wiki.RoleReader},
		{Name: "carla", DisplayName: "Carla Smit", Email: "carla@example.nl", Role: wiki.RoleAdmin},
		{Name: "dirk", DisplayName: "Dirk Bakker", Email: "dirk@example.nl", Role: wiki.RoleEditor, Groups: []string{"beleidsteam"}},
	} {
		if _, err := store.Create(ctx, u, passwords[u.Name]); err != nil {
			t.Fatal(err)
		}
	}
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{
		Wiki:         wiki.New(repo, wiki.Options{MaxPageBytes: 64 << 10, Policy: &policy}),
		Theme:        theme,
		Policy:       policy,
		Accounts:     store,
		MaxBodyBytes: 256 << 10,
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	git := gitserver.New(gitserver.Config{
		Repo: repo,
		Authorize: func(r *http.Request, a gitserver.Access) error {
			u, err := s.GitUser(r)
			if err == nil {
				err = s.AuthorizeGit(r, u, a == gitserver.Write)
				if a == gitserver.Write && errors.Is(err, wiki.ErrForbidden) && s.MayProposeByGit(u) {
					err = nil // as cmd/wikiwerk's gitAccess
				}
			}
			if errors.Is(err, wiki.ErrUnauthenticated) {
				return fmt.Errorf("%w: %v", gitserver.ErrUnauthorized, err)
			}
			return err
		},
		MayChange: func(r *http.Request, paths []string) error {
			u, err := s.GitUser(r)
			if err != nil {
				return err
			}
			return s.AuthorizePush(r, u, paths)
		},
		Proposals: s.GitProposals,
		Logger:    slog.New(slog.DiscardHandler),
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/wiki.git/") {
			git.ServeHTTP(w, r)
			return
		}
		s.ServeHTTP(w, r)
	}))
	tw := &testWiki{t: t, srv: srv, repo: repo, dir: dir}
	t.Cleanup(func() { srv.Close(); repo.Close(); store.Close() })
	return &authWiki{testWiki: tw, server: s, accounts: store}
}

// proposalLink finds the proposal a redirect leads to.
var proposalLink = regexp.MustCompile(`^/-/proposals/([a-z0-9.-]+)\?done=`)

// proposalOf reads a proposal through the API.
func (b *browser) proposalOf(id string) proposalView {
	b.t.Helper()
	code, body, _ := b.api("GET", "/-/api/proposals/"+id, "")
	if code != http.StatusOK {
		b.t.Fatalf("GET proposal %s: %d %s", id, code, body)
	}
	var p proposalView
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// proposalView is what the tests read of a proposal in the API.
type proposalView struct {
	ID       string `json:"id"`
	Page     string `json:"page"`
	Status   string `json:"status"`
	Branch   string `json:"branch"`
	Base     string `json:"base"`
	Revision string `json:"revision"`
	Merged   string `json:"merged"`
	Diff     string `json:"diff"`
	Author   struct {
		Name string `json:"name"`
	} `json:"author"`
	Reviews []struct {
		Verdict string `json:"verdict"`
		Comment string `json:"comment"`
		Author  struct {
			Name string `json:"name"`
		} `json:"author"`
	} `json:"reviews"`
}

// gitIn runs git in dir, isolated from the user's configuration, as
// Pia Pusher.
func gitIn(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"),
		"GIT_TERMINAL_PROMPT=0", "GIT_AUTHOR_NAME=Anna de Vries", "GIT_AUTHOR_EMAIL=anna@example.nl",
		"GIT_COMMITTER_NAME=Anna de Vries", "GIT_COMMITTER_EMAIL=anna@example.nl", "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func mustGitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitIn(t, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// cloneURLAs is the wiki's git address with a user's password in it.
func (aw *authWiki) cloneURLAs(user string) string {
	u, _ := url.Parse(aw.srv.URL + "/wiki.git")
	u.User = url.UserPassword(user, passwords[user])
	return u.String()
}

// fsck checks the content repository as git does.
func (aw *authWiki) fsck() {
	aw.t.Helper()
	if out, err := exec.Command("git", "-C", aw.dir, "fsck", "--strict", "--no-dangling").CombinedOutput(); err != nil {
		aw.t.Fatalf("git fsck: %v\n%s", err, out)
	}
}

// pageText reads a page on main.
func (aw *authWiki) pageText(name string) string {
	aw.t.Helper()
	p, err := aw.repo.ReadPage(context.Background(), wiki.Name(name), "")
	if err != nil {
		aw.t.Fatal(err)
	}
	return string(p.Content)
}

// attrOK reports whether an element has an attribute, and its value.
func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// jsonInto decodes body into v and returns the length of its first list
// (for listings), or 0.
func jsonInto(t *testing.T, body string, v any) int {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	if l, ok := v.(*struct {
		Proposals []proposalView `json:"proposals"`
	}); ok {
		return len(l.Proposals)
	}
	return 0
}
