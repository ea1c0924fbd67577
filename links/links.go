// Package links is the wiki's link graph: which page links to which, the
// pages that are linked to but do not exist (wanted pages), the pages that
// nothing links to (orphans), the tags of every page, and each page's
// title and last change, for "what links here", navigation lists and the
// tree of all pages.
//
// A Graph is a consumer of the change feed, like the search index. It
// keeps everything in memory, and a copy of every page's record with its
// checkpoint in a bbolt file (DATA/links/links.db), written in one
// transaction per change set: the checkpoint can never claim more than the
// file holds, and a save costs what it changed, whatever the number of
// pages. The file holds nothing that cannot be rebuilt: when it is
// missing, damaged or of another format, Open starts empty with checkpoint
// "", and the feed answers with a Reset carrying every page.
//
// A page links to another with a wikilink ([[Target]]) or with a Markdown
// link to the other's file, relative to the page's folder as in a clone
// ([x](Ontwerp.md), [x](../Beleid/Visie.md)), or to the other's address
// in the wiki ([x](/Beleid/Visie)). Letter case does not count: a link to
// "wmo-loket" is a link to the page "WMO-loket", as the wiki follows it.
package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/markdown"
)

// Source is what the graph reads pages from; storage.Repo satisfies it.
type Source interface {
	// ReadBlob returns a blob's content by id.
	ReadBlob(ctx context.Context, id string) ([]byte, error)
	// Revision returns the commit with the given id.
	Revision(ctx context.Context, id string) (*wiki.Revision, error)
	// Snapshot returns the current state of main.
	Snapshot(ctx context.Context) (*wiki.Snapshot, error)
}

// Options configures a Graph.
type Options struct {
	// Source is where Apply reads pages from. Required for Apply.
	Source Source
	// Logger receives what the graph does on its own (a rebuild at Open,
	// a page it could not read); nil discards it.
	Logger *slog.Logger
	// LockTimeout is how long Open waits for another process to release
	// the file; default 1 s.
	LockTimeout time.Duration
}

// ErrInUse is returned by Open when another process holds the file.
var ErrInUse = errors.New("the link graph is in use by another process")

// Page is what the graph knows of one page.
type Page struct {
	// Name is the page.
	Name wiki.Name `json:"-"`
	// Title is its display title: the front matter title, else a
	// leading h1, else the last segment of the name. Plain text.
	Title string `json:"title"`
	// Tags are the front matter tags, as written.
	Tags []string `json:"tags,omitempty"`
	// Links are the pages it links to, as written (but valid names),
	// sorted, without duplicates and without the page itself.
	Links []wiki.Name `json:"links,omitempty"`
	// Redirect is the page a redirect stub (what a rename leaves at the
	// old name) leads to; "" for a real page.
	Redirect wiki.Name `json:"redirect,omitempty"`
	// Revision, Author and Time are the page's last change.
	Revision string    `json:"revision,omitempty"`
	Author   string    `json:"author,omitempty"`
	Time     time.Time `json:"time"`
}

// Link is a link from a page to another, resolved.
type Link struct {
	// Name is the page linked to: the existing page whose name differs
	// only by letter case when there is one, else the name as written.
	Name wiki.Name
	// Exists is false for a page that does not exist (yet).
	Exists bool
}

// Wanted is a page that pages link to but that does not exist.
type Wanted struct {
	// Name is the page, as most of the linking pages write it.
	Name wiki.Name
	// From are the pages that link to it, sorted.
	From []wiki.Name
}

// Tag is a tag and the number of pages that have it.
type Tag struct {
	// Name is the tag as most of its pages write it.
	Name string
	// Count is the number of pages with the tag.
	Count int
}

// Graph is the link graph. It implements wiki.Consumer and is safe for
// concurrent use: lookups run while Apply updates it.
type Graph struct {
	db  *bolt.DB
	opt Options
	log *slog.Logger
	md  *markdown.Renderer

	// rebuilt says why Open threw away what the file held, if it did.
	rebuilt error
	// building is true while the graph is incomplete: a new graph waiting
	// for its first change set, or a reset in progress.
	building atomic.Bool

	mu sync.RWMutex
	// pages holds every page, by name.
	pages map[wiki.Name]*Page
	// folded maps Name.Fold() of every page to the page.
	folded map[string]wiki.Name
	// back maps the folded name of a link target to the pages linking to
	// it, each with the target as that page writes it.
	back map[string]map[wiki.Name]wiki.Name
	// tags maps a folded tag to its pages, each with the tag as written.
	tags map[string]map[wiki.Name]string
}

var _ wiki.Consumer = (*Graph)(nil)

// The file's layout: one bucket of page records (JSON, keyed by name)
// and one of metadata.
var (
	bucketPages   = []byte("pages")
	bucketMeta    = []byte("meta")
	keyFormat     = []byte("format")
	keyCheckpoint = []byte("checkpoint")
)

// format changes whenever what a record holds, or how pages are parsed,
// changes: a file of another format is rebuilt.
const format = "1"

// fileName is the bbolt file inside the folder given to Open.
const fileName = "links.db"

// Open opens the graph in dir, or creates it, and reads it into memory.
// A file that cannot be read, or has another format, is started afresh
// (Rebuilt says why); its checkpoint is then "". Open fails with an error
// wrapping ErrInUse when another process holds the file.
func Open(dir string, opt Options) (*Graph, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = time.Second
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("link graph: %w", err)
	}
	g := &Graph{opt: opt, log: opt.Logger, md: markdown.New()}
	path := filepath.Join(dir, fileName)
	bopt := &bolt.Options{Timeout: opt.LockTimeout}
	db, err := bolt.Open(path, 0o600, bopt)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrInUse)
	}
	if err != nil {
		if _, serr := os.Stat(path); serr == nil {
			g.rebuilt = fmt.Errorf("unreadable: %w", err)
			g.log.Warn("link graph: rebuilding", "path", path, "reason", err)
			if rerr := os.Remove(path); rerr != nil {
				return nil, fmt.Errorf("open %s: %w (and removing it: %v)", path, err, rerr)
			}
			db, err = bolt.Open(path, 0o600, bopt)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	g.db = db
	if err := g.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if cp, _ := g.Checkpoint(context.Background()); cp == "" && opt.Source != nil {
		if snap, err := opt.Source.Snapshot(context.Background()); err == nil && snap.Head != "" {
			g.building.Store(true)
		}
	}
	return g, nil
}

// load checks the file's format, starting it afresh when it is another,
// and reads every record into memory.
func (g *Graph) load() error {
	err := g.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m != nil && tx.Bucket(bucketPages) != nil && string(m.Get(keyFormat)) == format {
			return nil
		}
		if m != nil {
			g.rebuilt = fmt.Errorf("format %q, want %q", m.Get(keyFormat), format)
			g.log.Warn("link graph: rebuilding", "reason", g.rebuilt)
		}
		for _, name := range [][]byte{bucketPages, bucketMeta} {
			if tx.Bucket(name) != nil {
				if err := tx.DeleteBucket(name); err != nil {
					return err
				}
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte(format))
	})
	if err != nil {
		return err
	}
	g.clear()
	return g.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPages).ForEach(func(k, v []byte) error {
			p := &Page{}
			if err := json.Unmarshal(v, p); err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			p.Name = wiki.Name(k)
			g.add(p)
			return nil
		})
	})
}

// Rebuilt returns why Open threw away the graph it found, nil when it
// found none or used it.
func (g *Graph) Rebuilt() error { return g.rebuilt }

// Close closes the file. Close the subscription first.
func (g *Graph) Close() error { return g.db.Close() }

// Name implements wiki.Consumer.
func (g *Graph) Name() string { return "links" }

// Checkpoint implements wiki.Consumer: the commit whose pages the graph
// holds, read from the file.
func (g *Graph) Checkpoint(context.Context) (string, error) {
	var cp string
	err := g.db.View(func(tx *bolt.Tx) error {
		cp = string(tx.Bucket(bucketMeta).Get(keyCheckpoint))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("link graph checkpoint: %w", err)
	}
	return cp, nil
}

// Building reports whether the graph is incomplete: it waits for its
// first change set, or applies a reset.
func (g *Graph) Building() bool { return g.building.Load() }

// clear empties the in-memory graph. The caller holds g.mu or owns g.
func (g *Graph) clear() {
	g.pages = map[wiki.Name]*Page{}
	g.folded = map[string]wiki.Name{}
	g.back = map[string]map[wiki.Name]wiki.Name{}
	g.tags = map[string]map[wiki.Name]string{}
}

// add puts a page into the in-memory graph; a page of that name must not
// be in it. The caller holds g.mu or owns g.
func (g *Graph) add(p *Page) {
	g.pages[p.Name] = p
	g.folded[p.Name.Fold()] = p.Name
	for _, to := range p.Links {
		k := to.Fold()
		m := g.back[k]
		if m == nil {
			m = map[wiki.Name]wiki.Name{}
			g.back[k] = m
		}
		m[p.Name] = to
	}
	for _, t := range p.Tags {
		k := foldTag(t)
		m := g.tags[k]
		if m == nil {
			m = map[wiki.Name]string{}
			g.tags[k] = m
		}
		m[p.Name] = t
	}
}

// remove takes a page out of the in-memory graph, if it is there. The
// caller holds g.mu.
func (g *Graph) remove(n wiki.Name) {
	p, ok := g.pages[n]
	if !ok {
		return
	}
	delete(g.pages, n)
	if g.folded[n.Fold()] == n {
		delete(g.folded, n.Fold())
	}
	for _, to := range p.Links {
		k := to.Fold()
		delete(g.back[k], n)
		if len(g.back[k]) == 0 {
			delete(g.back, k)
		}
	}
	for _, t := range p.Tags {
		k := foldTag(t)
		delete(g.tags[k], n)
		if len(g.tags[k]) == 0 {
			delete(g.tags, k)
		}
	}
}

// foldTag is the key under which tags that differ only by letter case
// are one.
func foldTag(t string) string { return strings.ToLower(strings.TrimSpace(t)) }

// Page returns what the graph knows of a page.
func (g *Graph) Page(n wiki.Name) (Page, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	p, ok := g.pages[n]
	if !ok {
		return Page{}, false
	}
	return *p, true
}

// Pages returns every page the graph holds, sorted by name.
func (g *Graph) Pages() []Page {
	g.mu.RLock()
	out := make([]Page, 0, len(g.pages))
	for _, p := range g.pages {
		out = append(out, *p)
	}
	g.mu.RUnlock()
	slices.SortFunc(out, func(a, b Page) int { return strings.Compare(string(a.Name), string(b.Name)) })
	return out
}

// resolve returns the page a link to n leads to.
func (g *Graph) resolve(n wiki.Name) (wiki.Name, bool) {
	if _, ok := g.pages[n]; ok {
		return n, true
	}
	if twin, ok := g.folded[n.Fold()]; ok {
		return twin, true
	}
	return n, false
}

// Links returns the pages n links to, resolved, sorted by name; nil when
// n is not in the graph.
func (g *Graph) Links(n wiki.Name) []Link {
	g.mu.RLock()
	defer g.mu.RUnlock()
	p, ok := g.pages[n]
	if !ok {
		return nil
	}
	out := make([]Link, 0, len(p.Links))
	seen := map[wiki.Name]bool{}
	for _, to := range p.Links {
		name, exists := g.resolve(to)
		if name == n || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, Link{Name: name, Exists: exists})
	}
	slices.SortFunc(out, func(a, b Link) int { return strings.Compare(string(a.Name), string(b.Name)) })
	return out
}

// Backlinks returns the pages that link to n (in any letter case), sorted
// by name, redirect stubs included. n need not exist.
func (g *Graph) Backlinks(n wiki.Name) []wiki.Name {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.backlinks(n)
}

func (g *Graph) backlinks(n wiki.Name) []wiki.Name {
	from := g.back[n.Fold()]
	out := make([]wiki.Name, 0, len(from))
	for src := range from {
		if src != n {
			out = append(out, src)
		}
	}
	slices.Sort(out)
	return out
}

// Wanted returns the pages that are linked to but do not exist, the most
// wanted first (then by name). Links from redirect stubs do not count: a
// stub wants nothing.
func (g *Graph) Wanted() []Wanted {
	g.mu.RLock()
	out := []Wanted{}
	for k, from := range g.back {
		if _, exists := g.folded[k]; exists {
			continue
		}
		w := Wanted{}
		spelled := map[wiki.Name]int{}
		for src, as := range from {
			if g.pages[src].Redirect != "" {
				continue
			}
			w.From = append(w.From, src)
			spelled[as]++
		}
		if len(w.From) == 0 {
			continue
		}
		for as, n := range spelled {
			if w.Name == "" || n > spelled[w.Name] || (n == spelled[w.Name] && as < w.Name) {
				w.Name = as
			}
		}
		slices.Sort(w.From)
		out = append(out, w)
	}
	g.mu.RUnlock()
	slices.SortFunc(out, func(a, b Wanted) int {
		if len(a.From) != len(b.From) {
			return len(b.From) - len(a.From)
		}
		return strings.Compare(string(a.Name), string(b.Name))
	})
	return out
}

// Orphans returns the pages that no other page links to, sorted by name:
// not the front page, which is where readers start, and not redirect
// stubs, which stay only for old links. A link from a redirect stub does
// not count either, so that a renamed page that only its old name links
// to is an orphan, as it was before the rename.
func (g *Graph) Orphans() []wiki.Name {
	g.mu.RLock()
	out := []wiki.Name{}
	for n, p := range g.pages {
		if n == wiki.FrontPage || p.Redirect != "" {
			continue
		}
		linked := false
		for src := range g.back[n.Fold()] {
			if src != n && g.pages[src].Redirect == "" {
				linked = true
				break
			}
		}
		if !linked {
			out = append(out, n)
		}
	}
	g.mu.RUnlock()
	slices.Sort(out)
	return out
}

// Tags returns every tag with its number of pages, sorted by tag (letter
// case ignored).
func (g *Graph) Tags() []Tag {
	g.mu.RLock()
	out := make([]Tag, 0, len(g.tags))
	for _, pages := range g.tags {
		out = append(out, Tag{Name: spelling(pages), Count: len(pages)})
	}
	g.mu.RUnlock()
	slices.SortFunc(out, func(a, b Tag) int {
		if c := strings.Compare(foldTag(a.Name), foldTag(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Tagged returns the tag as most of its pages write it and those pages,
// sorted by name; "" and nil for a tag no page has. Letter case does not
// count.
func (g *Graph) Tagged(tag string) (string, []wiki.Name) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	pages := g.tags[foldTag(tag)]
	if len(pages) == 0 {
		return "", nil
	}
	out := make([]wiki.Name, 0, len(pages))
	for n := range pages {
		out = append(out, n)
	}
	slices.Sort(out)
	return spelling(pages), out
}

// spelling is the most common way of writing a tag, the first in byte
// order among equals.
func spelling(pages map[wiki.Name]string) string {
	count := map[string]int{}
	best := ""
	for _, t := range pages {
		count[t]++
	}
	for t, n := range count {
		if best == "" || n > count[best] || (n == count[best] && t < best) {
			best = t
		}
	}
	return best
}
