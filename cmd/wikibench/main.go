// Command wikibench measures how wikiwerk's history features scale. It
// builds a synthetic content repository with `git fast-import` (by default
// 1,000 pages and 100,000 commits by 8 authors, with renames and merges),
// starts wikiwerk on it, and prints one Markdown table that sets each
// measurement beside the git CLI doing the same work in the same run:
// page history, blame, recent changes, a page view, start-up with a cold
// and a warm index, and peak memory.
//
//	go run ./cmd/wikibench           # the full run, a few minutes
//	go run ./cmd/wikibench -quick    # 100 pages, 5,000 commits: a smoke test
//
// Run it from inside the wikiwerk module (it builds ./cmd/wikiwerk) or pass
// -bin. It needs the git CLI. Progress goes to standard error, the report
// to standard output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A reader that goes away (| head) must not kill wikibench before it
	// has removed its temporary folder; the write error is enough.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags, runs the benchmark and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "wikibench:", err)
		return 2
	}
	if err := newBench(cfg, stderr).run(ctx, stdout); err != nil {
		fmt.Fprintln(stderr, "wikibench:", err)
		return 1
	}
	return 0
}

// config is what the flags ask for.
type config struct {
	// Gen describes the synthetic repository.
	Gen GenConfig
	// Out is the working folder; empty means a temporary one.
	Out string
	// Keep keeps a temporary working folder instead of removing it.
	Keep bool
	// Bin is a prebuilt wikiwerk binary; empty means build one.
	Bin string
	// Rev, when set, builds wikiwerk from that git revision of the module
	// instead of from the working tree.
	Rev string
	// Reps is how many timed repetitions each measurement gets at most.
	Reps int
	// Budget is the time after which a measurement stops repeating once it
	// has three repetitions, so that slow reference calls (git blame on a
	// long history) cannot blow the five-minute bound.
	Budget time.Duration
	// StartTimeout bounds each wait for the server to answer.
	StartTimeout time.Duration
	// Timeout bounds the whole run.
	Timeout time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("wikibench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.Gen.Pages, "pages", 1000, "number of pages")
	fs.IntVar(&c.Gen.Commits, "commits", 100000, "number of commits reachable from main")
	fs.IntVar(&c.Gen.Authors, "authors", 8, "number of authors")
	fs.IntVar(&c.Gen.Renames, "renames", 20, "number of page moves")
	fs.IntVar(&c.Gen.Merges, "merges", -1, "number of merge commits (default one per 2,000 commits)")
	fs.Uint64Var(&c.Gen.Seed, "seed", 1, "random seed of the generated repository")
	fs.StringVar(&c.Out, "out", "", "working folder for the repository, data and binary (default a temporary folder, removed afterwards unless -keep; a folder given here is kept)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the temporary working folder")
	fs.StringVar(&c.Bin, "bin", "", "prebuilt wikiwerk binary (default: go build ./cmd/wikiwerk from the module root)")
	fs.StringVar(&c.Rev, "rev", "", "build wikiwerk from this git revision (exported with git archive) instead of the working tree, e.g. HEAD")
	fs.IntVar(&c.Reps, "reps", 20, "timed repetitions per measurement, after a warm-up")
	fs.DurationVar(&c.Budget, "budget", 10*time.Second, "time per measurement after which it stops at 3 or more repetitions")
	fs.DurationVar(&c.StartTimeout, "start-timeout", 150*time.Second, "longest wait for the server to start")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "bound on the whole run")
	quick := fs.Bool("quick", false, "a small run for smoke tests: 100 pages, 5,000 commits, 5 renames, shorter budget")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *quick {
		// Flags given explicitly still win over the quick defaults.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["pages"] {
			c.Gen.Pages = 100
		}
		if !set["commits"] {
			c.Gen.Commits = 5000
		}
		if !set["renames"] {
			c.Gen.Renames = 5
		}
		if !set["budget"] {
			c.Budget = 2 * time.Second
		}
	}
	if c.Gen.Merges < 0 {
		c.Gen.Merges = c.Gen.Commits / 2000
	}
	if c.Bin != "" && c.Rev != "" {
		return c, fmt.Errorf("-bin and -rev exclude each other")
	}
	if c.Reps < 1 {
		return c, fmt.Errorf("-reps must be at least 1")
	}
	return c, c.Gen.validate()
}
