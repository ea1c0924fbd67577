package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wikiwerk/wikiwerk/backup"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
)

// restoreCommand is "wikiwerk restore".
type restoreCommand struct{ opsCommand }

func (c *restoreCommand) run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("wikiwerk restore", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, c.msg("restore-usage")) }
	data := fs.String("data", c.dataDefault(), "the empty data folder to restore into")
	from := fs.String("from", "", "the backup file to restore")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(c.stderr, c.msg("err-unexpected-arg", strings.Join(fs.Args(), " ")))
		return 2
	}
	if *from == "" {
		fmt.Fprintln(c.stderr, c.msg("err-no-from"))
		fs.Usage()
		return 2
	}
	f, err := os.Open(*from)
	if err != nil {
		return c.fail("restore", err)
	}
	defer f.Close()
	man, err := backup.Restore(ctx, f, *data)
	if errors.Is(err, backup.ErrNotEmpty) {
		return c.fail("restore", errors.New(c.msg("err-not-empty", *data)))
	}
	if err != nil {
		return c.fail("restore", fmt.Errorf("%s: %w", c.msg("err-restore", *data), err))
	}
	head, at := headOf(man)
	fmt.Fprintln(c.stdout, c.msg("restored", *data, head, at, man.Created.Format("2006-01-02 15:04:05 MST")))
	acc := c.msg("no")
	if hasAccounts(man) {
		acc = c.msg("yes")
	}
	fmt.Fprintln(c.stdout, c.msg("restored-files", acc, countData(man)))
	// The same checks as wikiwerk check, so that a restore drill proves
	// the copy in one step.
	rep, err := storage.Check(ctx, filepath.Join(*data, "content.git"), storage.CheckOptions{})
	if err != nil {
		return c.fail("restore", err)
	}
	problems := rep.Problems
	if err := accounts.Check(accounts.PathIn(*data)); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(c.stdout, c.msg("check-problem", p))
		}
		return 1
	}
	fmt.Fprintln(c.stdout, c.msg("check-clean", rep.Commits, rep.Blobs))
	fmt.Fprintln(c.stdout, c.msg("restored-next", *data))
	return 0
}
