package wiki

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// Files on pages: a page's attachments live in the folder named like the
// page, so WMO-loket/Ontwerp/klantreis.png belongs to WMO-loket/Ontwerp.
// Any file that is not a page (.md) is an attachment. A file is changed
// under the access rule of the folder it is in, as a push is.

// File is the content of an attachment as of some revision.
type File struct {
	// Path is the file's repository path.
	Path string
	// Blob is the git blob id of Content.
	Blob string
	// Content is the file's bytes.
	Content []byte
	// Revision is the last commit that changed the file, as of the
	// revision it was read at.
	Revision Revision
}

// FileInfo describes an attachment at head.
type FileInfo struct {
	// Path is the file's repository path.
	Path string `json:"path"`
	// Size is its length in bytes.
	Size int64 `json:"size"`
	// ContentType is the media type its extension says.
	ContentType string `json:"content_type"`
	// Revision is the last commit that changed it.
	Revision string `json:"revision"`
	// Author and Time are that commit's.
	Author Author    `json:"author"`
	Time   time.Time `json:"time"`
	// Blob is the git blob id of the content.
	Blob string `json:"-"`
}

// Name is the file's name without its folder.
func (f FileInfo) Name() string { return path.Base(f.Path) }

// URL is where the file is served.
func (f FileInfo) URL() string { return FileURL(f.Path) }

// SizeText is the size for people: "12 KB", "3.4 MB".
func (f FileInfo) SizeText() string { return sizeText(f.Size) }

func sizeText(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " KB"
	default:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	}
}

// FileURL is the URL that serves the file at a repository path, escaped
// per segment.
func FileURL(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/-/files/" + strings.Join(segs, "/")
}

// FileContentType is the media type of a file by its extension,
// "application/octet-stream" when the extension says nothing.
func FileContentType(p string) string {
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// MaxFileBytes is the largest attachment PutFile accepts.
func (w *Wiki) MaxFileBytes() int64 { return w.maxFile }

func fileTypeSet(exts []string) map[string]bool {
	if len(exts) == 0 {
		return nil
	}
	m := make(map[string]bool, len(exts))
	for _, e := range exts {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if !strings.HasPrefix(e, ".") {
			e = "." + e
		}
		m[e] = true
	}
	return m
}

// CheckFilePath validates an attachment's path and returns it normalised
// (NFC), with the page it belongs to: the folder it is in. Returns
// ErrInvalidInput for a page (.md) or a file outside any folder, and the
// page-name errors for a path that breaks those rules.
func CheckFilePath(p string) (string, Name, error) {
	n, err := ParseName(p)
	if err != nil {
		return "", "", err
	}
	clean := string(n)
	if strings.HasSuffix(strings.ToLower(clean), PageExt) {
		return "", "", fmt.Errorf("%w: %s is a page, not a file", ErrInvalidInput, clean)
	}
	i := strings.LastIndexByte(clean, '/')
	if i < 0 {
		return "", "", fmt.Errorf("%w: a file belongs to a page: put %s in the page's folder", ErrInvalidInput, clean)
	}
	return clean, Name(clean[:i]), nil
}

// FileUpload is one file of a PutFiles request.
type FileUpload struct {
	// Path is the file's repository path, in its page's folder.
	Path string
	// Content is the file's bytes.
	Content []byte
	// Base is the file's revision the upload replaces; "" to create it.
	Base string
}

// PutFileRequest asks for one attachment to be written.
type PutFileRequest struct {
	Path    string
	Content []byte
	// Base is the file's current revision, "" to create the file.
	Base string
	// Message is the commit summary; a default is made when empty.
	Message string
	Author  Author
	// Actor is the signed-in user, nil for an anonymous visitor.
	Actor *User
}

// PutFilesRequest asks for several attachments to be written in one commit.
type PutFilesRequest struct {
	Files   []FileUpload
	Message string
	Author  Author
	Actor   *User
}

// PutFileResult reports what a write of a file did.
type PutFileResult struct {
	Path        string
	Revision    string
	Size        int64
	ContentType string
	// Created is true when the file did not exist before.
	Created bool
	// Committed is false when the content was unchanged.
	Committed bool
}

// PutFile writes an attachment. A stale Base is refused with an error
// wrapping ErrConflict; oversize content with ErrTooLarge; an extension
// outside Options.FileTypes with ErrUnsupportedType.
func (w *Wiki) PutFile(ctx context.Context, req PutFileRequest) (PutFileResult, error) {
	res, err := w.PutFiles(ctx, PutFilesRequest{Files: []FileUpload{{Path: req.Path, Content: req.Content, Base: req.Base}},
		Message: req.Message, Author: req.Author, Actor: req.Actor})
	if err != nil {
		return PutFileResult{}, err
	}
	return res[0], nil
}

// PutFiles writes attachments in one commit, all or none.
func (w *Wiki) PutFiles(ctx context.Context, req PutFilesRequest) ([]PutFileResult, error) {
	if len(req.Files) == 0 {
		return nil, fmt.Errorf("%w: no file to store", ErrInvalidInput)
	}
	changes := make([]Change, 0, len(req.Files))
	out := make([]PutFileResult, 0, len(req.Files))
	var pages []Name
	for _, f := range req.Files {
		p, page, err := CheckFilePath(f.Path)
		if err != nil {
			return nil, err
		}
		if int64(len(f.Content)) > w.maxFile {
			return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, p, len(f.Content), w.maxFile)
		}
		if err := w.checkFileType(p); err != nil {
			return nil, err
		}
		pages = append(pages, page)
		changes = append(changes, Change{File: p, Content: f.Content, Base: f.Base})
		out = append(out, PutFileResult{Path: p, Size: int64(len(f.Content)), ContentType: FileContentType(p), Created: f.Base == ""})
	}
	if err := w.checkWrite(req.Actor, req.Author, req.Message, pages...); err != nil {
		return nil, err
	}
	msg := strings.TrimSpace(req.Message)
	if msg == "" {
		names := make([]string, len(out))
		for i, r := range out {
			names[i] = path.Base(r.Path)
		}
		msg = w.say("attach", strings.Join(names, ", "), pages[0])
	}
	res, err := w.store.Commit(ctx, Commit{Author: w.withDefaultName(req.Author), Message: msg, Changes: changes})
	if errors.Is(err, ErrStale) {
		return nil, fmt.Errorf("%w: %w", ErrConflict, err)
	}
	if err != nil {
		return nil, fmt.Errorf("store files: %w", err)
	}
	for i := range out {
		out[i].Revision, out[i].Committed = res.Revision, res.Committed
		if !res.Committed {
			out[i].Revision = req.Files[i].Base
			out[i].Created = false
		}
	}
	return out, nil
}

// checkFileType refuses an extension outside Options.FileTypes.
func (w *Wiki) checkFileType(p string) error {
	if w.fileTypes == nil {
		return nil
	}
	ext := strings.ToLower(path.Ext(p))
	if !w.fileTypes[ext] {
		return fmt.Errorf("%w: %q files are not accepted here", ErrUnsupportedType, ext)
	}
	return nil
}

// DeleteFileRequest asks for an attachment to be deleted.
type DeleteFileRequest struct {
	Path string
	// Base must be the file's current revision.
	Base    string
	Author  Author
	Actor   *User
	Message string
}

// DeleteFile removes an attachment in a new commit and returns its id. A
// stale Base is refused with an error wrapping ErrConflict.
func (w *Wiki) DeleteFile(ctx context.Context, req DeleteFileRequest) (string, error) {
	p, page, err := CheckFilePath(req.Path)
	if err != nil {
		return "", err
	}
	if err := w.checkWrite(req.Actor, req.Author, req.Message, page); err != nil {
		return "", err
	}
	if req.Base == "" {
		return "", fmt.Errorf("%w: deleting needs the base revision", ErrInvalidInput)
	}
	msg := strings.TrimSpace(req.Message)
	if msg == "" {
		msg = w.say("delete", p)
	}
	res, err := w.store.Commit(ctx, Commit{Author: w.withDefaultName(req.Author), Message: msg,
		Changes: []Change{{File: p, Delete: true, Base: req.Base}}})
	if errors.Is(err, ErrStale) {
		return "", fmt.Errorf("%w: %w", ErrConflict, err)
	}
	if err != nil {
		return "", fmt.Errorf("delete %s: %w", p, err)
	}
	return res.Revision, nil
}

// ReadFile returns an attachment as of revision rev ("" for head).
func (w *Wiki) ReadFile(ctx context.Context, p, rev string) (*File, error) {
	clean, _, err := CheckFilePath(p)
	if err != nil {
		return nil, err
	}
	return w.store.ReadFile(ctx, clean, rev)
}

// fileSizeKey keys a blob's size in the stats cache.
type fileSizeKey struct{ blob string }

// Files lists the attachments of a page at head: the files directly in
// its folder, sorted by path.
func (w *Wiki) Files(ctx context.Context, page Name) ([]FileInfo, error) {
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	prefix := string(page) + "/"
	var out []FileInfo
	for p, blob := range snap.FilesUnder(string(page)) {
		if strings.Contains(p[len(prefix):], "/") {
			continue
		}
		fi := FileInfo{Path: p, Blob: blob, ContentType: FileContentType(p)}
		if fi.Size, err = w.blobSize(ctx, blob); err != nil {
			return nil, err
		}
		hist, err := w.store.FileHistory(ctx, p, HistoryQuery{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(hist) > 0 {
			fi.Revision, fi.Author, fi.Time = hist[0].ID, hist[0].Author, hist[0].Time
		}
		out = append(out, fi)
	}
	return out, nil
}

func (w *Wiki) blobSize(ctx context.Context, blob string) (int64, error) {
	w.cacheMu.Lock()
	v, ok := w.stats.Get(fileSizeKey{blob})
	w.cacheMu.Unlock()
	if ok {
		return v.(int64), nil
	}
	n, err := w.store.BlobSize(ctx, blob)
	if err != nil {
		return 0, err
	}
	w.cacheMu.Lock()
	w.stats.Add(fileSizeKey{blob}, n)
	w.cacheMu.Unlock()
	return n, nil
}

// filesVersion identifies a list of attachments for a view's version.
func filesVersion(files []FileInfo) string {
	if len(files) == 0 {
		return ""
	}
	var b strings.Builder
	for _, f := range files {
		b.WriteString("." + f.Blob + f.Revision)
	}
	return b.String()
}
