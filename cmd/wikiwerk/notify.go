package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/notify"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// notifyFlags are the settings of notification mail.
type notifyFlags struct {
	// DigestAt is the time of day of the daily digest, "08:00".
	DigestAt string
}

func (f *notifyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.DigestAt, "digest-at", "08:00", "time of day (server's time zone) the daily digest of followed pages is mailed, HH:MM")
}

// digestAt parses -digest-at into the duration since midnight.
func (f notifyFlags) digestAt() (time.Duration, error) {
	t, err := time.Parse("15:04", f.DigestAt)
	if err != nil {
		return 0, fmt.Errorf("-digest-at %q: want a time of day like 08:00", f.DigestAt)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// openNotify starts notification mail when mail is set up: the notifier
// in DATA/notify subscribes to the change feed (catching up from its
// checkpoint) and runs its digest and hand-over loop. The unsubscribe
// links are signed with a key derived from the server key, which the web
// server derives the same way to check them. The notifier is also the
// wiki's ReviewListener (mail about proposals, reviews and discussions),
// returned for wiki.Options; it is opened before the wiki is made, so
// that no event is missed. The returned stop ends both and closes the
// file; without mail the listener is nil and stop does nothing.
func (m *Main) openNotify(ctx context.Context, repo *storage.Repo, store *accounts.Store, q *mail.Queue, key []byte) (wiki.ReviewListener, func(), error) {
	if q == nil {
		return nil, func() {}, nil
	}
	at, err := m.notifyFlags.digestAt()
	if err != nil {
		return nil, nil, err
	}
	n, err := notify.Open(filepath.Join(m.DataDir, "notify"), notify.Options{
		Source:   repo,
		Accounts: store,
		Mailer:   q,
		Policy:   m.policy,
		BaseURL:  m.Mail.BaseURL,
		Key:      notify.UnsubscribeKey(key),
		Lang:     m.Lang,
		DigestAt: at,
		Logger:   m.log,
		Reviews:  store,
	})
	if err != nil {
		return nil, nil, err
	}
	sub, err := repo.Subscribe(ctx, n)
	if err != nil {
		n.Close()
		return nil, nil, fmt.Errorf("subscribe notifications: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { n.Run(runCtx) })
	return n, func() {
		sub.Close()
		cancel()
		wg.Wait()
		n.Close()
	}, nil
}
