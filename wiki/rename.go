package wiki

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// Rename is a request to move a page to a new name.
type Rename struct {
	// From is the page to move; To its new name.
	From, To Name
	// Base is From's revision the user saw; a stale base is a conflict.
	Base string
	// UpdateLinks rewrites [[From]] links in other pages to [[To]] in the
	// same commit.
	UpdateLinks bool
	// Author and Message as for Save; a message is made when empty.
	Author  Author
	Message string
	// Actor is the signed-in user, nil for an anonymous visitor.
	Actor *User
}

// RenameResult reports what a rename did.
type RenameResult struct {
	// Revision is the commit that moved the page.
	Revision string
	// Updated lists the pages whose links were rewritten.
	Updated []Name
	// Attachments counts the files moved along from From's folder.
	Attachments int
}

// Rename moves a page, and the attachments in the folder of its name, in
// one commit. The old name keeps a redirect to the new one, so old links
// and bookmarks keep working. Returns a *ConflictError when From changed
// since Base, ErrNotFound when From does not exist, ErrNameTaken when To
// exists (or differs from a page only by case).
func (w *Wiki) Rename(ctx context.Context, rn Rename) (RenameResult, error) {
	if rn.From == rn.To {
		return RenameResult{}, fmt.Errorf("%w: the new name is the same as the old one", ErrInvalidInput)
	}
	// Both names, and the attachments in From's folder, which move with
	// it (a protected folder inside either is covered by its rule).
	if err := w.checkWrite(rn.Actor, rn.Author, rn.Message, rn.From, rn.To, rn.From+"/x", rn.To+"/x"); err != nil {
		return RenameResult{}, err
	}
	if strings.HasPrefix(string(rn.To)+"/", string(rn.From)+"/") {
		// Moving "A" to "A/B" would move A's attachment folder into itself.
		return RenameResult{}, fmt.Errorf("%w: a page cannot move into its own folder", ErrInvalidInput)
	}
	if rn.UpdateLinks && strings.ContainsAny(string(rn.To), "#[]") {
		return RenameResult{}, fmt.Errorf("%w: a [[link]] cannot point to a name with #, [ or ], so links to it cannot be updated", ErrInvalidInput)
	}
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return RenameResult{}, err
	}
	from, err := w.store.ReadPage(ctx, rn.From, "")
	if err != nil {
		return RenameResult{}, err
	}
	if rn.Base != from.Revision.ID {
		return RenameResult{}, &ConflictError{Name: rn.From, Base: rn.Base, Current: from}
	}
	if existing, ok := snap.CaseTwin(rn.To); ok {
		return RenameResult{}, fmt.Errorf("%w: a page %s already exists", ErrNameTaken, existing)
	}
	if existing, ok := snap.LookAlike(rn.To); ok && existing != rn.From {
		return RenameResult{}, fmt.Errorf("%w: %s looks the same as the existing page %s", ErrNameTaken, rn.To, existing)
	}
	changes := []Change{
		{Name: rn.To, Blob: from.Blob},
		{Name: rn.From, Content: w.redirectStub(rn.To), Base: rn.Base},
	}
	var res RenameResult
	prefix := string(rn.From) + "/"
	for path, blob := range snap.OwnFiles(rn.From) {
		changes = append(changes,
			Change{File: path, Delete: true, Base: w.fileRevision(ctx, path)},
			Change{File: string(rn.To) + "/" + path[len(prefix):], Blob: blob})
		res.Attachments++
	}
	if rn.UpdateLinks {
		linkChanges, updated, err := w.linkUpdates(ctx, snap, rn.From, rn.To)
		if err != nil {
			return RenameResult{}, err
		}
		// Pages whose links are rewritten are changed too.
		if err := w.mayChange(rn.Actor, updated...); err != nil {
			return RenameResult{}, err
		}
		changes = append(changes, linkChanges...)
		res.Updated = updated
	}
	msg := strings.TrimSpace(rn.Message)
	if msg == "" {
		msg = w.say("rename", rn.From, rn.To)
		if n := len(res.Updated); n > 0 {
			msg = w.say("rename-links", rn.From, rn.To, n)
		}
	}
	cres, err := w.store.Commit(ctx, Commit{Author: w.withDefaultName(rn.Author), Message: msg, Changes: changes})
	if errors.Is(err, ErrStale) {
		return RenameResult{}, w.conflict(ctx, rn.From, rn.Base, "")
	}
	if err != nil {
		return RenameResult{}, fmt.Errorf("rename %s to %s: %w", rn.From, rn.To, err)
	}
	res.Revision = cres.Revision
	return res, nil
}

// fileRevision is the last revision that changed a file at head.
func (w *Wiki) fileRevision(ctx context.Context, path string) string {
	hist, err := w.store.FileHistory(ctx, path, HistoryQuery{Limit: 1})
	if err != nil || len(hist) == 0 {
		return ""
	}
	return hist[0].ID
}

// linkUpdates returns changes that rewrite links to from into links to to
// in every page that has them. Each change rebases by rewriting the page's
// current text again, so a concurrent edit of a linking page is kept.
func (w *Wiki) linkUpdates(ctx context.Context, snap *Snapshot, from, to Name) ([]Change, []Name, error) {
	rename := func(target string) (string, bool) {
		n, err := ParseName(target)
		if err != nil || n.Fold() != from.Fold() {
			return "", false
		}
		return string(to), true
	}
	var changes []Change
	var updated []Name
	needle := []byte(from.Title())
	for info := range snap.Pages() {
		name := info.Name
		if name == from {
			continue
		}
		content, err := w.store.ReadBlob(ctx, info.Blob)
		if err != nil {
			return nil, nil, err
		}
		// Cheap filter before parsing: a link to from contains its last
		// part (case may differ, so compare folded).
		if !bytes.Contains(content, []byte("[[")) || !strings.Contains(strings.ToLower(string(content)), strings.ToLower(string(needle))) {
			continue
		}
		out, n := w.md.RewriteLinks(content, rename)
		if n == 0 {
			continue
		}
		updated = append(updated, name)
		changes = append(changes, Change{Name: name, Content: out, Base: info.Revision,
			Rebase: func(current []byte, revision string) ([]byte, error) {
				if revision == "" {
					return nil, fmt.Errorf("%w: %s was deleted while its links were being updated", ErrConflict, name)
				}
				out, _ := w.md.RewriteLinks(current, rename)
				return out, nil
			}})
	}
	return changes, updated, nil
}

// redirectStub is what stays at a page's old name after a rename: front
// matter that the wiki follows, and a sentence for people reading the file
// in a clone.
// The sentence is in the wiki's language.
func (w *Wiki) redirectStub(to Name) []byte {
	return []byte("---\nredirect: " + string(to) + "\n---\n" + w.say("moved-to", "[["+string(to)+"]]") + "\n")
}

// RedirectTarget returns the page a redirect stub points to, if content is
// one: front matter whose "redirect" key names a valid page.
func RedirectTarget(content []byte) (Name, bool) {
	rest, ok := bytes.CutPrefix(content, []byte("---\n"))
	if !ok {
		return "", false
	}
	fm, _, ok := bytes.Cut(rest, []byte("\n---"))
	if !ok {
		return "", false
	}
	for _, line := range strings.Split(string(fm), "\n") {
		if v, ok := strings.CutPrefix(line, "redirect:"); ok {
			n, err := ParseName(strings.Trim(strings.TrimSpace(v), `'"`))
			return n, err == nil
		}
	}
	return "", false
}

// RevertRequest asks for a page's text to become that of an earlier
// revision.
type RevertRequest struct {
	// Name is the page.
	Name Name
	// To is the revision whose text the page gets back.
	To string
	// Base is the page's current revision as the user saw it ("" if it
	// is deleted); a stale base is a conflict.
	Base string
	// Author makes the new commit.
	Author Author
	// Message is the commit message; "" gives a default that names To.
	Message string
	// Actor is the signed-in user, nil for an anonymous visitor.
	Actor *User
}

// Revert makes a page's text that of an earlier revision, in a new commit:
// history is never rewritten. Reverting a deleted page restores it.
func (w *Wiki) Revert(ctx context.Context, req RevertRequest) (SaveResult, error) {
	name, revision, base, author, message := req.Name, req.To, req.Base, req.Author, req.Message
	if err := w.checkWrite(req.Actor, author, message, name); err != nil {
		return SaveResult{}, err
	}
	old, err := w.store.ReadPage(ctx, name, revision)
	if err != nil {
		return SaveResult{}, err
	}
	if strings.TrimSpace(message) == "" {
		message = w.say("revert", name, w.versionName(old.Revision))
		if base == "" {
			message = w.say("restore", name, w.versionName(old.Revision))
		}
	}
	changes := []Change{{Name: name, Blob: old.Blob, Base: base}}
	if base == "" {
		// Restoring a deleted page brings back the files its deletion took.
		files, err := w.restoredAttachments(ctx, name)
		if err != nil {
			return SaveResult{}, err
		}
		changes = append(changes, files...)
	}
	res, err := w.store.Commit(ctx, Commit{Author: w.withDefaultName(author), Message: message, Changes: changes})
	if errors.Is(err, ErrStale) {
		return SaveResult{}, w.conflict(ctx, name, base, string(old.Content))
	}
	if err != nil {
		return SaveResult{}, fmt.Errorf("revert %s: %w", name, err)
	}
	return SaveResult{Revision: res.Revision, Committed: res.Committed, Created: base == "" && res.Committed}, nil
}

// Deletion describes how a page that no longer exists went away.
type Deletion struct {
	// Deleted is the commit that deleted the page.
	Deleted Revision
	// LastVersion is the revision of the page's last text, to restore.
	LastVersion Revision
}

// DeletedPage reports how a missing page was deleted, or ErrNotFound if it
// never existed.
func (w *Wiki) DeletedPage(ctx context.Context, name Name) (*Deletion, error) {
	hist, err := w.store.History(ctx, name, HistoryQuery{Limit: 2})
	if err != nil {
		return nil, err
	}
	if len(hist) < 2 {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	if w.Exists(ctx, name) {
		return nil, fmt.Errorf("%s exists: %w", name, ErrInvalidInput)
	}
	return &Deletion{Deleted: hist[0].Revision, LastVersion: hist[1].Revision}, nil
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
