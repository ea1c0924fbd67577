package wiki

import (
	"context"
	"fmt"
	"iter"
	"strings"
)

// A page's files are the files in its folder (WMO-loket/Ontwerp.md has
// WMO-loket/Ontwerp/klantreis.png), at any depth, except those that belong
// to a page further down: WMO-loket/Ontwerp/Route/kaart.png belongs to
// WMO-loket/Ontwerp/Route when that page exists. Renaming, deleting and
// restoring a page carry exactly these files, so that a subpage keeps its
// own.

// OwnFiles lists the files (path and blob id) that belong to page in snap,
// sorted by path.
func (s *Snapshot) OwnFiles(page Name) iter.Seq2[string, string] {
	prefix := string(page) + "/"
	return func(yield func(string, string) bool) {
		for path, blob := range s.FilesUnder(string(page)) {
			if s.belongsToSubpage(prefix, path) {
				continue
			}
			if !yield(path, blob) {
				return
			}
		}
	}
}

// belongsToSubpage reports whether the file at path, under the folder
// prefix of a page, lies in the folder of a page below that page.
func (s *Snapshot) belongsToSubpage(prefix, path string) bool {
	rest := path[len(prefix):]
	for i := strings.IndexByte(rest, '/'); i >= 0; {
		if s.HasPage(Name(prefix + rest[:i])) {
			return true
		}
		next := strings.IndexByte(rest[i+1:], '/')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// ownFileDeletions returns the changes that delete page's files at head,
// each based on the file's last revision so that a concurrent upload of a
// new version is a conflict rather than a silent loss.
func (w *Wiki) ownFileDeletions(ctx context.Context, snap *Snapshot, page Name) []Change {
	var changes []Change
	for path := range snap.OwnFiles(page) {
		changes = append(changes, Change{File: path, Delete: true, Base: w.fileRevision(ctx, path)})
	}
	return changes
}

// restoredFiles returns the changes that bring back the files the commit
// deleted, which deleted page, as they were before it: those of the
// page's files that do not exist again since. It is what restoring a
// deleted page adds, so that its pictures come back with its text.
func (w *Wiki) restoredFiles(ctx context.Context, snap *Snapshot, page Name, deletion Revision) ([]Change, error) {
	if deletion.Parent == "" {
		return nil, nil
	}
	prefix := string(page) + "/"
	var changes []Change
	for _, c := range deletion.Changes {
		if c.Kind != Deleted || !strings.HasPrefix(c.Path, prefix) || strings.HasSuffix(c.Path, ".md") {
			continue
		}
		if _, exists := snap.File(c.Path); exists || snap.belongsToSubpage(prefix, c.Path) {
			continue
		}
		f, err := w.store.ReadFile(ctx, c.Path, deletion.Parent)
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", c.Path, err)
		}
		changes = append(changes, Change{File: c.Path, Blob: f.Blob})
	}
	return changes, nil
}

// restoredAttachments returns the changes that restore the files of a
// deleted page: those its last deletion took along. A page that is not
// deleted (or never existed) gets none.
func (w *Wiki) restoredAttachments(ctx context.Context, page Name) ([]Change, error) {
	hist, err := w.store.History(ctx, page, HistoryQuery{Limit: 1})
	if err != nil || len(hist) == 0 {
		return nil, err
	}
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if snap.HasPage(page) {
		return nil, nil
	}
	return w.restoredFiles(ctx, snap, page, hist[0].Revision)
}

// PageFiles lists the paths of the files that belong to page at head:
// what renaming or deleting the page takes along.
func (w *Wiki) PageFiles(ctx context.Context, page Name) ([]string, error) {
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for path := range snap.OwnFiles(page) {
		out = append(out, path)
	}
	return out, nil
}
