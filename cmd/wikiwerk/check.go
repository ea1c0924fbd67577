package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
)

const checkUsage = `usage:
  wikiwerk check [-data DIR] [-repo PATH] [-repair]
Verifies the content repository (the branch, and every object reachable from it),
the history index against it, and the accounts database. Read-only and safe while the
server runs. With -repair, a damaged branch is restored from its reflog (or to the
newest complete commit) after saying what will be done; stop the server first.
Exit code 0: all is well; 1: problems found (or left after -repair); 2: usage.`

// checkCommand is "wikiwerk check".
type checkCommand struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func (c *checkCommand) run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("wikiwerk check", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, checkUsage) }
	dataDefault := c.getenv("WIKIWERK_DATA")
	if dataDefault == "" {
		dataDefault = "./wiki-data"
	}
	data := fs.String("data", dataDefault, "data folder")
	repoPath := fs.String("repo", c.getenv("WIKIWERK_REPO"), "the repository, when not DATA/content.git")
	repair := fs.Bool("repair", false, "restore a damaged branch from its reflog")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	repo := *repoPath
	if repo == "" {
		repo = filepath.Join(*data, "content.git")
	}
	say := func(format string, a ...any) { fmt.Fprintf(c.stdout, "… "+format+"\n", a...) }
	fmt.Fprintf(c.stdout, "checking %s\n", repo)
	rep, err := storage.Check(ctx, repo, storage.CheckOptions{
		IndexPath: filepath.Join(*data, "history.idx"),
		Repair:    *repair,
		Progress:  say,
	})
	if err != nil {
		fmt.Fprintln(c.stderr, "wikiwerk check:", err)
		return 1
	}
	for _, r := range rep.Repaired {
		fmt.Fprintln(c.stdout, "repaired:", r)
	}
	if !rep.Head.IsZero() {
		fmt.Fprintf(c.stdout, "branch main: %s; read %d commits, %d trees, %d files\n", rep.Head, rep.Commits, rep.Trees, rep.Blobs)
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(c.stdout, "note:", n)
	}
	problems := rep.Problems
	switch err := accounts.Check(accounts.PathIn(*data)); {
	case errors.Is(err, accounts.ErrInUse):
		fmt.Fprintln(c.stdout, "note: the accounts database is open in the running server; checked only when the server is stopped")
	case err != nil:
		problems = append(problems, err.Error())
	default:
		if _, statErr := os.Stat(accounts.PathIn(*data)); statErr == nil {
			fmt.Fprintln(c.stdout, "accounts database: consistent")
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(c.stdout, "PROBLEM:", p)
		}
		if !*repair && len(rep.Problems) > 0 {
			fmt.Fprintf(c.stdout, "to repair: stop the server, then run: wikiwerk check -repair -data %s\n", *data)
		}
		return 1
	}
	fmt.Fprintln(c.stdout, "all is well")
	return 0
}
