package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Discussions: /-/talk/{page} shows a page's threaded comments and takes
// new ones, replies and edits by their authors through plain forms; the
// API is GET and POST /-/api/talk/{page}. See wiki/talk.go.

func (s *Server) registerTalkRoutes(r, api *mux.Router) {
	r.Handle("/-/talk/{page:.+}", s.html(s.handleTalk)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/talk/{page:.+}", s.html(s.handleTalkPost)).Methods(http.MethodPost)
	api.Handle("/talk/{page:.+}", s.api(s.handleAPITalk)).Methods(http.MethodGet)
	api.Handle("/talk/{page:.+}", s.api(s.handleAPITalkPost)).Methods(http.MethodPost)
}

// commentView is a comment as shown, with its replies.
type commentView struct {
	wiki.Comment
	HTML template.HTML
	Mine bool
	// To names the author of the reply this one answers, when it is not
	// the thread's first comment.
	To      string
	Replies []*commentView
	// D is the page the comment is shown on, for its texts and forms.
	D *talkData
}

type talkData struct {
	base
	Page       wiki.Name
	Threads    []*commentView
	Count      int
	CanComment bool
	// Text and ReplyTo refill the form after a failed post.
	Text, ReplyTo, Error string
}

// threads renders comments and puts replies under what they answer.
func (s *Server) threads(r *http.Request, page wiki.Name, comments []wiki.Comment) ([]*commentView, error) {
	// Replies go under the thread they belong to, one level deep, in
	// the order they were written; a reply to a reply says whom it answers.
	byID := map[string]*commentView{}
	root := map[string]*commentView{}
	var top []*commentView
	u := currentUser(r)
	for _, c := range comments {
		h, err := s.wiki.RenderComment(r.Context(), page, c.Text)
		if err != nil {
			return nil, err
		}
		v := &commentView{Comment: c, HTML: h, Mine: u != nil && c.User != "" && strings.EqualFold(c.User, u.Name)}
		byID[c.ID] = v
		if t, ok := root[c.ReplyTo]; ok && c.ReplyTo != "" {
			t.Replies = append(t.Replies, v)
			root[c.ID] = t
			if p := byID[c.ReplyTo]; p != t {
				v.To = p.Author.Name
			}
		} else {
			top = append(top, v)
			root[c.ID] = v
		}
	}
	return top, nil
}

func (s *Server) talkPage(r *http.Request) (talkData, error) {
	name, err := pageName(r)
	if err != nil {
		return talkData{}, err
	}
	if !s.wiki.Exists(r.Context(), name) {
		return talkData{}, &missingTalk{name: name}
	}
	comments, err := s.wiki.Talk(r.Context(), name, currentUser(r))
	if err != nil {
		return talkData{}, err
	}
	d := talkData{base: s.base(r, "", name), Page: name, Count: len(comments), CanComment: s.wiki.CanComment(currentUser(r))}
	d.Title = d.T("talk-title", name)
	d.Threads, err = s.threads(r, name, comments)
	return d, err
}

// linkThreads gives every comment the page it is shown on.
func (d *talkData) linkThreads() {
	for _, t := range d.Threads {
		t.D = d
		for _, r := range t.Replies {
			r.D = d
		}
	}
}

// missingTalk is the discussion of a page that does not exist.
type missingTalk struct{ name wiki.Name }

func (e *missingTalk) Error() string { return "page " + string(e.name) + ": not found" }
func (e *missingTalk) Unwrap() error { return wiki.ErrNotFound }

func (s *Server) handleTalk(w http.ResponseWriter, r *http.Request) error {
	d, err := s.talkPage(r)
	if err != nil {
		return err
	}
	d.linkThreads()
	return s.render(w, http.StatusOK, "talk", &d)
}

func (s *Server) handleTalkPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	d, err := s.talkPage(r)
	if err != nil {
		return err
	}
	c, err := s.wiki.Comment(r.Context(), wiki.CommentRequest{Page: d.Page, ID: r.PostForm.Get("id"), Text: r.PostForm.Get("text"), ReplyTo: r.PostForm.Get("reply_to"),
		Author: author(r, wiki.Author{Name: strings.TrimSpace(r.PostForm.Get("author_name"))}), Actor: currentUser(r)})
	if err != nil {
		status := statusOf(err)
		if status >= 500 || status == http.StatusUnauthorized {
			return err
		}
		s.logError(r, status, err)
		d.Text, d.ReplyTo = r.PostForm.Get("text"), r.PostForm.Get("reply_to")
		d.Error = d.T("talk-failed", publicMessage(err, status))
		d.linkThreads()
		return s.render(w, status, "talk", &d)
	}
	http.Redirect(w, r, "/-/talk/"+d.Page.EscapedPath()+"#c-"+url.PathEscape(c.ID), http.StatusSeeOther)
	return nil
}

// commentJSON is a comment in the API.
type commentJSON struct {
	ID      string        `json:"id"`
	Author  wiki.Author   `json:"author"`
	Time    time.Time     `json:"time"`
	Edited  *time.Time    `json:"edited,omitempty"`
	Text    string        `json:"text"`
	HTML    template.HTML `json:"html"`
	ReplyTo string        `json:"reply_to"`
}

func (s *Server) talkJSON(r *http.Request, page wiki.Name) (any, error) {
	comments, err := s.wiki.Talk(r.Context(), page, currentUser(r))
	if err != nil {
		return nil, err
	}
	out := struct {
		Page     wiki.Name     `json:"page"`
		Comments []commentJSON `json:"comments"`
	}{Page: page, Comments: make([]commentJSON, len(comments))}
	for i, c := range comments {
		h, err := s.wiki.RenderComment(r.Context(), page, c.Text)
		if err != nil {
			return nil, err
		}
		out.Comments[i] = commentJSON{ID: c.ID, Author: c.Author, Time: c.Time, Text: c.Text, HTML: h, ReplyTo: c.ReplyTo}
		if !c.Edited.IsZero() {
			e := c.Edited
			out.Comments[i].Edited = &e
		}
	}
	return out, nil
}

func (s *Server) handleAPITalk(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	if !s.wiki.Exists(r.Context(), name) {
		return &missingTalk{name: name}
	}
	out, err := s.talkJSON(r, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAPITalkPost(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	var body struct {
		ID      string      `json:"id"`
		Text    string      `json:"text"`
		ReplyTo string      `json:"reply_to"`
		Author  wiki.Author `json:"author"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if _, err := s.wiki.Comment(r.Context(), wiki.CommentRequest{Page: name, ID: body.ID, Text: body.Text, ReplyTo: body.ReplyTo, Author: author(r, body.Author), Actor: currentUser(r)}); err != nil {
		return err
	}
	out, err := s.talkJSON(r, name)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if body.ID != "" {
		status = http.StatusOK
	}
	writeJSON(w, status, out)
	return nil
}

// recentComments are the newest changes of discussions for recent
// changes; a failure to read them leaves them out (and is logged).
func (s *Server) recentComments(r *http.Request) []wiki.TalkChange {
	cs, err := s.wiki.RecentComments(r.Context(), 20, currentUser(r))
	if err != nil {
		s.logError(r, http.StatusInternalServerError, err)
		return nil
	}
	return cs
}

// withComments adds the newest comments to a feed of recent changes, as
// entries of their own ("Opmerking bij ..." / "Comment on ..."), in time
// order, at most limit entries in all; talk maps their ids (the commits on
// the discussions branch) to the page discussed. The feed's filters apply
// to comments as to edits.
func (s *Server) withComments(r *http.Request, revs []wiki.Revision, q wiki.HistoryQuery, limit int) ([]wiki.Revision, map[string]wiki.Name) {
	talk := map[string]wiki.Name{}
	cs := s.recentComments(r)
	if len(cs) == 0 {
		return revs, talk
	}
	lang := s.chooseLang(r)
	var extra []wiki.Revision
	for _, c := range cs {
		key := "talk-recent-on"
		if c.Edit {
			key = "talk-recent-edit"
		}
		rev := wiki.Revision{ID: c.ID, Author: wiki.Author{Name: c.Author.Name}, Time: c.Time, Message: translate(lang, key, c.Page),
			Changes: []wiki.FileChange{{Path: c.Page.Path(), Kind: "comment"}}}
		if q.Matches(&rev) {
			talk[c.ID] = c.Page
			extra = append(extra, rev)
		}
	}
	out := make([]wiki.Revision, 0, len(revs)+len(extra))
	i, j := 0, 0
	for (i < len(revs) || j < len(extra)) && (limit <= 0 || len(out) < limit) {
		if j >= len(extra) || (i < len(revs) && !revs[i].Time.Before(extra[j].Time)) {
			out = append(out, revs[i])
			i++
		} else {
			out = append(out, extra[j])
			j++
		}
	}
	return out, talk
}
