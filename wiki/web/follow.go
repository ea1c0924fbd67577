package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/notify"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Following pages and folders: the follow buttons, the watchlist, its
// API, the unsubscribe links of notification mail, and what a person has
// not seen yet. The mail itself is sent by package notify, a consumer of
// the change feed.

func (s *Server) registerFollowRoutes(r, api *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	r.Handle("/-/watchlist", s.html(s.handleWatchlist)).Methods(get...)
	r.Handle("/-/watch/{target:.+}", s.html(s.handleWatch)).Methods(http.MethodPost)
	r.Handle("/-/unsubscribe", s.html(s.handleUnsubscribeForm)).Methods(get...)
	r.Handle("/-/unsubscribe", s.html(s.handleUnsubscribe)).Methods(http.MethodPost)
	api.Handle("/watch", s.api(s.handleAPIWatchList)).Methods(http.MethodGet)
	api.Handle("/watch", s.api(s.handleAPIWatch)).Methods(http.MethodPost)
}

// unsubscribePath is the one route without a CSRF token: the signed
// token in its query authenticates the request, and mail programs post
// to it on their own (RFC 8058 one-click unsubscribe).
const unsubscribePath = "/-/unsubscribe"

// followError is a bad follow request, said in the reader's language.
type followError struct {
	err  error
	key  string
	args []any
}

func (e *followError) Error() string              { return translate("en", e.key, e.args...) }
func (e *followError) Unwrap() error              { return e.err }
func (e *followError) message(lang string) string { return translate(lang, e.key, e.args...) }

// followTarget parses a target from a form, a route or JSON.
func followTarget(s string) (string, error) {
	t, err := wiki.ParseFollowTarget(s)
	if err != nil {
		return "", &followError{err: errors.Join(wiki.ErrInvalidInput, err), key: "follow-bad-target", args: []any{s}}
	}
	return t, nil
}

func followMode(s string) (wiki.FollowMode, error) {
	m, err := wiki.ParseFollowMode(s)
	if err != nil {
		return "", &followError{err: err, key: "follow-bad-mode"}
	}
	return m, nil
}

// followView is what a page or folder view shows of following: the
// buttons, and the notice of changes since the last visit.
type followView struct {
	// Page is the page shown, "" on a folder without a page.
	Page wiki.Name
	// Following is the follow of the page itself, nil for none.
	Following *wiki.Follow
	// Via is a folder follow that covers the page, nil for none.
	Via *wiki.Follow
	// Folder is "Name/" when pages exist below the name; FolderFollowing
	// is its follow.
	Folder          string
	FolderFollowing *wiki.Follow
	// SeenRev and CurrentRev, when both set and different, are the
	// difference since the person last opened the page.
	SeenRev, CurrentRev string
	// Next is where the buttons come back to.
	Next string
	// Done reports a follow change that led here ("on", "off").
	Done string
	// Mail is false when the wiki sends no mail.
	Mail bool
}

// FolderName is the folder's name without its final "/".
func (f *followView) FolderName() wiki.Name { return wiki.Name(strings.TrimSuffix(f.Folder, "/")) }

// ChangedSince reports whether the page changed since the last visit.
func (f *followView) ChangedSince() bool {
	return f != nil && f.SeenRev != "" && f.CurrentRev != "" && f.SeenRev != f.CurrentRev
}

// cacheKey is what of the follow state a cached page view depends on.
func (f *followView) cacheKey() string {
	if f == nil {
		return ""
	}
	k := "\x00f"
	for _, fl := range []*wiki.Follow{f.Following, f.Via, f.FolderFollowing} {
		if fl == nil {
			k += "\x00-"
		} else {
			k += "\x00" + fl.Target + ":" + string(fl.Mode)
		}
	}
	return k + "\x00" + f.Folder + "\x00" + f.SeenRev + "\x00" + f.CurrentRev
}

// followState reads the follow state of a page (or a folder without a
// page, rev "") for the signed-in user, and records rev as seen. It
// returns nil for anonymous visitors, and on errors, which only cost the
// buttons: the page itself must still show.
func (s *Server) followState(r *http.Request, name wiki.Name, rev string) *followView {
	u := currentUser(r)
	if u == nil || s.accounts == nil {
		return nil
	}
	ctx := r.Context()
	follows, err := s.accounts.Follows(ctx, u.Name)
	if err != nil {
		s.log.Warn("follow state", "user", u.Name, "err", err)
		return nil
	}
	f := &followView{Next: name.URL(), Mail: s.mail != nil}
	if d := r.URL.Query().Get("watch"); d == "on" || d == "off" {
		f.Done = d
	}
	if rev != "" {
		f.Page = name
	}
	if s.wiki.HasPagesBelow(ctx, name) {
		f.Folder = string(name) + "/"
	}
	covering := wiki.FollowTargets(name)
	for i := range follows {
		fl := &follows[i]
		switch {
		case fl.Target == string(name):
			f.Following = fl
		case fl.Target == f.Folder && f.Folder != "":
			f.FolderFollowing = fl
			if f.Via == nil {
				f.Via = fl
			}
		case slices.Contains(covering, fl.Target):
			if f.Via == nil || len(fl.Target) > len(f.Via.Target) {
				f.Via = fl
			}
		}
	}
	if rev == "" {
		return f
	}
	seen, err := s.accounts.Seen(ctx, u.Name, name)
	if err != nil {
		s.log.Warn("seen", "user", u.Name, "err", err)
		return f
	}
	f.SeenRev, f.CurrentRev = seen[name], rev
	if err := s.accounts.MarkSeen(ctx, u.Name, name, rev); err != nil {
		s.log.Warn("mark seen", "user", u.Name, "err", err)
	}
	return f
}

// watchItem is one row of the watchlist.
type watchItem struct {
	wiki.Follow
	// Name is the page, or the folder without its final "/".
	Name wiki.Name
	// Latest is the latest change of the page or in the folder, nil when
	// there is none (a page not created yet).
	Latest *wiki.Revision
	// LatestPage is the page Latest changed.
	LatestPage wiki.Name
}

type watchlistData struct {
	base
	Items []watchItem
	// Mail is false when the wiki sends no mail.
	Mail bool
	// Done reports the change that led here.
	Done        string
	MentionMail bool
	// ReviewMail is the switch of mail about proposals and reviews.
	ReviewMail bool
}

func (s *Server) handleWatchlist(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	follows, err := s.accounts.Follows(ctx, u.Name)
	if err != nil {
		return err
	}
	d := watchlistData{base: s.base(r, "", ""), Mail: s.mail != nil, Done: r.URL.Query().Get("done")}
	d.Title = d.T("watchlist-title")
	if d.MentionMail, err = s.accounts.MentionMail(ctx, u.Name); err != nil {
		return err
	}
	if d.ReviewMail, err = s.accounts.ReviewMail(ctx, u.Name); err != nil {
		return err
	}
	for _, f := range follows {
		it := watchItem{Follow: f, Name: wiki.Name(strings.TrimSuffix(f.Target, "/"))}
		if it.Latest, it.LatestPage, err = s.wiki.LatestChange(ctx, f.Target); err != nil {
			return err
		}
		d.Items = append(d.Items, it)
	}
	return s.render(w, http.StatusOK, "watchlist", d)
}

// handleWatch follows or unfollows a page or folder, or changes the
// mode, from a form: action=follow|unfollow, mode, next.
func (s *Server) handleWatch(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	action := r.PostForm.Get("action")
	if action == "mentions-on" || action == "mentions-off" {
		// The switch for mention mail lives on the watchlist, whatever
		// the target.
		if err := s.accounts.SetMentionMail(r.Context(), u.Name, action == "mentions-on"); err != nil {
			return err
		}
		http.Redirect(w, r, "/-/watchlist?"+url.Values{"done": {action}}.Encode(), http.StatusSeeOther)
		return nil
	}
	if action == "revmail-on" || action == "revmail-off" {
		if err := s.accounts.SetReviewMail(r.Context(), u.Name, action == "revmail-on"); err != nil {
			return err
		}
		http.Redirect(w, r, "/-/watchlist?"+url.Values{"done": {action}}.Encode(), http.StatusSeeOther)
		return nil
	}
	target, err := followTarget(mux.Vars(r)["target"])
	if err != nil {
		return err
	}
	done := "on"
	switch action {
	case "follow", "":
		mode, err := followMode(r.PostForm.Get("mode"))
		if err != nil {
			return err
		}
		if err := s.accounts.Follow(r.Context(), u.Name, target, mode); err != nil {
			return err
		}
	case "unfollow":
		done = "off"
		if err := s.accounts.Unfollow(r.Context(), u.Name, target); err != nil {
			return err
		}
	default:
		return &followError{err: wiki.ErrInvalidInput, key: "follow-bad-action"}
	}
	next := localPath(r.PostForm.Get("next"))
	if next == "/" {
		next = wiki.Name(strings.TrimSuffix(target, "/")).URL()
	}
	sep := "?"
	if strings.Contains(next, "?") {
		sep = "&"
	}
	if strings.HasPrefix(next, "/-/watchlist") {
		next = "/-/watchlist?" + url.Values{"done": {done}}.Encode()
	} else {
		next += sep + url.Values{"watch": {done}}.Encode()
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

type watchJSON struct {
	Target string `json:"target"`
	Watch  *bool  `json:"watch"`
	Mode   string `json:"mode,omitempty"`
}

type watchingJSON struct {
	Watching []string `json:"watching"`
	// Follows gives the mode of each target.
	Follows []followJSON `json:"follows"`
}

type followJSON struct {
	Target string          `json:"target"`
	Mode   wiki.FollowMode `json:"mode"`
	Since  time.Time       `json:"since"`
}

func (s *Server) watching(ctx context.Context, user string) (watchingJSON, error) {
	follows, err := s.accounts.Follows(ctx, user)
	if err != nil {
		return watchingJSON{}, err
	}
	out := watchingJSON{Watching: []string{}, Follows: []followJSON{}}
	for _, f := range follows {
		out.Watching = append(out.Watching, f.Target)
		out.Follows = append(out.Follows, followJSON{Target: f.Target, Mode: f.Mode, Since: f.Since})
	}
	return out, nil
}

func (s *Server) handleAPIWatchList(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	out, err := s.watching(r.Context(), u.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleAPIWatch is POST /-/api/watch {"target", "watch": bool, "mode"}.
func (s *Server) handleAPIWatch(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r)
	if err != nil {
		return err
	}
	var in watchJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Watch == nil {
		return fmt.Errorf("%w: \"watch\" (true or false) is required", wiki.ErrInvalidInput)
	}
	target, err := followTarget(in.Target)
	if err != nil {
		return err
	}
	if *in.Watch {
		mode, err := followMode(in.Mode)
		if err != nil {
			return err
		}
		err = s.accounts.Follow(r.Context(), u.Name, target, mode)
	} else {
		err = s.accounts.Unfollow(r.Context(), u.Name, target)
	}
	if err != nil {
		return err
	}
	out, err := s.watching(r.Context(), u.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// unsubscribeData is the page of an unsubscribe link.
type unsubscribeData struct {
	base
	Token string
	Topic notify.Topic
	// Done is true once the follow was stopped.
	Done bool
	// Error says why the link does not work.
	Error string
}

// unsubscribeToken checks the token of an unsubscribe link. Its
// failures are 400 (malformed, wrongly signed) or 410 (expired) pages in
// the reader's language.
func (s *Server) unsubscribeToken(r *http.Request) (string, notify.Topic, error) {
	tok := r.URL.Query().Get("t")
	if tok == "" && r.Method == http.MethodPost {
		tok = r.PostForm.Get("t")
	}
	u, err := mail.VerifyUnsubscribe(s.unsubscribeKey, tok, time.Now())
	if errors.Is(err, mail.ErrTokenExpired) {
		return "", notify.Topic{}, &followError{err: errGone, key: "unsub-expired"}
	}
	if err != nil {
		return "", notify.Topic{}, &followError{err: wiki.ErrInvalidInput, key: "unsub-invalid"}
	}
	t, err := notify.ParseTopic(u.Topic)
	if err != nil {
		return "", notify.Topic{}, &followError{err: wiki.ErrInvalidInput, key: "unsub-invalid"}
	}
	return tok, t, nil
}

// errGone marks an expired link: 410, as the link is gone for good.
var errGone = errors.New("the link has expired")

func (s *Server) handleUnsubscribeForm(w http.ResponseWriter, r *http.Request) error {
	tok, topic, err := s.unsubscribeToken(r)
	if err != nil {
		return s.unsubscribeFailed(w, r, err)
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Robots-Tag", "noindex")
	d := unsubscribeData{base: s.base(r, "", ""), Token: tok, Topic: topic}
	d.Title = d.T("unsub-title")
	return s.render(w, http.StatusOK, "unsubscribe", d)
}

// handleUnsubscribe stops what the token names: from the form of the
// page, or a mail program's one-click POST (body
// List-Unsubscribe=One-Click), neither of which has a session or a CSRF
// token; the signed token is the authority.
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	tok, topic, err := s.unsubscribeToken(r)
	if err != nil {
		return s.unsubscribeFailed(w, r, err)
	}
	ctx := r.Context()
	switch topic.Kind {
	case notify.TopicFollow:
		err = s.accounts.Unfollow(ctx, topic.User, topic.Target)
	case notify.TopicMention:
		err = s.accounts.SetMentionMail(ctx, topic.User, false)
	case notify.TopicReview:
		err = s.accounts.SetReviewMail(ctx, topic.User, false)
	case notify.TopicDigest:
		var follows []wiki.Follow
		if follows, err = s.accounts.Follows(ctx, topic.User); err == nil {
			for _, f := range follows {
				if f.Mode == wiki.FollowDaily {
					if err = s.accounts.Unfollow(ctx, topic.User, f.Target); err != nil {
						break
					}
				}
			}
		}
	}
	if errors.Is(err, wiki.ErrNotFound) {
		// The account is gone: there is nothing left to stop.
		err = nil
	}
	if err != nil {
		return err
	}
	s.audit(r, wiki.AuditEvent{Kind: "unsubscribed", Subject: topic.User, Detail: string(topic.Kind) + " " + topic.Target})
	w.Header().Set("Referrer-Policy", "no-referrer")
	d := unsubscribeData{base: s.base(r, "", ""), Token: tok, Topic: topic, Done: true}
	d.Title = d.T("unsub-done-title")
	return s.render(w, http.StatusOK, "unsubscribe", d)
}

// unsubscribeFailed shows a bad link's page with its own status: 410 for
// an expired link, 400 for one that is not valid.
func (s *Server) unsubscribeFailed(w http.ResponseWriter, r *http.Request, err error) error {
	status := http.StatusBadRequest
	if errors.Is(err, errGone) {
		status = http.StatusGone
	}
	w.Header().Set("Cache-Control", "no-store")
	d := unsubscribeData{base: s.base(r, "", ""), Error: s.localMessage(r, err, status)}
	d.Title = d.T("unsub-bad-title")
	return s.render(w, status, "unsubscribe", d)
}

// recentSeen is what recent changes marks as not seen: for each page of
// the listing that the person opened before, the revision they saw.
type recentSeen struct {
	// seen maps a page to the revision last seen and its time.
	seen map[wiki.Name]*wiki.Revision
	// newer holds revision NUL path of every change made after the
	// person last saw the page.
	newer map[string]bool
}

// unseenChanges works out which changes of a recent-changes listing the
// signed-in user has not seen: changes to pages they opened before,
// made after the version they saw. Pages never opened are not marked:
// everything would be.
func (s *Server) unseenChanges(r *http.Request, revs []wiki.Revision) *recentSeen {
	u := currentUser(r)
	if u == nil || s.accounts == nil || len(revs) == 0 {
		return nil
	}
	ctx := r.Context()
	var pages []wiki.Name
	for _, rev := range revs {
		for _, c := range rev.Changes {
			if n, ok := wiki.ParsePath(c.Path); ok && !slices.Contains(pages, n) {
				pages = append(pages, n)
			}
		}
	}
	seen, err := s.accounts.Seen(ctx, u.Name, pages...)
	if err != nil {
		s.log.Warn("seen", "user", u.Name, "err", err)
		return nil
	}
	rs := &recentSeen{seen: map[wiki.Name]*wiki.Revision{}, newer: map[string]bool{}}
	// The listing is newest first: a page's changes above the one the
	// person saw are new to them. When that one is not in the listing,
	// its time decides.
	reached := map[wiki.Name]bool{}
	for _, rev := range revs {
		for _, c := range rev.Changes {
			n, ok := wiki.ParsePath(c.Path)
			if !ok || seen[n] == "" || reached[n] {
				continue
			}
			if rev.ID == seen[n] {
				reached[n] = true
				continue
			}
			sr, ok := rs.seen[n]
			if !ok {
				sr, _ = s.wiki.Revision(ctx, seen[n])
				rs.seen[n] = sr
			}
			if sr == nil || !rev.Time.Before(sr.Time) {
				rs.newer[rev.ID+"\x00"+c.Path] = true
			}
		}
	}
	return rs
}

// Unseen reports whether the person has not seen the change of rev to
// the file at path (for recent.html).
func (d recentData) Unseen(rev, path string) bool {
	return d.Seen != nil && d.Seen.newer[rev+"\x00"+path]
}
