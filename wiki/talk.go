package wiki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"time"
)

// Discussions: every page has one, a list of threaded comments in
// Markdown. They live on the branch TalkRef, one JSON file per page at
// the page's name with ".json" (the page Beleid/Visie is discussed in
// Beleid/Visie.json), committed by the comment's author; the branch has
// a history of its own, so the files can never be taken for pages, and a
// clone holds them. Comments are rendered by the page renderer, which
// sanitises them as it does pages.

// Comment is one comment of a discussion.
type Comment struct {
	ID     string    `json:"id"`
	Author Author    `json:"author"`
	User   string    `json:"user,omitempty"`
	Time   time.Time `json:"time"`
	Text   string    `json:"text"`
	// ReplyTo is the comment this one answers, "" for a new thread.
	ReplyTo string `json:"reply_to,omitempty"`
	// Edited is when the author last changed the text (zero: never).
	Edited time.Time `json:"edited,omitzero"`
}

// talkFile is what TalkRef holds for one page.
type talkFile struct {
	Page     Name      `json:"page"`
	Comments []Comment `json:"comments"`
}

// TalkPath is the file of a page's discussion on TalkRef.
func TalkPath(n Name) string { return string(n) + ".json" }

// maxCommentBytes bounds one comment.
const maxCommentBytes = 20000

// mayComment refuses actor unless they may comment: an account, or
// anonymous edits allowed, and the right to read.
func (w *Wiki) mayComment(actor *User) error {
	pol := w.thePolicy()
	if !pol.CanRead(actor) {
		return fmt.Errorf("%w: reading needs an account", ErrUnauthenticated)
	}
	if actor == nil && pol.Edit != Anyone {
		return fmt.Errorf("%w: commenting needs an account", ErrUnauthenticated)
	}
	return nil
}

// CanComment reports whether actor may comment.
func (w *Wiki) CanComment(actor *User) bool { return w.mayComment(actor) == nil }

// Talk returns a page's comments, oldest first.
func (w *Wiki) Talk(ctx context.Context, name Name, actor *User) ([]Comment, error) {
	if !w.thePolicy().CanRead(actor) {
		return nil, fmt.Errorf("%w: reading needs an account", ErrUnauthenticated)
	}
	bs, err := w.branches()
	if err != nil {
		return nil, err
	}
	tip, err := bs.RefTip(ctx, TalkRef)
	if err != nil {
		return nil, err
	}
	f, err := readTalk(ctx, bs, tip, name)
	if err != nil {
		return nil, err
	}
	return f.Comments, nil
}

func readTalk(ctx context.Context, bs BranchStore, tip string, name Name) (*talkFile, error) {
	f := &talkFile{Page: name, Comments: []Comment{}}
	if tip == "" {
		return f, nil
	}
	b, err := bs.FileAt(ctx, tip, TalkPath(name))
	if errors.Is(err, ErrNotFound) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("discussion of %s: the file is damaged: %v", name, err)
	}
	return f, nil
}

// RenderComment renders a comment's Markdown as the page renderer does:
// sanitised HTML, links resolved against the page's folder.
func (w *Wiki) RenderComment(ctx context.Context, page Name, text string) (template.HTML, error) {
	doc, err := w.PreviewPage(ctx, page, []byte(text))
	if err != nil {
		return "", err
	}
	return doc.HTML, nil
}

// CommentRequest adds a comment, or (ID set) changes one.
type CommentRequest struct {
	Page Name
	// ID, when set, is the comment to change; only its author may.
	ID      string
	Text    string
	ReplyTo string
	Author  Author
	Actor   *User
}

func checkComment(text string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: the comment is empty", ErrInvalidInput)
	}
	if len(text) > maxCommentBytes {
		return fmt.Errorf("%w: a comment is at most %d bytes", ErrTooLarge, maxCommentBytes)
	}
	return CheckText("comment", text)
}

// Comment adds a comment to a page's discussion, or changes one of the
// actor's own, and returns it.
func (w *Wiki) Comment(ctx context.Context, req CommentRequest) (Comment, error) {
	if err := w.mayComment(req.Actor); err != nil {
		return Comment{}, err
	}
	text := strings.ReplaceAll(req.Text, "\r\n", "\n")
	if err := checkComment(text); err != nil {
		return Comment{}, err
	}
	if err := checkAuthorText(req.Author); err != nil {
		return Comment{}, err
	}
	if !w.Exists(ctx, req.Page) {
		return Comment{}, fmt.Errorf("page %s: %w", req.Page, ErrNotFound)
	}
	bs, err := w.branches()
	if err != nil {
		return Comment{}, err
	}
	author := w.withDefaultName(req.Author)
	user := ""
	if req.Actor != nil {
		user = req.Actor.Name
	}
	now := time.Now().UTC().Truncate(time.Second)
	for attempt := 0; ; attempt++ {
		tip, err := bs.RefTip(ctx, TalkRef)
		if err != nil {
			return Comment{}, err
		}
		f, err := readTalk(ctx, bs, tip, req.Page)
		if err != nil {
			return Comment{}, err
		}
		var out Comment
		msg := "Comment on " + string(req.Page)
		if req.ID != "" {
			i := f.index(req.ID)
			if i < 0 {
				return Comment{}, fmt.Errorf("comment %s: %w", req.ID, ErrNotFound)
			}
			c := &f.Comments[i]
			if req.Actor == nil || c.User == "" || !strings.EqualFold(c.User, req.Actor.Name) {
				return Comment{}, fmt.Errorf("%w: only its author changes a comment", ErrForbidden)
			}
			c.Text, c.Edited = text, now
			out = *c
			msg = "Edit comment on " + string(req.Page)
		} else {
			if req.ReplyTo != "" && f.index(req.ReplyTo) < 0 {
				return Comment{}, fmt.Errorf("%w: there is no comment %s to reply to", ErrInvalidInput, req.ReplyTo)
			}
			id, err := newProposalID()
			if err != nil {
				return Comment{}, err
			}
			out = Comment{ID: id, Author: author, User: user, Time: now, Text: text, ReplyTo: req.ReplyTo}
			f.Comments = append(f.Comments, out)
		}
		b, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			return Comment{}, err
		}
		_, err = bs.WriteBranch(ctx, BranchWrite{Ref: TalkRef, Old: tip, Files: map[string][]byte{TalkPath(req.Page): append(b, '\n')}, Author: author, Message: msg})
		if errors.Is(err, ErrStale) && attempt < 5 {
			continue
		}
		if err != nil {
			return Comment{}, fmt.Errorf("comment on %s: %w", req.Page, err)
		}
		w.notify(ctx, ReviewEvent{Kind: "commented", Page: req.Page, Comment: &out, Actor: author, Mentions: Mentions(out.Text)})
		return out, nil
	}
}

func (f *talkFile) index(id string) int {
	for i, c := range f.Comments {
		if c.ID == id {
			return i
		}
	}
	return -1
}

// TalkChange is one change of a discussion, for recent changes.
type TalkChange struct {
	// ID is the commit on TalkRef that made the change.
	ID     string
	Page   Name
	Author Author
	Time   time.Time
	// Edit is true when an existing comment was changed.
	Edit bool
}

// RecentComments lists the newest changes of discussions, newest first.
func (w *Wiki) RecentComments(ctx context.Context, limit int, actor *User) ([]TalkChange, error) {
	if !w.thePolicy().CanRead(actor) {
		return nil, nil
	}
	bs, err := w.branches()
	if err != nil {
		return nil, nil
	}
	revs, err := bs.BranchHistory(ctx, TalkRef, limit)
	if err != nil {
		return nil, err
	}
	var out []TalkChange
	for _, r := range revs {
		for _, c := range r.Changes {
			page, ok := strings.CutSuffix(c.Path, ".json")
			if !ok {
				continue
			}
			out = append(out, TalkChange{ID: r.ID, Page: Name(page), Author: r.Author, Time: r.Time, Edit: strings.HasPrefix(r.Message, "Edit ")})
		}
	}
	return out, nil
}

// mention is an @name in a comment: a login name after "@" at the start
// of a word, not part of an e-mail address.
var mention = regexp.MustCompile(`(?:^|[^\w@.])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})`)

// Mentions returns the login names a comment mentions with @name, each
// once, in order, lower-cased; names in code (` + "`...`" + `) count too.
// A trailing dot or hyphen is punctuation, not part of the name.
func Mentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mention.FindAllStringSubmatch(text, -1) {
		name := strings.ToLower(strings.TrimRight(m[1], ".-_"))
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
