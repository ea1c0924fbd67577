// Command wikiwerk runs the wiki.
//
//	wikiwerk [serve] [-addr A] [-data DIR] [-repo PATH] [-theme DIR] [-anonymous-edits] [-lang nl|en] [-max-file-mb N] [-file-types png,pdf] [-smtp-addr H:P -mail-from A -base-url URL]
//	         [-read anyone|signed-in] [-protect FOLDERS] [-trust-proxy] [-oidc-... ]
//	wikiwerk version
//
// Every flag can also be set with an environment variable WIKIWERK_<FLAG>,
// e.g. WIKIWERK_DATA=/srv/wiki; a flag on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/wikiwerk/wikiwerk/content"
	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/metrics"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches the subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		m := NewMain(stderr)
		if err := m.ParseFlags(args, os.Getenv); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "wikiwerk:", err)
			return 2
		}
		if err := m.Run(ctx); err != nil {
			fmt.Fprintln(stderr, "wikiwerk:", err)
			return 1
		}
		return 0
	case "user":
		return (&userCommand{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}).run(ctx, args)
	case "check":
		return (&checkCommand{stdout: stdout, stderr: stderr, getenv: os.Getenv}).run(ctx, args)
	case "backup":
		return (&backupCommand{opsCommand{stdout: stdout, stderr: stderr, getenv: os.Getenv}}).run(ctx, args)
	case "restore":
		return (&restoreCommand{opsCommand{stdout: stdout, stderr: stderr, getenv: os.Getenv}}).run(ctx, args)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "wikiwerk: unknown command %q\n%s\n", cmd, usage)
	return 2
}

const usage = `usage:
  wikiwerk [serve] [-addr 127.0.0.1:8080] [-data ./wiki-data] [-repo PATH] [-theme DIR] [-anonymous-edits]
                 [-lang nl|en] [-max-file-mb 20] [-file-types png,jpg,pdf] [-memory-limit 256]
                 [-read anyone|signed-in] [-protect "Beleid,Intern=beleidsteam+ict"] [-review "Beleid=beleidsteam"] [-trust-proxy]
                 [-mirror URL] [-upstream URL -upstream-interval 5m] [-replica-of URL -replica-interval 2s]
                 [-oidc-issuer URL -oidc-client-id ID -oidc-client-secret S -oidc-redirect-url URL
                  -oidc-scopes S -oidc-role-claim C -oidc-admin-values V -oidc-editor-values V]
                 [-metrics-addr 127.0.0.1:9150] [-log-format text|json]
  wikiwerk user add|list|passwd|disable|role|groups ...   (wikiwerk user help)
  wikiwerk check [-data DIR] [-repair]   verify (and repair) the repository and indexes
  wikiwerk backup [-data DIR] -to FILE  an archive of the running wiki (wikiwerk backup -h)
  wikiwerk restore -from FILE -data DIR  into an empty folder (wikiwerk restore -h)
  wikiwerk version
Every flag can also be set as WIKIWERK_<FLAG> (for example WIKIWERK_DATA).`

func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "wikiwerk (unknown build)"
	}
	v := "wikiwerk " + info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision", "vcs.time", "vcs.modified":
			v += " " + s.Key + "=" + s.Value
		}
	}
	return v + " " + info.GoVersion
}

// Main is the wiki server as a program: flags in, a running server out.
// Tests drive it directly.
type Main struct {
	// Addr is the address to listen on.
	Addr string
	// DataDir holds content.git and everything derived from it.
	DataDir string
	// RepoPath, when set, serves that existing repository instead of
	// DataDir/content.git.
	RepoPath string
	// ThemeDir, when set, overrides theme files from this folder.
	ThemeDir string
	// AnonymousEdits allows edits without an account.
	AnonymousEdits bool
	// MemoryLimitMiB is the Go runtime's soft memory limit; 0 for none.
	MemoryLimitMiB int64
	// MaxFileMiB bounds the size of one attachment, in MiB.
	MaxFileMiB int64
	// FileTypes, when set, are the only attachment extensions accepted,
	// from the web and from git alike.
	FileTypes []string
	// Lang is the default language of page content and of the wiki: nl
	// or en. A page's front matter (lang:) overrides it for that page.
	Lang string
	// Location is the wiki's time zone (-timezone).
	Location *time.Location
	// authFlags: who may read, protected folders, proxy, single sign-on.
	authFlags
	// securityFlags: two-step sign-in and the audit log's JSON lines.
	securityFlags
	// Mail holds the SMTP flags and -base-url; mail is off without
	// -smtp-addr.
	Mail mail.Settings
	syncFlags
	// replicaFlags: -replica-of (replica.go).
	replicaFlags
	// SecurityContacts are named by /.well-known/security.txt.
	SecurityContacts []string
	// notifyFlags: the daily digest of followed pages (notify.go).
	notifyFlags
	// commitFlags: which address web commits carry (commitemail.go).
	commitFlags
	// opsFlags: metrics, log format.
	opsFlags
	// siteFlags: site name, logo, accessibility statement (site.go).
	siteFlags

	// site is the web server, once made; git asks it who may do what.
	site *web.Server

	log    *slog.Logger
	stderr io.Writer
}

// NewMain returns a Main that logs to w.
func NewMain(w io.Writer) *Main {
	return &Main{
		log: newLogger(w, "text"),
		// The server's own metrics registry, never the global one.
		opsFlags: opsFlags{metrics: metrics.New()},
		stderr:   w,
	}
}

// ParseFlags reads the serve flags from args, with defaults taken from
// WIKIWERK_<FLAG> variables looked up with getenv.
func (m *Main) ParseFlags(args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("wikiwerk serve", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	fs.StringVar(&m.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&m.DataDir, "data", "./wiki-data", "data folder: content.git and derived state")
	fs.StringVar(&m.RepoPath, "repo", "", "serve this existing git repository (bare or not) instead of DATA/content.git")
	fs.StringVar(&m.ThemeDir, "theme", "", "folder whose templates/ and static/ files override the built-in theme")
	fs.BoolVar(&m.AnonymousEdits, "anonymous-edits", false, "allow edits without an account, under the name the editor gives")
	fs.Int64Var(&m.MemoryLimitMiB, "memory-limit", 256, "soft memory limit in MiB for the Go runtime (0: none; GOMEMLIMIT, when set, wins)")
	fs.Int64Var(&m.MaxFileMiB, "max-file-mb", 20, "largest attachment (file on a page) accepted, in MiB")
	fs.Func("file-types", "the only attachment extensions accepted, comma-separated (png,jpg,pdf); default: any", func(v string) error {
		m.FileTypes = nil
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(t)), ".")
			if t == "" {
				continue
			}
			if strings.ContainsAny(t, "./\\ ") {
				return fmt.Errorf("%q is not a file extension", t)
			}
			m.FileTypes = append(m.FileTypes, t)
		}
		return nil
	})
	m.Lang = "nl"
	fs.Var(langValue{&m.Lang}, "lang", "default language of pages (for search): nl or en; a page's front matter lang: overrides it")
	m.Location, _ = time.LoadLocation("Europe/Amsterdam")
	fs.Var(timezoneValue{&m.Location}, "timezone", "the wiki's time zone, for times in commit messages and pages (IANA name)")
	m.authFlags.register(fs)
	m.securityFlags.register(fs)
	m.Mail.Register(fs)
	m.syncFlags.register(fs, getenv)
	m.replicaFlags.register(fs, getenv)
	fs.Func("security-contact", "who to tell about a security problem, for /.well-known/security.txt: an e-mail address or a mailto:, https: or tel: URI (several comma-separated)", func(v string) (err error) {
		m.SecurityContacts, err = web.ParseSecurityContact(v)
		return err
	})
	m.notifyFlags.register(fs)
	m.commitFlags.register(fs)
	m.siteFlags.register(fs)
	m.registerOps(fs, getenv)
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		key := "WIKIWERK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(key); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %w", key, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := m.authFlags.check(m.AnonymousEdits); err != nil {
		return err
	}
	return m.securityFlags.check(m.OIDCIssuer)
}

// openRepo opens the content repository, creating and seeding it on the
// first start with an empty data folder.
func (m *Main) openRepo() (*storage.Repo, error) {
	if err := os.MkdirAll(m.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if n, err := fsutil.RemoveTemps(m.DataDir); err == nil && n > 0 {
		m.log.Info("removed temporary files of an interrupted write", "count", n)
	}
	opt := storage.Options{IndexPath: filepath.Join(m.DataDir, "history.idx"), Logger: m.log, BuildInBackground: true, LockObserver: m.metrics}
	dir := filepath.Join(m.DataDir, "content.git")
	var repo *storage.Repo
	var err error
	if m.RepoPath != "" {
		dir = m.RepoPath
		repo, err = storage.Open(m.RepoPath, opt)
		m.logIndexProblem(repo)
	} else if _, statErr := os.Stat(filepath.Join(dir, "HEAD")); statErr == nil {
		repo, err = storage.Open(dir, opt)
		m.logIndexProblem(repo)
	} else {
		repo, err = storage.Init(dir, opt)
	}
	if errors.Is(err, storage.ErrDamaged) {
		where := "-data " + m.DataDir
		if m.RepoPath != "" {
			where = "-repo " + m.RepoPath
		}
		return nil, fmt.Errorf("%w.\nThe wiki will not start on it, and will not seed it again.\n"+
			"To see what is wrong, run:    wikiwerk check %s\n"+
			"To restore main from the reflog (or the newest complete commit), run:\n"+
			"                              wikiwerk check -repair %s", err, where, where)
	}
	if err != nil {
		return nil, err
	}
	// Seeding is checked on every start, not only after Init, so that a
	// crash between creating and seeding heals itself.
	snap, err := repo.Snapshot(context.Background())
	if err == nil && snap.Head == "" && m.RepoPath == "" && m.Primary == nil {
		err = seed(repo)
		if err == nil {
			m.log.Info("created the content repository with the seed pages", "path", dir)
		}
	}
	if err != nil {
		repo.Close()
		return nil, err
	}
	return repo, nil
}

// logIndexProblem says when the saved history index could not be used
// and was rebuilt (a damaged file, say), which costs start-up time.
func (m *Main) logIndexProblem(repo *storage.Repo) {
	if repo != nil && repo.IndexProblem != nil {
		m.log.Warn("rebuilt the history index", "reason", repo.IndexProblem)
	}
}

// seed commits the pages of package content as one commit.
func seed(repo *storage.Repo) error {
	pages, err := content.Pages()
	if err != nil {
		return err
	}
	c := wiki.Commit{
		Author:  wiki.Author{Name: "wikiwerk", Email: "wikiwerk@localhost"},
		Message: "Startpagina's van de wiki\n\nSeed pages committed on first start.",
	}
	for path, text := range pages {
		name, ok := wiki.ParsePath(path)
		if !ok {
			return fmt.Errorf("seed page %s: not a valid page file", path)
		}
		c.Changes = append(c.Changes, wiki.Change{Name: name, Content: text})
	}
	_, err = repo.Commit(context.Background(), c)
	return err
}

// Run starts the server and blocks until ctx is cancelled, then shuts down
// gracefully: requests in flight, such as a save, are allowed to finish.
func (m *Main) Run(ctx context.Context) error {
	// Decided before the content repository is made: a new wiki is one
	// without it.
	commits, err := m.commitAddresses()
	if err != nil {
		return err
	}
	// The heap's live part is the history index and the caches; the rest
	// is garbage the collector may leave until the heap doubles. A soft
	// limit (-memory-limit) keeps a ten-year wiki within a small VM's
	// memory; it is set once the history index is built (below).
	repo, err := m.openRepo()
	if err != nil {
		return err
	}
	defer repo.Close()
	if m.MemoryLimitMiB > 0 && os.Getenv("GOMEMLIMIT") == "" {
		// A first build of the history index of a large wiki needs more
		// room than the wiki does afterwards; under the soft limit the
		// collector would run all the time and the build take minutes.
		go func() {
			for {
				if _, _, busy := repo.Indexing(); !busy {
					debug.SetMemoryLimit(m.MemoryLimitMiB << 20)
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
			}
		}()
	}
	// Consumers of the change feed: each catches up from its own
	// checkpoint now, then follows every move of main.
	indexSaver, err := repo.Subscribe(ctx, repo.IndexSaver(5*time.Second))
	if err != nil {
		return err
	}
	defer indexSaver.Close()
	m.watch("history", indexSaver)
	blameIdx, stopBlame, err := m.openBlame(ctx, repo)
	if err != nil {
		return err
	}
	defer stopBlame()
	ix, searchSub, err := m.openSearch(ctx, repo)
	if err != nil {
		return err
	}
	defer ix.Close()
	defer searchSub.Close()
	m.watch("search", searchSub)
	graph, linksSub, err := m.openLinks(ctx, repo)
	if err != nil {
		return err
	}
	defer graph.Close()
	defer linksSub.Close()
	m.watch("links", linksSub)
	stopHousekeeping := startHousekeeping(ctx, repo, storage.HousekeepingOptions{Logger: m.log})
	defer stopHousekeeping()
	theme, err := themes.Open(m.ThemeDir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	store, err := m.openAccounts()
	if err != nil {
		return err
	}
	defer store.Close()
	closeAudit, err := m.startAudit(ctx, store)
	if err != nil {
		return err
	}
	defer closeAudit()
	// wikiwerk user reaches the open store through DATA/wikiwerk.sock.
	defer m.startControl(store)()
	if err := m.checkReplicaKey(); err != nil {
		return err
	}
	key, err := m.loadKey()
	if err != nil {
		return err
	}
	mailQueue, err := m.openMail(ctx)
	if err != nil {
		return err
	}
	var mailer web.Mailer
	if mailQueue != nil {
		defer mailQueue.Close()
		mailer = mailQueue
	}
	reviewMail, stopNotify, err := m.openNotify(ctx, repo, store, mailQueue, key)
	if err != nil {
		return err
	}
	defer stopNotify()
	git := m.gitHandler(repo)
	syncCfg, stopSync, err := m.startSync(ctx, repo)
	if err != nil {
		return err
	}
	defer stopSync()
	stopReplica, err := m.startReplica(ctx, repo)
	if err != nil {
		return err
	}
	defer stopReplica()
	srv, err := web.New(web.Config{
		Wiki: wiki.New(repo, wiki.Options{Policy: &m.policy, BlameIndex: blameIdx, MaxFileBytes: m.MaxFileMiB << 20, FileTypes: m.FileTypes,
			Lang: m.Lang, Location: m.Location, SaveObserver: m.metrics, ReviewListener: reviewMail}),
		Theme:       theme,
		Policy:      m.policy,
		Accounts:    m.replicaAccounts(store),
		Key:         key,
		TrustProxy:  m.TrustProxy,
		OIDC:        m.withMFA(m.oidcConfig()),
		Logger:      m.log,
		Git:         git,
		GitPrefix:   strings.TrimSuffix(gitPrefix, "/"),
		ContentLang: m.Lang,
		CloneURL:    cloneURL(ln.Addr()),
		Search:      timedSearch{ix, m.metrics},
		Links:       graph,
		Mail:        mailer,
		BaseURL:     m.Mail.BaseURL,
		Sync:        syncCfg,
		Replica:     m.replicaState(),

		SecurityContacts: m.SecurityContacts,
		RequireTwoFactor: m.Require2FA,
		CommitAddresses:  commits,
		Routes:           m.metrics,
		Site:             m.Site,
	})
	if err != nil {
		return err
	}
	m.site = srv
	handler, stopOps, err := m.startOps(opsParts{repo: repo, site: srv, search: ix, mail: mailQueue, next: m.replicaHandler(withGit(srv, git))})
	if err != nil {
		return err
	}
	defer stopOps()
	httpServer := &http.Server{
		Handler:           m.replicaReady(handler),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	m.log.Info("wikiwerk is running", "url", "http://"+ln.Addr().String()+"/", "anonymous_edits", m.AnonymousEdits, "read", m.policy.Read, "single_sign_on", m.OIDCIssuer != "")
	if p := srv.SetupPath(); p != "" {
		// A fresh wiki where nobody may edit without an account: this
		// one-time link (kept in memory only) makes the first admin.
		m.log.Warn("there are no accounts yet: open the setup link to create the first admin (or use: wikiwerk user add -role admin NAME)", "setup_link", "http://"+ln.Addr().String()+p)
	}

	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	m.log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
