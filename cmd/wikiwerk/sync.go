package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/wikiwerk/wikiwerk/gitsync"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// The environment variables that hold the sync's secrets; they have no
// flags, so that they never show in ps.
const (
	mirrorTokenEnv   = "WIKIWERK_MIRROR_TOKEN"
	upstreamTokenEnv = "WIKIWERK_UPSTREAM_TOKEN"
	syncTokenEnv     = "WIKIWERK_SYNC_TOKEN"
)

// syncFlags are the flags of the git sync with the organisation's server.
type syncFlags struct {
	Mirror           *gitsync.Remote
	Upstream         *gitsync.Remote
	UpstreamBranch   string
	UpstreamInterval time.Duration
	// SyncToken is the webhook's secret (WIKIWERK_SYNC_TOKEN).
	SyncToken string
}

func (f *syncFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	mirrorToken, upstreamToken := getenv(mirrorTokenEnv), getenv(upstreamTokenEnv)
	f.SyncToken = getenv(syncTokenEnv)
	fs.Func("mirror", "push main and proposal branches to this git repository (https://...) after every change; the token in "+mirrorTokenEnv, func(v string) error {
		r, err := gitsync.ParseRemote(v, mirrorToken)
		f.Mirror = &r
		return err
	})
	fs.Func("upstream", "take the changes committed on this git repository's branch (https://...) into main; the token in "+upstreamTokenEnv, func(v string) error {
		r, err := gitsync.ParseRemote(v, upstreamToken)
		f.Upstream = &r
		return err
	})
	fs.StringVar(&f.UpstreamBranch, "upstream-branch", "main", "the upstream's branch to take changes from")
	fs.DurationVar(&f.UpstreamInterval, "upstream-interval", 5*time.Minute, "how often to fetch from -upstream (POST /-/api/sync with "+syncTokenEnv+" fetches at once)")
}

// startSync starts the mirror and the upstream sync that the flags ask
// for; the returned function stops them. The config is nil when neither
// is set up.
func (m *Main) startSync(ctx context.Context, repo *storage.Repo) (*web.SyncConfig, func(), error) {
	if m.syncFlags.Mirror == nil && m.syncFlags.Upstream == nil {
		return nil, func() {}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mirror *gitsync.Mirror
	var upstream *gitsync.Upstream
	stop := func() {
		cancel()
		if mirror != nil {
			mirror.Close()
		}
		wg.Wait()
	}
	if r := m.syncFlags.Mirror; r != nil {
		mirror = gitsync.NewMirror(gitsync.MirrorOptions{
			Repo: repo, Remote: *r, StatePath: filepath.Join(m.DataDir, "mirror.json"), Logger: m.log,
		})
		if err := mirror.Start(ctx); err != nil {
			stop()
			return nil, nil, fmt.Errorf("mirror: %w", err)
		}
		m.log.Info("mirroring to the git server", "url", r.Shown(), "token", r.Token != "")
	}
	if r := m.syncFlags.Upstream; r != nil {
		u, err := gitsync.NewUpstream(gitsync.UpstreamOptions{
			Repo: repo, Remote: *r, Branch: m.syncFlags.UpstreamBranch, Dir: filepath.Join(m.DataDir, "upstream"),
			Interval: m.syncFlags.UpstreamInterval, Limits: m.pushLimits(), Lang: m.Lang, Logger: m.log,
		})
		if err != nil {
			stop()
			return nil, nil, err
		}
		upstream = u
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.Run(ctx)
		}()
		m.log.Info("taking changes from upstream", "url", r.Shown(), "branch", m.syncFlags.UpstreamBranch,
			"every", m.syncFlags.UpstreamInterval, "token", r.Token != "", "webhook", m.syncFlags.SyncToken != "")
	}
	return &web.SyncConfig{Service: gitsync.NewService(mirror, upstream), HookToken: m.syncFlags.SyncToken}, stop, nil
}
