package wiki

import (
	"iter"
	pathpkg "path"
	"strings"

	iradix "github.com/hashicorp/go-immutable-radix/v2"
)

// Snapshot is the state of main at one commit: which pages and files are
// there. A Store never modifies a Snapshot once it has returned it, so it
// can be read without locks.
//
// Its sets are persistent radix trees: the next commit's snapshot shares
// everything but the paths it changed with this one, so a save costs the
// same whatever the number of pages, and the sets iterate in sorted order,
// which is what folder listings need.
type Snapshot struct {
	// Head is the commit id main points at; "" for an empty repository.
	Head string
	// NamesVersion changes whenever the set of page names or of file
	// paths changes (and only then), so that rendered links to missing
	// pages and files can be cached.
	NamesVersion uint64

	pages     *iradix.Tree[PageInfo] // name -> page
	folded    *iradix.Tree[Name]     // Name.Fold() -> name
	skeletons *iradix.Tree[Name]     // Name.Skeleton() -> name
	files     *iradix.Tree[string]   // attachment path -> blob id
}

// EmptySnapshot is the state of a repository without commits.
func EmptySnapshot() *Snapshot {
	return &Snapshot{pages: iradix.New[PageInfo](), folded: iradix.New[Name](), skeletons: iradix.New[Name](), files: iradix.New[string]()}
}

// Page returns the page with this exact name.
func (s *Snapshot) Page(n Name) (PageInfo, bool) { return s.pages.Get([]byte(n)) }

// HasPage reports whether the page exists.
func (s *Snapshot) HasPage(n Name) bool {
	_, ok := s.pages.Get([]byte(n))
	return ok
}

// PageCount is the number of pages.
func (s *Snapshot) PageCount() int { return s.pages.Len() }

// Pages iterates over every page, sorted by name (byte order).
func (s *Snapshot) Pages() iter.Seq[PageInfo] {
	return func(yield func(PageInfo) bool) {
		s.pages.Root().Walk(func(_ []byte, p PageInfo) bool { return !yield(p) })
	}
}

// PagesUnder iterates over the pages inside folder ("" for all), sorted.
func (s *Snapshot) PagesUnder(folder string) iter.Seq[PageInfo] {
	prefix := ""
	if folder != "" {
		prefix = strings.TrimSuffix(folder, "/") + "/"
	}
	return func(yield func(PageInfo) bool) {
		s.pages.Root().WalkPrefix([]byte(prefix), func(_ []byte, p PageInfo) bool { return !yield(p) })
	}
}

// CaseTwin returns the existing page whose name differs from n only by
// letter case (or is n itself).
func (s *Snapshot) CaseTwin(n Name) (Name, bool) { return s.folded.Get([]byte(n.Fold())) }

// LookAlike returns an existing page whose name looks like n (the same
// confusable skeleton, UTS #39): a new page n next to it could deceive
// readers. It may return n itself.
func (s *Snapshot) LookAlike(n Name) (Name, bool) { return s.skeletons.Get([]byte(n.Skeleton())) }

// NameTaken returns the existing page that a new page n would collide
// with: one that differs only by letter case, or looks the same. It reports
// false when n is free (or is that page itself).
func (s *Snapshot) NameTaken(n Name) (Name, bool) {
	if other, ok := s.CaseTwin(n); ok && other != n {
		return other, true
	}
	if other, ok := s.LookAlike(n); ok && other != n {
		return other, true
	}
	return "", false
}

// File returns the blob id of the attachment at path.
func (s *Snapshot) File(path string) (string, bool) { return s.files.Get([]byte(path)) }

// FileCount is the number of files that are not pages.
func (s *Snapshot) FileCount() int { return s.files.Len() }

// Files iterates over the files that are not pages, with their blob ids,
// sorted by path.
func (s *Snapshot) Files() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		s.files.Root().Walk(func(k []byte, blob string) bool { return !yield(string(k), blob) })
	}
}

// FilesUnder iterates over the files inside folder, sorted by path.
func (s *Snapshot) FilesUnder(folder string) iter.Seq2[string, string] {
	prefix := strings.TrimSuffix(folder, "/") + "/"
	return func(yield func(string, string) bool) {
		s.files.Root().WalkPrefix([]byte(prefix), func(k []byte, blob string) bool { return !yield(string(k), blob) })
	}
}

// SnapshotEdit builds the next Snapshot from one, by changes. It is how a
// Store makes snapshots; the snapshot it started from is not modified.
type SnapshotEdit struct {
	base         *Snapshot
	pages        *iradix.Txn[PageInfo]
	folded       *iradix.Txn[Name]
	skeletons    *iradix.Txn[Name]
	files        *iradix.Txn[string]
	namesChanged bool
}

// Edit starts building the snapshot that follows s.
func (s *Snapshot) Edit() *SnapshotEdit {
	return &SnapshotEdit{base: s, pages: s.pages.Txn(), folded: s.folded.Txn(), skeletons: s.skeletons.Txn(), files: s.files.Txn()}
}

// SetPage adds or updates a page.
func (e *SnapshotEdit) SetPage(p PageInfo) {
	if _, existed := e.pages.Insert([]byte(p.Name), p); !existed {
		e.namesChanged = true
	}
	e.folded.Insert([]byte(p.Name.Fold()), p.Name)
	e.skeletons.Insert([]byte(p.Name.Skeleton()), p.Name)
}

// DeletePage removes a page.
func (e *SnapshotEdit) DeletePage(n Name) {
	if _, existed := e.pages.Delete([]byte(n)); !existed {
		return
	}
	e.namesChanged = true
	if twin, ok := e.folded.Get([]byte(n.Fold())); ok && twin == n {
		e.folded.Delete([]byte(n.Fold()))
	}
	if twin, ok := e.skeletons.Get([]byte(n.Skeleton())); ok && twin == n {
		e.skeletons.Delete([]byte(n.Skeleton()))
	}
}

// SetFile adds or updates a file that is not a page. A new file changes
// NamesVersion (relative links to it are rendered differently); so does a
// new version of a raster image, which may cross the size at which pages
// show it reduced (imageURL). A new version of any other file does not.
func (e *SnapshotEdit) SetFile(path, blob string) {
	old, existed := e.files.Insert([]byte(path), blob)
	if !existed || (old != blob && isRasterImage(path)) {
		e.namesChanged = true
	}
}

// isRasterImage reports whether path names a PNG, JPEG, GIF or WebP file,
// the images pages may show reduced.
func isRasterImage(p string) bool {
	switch strings.ToLower(pathpkg.Ext(p)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp":
		return true
	}
	return false
}

// DeleteFile removes a file that is not a page.
func (e *SnapshotEdit) DeleteFile(path string) {
	if _, existed := e.files.Delete([]byte(path)); existed {
		e.namesChanged = true
	}
}

// Done returns the new snapshot at head. NamesVersion moves on when the set
// of page or file names changed.
func (e *SnapshotEdit) Done(head string) *Snapshot {
	v := e.base.NamesVersion
	if e.namesChanged {
		v++
	}
	return &Snapshot{Head: head, NamesVersion: v, pages: e.pages.Commit(), folded: e.folded.Commit(), skeletons: e.skeletons.Commit(), files: e.files.Commit()}
}
