// Package notify mails people about changes to the pages and folders
// they follow, and about mentions (@login) in pages. It is a consumer of
// the change feed (wiki.Consumer), so a web edit, an API call, a git push
// and a merge reach it alike.
//
// Its state lives in one bbolt file, DATA/notify/notify.db: the
// checkpoint (the commit whose changes it has handled), an outbox of
// mails not yet handed to the mail queue, and the digest entries waiting
// for the daily mail. Apply writes the mails, the digest entries and the
// checkpoint in one transaction and hands the outbox to the mail queue
// after it; so a crash never loses a notification, and a change is
// handled once (a crash between handing a mail over and removing it from
// the outbox can send that one mail twice).
package notify

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/diff"
)

// Source is what the notifier reads pages from; storage.Repo is one.
type Source interface {
	// ReadPage returns the page as of revision at; wiki.ErrNotFound when
	// it does not exist there.
	ReadPage(ctx context.Context, name wiki.Name, at string) (*wiki.Page, error)
}

// Accounts is what the notifier needs of the account store;
// storage/accounts.Store is one.
type Accounts interface {
	// User returns an account; wiki.ErrNotFound when there is none.
	User(ctx context.Context, name string) (*wiki.User, error)
	// Followers lists the follows that cover a page.
	Followers(ctx context.Context, page wiki.Name) ([]wiki.Follow, error)
	// MentionMail reports whether user wants mail about mentions.
	MentionMail(ctx context.Context, user string) (bool, error)
	// Follow and Unfollow move the follows of a renamed page.
	Follow(ctx context.Context, user, target string, mode wiki.FollowMode) error
	Unfollow(ctx context.Context, user, target string) error
}

// Mailer takes mail to send; *mail.Queue is one.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) (string, error)
}

// Clock is the notifier's time; mail.Clock has the same shape.
type Clock interface {
	Now() time.Time
	// After sends on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Notifier.
type Options struct {
	// Source, Accounts and Mailer are required.
	Source   Source
	Accounts Accounts
	Mailer   Mailer
	// Policy says who may read the wiki: only they get mail.
	Policy wiki.Policy
	// BaseURL is the wiki's public address, for the links in mail.
	BaseURL string
	// Key signs unsubscribe links (UnsubscribeKey of the server key);
	// at least mail.MinKeyLen bytes.
	Key []byte
	// Lang is the language of mail for people who chose none: "nl"
	// (default) or "en".
	Lang string
	// DigestAt is the time of day the daily digest is sent, as the
	// duration since midnight in Location; default 8:00.
	DigestAt time.Duration
	// Location is the time zone of DigestAt and of times in mail;
	// default time.Local.
	Location *time.Location
	// Clock is the time; nil means the real one. Tests move their own.
	Clock Clock
	// Logger gets what the notifier does; nil discards it.
	Logger *slog.Logger
	// LinkTTL is how long unsubscribe links work; default 90 days.
	LinkTTL time.Duration
	// Reviews, when set, lets the notifier mail about proposals, reviews
	// and discussions (review.go); nil sends none of that mail.
	Reviews ReviewAccounts
}

// Notifier is the change-feed consumer that sends notification mail.
type Notifier struct {
	db  *bolt.DB
	opt Options
	log *slog.Logger
	// kick wakes Run to hand the outbox to the mail queue.
	kick chan struct{}
	// flushMu keeps two flushes from handing the same mail over twice.
	flushMu sync.Mutex
}

var _ wiki.Consumer = (*Notifier)(nil)

var (
	bucketMeta    = []byte("meta")
	bucketOutbox  = []byte("outbox") // big-endian sequence -> mail.Message (JSON)
	bucketDigest  = []byte("digest") // login NUL big-endian sequence -> entry (JSON)
	keyCheckpoint = []byte("checkpoint")
	// keyLastDigest is the digest time (RFC 3339) last sent.
	keyLastDigest = []byte("last-digest")
)

// ErrInUse is returned by Open when another process holds the file.
var ErrInUse = errors.New("the notification file is in use by another process")

// Open opens or creates DATA/notify/notify.db in dir.
func Open(dir string, opt Options) (*Notifier, error) {
	if opt.Source == nil || opt.Accounts == nil || opt.Mailer == nil {
		return nil, errors.New("notify: Source, Accounts and Mailer are required")
	}
	if len(opt.Key) < mail.MinKeyLen {
		return nil, fmt.Errorf("notify: the unsubscribe key must have at least %d bytes", mail.MinKeyLen)
	}
	if opt.BaseURL == "" {
		return nil, errors.New("notify: a base URL is needed for the links in mail")
	}
	opt.BaseURL = strings.TrimSuffix(opt.BaseURL, "/")
	if opt.Lang != "en" {
		opt.Lang = "nl"
	}
	if opt.DigestAt <= 0 || opt.DigestAt >= 24*time.Hour {
		opt.DigestAt = 8 * time.Hour
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	if opt.Clock == nil {
		opt.Clock = realClock{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.LinkTTL <= 0 {
		opt.LinkTTL = 90 * 24 * time.Hour
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	path := filepath.Join(dir, "notify.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketOutbox, bucketDigest} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Notifier{db: db, opt: opt, log: opt.Logger, kick: make(chan struct{}, 1)}, nil
}

// Close closes the file. Close the subscription and stop Run first.
func (n *Notifier) Close() error { return n.db.Close() }

// Name implements wiki.Consumer.
func (n *Notifier) Name() string { return "notify" }

// Checkpoint implements wiki.Consumer.
func (n *Notifier) Checkpoint(context.Context) (string, error) {
	var cp string
	err := n.db.View(func(tx *bolt.Tx) error {
		cp = string(tx.Bucket(bucketMeta).Get(keyCheckpoint))
		return nil
	})
	return cp, err
}

// entry is one change waiting for a daily digest.
type entry struct {
	Change change `json:"change"`
	// Target is the follow that covers the page, for its unsubscribe
	// link.
	Target string `json:"target"`
}

// change is one revision's change to one page, as mail tells of it.
type change struct {
	Page    wiki.Name `json:"page"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Author  string    `json:"author"`
	Time    time.Time `json:"time"`
	Summary string    `json:"summary"`
	Kind    string    `json:"kind"` // "added", "modified", "deleted", "renamed", "commented"
	// Proposal is the proposal whose discussion a comment is in, "" for
	// a page's discussion; Comment the comment's id (Kind "commented").
	Proposal string `json:"proposal,omitempty"`
	Comment  string `json:"comment,omitempty"`
	// OldPage is the name before a rename.
	OldPage wiki.Name `json:"old_page,omitempty"`
	// Diff is the unified diff, cut to a bounded size; Cut says it was.
	Diff string `json:"diff"`
	Cut  bool   `json:"cut,omitempty"`
}

// Apply implements wiki.Consumer: every page changed by a revision of
// cs is told to its followers and to the people a new @mention names. A
// reset (a first start, or a rewritten history) tells nobody anything:
// it only records where the notifier starts.
func (n *Notifier) Apply(ctx context.Context, cs wiki.ChangeSet) error {
	var (
		out     []mail.Message
		digests = map[string][]entry{}
	)
	if !cs.Reset {
		for i := range cs.Revisions {
			rev := &cs.Revisions[i]
			moved, err := n.renames(ctx, rev)
			if err != nil {
				return err
			}
			for _, fc := range rev.Changes {
				name, ok := wiki.ParsePath(fc.Path)
				if !ok || (fc.Kind == wiki.Deleted && moved.from[name] != "") {
					// The old name of a rename is told of with the new.
					continue
				}
				msgs, ds, err := n.notifyChange(ctx, rev, name, fc.Kind, moved.to[name])
				if err != nil {
					return err
				}
				out = append(out, msgs...)
				for login, e := range ds {
					digests[login] = append(digests[login], e)
				}
			}
			if err := n.moveFollows(ctx, moved); err != nil {
				return err
			}
		}
	}
	err := n.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		for _, m := range out {
			if err := putSeq(ob, nil, m); err != nil {
				return err
			}
		}
		db := tx.Bucket(bucketDigest)
		for login, es := range digests {
			for _, e := range es {
				if err := putSeq(db, []byte(login+"\x00"), e); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketMeta).Put(keyCheckpoint, []byte(cs.To))
	})
	if err != nil {
		return fmt.Errorf("notify: write: %w", err)
	}
	if len(out) > 0 {
		n.log.Info("notify: mail for changes", "mails", len(out), "to", cs.To)
		select {
		case n.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// putSeq stores v as JSON under prefix + the bucket's next sequence.
func putSeq(b *bolt.Bucket, prefix []byte, v any) error {
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	val, err := json.Marshal(v)
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), seq)
	return b.Put(k, val)
}

// recipient is one person to tell of one change.
type recipient struct {
	// follow is the follow that covers the page, nil when only a
	// mention brings the person in.
	follow    *wiki.Follow
	mentioned bool
}

// notifyChange finds who hears of one page change and makes their mail
// (immediate) and digest entries (by login). oldName is set when the
// revision renamed the page from it: followers of either name hear of
// it, and a follow of the old name is told as the new one (moveFollows
// moves it).
func (n *Notifier) notifyChange(ctx context.Context, rev *wiki.Revision, name wiki.Name, kind wiki.ChangeKind, oldName wiki.Name) ([]mail.Message, map[string]entry, error) {
	follows, err := n.opt.Accounts.Followers(ctx, name)
	if err != nil {
		return nil, nil, fmt.Errorf("notify: followers of %s: %w", name, err)
	}
	was := name
	if oldName != "" {
		was = oldName
		before, err := n.opt.Accounts.Followers(ctx, oldName)
		if err != nil {
			return nil, nil, fmt.Errorf("notify: followers of %s: %w", oldName, err)
		}
		for _, f := range before {
			if f.Target == string(oldName) {
				f.Target = string(name)
			}
			follows = append(follows, f)
		}
	}
	old, from, err := n.read(ctx, was, rev.Parent)
	if err != nil {
		return nil, nil, err
	}
	if from == "" {
		// A new page: compared with nothing, as of the commit before.
		from = rev.Parent
	}
	var cur []byte
	if kind != wiki.Deleted {
		if cur, _, err = n.read(ctx, name, rev.ID); err != nil {
			return nil, nil, err
		}
	}
	mentions := newMentions(string(old), string(cur))
	if len(follows) == 0 && len(mentions) == 0 {
		return nil, nil, nil
	}
	who := map[string]*recipient{}
	var order []string
	add := func(login string) *recipient {
		if r, ok := who[login]; ok {
			return r
		}
		r := &recipient{}
		who[login] = r
		order = append(order, login)
		return r
	}
	for i := range follows {
		f := &follows[i]
		r := add(f.User)
		// Of several follows that cover the page, the one that mails at
		// once wins, and of those the nearest (the page before its
		// folders, as Followers lists them).
		if r.follow == nil || (r.follow.Mode == wiki.FollowDaily && f.Mode == wiki.FollowImmediately) {
			r.follow = f
		}
	}
	for _, login := range mentions {
		add(login).mentioned = true
	}
	ch := change{Page: name, From: from, To: rev.ID, Author: rev.Author.Name, Time: rev.Time,
		Summary: rev.Summary(), Kind: kindName(kind)}
	if oldName != "" {
		ch.Kind, ch.OldPage = "renamed", oldName
	}
	ch.Diff, ch.Cut = unifiedDiff(name, old, cur)
	var (
		msgs    []mail.Message
		digests = map[string]entry{}
	)
	for _, login := range order {
		r := who[login]
		u, err := n.opt.Accounts.User(ctx, login)
		if errors.Is(err, wiki.ErrNotFound) || errors.Is(err, wiki.ErrInvalidInput) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("notify: account %s: %w", login, err)
		}
		if u.Disabled || u.Email == "" || !n.opt.Policy.CanRead(u) || IsAuthor(rev.Author, u) {
			continue
		}
		if r.mentioned {
			on, err := n.opt.Accounts.MentionMail(ctx, u.Name)
			if err != nil {
				return nil, nil, fmt.Errorf("notify: mention mail of %s: %w", login, err)
			}
			r.mentioned = on
		}
		switch {
		case r.mentioned:
			m, err := n.changeMail(u, ch, r.follow, true)
			if err != nil {
				return nil, nil, err
			}
			msgs = append(msgs, m)
		case r.follow == nil:
		case r.follow.Mode == wiki.FollowDaily:
			digests[u.Name] = entry{Change: ch, Target: r.follow.Target}
		default:
			m, err := n.changeMail(u, ch, r.follow, false)
			if err != nil {
				return nil, nil, err
			}
			msgs = append(msgs, m)
		}
	}
	return msgs, digests, nil
}

// read returns the page's text as of revision at and the revision that
// last changed it then; nothing when it did not exist.
func (n *Notifier) read(ctx context.Context, name wiki.Name, at string) ([]byte, string, error) {
	if at == "" {
		return nil, "", nil
	}
	p, err := n.opt.Source.ReadPage(ctx, name, at)
	if errors.Is(err, wiki.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("notify: read %s at %s: %w", name, at, err)
	}
	return p.Content, p.Revision.ID, nil
}

// moved is what one revision renamed: to maps a new name to its old
// one, from the old to the new.
type moved struct {
	to, from map[wiki.Name]wiki.Name
}

// renames finds the pages a revision renamed: a page it deleted and one
// it added with the same text, or else the only page it deleted and the
// only one it added (a rename may rewrite the page's own links).
func (n *Notifier) renames(ctx context.Context, rev *wiki.Revision) (moved, error) {
	m := moved{to: map[wiki.Name]wiki.Name{}, from: map[wiki.Name]wiki.Name{}}
	var dels, adds []wiki.Name
	for _, fc := range rev.Changes {
		if name, ok := wiki.ParsePath(fc.Path); ok {
			switch fc.Kind {
			case wiki.Deleted:
				dels = append(dels, name)
			case wiki.Added:
				adds = append(adds, name)
			}
		}
	}
	if len(dels) == 0 || len(adds) == 0 || rev.Parent == "" {
		return m, nil
	}
	blob := func(name wiki.Name, at string) (string, error) {
		p, err := n.opt.Source.ReadPage(ctx, name, at)
		if errors.Is(err, wiki.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("notify: read %s at %s: %w", name, at, err)
		}
		return p.Blob, nil
	}
	added := map[string]wiki.Name{}
	for _, a := range adds {
		b, err := blob(a, rev.ID)
		if err != nil {
			return m, err
		}
		added[b] = a
	}
	var leftDels []wiki.Name
	for _, d := range dels {
		b, err := blob(d, rev.Parent)
		if err != nil {
			return m, err
		}
		if a, ok := added[b]; ok && b != "" && m.to[a] == "" {
			m.to[a], m.from[d] = d, a
		} else {
			leftDels = append(leftDels, d)
		}
	}
	var leftAdds []wiki.Name
	for _, a := range adds {
		if m.to[a] == "" {
			leftAdds = append(leftAdds, a)
		}
	}
	if len(leftDels) == 1 && len(leftAdds) == 1 {
		d, a := leftDels[0], leftAdds[0]
		old, _, err := n.read(ctx, d, rev.Parent)
		if err != nil {
			return m, err
		}
		cur, _, err := n.read(ctx, a, rev.ID)
		if err != nil {
			return m, err
		}
		if similar(old, cur) {
			m.to[a], m.from[d] = d, a
		}
	}
	return m, nil
}

// similar reports whether at least half of the lines of old are still
// in cur: enough to take a delete and an add for a rename, as git does.
func similar(old, cur []byte) bool {
	r, err := diff.Compare(string(old), string(cur), diff.Options{LinesOnly: true})
	if err != nil {
		return false
	}
	total := r.Removed
	for _, l := range r.Lines {
		if l.Op == diff.Equal {
			total++
		}
	}
	return total > 0 && 2*r.Removed <= total
}

// moveFollows moves the follows of each renamed page to its new name,
// in the same mode: following a page survives its rename.
func (n *Notifier) moveFollows(ctx context.Context, m moved) error {
	for to, from := range m.to {
		fs, err := n.opt.Accounts.Followers(ctx, from)
		if err != nil {
			return fmt.Errorf("notify: followers of %s: %w", from, err)
		}
		for _, f := range fs {
			if f.Target != string(from) {
				continue
			}
			if err := n.opt.Accounts.Follow(ctx, f.User, string(to), f.Mode); err != nil {
				return fmt.Errorf("notify: move the follow of %s to %s: %w", from, to, err)
			}
			if err := n.opt.Accounts.Unfollow(ctx, f.User, string(from)); err != nil {
				return fmt.Errorf("notify: move the follow of %s to %s: %w", from, to, err)
			}
		}
	}
	return nil
}

func kindName(k wiki.ChangeKind) string {
	switch k {
	case wiki.Added:
		return "added"
	case wiki.Deleted:
		return "deleted"
	}
	return "modified"
}

// Bounds of the diff in a mail: enough to see what changed, not the
// whole of a rewritten page.
const (
	maxDiffLines = 120
	maxDiffBytes = 16 << 10
)

// unifiedDiff is the page's unified diff with 2 lines of context, cut
// to maxDiffLines and maxDiffBytes; cut reports it was.
func unifiedDiff(name wiki.Name, old, cur []byte) (text string, cut bool) {
	d, err := diff.Unified(string(old), string(cur), "a/"+name.Path(), "b/"+name.Path(), 2, diff.Options{LinesOnly: true})
	if err != nil {
		// Too large to diff: the link to the difference still works.
		return "", true
	}
	lines := strings.SplitAfter(d, "\n")
	size := 0
	for i, l := range lines {
		if i >= maxDiffLines || size+len(l) > maxDiffBytes {
			return strings.Join(lines[:i], ""), true
		}
		size += len(l)
	}
	return d, false
}

// IsAuthor reports whether a commit's author is the account: the same
// e-mail address, or the account's pseudonymous address
// (login@users.noreply.<domain>), in any letter case.
func IsAuthor(a wiki.Author, u *wiki.User) bool {
	e := strings.ToLower(strings.TrimSpace(a.Email))
	if e == "" {
		return false
	}
	if u.Email != "" && e == strings.ToLower(u.Email) {
		return true
	}
	return strings.HasPrefix(e, strings.ToLower(u.Name)+"@users.noreply.")
}

// mentionRE finds @login: a login name (a-z, 0-9, '.', '-', '_', first a
// letter or digit) after an @ that does not continue a word or an e-mail
// address.
var mentionRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_.@/+-])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})`)

// mentions counts the login names mentioned in text, lower-cased.
func mentions(text string) map[string]int {
	out := map[string]int{}
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		login := strings.ToLower(strings.TrimRight(m[1], ".-_"))
		if login != "" {
			out[login]++
		}
	}
	return out
}

// newMentions lists the logins that cur mentions more often than old:
// the mentions an edit added.
func newMentions(old, cur string) []string {
	before, after := mentions(old), mentions(cur)
	var out []string
	for login, c := range after {
		if c > before[login] {
			out = append(out, login)
		}
	}
	// A stable order keeps the outbox deterministic.
	slices.Sort(out)
	return out
}
