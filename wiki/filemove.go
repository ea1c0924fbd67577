package wiki

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
)

// RenameFileRequest asks for an attachment to move: to another name in
// its folder, or into the folder of another page.
type RenameFileRequest struct {
	// From is the file's repository path; To the path it gets.
	From, To string
	// Base must be From's current revision; a stale base is a conflict.
	Base string
	// Author makes the commit; Message is its summary ("" for a default).
	Author  Author
	Message string
	// Actor is the signed-in user, nil for an anonymous visitor.
	Actor *User
}

// RenameFile moves an attachment in one commit, keeping its content (the
// blob is not read, only named anew). Pages that link to the old path are not rewritten: the link shows as
// missing, as a link to a deleted file does.
func (w *Wiki) RenameFile(ctx context.Context, req RenameFileRequest) (string, error) {
	from, fromPage, err := CheckFilePath(req.From)
	if err != nil {
		return "", err
	}
	to, toPage, err := CheckFilePath(req.To)
	if err != nil {
		return "", err
	}
	if from == to {
		return "", fmt.Errorf("%w: the new name is the same as the old one", ErrInvalidInput)
	}
	if err := w.checkWrite(req.Actor, req.Author, req.Message, fromPage, toPage); err != nil {
		return "", err
	}
	if err := w.checkFileType(to); err != nil {
		return "", err
	}
	if req.Base == "" {
		return "", fmt.Errorf("%w: renaming needs the base revision", ErrInvalidInput)
	}
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return "", err
	}
	blob, ok := snap.File(from)
	if !ok {
		return "", fmt.Errorf("%s: %w", from, ErrNotFound)
	}
	if _, taken := snap.File(to); taken {
		return "", fmt.Errorf("%w: a file %s already exists", ErrNameTaken, to)
	}
	msg := strings.TrimSpace(req.Message)
	if msg == "" {
		msg = w.say("rename", from, path.Base(to))
		if path.Dir(from) != path.Dir(to) {
			msg = w.say("move", from, to)
		}
	}
	res, err := w.store.Commit(ctx, Commit{Author: w.withDefaultName(req.Author), Message: msg, Changes: []Change{
		{File: from, Delete: true, Base: req.Base},
		{File: to, Blob: blob},
	}})
	if errors.Is(err, ErrStale) {
		return "", fmt.Errorf("%w: %w", ErrConflict, err)
	}
	if err != nil {
		return "", fmt.Errorf("rename %s: %w", from, err)
	}
	return res.Revision, nil
}

// FileRevision returns the last commit that changed the file at path, the
// base for renaming, deleting or replacing it; ErrNotFound when the file
// does not exist at head.
func (w *Wiki) FileRevision(ctx context.Context, p string) (string, error) {
	clean, _, err := CheckFilePath(p)
	if err != nil {
		return "", err
	}
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return "", err
	}
	if _, ok := snap.File(clean); !ok {
		return "", fmt.Errorf("%s: %w", clean, ErrNotFound)
	}
	hist, err := w.store.FileHistory(ctx, clean, HistoryQuery{Limit: 1})
	if err != nil {
		return "", err
	}
	if len(hist) == 0 {
		return "", fmt.Errorf("%s: %w", clean, ErrNotFound)
	}
	return hist[0].ID, nil
}
