// Package search is the wiki's full-text search: a bleve index of every
// page, kept up to date as a consumer of the change feed, in Dutch and
// English.
//
// The index lives in a folder of its own beside the repository
// (DATA/search/). It holds nothing that cannot be rebuilt: when the folder
// is missing, damaged, or was written with another mapping, Open starts
// an empty index whose checkpoint is "", and the change feed answers that
// with a Reset carrying every page.
//
// Each page is one document, keyed by its name. Its language comes from
// the front matter (lang: en or nl) or Options.DefaultLang, and decides
// the analyzer of its title, headings and body: Dutch or English stop
// words and stemming, both with diacritics folded, so "aanvragen" finds
// "aanvraag" and "financiele" finds "financiële". See mapping.go for the
// fields and query.go for what a user may type.
package search

import (
	"context"
	"errors"
	"fmt"
	wikimd "github.com/wikiwerk/wikiwerk/wiki/markdown"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Source is what the index reads pages from; storage.Repo satisfies it.
type Source interface {
	// ReadBlob returns a blob's content by id.
	ReadBlob(ctx context.Context, id string) ([]byte, error)
	// Revision returns the commit with the given id.
	Revision(ctx context.Context, id string) (*wiki.Revision, error)
	// Snapshot returns the current state of main.
	Snapshot(ctx context.Context) (*wiki.Snapshot, error)
}

// Options configures an Index.
type Options struct {
	// Source is where Apply reads pages from. Required for Apply; an
	// Index without one can still be searched.
	Source Source
	// DefaultLang is the language of pages whose front matter names
	// none: "nl" (the default) or "en".
	DefaultLang string
	// BatchSize is how many pages go into one bleve batch; default 500.
	BatchSize int
	// Logger receives what the index does on its own (a rebuild at Open);
	// nil discards it.
	Logger *slog.Logger
}

// Index is the search index. It implements wiki.Consumer, and is safe for
// concurrent use: searches run while Apply updates it.
type Index struct {
	// md renders pages within the wiki's budgets, to tell a bomb.
	md      *wikimd.Renderer
	dir     string
	opt     Options
	idx     bleve.Index
	mapping *mapping.IndexMappingImpl
	log     *slog.Logger

	// rebuilt says why Open threw away what was in the folder, if it did.
	rebuilt error

	// pages holds every page in the index, and for a moment more:
	// added before a batch is written, removed after. permit asks
	// CanRead about each; Suggest looks for titles in it.
	pagesMu sync.RWMutex
	pages   map[string]*entry

	// Progress of the Apply in progress (or the last one).
	done, total atomic.Int64
	building    atomic.Bool

	closeOnce sync.Once
}

var _ wiki.Consumer = (*Index)(nil)

// Keys of bleve's internal storage. The checkpoint is written in the same
// batch as the documents it covers, so it can never claim more than the
// index holds.
var (
	keyVersion    = []byte("wikiwerk.mapping")
	keyCheckpoint = []byte("wikiwerk.checkpoint")
)

// indexSubdir is the bleve index inside the folder given to Open; only it
// is ever removed, never the folder itself.
const indexSubdir = "bleve"

// Open opens the index in dir, or creates it. An index that cannot be
// opened, or that was built with another mapping version, is removed and
// created anew (Rebuilt says why); its checkpoint is then "".
func Open(dir string, opt Options) (*Index, error) {
	if opt.DefaultLang = normLang(opt.DefaultLang); opt.DefaultLang == "" {
		opt.DefaultLang = "nl"
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	im, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("search index mapping: %w", err)
	}
	ix := &Index{dir: dir, opt: opt, log: opt.Logger, md: wikimd.New()}
	path := filepath.Join(dir, indexSubdir)
	if _, err := os.Stat(path); err == nil {
		ix.idx, ix.rebuilt = openExisting(path)
		if ix.rebuilt == nil {
			// openExisting checked that it is our kind of mapping,
			// and of our version.
			ix.mapping = ix.idx.Mapping().(*mapping.IndexMappingImpl)
			if ix.rebuilt = ix.loadPages(); ix.rebuilt != nil {
				ix.idx.Close()
				ix.idx = nil
			}
		}
		if ix.rebuilt != nil {
			ix.log.Warn("search index: rebuilding", "dir", path, "reason", ix.rebuilt)
			if err := os.RemoveAll(path); err != nil {
				return nil, fmt.Errorf("remove search index %s: %w", path, err)
			}
		}
	}
	if ix.idx == nil {
		if err := ix.create(path, im); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

// create makes a new, empty index at path.
func (ix *Index) create(path string, im *mapping.IndexMappingImpl) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create search index: %w", err)
	}
	idx, err := bleve.NewUsing(path, im, scorch.Name, scorch.Name, nil)
	if err != nil {
		return fmt.Errorf("create search index %s: %w", path, err)
	}
	if err := idx.SetInternal(keyVersion, []byte(mappingVersion)); err != nil {
		idx.Close()
		return fmt.Errorf("create search index %s: %w", path, err)
	}
	ix.idx, ix.mapping, ix.pages = idx, im, map[string]*entry{}
	// Empty until the feed delivers its Reset, unless there is nothing
	// to deliver.
	if src := ix.opt.Source; src != nil {
		if snap, err := src.Snapshot(context.Background()); err == nil && snap.Head != "" {
			ix.building.Store(true)
		}
	}
	return nil
}

// openExisting opens the bleve index at path and checks that it is ours
// and readable. On any problem it returns the reason and no index.
func openExisting(path string) (bleve.Index, error) {
	idx, err := bleve.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	v, err := idx.GetInternal(keyVersion)
	if err == nil && string(v) != mappingVersion {
		err = fmt.Errorf("mapping version %q, want %q", v, mappingVersion)
	}
	if err == nil {
		if _, ok := idx.Mapping().(*mapping.IndexMappingImpl); !ok {
			err = fmt.Errorf("unexpected mapping type %T", idx.Mapping())
		}
	}
	if err != nil {
		idx.Close()
		return nil, err
	}
	return idx, nil
}

// Rebuilt returns why Open threw away the index it found, nil when it
// found none or used it.
func (ix *Index) Rebuilt() error { return ix.rebuilt }

// Close closes the index. An Apply in progress fails.
func (ix *Index) Close() error {
	var err error
	ix.closeOnce.Do(func() { err = ix.idx.Close() })
	return err
}

// Name implements wiki.Consumer.
func (ix *Index) Name() string { return "search" }

// Checkpoint implements wiki.Consumer: the commit whose pages the index
// holds, read from the index itself.
func (ix *Index) Checkpoint(ctx context.Context) (string, error) {
	v, err := ix.idx.GetInternal(keyCheckpoint)
	if err != nil {
		return "", fmt.Errorf("search index checkpoint: %w", err)
	}
	return string(v), nil
}

// Progress reports how far the index is with the change set it is
// applying: pages done out of total, and whether it is building (a reset
// or a large change is in progress, or a new index waits for its first
// change set), for an "indexing 43 %" display. When building is false the
// index is up to date with what it was given.
func (ix *Index) Progress() (done, total int, building bool) {
	return int(ix.done.Load()), int(ix.total.Load()), ix.building.Load()
}

// DocCount returns the number of pages in the index.
func (ix *Index) DocCount() (int, error) {
	n, err := ix.idx.DocCount()
	return int(n), err
}

var errNoSource = errors.New("search index has no Source to read pages from")
