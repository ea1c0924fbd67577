package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/wikiwerk/wikiwerk/links"
	"github.com/wikiwerk/wikiwerk/search"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// openSearch opens the full-text index in DATA/search and subscribes it to
// the change feed: it catches up from its checkpoint in the background
// (a first start indexes every page) and then follows every move of main.
// Close the subscription before the index.
func (m *Main) openSearch(ctx context.Context, repo *storage.Repo) (*search.Index, wiki.Subscription, error) {
	ix, err := search.Open(filepath.Join(m.DataDir, "search"), search.Options{Source: repo, DefaultLang: m.Lang, Logger: m.log})
	if err != nil {
		return nil, nil, err
	}
	sub, err := repo.Subscribe(ctx, ix)
	if err != nil {
		ix.Close()
		return nil, nil, fmt.Errorf("subscribe the search index: %w", err)
	}
	return ix, sub, nil
}

// openLinks opens the link graph (backlinks, wanted and orphaned pages,
// tags, titles) in DATA/links and subscribes it, like openSearch. Close
// the subscription before the graph.
func (m *Main) openLinks(ctx context.Context, repo *storage.Repo) (*links.Graph, wiki.Subscription, error) {
	g, err := links.Open(filepath.Join(m.DataDir, "links"), links.Options{Source: repo, Logger: m.log})
	if err != nil {
		return nil, nil, err
	}
	sub, err := repo.Subscribe(ctx, g)
	if err != nil {
		g.Close()
		return nil, nil, fmt.Errorf("subscribe the link graph: %w", err)
	}
	return g, sub, nil
}

// langValue is the -lang flag: the language of pages whose front matter
// names none, nl or en.
type langValue struct{ p *string }

func (v langValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v langValue) Set(s string) error {
	switch s {
	case "nl", "en":
		*v.p = s
		return nil
	}
	return fmt.Errorf("the language is nl or en, not %q", s)
}
