package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// GenConfig describes the synthetic content repository that Generate builds.
type GenConfig struct {
	// Pages is the number of pages; all of them are created by the first
	// commits, as when a wiki is imported from an older one.
	Pages int
	// Commits is the number of commits reachable from main, counting the
	// merge commits and the commits they bring in.
	Commits int
	// Authors is the number of distinct authors.
	Authors int
	// Renames is the number of commits that move a page to another folder.
	Renames int
	// Merges is the number of merge commits. Each brings in 1-3 commits
	// made on a clone, shaped the way `git pull && git push` shapes them:
	// the clone's commits are the first parent, main the second.
	Merges int
	// Seed makes the repository reproducible.
	Seed uint64
}

// RepoStats describes the repository that Generate built.
type RepoStats struct {
	// Commits is the number of commits reachable from main.
	Commits int
	// Merges is the number of merge commits among them.
	Merges int
	// Renames lists the page moves, oldest first.
	Renames []Rename
	// Pages holds every page as it is at main.
	Pages []PageStat
	// BlobBytes is the uncompressed size of all page versions written.
	BlobBytes int64
}

// PageStat describes one page of the generated repository.
type PageStat struct {
	// Path is the file at main, e.g. "Afdeling 3/Onderwerp 42.md".
	Path string
	// Edits counts the commits that changed the page under any name.
	Edits int
	// EditsUnderPath counts those made under Path, the move included.
	EditsUnderPath int
	// OldPaths are the page's earlier paths, oldest first.
	OldPaths []string
}

// Rename is one page move.
type Rename struct {
	From, To string
}

const (
	// pagesPerImport is how many pages each of the first commits creates.
	pagesPerImport = 50
	// maxLines caps how long appends let a page grow.
	maxLines = 200
	// sideRef is the scratch branch that holds a clone's commits until
	// they are merged; Generate deletes it at the end.
	sideRef = "refs/heads/wikibench-side"
	// flushBytes bounds the page versions held in memory before they are
	// streamed; larger chunks give fast-import better deltas (see flush).
	flushBytes = 48 << 20
	// recentKept is how many of main's latest commits a merge can fork from.
	recentKept = 16
)

// historyStart and historySpan place the commits over ten years, so that
// dates in the wiki look like those of a long-lived public wiki.
var historyStart = time.Date(2015, 1, 5, 9, 0, 0, 0, time.FixedZone("CET", 3600))

const historySpan = 10 * 365 * 24 * time.Hour

// Generate builds a bare repository at dir with branch main as cfg
// describes, by streaming commits into `git fast-import`. dir must not
// exist yet or be empty.
func Generate(ctx context.Context, dir string, cfg GenConfig) (*RepoStats, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if _, err := runGit(ctx, "", "init", "-q", "--bare", "-b", "main", dir); err != nil {
		return nil, err
	}
	// Compression level 1 and a malloc that keeps its memory take a third
	// off fast-import's time; the pack is barely larger.
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "-c", "pack.compression=1", "fast-import", "--quiet", "--done")
	cmd.Env = append(os.Environ(), "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=8388608:glibc.malloc.trim_threshold=268435456")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("fast-import: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start git fast-import: %w", err)
	}
	g := newGenerator(cfg, stdin)
	genErr := g.run()
	closeErr := stdin.Close()
	// When fast-import dies mid-stream the write fails with a broken pipe;
	// its own stderr says why, so prefer that.
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("git fast-import: %w", ctx.Err())
		}
		return nil, fmt.Errorf("git fast-import: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err := errors.Join(genErr, closeErr); err != nil {
		return nil, fmt.Errorf("stream to git fast-import: %w", err)
	}
	if g.stats.Merges > 0 {
		if _, err := runGit(ctx, dir, "update-ref", "-d", sideRef); err != nil {
			return nil, err
		}
	}
	for _, p := range g.pages {
		g.stats.Pages = append(g.stats.Pages, PageStat{
			Path: p.path, Edits: p.edits, EditsUnderPath: p.editsUnderPath, OldPaths: p.oldPaths,
		})
	}
	return &g.stats, nil
}

// WriteCommitGraph gives the reference git CLI the commit-graph the issue
// compares against. wikiwerk must not need it, and does not read it.
func WriteCommitGraph(ctx context.Context, dir string) error {
	_, err := runGit(ctx, dir, "commit-graph", "write", "--reachable")
	return err
}

func (c GenConfig) importCommits() int { return (c.Pages + pagesPerImport - 1) / pagesPerImport }

func (c GenConfig) validate() error {
	switch {
	case c.Pages < 1:
		return fmt.Errorf("need at least 1 page, got %d", c.Pages)
	case c.Authors < 1:
		return fmt.Errorf("need at least 1 author, got %d", c.Authors)
	case c.Renames < 0 || c.Renames > c.Pages-1:
		return fmt.Errorf("renames must be between 0 and pages-1 (%d), got %d", c.Pages-1, c.Renames)
	case c.Merges < 0:
		return fmt.Errorf("merges must not be negative, got %d", c.Merges)
	}
	// Each merge takes at least two commits and needs edits before it to
	// fork from; three per merge leaves room for both.
	if min := c.importCommits() + c.Renames + 3*c.Merges + 1; c.Commits < min {
		return fmt.Errorf("%d pages, %d renames and %d merges need at least %d commits, got %d",
			c.Pages, c.Renames, c.Merges, min, c.Commits)
	}
	return nil
}

// runGit runs git in dir (or the current directory when dir is empty) and
// returns its standard output.
func runGit(ctx context.Context, dir string, args ...string) ([]byte, error) {
	if dir != "" {
		args = append([]string{"-C", dir}, args...)
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
