// Package wiki is the domain of wikiwerk: page names, pages, revisions and
// the Wiki service that reads, saves, lists and compares them. It knows
// nothing of HTTP or of git; a Store (package storage) keeps the pages.
package wiki

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang/groupcache/lru"

	"github.com/wikiwerk/wikiwerk/wiki/diff"
	"github.com/wikiwerk/wikiwerk/wiki/markdown"
)

// FrontPage is the page that "/" leads to.
const FrontPage Name = "Home"

// AnonymousName is recorded as the author of edits that give no name in
// an English wiki; a Dutch one records "Anoniem".
const AnonymousName = "Anonymous"

// Options configures a Wiki. The zero value gives sensible defaults.
type Options struct {
	// MaxPageBytes bounds the size of a page's text; default 1 MiB.
	MaxPageBytes int
	// RenderCacheEntries bounds the number of rendered pages kept; default 2000.
	RenderCacheEntries int
	// Policy, when set, decides every write from the acting user (see
	// access.go); nil allows everything.
	Policy *Policy
	// BlameIndex, when set, answers Blame by lookup; versions it does not
	// hold are blamed by walking the page's history.
	BlameIndex BlameIndex
	// MaxFileBytes bounds the size of one attachment; default 20 MiB.
	MaxFileBytes int64
	// FileTypes, when set, are the only attachment extensions accepted
	// (e.g. "png", ".pdf"; case does not matter); empty allows any.
	FileTypes []string
	// Lang is the wiki's language, "nl" or "en" (the -lang flag): the
	// language of what the wiki writes into git itself, automatic commit
	// messages and the name of anonymous authors. "" means English.
	Lang string
	// Location is the time zone of times in those messages; nil means UTC.
	Location *time.Location
	// SaveObserver, when set, is told the outcome of every Save.
	SaveObserver SaveObserver
	// ReviewListener, when set, hears of proposals, reviews and comments
	// (review_events.go), for notifications.
	ReviewListener ReviewListener
}

// Wiki is the service behind every interface of wikiwerk: it validates
// input, turns stale saves into conflicts that keep the user's text, and
// renders pages through a cache keyed by content, so that a page view does
// not touch the repository. It is safe for concurrent use.
type Wiki struct {
	store    Store
	policy   *Policy
	md       *markdown.Renderer
	maxBytes int
	// blameIdx is Options.BlameIndex, nil for none.
	blameIdx BlameIndex
	// saveObs is Options.SaveObserver, nil for none.
	saveObs SaveObserver
	// maxFile is Options.MaxFileBytes; fileTypes the allowed extensions
	// (lower case, with the dot), nil for any.
	maxFile   int64
	fileTypes map[string]bool
	// lang and location are Options.Lang and Options.Location (never nil).
	lang     string
	location *time.Location

	cacheMu sync.Mutex
	cache   *lru.Cache // renderKey -> markdown.Document
	stats   *lru.Cache // statsKey -> [2]int{added, removed}
	blames  *lru.Cache // blameKey -> []BlameLine

	// listener is Options.ReviewListener, nil for none.
	listener ReviewListener
}

// New returns a Wiki over store.
func New(store Store, opt Options) *Wiki {
	if opt.MaxPageBytes <= 0 {
		opt.MaxPageBytes = 1 << 20
	}
	if opt.RenderCacheEntries <= 0 {
		opt.RenderCacheEntries = 2000
	}
	if opt.MaxFileBytes <= 0 {
		opt.MaxFileBytes = 20 << 20
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	return &Wiki{
		lang:      opt.Lang,
		location:  opt.Location,
		maxFile:   opt.MaxFileBytes,
		fileTypes: fileTypeSet(opt.FileTypes),
		store:     store,
		policy:    opt.Policy,
		md:        markdown.New(),
		maxBytes:  opt.MaxPageBytes,
		cache:     lru.New(opt.RenderCacheEntries),
		stats:     lru.New(20000),
		blames:    lru.New(200),
		blameIdx:  opt.BlameIndex,
		saveObs:   opt.SaveObserver,
		listener:  opt.ReviewListener,
	}
}

// MaxPageBytes is the largest page text Save accepts.
func (w *Wiki) MaxPageBytes() int { return w.maxBytes }

// RenderedPage is a page with its Markdown rendered to safe HTML.
type RenderedPage struct {
	*Page
	// Doc is the rendered document: HTML, title, tags and headings.
	Doc markdown.Document
	// Current is true when the page was read at head (no ?rev=).
	Current bool
	// Version identifies this rendering exactly: it changes when the text,
	// the revision or the set of page names (which styles wikilinks)
	// changes. It serves as an ETag and a cache key for the whole view.
	Version string
	// Files are the page's attachments at head (only when Current).
	Files []FileInfo
}

// Title is the front matter title, or else the last part of the name.
func (p *RenderedPage) Title() string {
	if p.Doc.Title != "" {
		return p.Doc.Title
	}
	return p.Name.Title()
}

// Page returns the page as of revision at ("" for the current version).
// Returns ErrNotFound when it does not exist there.
func (w *Wiki) Page(ctx context.Context, name Name, at string) (*Page, error) {
	return w.store.ReadPage(ctx, name, at)
}

// View returns the page as of revision at ("" for current), rendered.
func (w *Wiki) View(ctx context.Context, name Name, at string) (*RenderedPage, error) {
	p, err := w.store.ReadPage(ctx, name, at)
	if err != nil {
		return nil, err
	}
	doc, names, err := w.render(ctx, name, p.Blob, p.Content)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	version := fmt.Sprintf("%s.%s.%d", p.Blob, p.Revision.ID, names)
	rp := &RenderedPage{Page: p, Doc: doc, Current: at == "", Version: version}
	if at == "" {
		if rp.Files, err = w.Files(ctx, name); err != nil {
			return nil, err
		}
		rp.Version += filesVersion(rp.Files)
	}
	return rp, nil
}

// renderKey identifies a rendering: the same text renders the same way
// while the set of page and file names (which decides the style of
// wikilinks and relative links) stays the same, in the same folder (which
// relative links are resolved against).
type renderKey struct {
	blob   string
	names  uint64
	folder string
}

// render returns the rendered document and the names version it was
// rendered against.
func (w *Wiki) render(ctx context.Context, name Name, blob string, content []byte) (markdown.Document, uint64, error) {
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return markdown.Document{}, 0, err
	}
	key := renderKey{blob, snap.NamesVersion, name.Folder()}
	w.cacheMu.Lock()
	cached, ok := w.cache.Get(key)
	w.cacheMu.Unlock()
	if ok {
		return cached.(markdown.Document), key.names, nil
	}
	doc, err := w.md.RenderPage(ctx, content, resolver(snap), pathResolver(ctx, w.store, snap, key.folder))
	if err != nil {
		return markdown.Document{}, 0, err
	}
	w.cacheMu.Lock()
	w.cache.Add(key, doc)
	w.cacheMu.Unlock()
	return doc, key.names, nil
}

// Preview renders Markdown that has not been saved, with relative links
// resolved as for a top-level page.
func (w *Wiki) Preview(ctx context.Context, content []byte) (markdown.Document, error) {
	return w.PreviewPage(ctx, "", content)
}

// PreviewPage renders Markdown that has not been saved as page name, whose
// folder its relative links and images are resolved against.
func (w *Wiki) PreviewPage(ctx context.Context, name Name, content []byte) (markdown.Document, error) {
	if err := w.checkContent(content); err != nil {
		return markdown.Document{}, err
	}
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return markdown.Document{}, err
	}
	return w.md.RenderPage(ctx, normalizeNewlines(content), resolver(snap), pathResolver(ctx, w.store, snap, name.Folder()))
}

// pathResolver resolves the relative links and images of a page in folder
// as a clone shows them (relative to the .md file's folder): "x.md" to the
// page x, anything else to the file, served at /-/files/. A target missing
// from the wiki is marked missing (a page's link leads to its editor); one
// above the repository's root, or to a folder, is left as written. A large
// image is shown reduced (see imageURL).
func pathResolver(ctx context.Context, store Store, snap *Snapshot, folder string) markdown.PathResolver {
	return func(rel string) markdown.Link {
		// path.Join from "/" cannot climb above the root (a ".." that
		// would is dropped), so climbsAbove catches that first: a clone
		// has nothing there.
		p := path.Join("/", folder, rel)
		if strings.HasSuffix(rel, "/") || p == "/" || climbsAbove(folder, rel) {
			return markdown.Link{}
		}
		p = p[1:]
		if strings.HasSuffix(p, PageExt) {
			name, err := ParseName(strings.TrimSuffix(p, PageExt))
			if err != nil {
				return markdown.Link{}
			}
			if snap.HasPage(name) {
				return markdown.Link{URL: name.URL(), Exists: true}
			}
			return markdown.Link{URL: EditURL(name)}
		}
		if blob, ok := snap.File(p); ok {
			return markdown.Link{URL: imageURL(ctx, store, p, blob), Exists: true}
		}
		if n, err := ParseName(p); err == nil {
			if blob, ok := snap.File(string(n)); ok {
				return markdown.Link{URL: imageURL(ctx, store, string(n), blob), Exists: true}
			}
			p = string(n)
		}
		return markdown.Link{URL: FileURL(p)}
	}
}

// reducedImageBytes is the size above which a raster image is shown on a
// page reduced to the width a page has (?w=800, served by wiki/web). The
// size is in the object's header, so deciding costs no decoding; an image
// that is large in bytes but no wider than that is served as it is.
const reducedImageBytes = 200 << 10

// imageURL is FileURL(p), with the query of the reduced version for a
// PNG, JPEG, GIF or WebP file larger than reducedImageBytes.
func imageURL(ctx context.Context, store Store, p, blob string) string {
	if isRasterImage(p) {
		if n, err := store.BlobSize(ctx, blob); err == nil && n > reducedImageBytes {
			return FileURL(p) + "?w=800"
		}
	}
	return FileURL(p)
}

// climbsAbove reports whether rel, taken in folder, leaves the root.
func climbsAbove(folder, rel string) bool {
	depth := 0
	if folder != "" {
		depth = strings.Count(folder, "/") + 1
	}
	for _, seg := range strings.Split(rel, "/") {
		switch seg {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// resolver links wikilinks to existing pages, to the editor for missing
// ones, and not at all for targets that are not valid names. A link whose
// case differs from an existing page leads to that page, as it would be
// refused as a new name.
func resolver(snap *Snapshot) markdown.Resolver {
	return func(target string) markdown.Link {
		name, err := ParseName(target)
		if err != nil {
			return markdown.Link{}
		}
		if snap.HasPage(name) {
			return markdown.Link{URL: name.URL(), Exists: true}
		}
		if other, ok := snap.CaseTwin(name); ok {
			return markdown.Link{URL: other.URL(), Exists: true}
		}
		return markdown.Link{URL: EditURL(name)}
	}
}

// EditURL is the URL of the editor for a page.
func EditURL(n Name) string { return "/-/edit/" + n.EscapedPath() }

// Pages lists the pages at head, sorted by name.
func (w *Wiki) Pages(ctx context.Context) ([]PageInfo, error) {
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PageInfo, 0, snap.PageCount())
	for p := range snap.Pages() {
		out = append(out, p)
	}
	return out, nil
}

// Exists reports whether the page exists at head.
func (w *Wiki) Exists(ctx context.Context, name Name) bool {
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return false
	}
	ok := snap.HasPage(name)
	return ok
}

// Save is a request to write a page.
type Save struct {
	// Name is the page to write.
	Name Name
	// Content is the new Markdown text. CRLF line ends are stored as LF.
	Content []byte
	// Base is the revision the editor started from; "" to create the page.
	Base string
	// Message is the edit summary; a default is made when empty.
	Message string
	// Author is the person saving; AnonymousName when the name is empty.
	Author Author
	// Actor is the signed-in user who saves, nil for an anonymous
	// visitor; the policy decides whether they may.
	Actor *User
}

// SaveResult reports what a save did.
type SaveResult struct {
	// Revision is the page's revision after the save.
	Revision string
	// Created is true when the save created the page.
	Created bool
	// Committed is false when the text was unchanged and no commit was made.
	Committed bool
	// Merged is true when the page had changed since Base and the save
	// was merged with those changes.
	Merged bool
	// MergedWith are the revisions the save was merged with, newest first.
	MergedWith []Revision
	// Proposal is set when the page is in a review folder and the saver
	// is not its reviewer: the save became this proposal, main is as it was.
	Proposal *Proposal
}

// Save writes a page. When the page changed since Base, the user's edit is
// merged three ways with the changes made meanwhile (under the store's
// lock, so that no third save can slip in between); if the edits overlap,
// the save is refused with a *ConflictError that holds the current page,
// the conflicting regions and the user's text: nothing is overwritten and
// nothing typed is lost. Saving unchanged text makes no commit. Returns
// ErrInvalidInput for invalid UTF-8, an unknown base or a bad author,
// ErrTooLarge for oversize text, ErrNameTaken for a new name that differs
// from an existing one only by case.
func (w *Wiki) Save(ctx context.Context, s Save) (result SaveResult, saveErr error) {
	defer func() { w.observeSave(result, saveErr) }()
	if w.policy != nil && w.policy.NeedsReview(s.Actor, s.Name) && w.policy.CanPropose(s.Actor, s.Name) {
		p, err := w.Propose(ctx, ProposeRequest{Name: s.Name, Content: s.Content, Base: s.Base, Message: s.Message, Author: s.Author, Actor: s.Actor})
		if err != nil {
			return SaveResult{}, err
		}
		return SaveResult{Revision: s.Base, Proposal: p}, nil
	}
	if err := w.checkWrite(s.Actor, s.Author, s.Message, s.Name); err != nil {
		return SaveResult{}, err
	}
	if err := w.checkContent(s.Content); err != nil {
		return SaveResult{}, err
	}
	content := normalizeNewlines(s.Content)
	var baseText []byte
	if s.Base != "" {
		bp, err := w.store.ReadPage(ctx, s.Name, s.Base)
		if errors.Is(err, ErrNotFound) {
			return SaveResult{}, fmt.Errorf("%w: %s did not exist at the base revision %s", ErrInvalidInput, s.Name, s.Base)
		}
		if err != nil {
			return SaveResult{}, err
		}
		baseText = bp.Content
	}
	author := w.withDefaultName(s.Author)
	msg := strings.TrimSpace(s.Message)
	if msg == "" {
		msg = w.defaultMessage(s.Name, s.Base == "", baseText, content)
	}
	var mergedOnto string
	change := Change{Name: s.Name, Content: content, Base: s.Base,
		Rebase: func(current []byte, revision string) ([]byte, error) {
			if revision == "" {
				return nil, &ConflictError{Name: s.Name, Base: s.Base, Yours: string(content)}
			}
			m, err := diff.Merge3(string(baseText), string(current), string(content), diff.Options{})
			if err != nil {
				return nil, fmt.Errorf("merge %s: %w", s.Name, err)
			}
			if m.Conflicts > 0 {
				// The page metadata is filled in after the store has
				// released its lock.
				return nil, &ConflictError{Name: s.Name, Base: s.Base, Yours: string(content), Merge: m,
					Current: &Page{Name: s.Name, Content: current, Revision: Revision{ID: revision}}}
			}
			mergedOnto = revision
			return []byte(m.Text), nil
		}}
	res, err := w.store.Commit(ctx, Commit{Author: author, Message: msg, Changes: []Change{change}})
	var ce *ConflictError
	if errors.As(err, &ce) {
		if ce.Current != nil {
			if rev, rerr := w.store.Revision(ctx, ce.Current.Revision.ID); rerr == nil {
				ce.Current.Revision = *rev
			}
		}
		return SaveResult{}, ce
	}
	if err != nil {
		return SaveResult{}, fmt.Errorf("save %s: %w", s.Name, err)
	}
	out := SaveResult{Revision: res.Revision, Committed: res.Committed, Created: s.Base == "" && res.Committed && mergedOnto == ""}
	if !res.Committed {
		out.Revision = s.Base
		if mergedOnto != "" {
			out.Revision = mergedOnto
		}
	}
	if mergedOnto != "" {
		out.Merged = true
		out.MergedWith = w.changesBetween(ctx, s.Name, s.Base, mergedOnto)
	}
	return out, nil
}

// changesBetween lists the revisions of a page after base up to and
// including last, newest first: the edits a save was merged with.
func (w *Wiki) changesBetween(ctx context.Context, name Name, base, last string) []Revision {
	hist, err := w.store.History(ctx, name, HistoryQuery{Limit: 50})
	if err != nil {
		return nil
	}
	var out []Revision
	started := false
	for _, r := range hist {
		if r.ID == last {
			started = true
		}
		if r.ID == base {
			break
		}
		if started {
			out = append(out, r.Revision)
		}
	}
	return out
}

// DeleteRequest asks for a page to be deleted.
type DeleteRequest struct {
	// Name is the page.
	Name Name
	// Base must be the page's current revision, else a *ConflictError.
	Base string
	// Author makes the commit; Message is its summary ("" for a default).
	Author  Author
	Message string
	// Actor is the signed-in user, nil for an anonymous visitor.
	Actor *User
}

// Delete removes a page in a new commit; the page stays in its history.
func (w *Wiki) Delete(ctx context.Context, req DeleteRequest) (string, error) {
	name, base, author, message := req.Name, req.Base, req.Author, req.Message
	if err := w.checkWrite(req.Actor, author, message, name); err != nil {
		return "", err
	}
	author = w.withDefaultName(author)
	if strings.TrimSpace(message) == "" {
		message = w.say("delete", name)
	}
	if base == "" {
		return "", fmt.Errorf("%w: deleting needs the base revision", ErrInvalidInput)
	}
	snap, err := w.store.Snapshot(ctx)
	if err != nil {
		return "", err
	}
	// The page's files go with it; restoring the page brings them back.
	changes := append([]Change{{Name: name, Delete: true, Base: base}}, w.ownFileDeletions(ctx, snap, name)...)
	res, err := w.store.Commit(ctx, Commit{Author: author, Message: message, Changes: changes})
	if errors.Is(err, ErrStale) {
		return "", w.conflict(ctx, name, base, "")
	}
	if err != nil {
		return "", fmt.Errorf("delete %s: %w", name, err)
	}
	return res.Revision, nil
}

func (w *Wiki) conflict(ctx context.Context, name Name, base, yours string) error {
	ce := &ConflictError{Name: name, Base: base, Yours: yours}
	cur, err := w.store.ReadPage(ctx, name, "")
	switch {
	case err == nil:
		ce.Current = cur
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("read %s after a conflict: %w", name, err)
	}
	return ce
}

func (w *Wiki) checkContent(content []byte) error {
	if len(content) > w.maxBytes {
		return fmt.Errorf("%w: the text is %d bytes, the limit is %d", ErrTooLarge, len(content), w.maxBytes)
	}
	if !utf8.Valid(content) {
		return fmt.Errorf("%w: the text is not valid UTF-8", ErrInvalidInput)
	}
	if bytes.IndexByte(content, 0) >= 0 {
		return fmt.Errorf("%w: the text contains a NUL character", ErrInvalidInput)
	}
	return nil
}

// normalizeNewlines stores every line end as LF: browsers send form text
// with CRLF, and mixed line ends would make every line differ in a diff.
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

// History lists the revisions that changed a page, newest first, with the
// lines each added and removed. It follows the page into its old names.
func (w *Wiki) History(ctx context.Context, name Name, q HistoryQuery) ([]PageRevision, error) {
	revs, err := w.store.History(ctx, name, q)
	if err != nil {
		return nil, err
	}
	for i := range revs {
		revs[i].Added, revs[i].Removed = w.lineStats(ctx, revs[i].PrevBlob, revs[i].Blob)
	}
	return revs, nil
}

// lineStats counts the lines added and removed between two blobs ("" for
// none), cached: blobs never change, so neither do their differences.
func (w *Wiki) lineStats(ctx context.Context, from, to string) (added, removed int) {
	key := statsKey{from, to}
	w.cacheMu.Lock()
	v, ok := w.stats.Get(key)
	w.cacheMu.Unlock()
	if ok {
		s := v.([2]int)
		return s[0], s[1]
	}
	read := func(id string) ([]byte, error) {
		if id == "" {
			return nil, nil
		}
		return w.store.ReadBlob(ctx, id)
	}
	a, errA := read(from)
	b, errB := read(to)
	if errA != nil || errB != nil {
		// Unknown, not zero: a read that failed (a cancelled request,
		// say) must not be remembered as "no lines changed".
		return 0, 0
	}
	res, err := diff.Compare(string(a), string(b), diff.Options{LinesOnly: true})
	if err != nil {
		return 0, 0
	}
	w.cacheMu.Lock()
	w.stats.Add(key, [2]int{res.Added, res.Removed})
	w.cacheMu.Unlock()
	return res.Added, res.Removed
}

type statsKey struct{ from, to string }

// Recent lists the latest commits across the wiki, newest first.
func (w *Wiki) Recent(ctx context.Context, q HistoryQuery) ([]Revision, error) {
	return w.store.Recent(ctx, q)
}

// Revision returns one commit.
func (w *Wiki) Revision(ctx context.Context, id string) (*Revision, error) {
	return w.store.Revision(ctx, id)
}

// Comparison is the difference between two revisions of a page.
type Comparison struct {
	// Name is the page compared.
	Name Name
	// From and To are the page at each revision; From is nil when the
	// page did not exist at the older revision.
	From, To *Page
	// Diff is the line diff, with changed words marked.
	Diff *diff.Result
	// Unified is the diff in unified format.
	Unified string
}

// Compare returns the difference between the page at revisions from and to.
// An empty from compares with the revision before to (or with nothing when
// to created the page); an empty to means the current version.
func (w *Wiki) Compare(ctx context.Context, name Name, from, to string) (*Comparison, error) {
	toPage, err := w.store.ReadPage(ctx, name, to)
	if err != nil {
		return nil, err
	}
	c := &Comparison{Name: name, To: toPage}
	if from == "" {
		from = toPage.Revision.Parent
	} else if _, err := w.store.Revision(ctx, from); err != nil {
		return nil, err
	}
	if from != "" {
		// A page that did not exist yet at from compares with nothing.
		c.From, err = w.store.ReadPage(ctx, name, from)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	var old []byte
	fromLabel := "/dev/null"
	if c.From != nil {
		old = c.From.Content
		fromLabel = "a/" + name.Path()
	}
	c.Diff, err = diff.Compare(string(old), string(toPage.Content), diff.Options{})
	if err != nil {
		return nil, fmt.Errorf("compare %s: %w", name, err)
	}
	c.Unified, err = diff.Unified(string(old), string(toPage.Content), fromLabel, "b/"+name.Path(), 3, diff.Options{})
	if err != nil {
		return nil, fmt.Errorf("compare %s: %w", name, err)
	}
	return c, nil
}

// Location is the wiki's time zone (Options.Location, UTC when not set),
// for times shown to people.
func (w *Wiki) Location() *time.Location { return w.location }
