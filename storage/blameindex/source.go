package blameindex

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Store is what the index reads of the repository: a narrow part of
// wiki.Store, which *storage.Repo satisfies.
type Store interface {
	// ReadPage returns the page as of a commit; ErrNotFound when it does
	// not exist there.
	ReadPage(ctx context.Context, name wiki.Name, at string) (*wiki.Page, error)
	// ReadBlob returns a blob's content.
	ReadBlob(ctx context.Context, id string) ([]byte, error)
	// FileHistory lists the commits that changed a file, newest first,
	// following renames, with the blob after and before each.
	FileHistory(ctx context.Context, path string, q wiki.HistoryQuery) ([]wiki.PageRevision, error)
}

// Source is a Store that also names every parent of a commit. A merge
// needs them all, so that the lines it takes from its other parents keep
// their authors; wiki.Revision names the first parent only.
type Source interface {
	Store
	// Parents returns the ids of a commit's parents, first parent first;
	// ErrNotFound for an unknown commit.
	Parents(ctx context.Context, id string) ([]string, error)
}

// GitSource is a Store with Parents read from the repository's commit
// objects, through a go-git reader of its own: commits never change once
// written, so it shares nothing with the Repo and takes none of its locks.
// It is safe for concurrent use.
type GitSource struct {
	Store
	dir string

	mu sync.Mutex
	st *filesystem.Storage
}

var _ Source = (*GitSource)(nil)

// NewGitSource returns store with Parents read from the repository at
// repoDir: a bare repository, or a non-bare one whose .git folder is in
// repoDir (the folder given to storage.Open).
func NewGitSource(store Store, repoDir string) (*GitSource, error) {
	gitDir := repoDir
	if fi, err := os.Stat(filepath.Join(repoDir, ".git")); err == nil && fi.IsDir() {
		gitDir = filepath.Join(repoDir, ".git")
	}
	if _, err := os.Stat(filepath.Join(gitDir, "objects")); err != nil {
		return nil, fmt.Errorf("blame index: %s is not a git repository: %w", repoDir, err)
	}
	s := &GitSource{Store: store, dir: gitDir}
	s.st = s.open()
	return s, nil
}

func (s *GitSource) open() *filesystem.Storage {
	// Commits are small and each is read about once: a small cache. The
	// pack files stay open (a few of them): opening one per commit read
	// costs more than reading the commit.
	return filesystem.NewStorageWithOptions(osfs.New(s.dir), cache.NewObjectLRU(1<<20), filesystem.Options{MaxOpenDescriptors: 8})
}

// Parents implements Source.
func (s *GitSource) Parents(ctx context.Context, id string) ([]string, error) {
	if len(id) != 40 {
		return nil, fmt.Errorf("%w: %q is not a commit id", wiki.ErrInvalidInput, id)
	}
	h := plumbing.NewHash(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := object.GetCommit(s.st, h)
	if err != nil {
		// go-git lists the pack files once: a push or a repack since then
		// is only seen after a fresh look.
		s.st.Reindex()
		c, err = object.GetCommit(s.st, h)
	}
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("commit %s: %w", id, wiki.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, err)
	}
	out := make([]string, len(c.ParentHashes))
	for i, p := range c.ParentHashes {
		out[i] = p.String()
	}
	return out, nil
}

// Close releases the reader's files.
func (s *GitSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Close()
}
