package wiki

import (
	"context"
	"path"
	"strings"
)

// The kinds of file FindFiles can filter on.
const (
	FileKindImage    = "image"
	FileKindDocument = "document"
	FileKindOther    = "other"
)

// FileKinds are the kinds of file, in the order a form offers them.
var FileKinds = []string{FileKindImage, FileKindDocument, FileKindOther}

// FileKind sorts a file by its extension: an image, a document (PDF,
// text, office formats) or something else.
func FileKind(p string) string {
	t := FileContentType(p)
	switch {
	case strings.HasPrefix(t, "image/"):
		return FileKindImage
	case strings.HasPrefix(t, "text/"), strings.HasPrefix(t, "application/pdf"),
		strings.Contains(t, "msword"), strings.Contains(t, "officedocument"),
		strings.Contains(t, "opendocument"), strings.Contains(t, "ms-excel"),
		strings.Contains(t, "ms-powerpoint"), strings.HasPrefix(t, "application/rtf"):
		return FileKindDocument
	}
	return FileKindOther
}

// FileQuery selects files for FindFiles. Zero values match all.
type FileQuery struct {
	// Folder keeps the files inside this folder, at any depth.
	Folder string
	// Kind keeps the files of this FileKind.
	Kind string
	// Name keeps the files whose name (without folder) contains it,
	// regardless of case.
	Name string
	// Limit bounds the files returned (default 100); Offset skips the
	// first ones.
	Limit, Offset int
}

// FindFiles lists the files of the wiki at head that are not pages,
// sorted by path, as q selects them, and how many match in all. Size,
// revision, author and time are filled in for the files returned only.
func (w *Wiki) FindFiles(ctx context.Context, q FileQuery) ([]FileInfo, int, error) {
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, 0, err
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Offset = max(q.Offset, 0)
	folder := strings.Trim(q.Folder, "/")
	name := strings.ToLower(strings.TrimSpace(q.Name))
	all := snap.Files()
	if folder != "" {
		all = snap.FilesUnder(folder)
	}
	var out []FileInfo
	total := 0
	for p, blob := range all {
		if q.Kind != "" && FileKind(p) != q.Kind {
			continue
		}
		if name != "" && !strings.Contains(strings.ToLower(path.Base(p)), name) {
			continue
		}
		total++
		if total <= q.Offset || len(out) >= q.Limit {
			continue
		}
		out = append(out, FileInfo{Path: p, Blob: blob, ContentType: FileContentType(p)})
	}
	for i := range out {
		if err := w.fileDetails(ctx, &out[i]); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// fileDetails fills in a file's size and its last change.
func (w *Wiki) fileDetails(ctx context.Context, fi *FileInfo) error {
	var err error
	if fi.Size, err = w.blobSize(ctx, fi.Blob); err != nil {
		return err
	}
	hist, err := w.store.FileHistory(ctx, fi.Path, HistoryQuery{Limit: 1})
	if err != nil {
		return err
	}
	if len(hist) > 0 {
		fi.Revision, fi.Author, fi.Time = hist[0].ID, hist[0].Author, hist[0].Time
	}
	return nil
}

// FileVersion is one version of a file in its history.
type FileVersion struct {
	PageRevision
	// Size is the file's length after the revision; 0 when it deleted
	// the file.
	Size int64
}

// FileHistory lists the versions of the file at path, newest first (at
// most limit; 0 for 50). Returns ErrNotFound for a file that never
// existed.
func (w *Wiki) FileHistory(ctx context.Context, p string, limit int) ([]FileVersion, error) {
	clean, _, err := CheckFilePath(p)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	hist, err := w.store.FileHistory(ctx, clean, HistoryQuery{Limit: limit})
	if err != nil {
		return nil, err
	}
	if len(hist) == 0 {
		return nil, ErrNotFound
	}
	out := make([]FileVersion, len(hist))
	for i, h := range hist {
		out[i].PageRevision = h
		if h.Blob != "" {
			if out[i].Size, err = w.blobSize(ctx, h.Blob); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// SizeText is the size for people: "12 KB", "3.4 MB".
func (v FileVersion) SizeText() string { return sizeText(v.Size) }
