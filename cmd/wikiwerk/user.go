package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

const userUsage = `usage:
  wikiwerk user add [-data DIR] [-role reader|editor|admin] [-name "Full Name"] [-email E] [-groups a,b] USER
  wikiwerk user list [-data DIR]
  wikiwerk user passwd [-data DIR] USER
  wikiwerk user disable [-data DIR] [-enable] USER
  wikiwerk user role [-data DIR] USER reader|editor|admin
  wikiwerk user groups [-data DIR] USER a,b      ("" removes all groups)
add and passwd read the password as one line from standard input, e.g.
  read -rs PW && printf '%s\n' "$PW" | wikiwerk user add -role admin anna
-data defaults to $WIKIWERK_DATA, else ./wiki-data. The accounts are in DATA/accounts.db,
which one process at a time may open: stop the server first.`

// cliActor is the actor the audit log records for changes made here.
var cliActor = wiki.Actor{Name: "cli"}

// userCommand is "wikiwerk user": account management from the command
// line, working directly on DATA/accounts.db.
type userCommand struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// options open the store; tests lower the hashing cost.
	options accounts.Options
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// run runs "wikiwerk user ARGS" and returns the exit code.
func (c *userCommand) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(c.stderr, "%s\n", userUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	var err error
	switch sub {
	case "add":
		err = c.add(ctx, args)
	case "list":
		err = c.list(ctx, args)
	case "passwd":
		err = c.passwd(ctx, args)
	case "disable":
		err = c.disable(ctx, args)
	case "role":
		err = c.role(ctx, args)
	case "groups":
		err = c.groups(ctx, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprintf(c.stdout, "%s\n", userUsage)
		return 0
	default:
		err = usagef("unknown command %q", sub)
	}
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(c.stderr, "wikiwerk user %s: %v\n%s\n", sub, err, userUsage)
		return 2
	default:
		fmt.Fprintf(c.stderr, "wikiwerk user %s: %v\n", sub, err)
		return 1
	}
}

// flags starts the flag set of a subcommand, with -data.
func (c *userCommand) flags(sub string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("wikiwerk user "+sub, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintf(c.stderr, "%s\n", userUsage) }
	dataDir := "./wiki-data"
	if v := c.getenv("WIKIWERK_DATA"); v != "" {
		dataDir = v
	}
	data := fs.String("data", dataDir, "data folder (environment WIKIWERK_DATA)")
	return fs, data
}

// parse parses args, allowing flags after the arguments too
// ("user add anna -role admin"), and checks the number of arguments.
func parse(fs *flag.FlagSet, args []string, want ...string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != len(want) {
		return nil, usagef("want %s, got %d argument(s)", strings.Join(want, " "), len(pos))
	}
	return pos, nil
}

// open opens the accounts database of the data folder. Only add creates
// it: for the other commands a missing file means a wrong -data.
func (c *userCommand) open(dataDir string, create bool) (*accounts.Store, error) {
	path := accounts.PathIn(dataDir)
	if create {
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
	} else if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no accounts in %s (there is no %s): check -data or WIKIWERK_DATA, or create the first account with: wikiwerk user add -data %s -role admin NAME", dataDir, path, dataDir)
	}
	s, err := accounts.OpenWith(path, c.options)
	if errors.Is(err, accounts.ErrInUse) {
		return nil, fmt.Errorf("%w: stop the wiki server (or the other wikiwerk user command) and try again", err)
	}
	return s, err
}

// readPassword reads the password: from a prompt without echo when
// standard input is a terminal (asked twice, to catch typos), else as one
// line from standard input, for scripts.
func (c *userCommand) readPassword() (string, error) {
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		fmt.Fprint(c.stderr, "Password again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		if len(first) == 0 || len(first) > accounts.MaxPasswordBytes {
			return "", fmt.Errorf("the password must have 1 to %d bytes", accounts.MaxPasswordBytes)
		}
		return string(first), nil
	}
	// One byte more than allowed, plus a CR LF, tells "too long" apart.
	r := bufio.NewReader(io.LimitReader(c.stdin, accounts.MaxPasswordBytes+3))
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	switch {
	case line == "":
		return "", errors.New("no password on standard input (give it as one line)")
	case len(line) > accounts.MaxPasswordBytes:
		return "", fmt.Errorf("the password is longer than %d bytes", accounts.MaxPasswordBytes)
	}
	return line, nil
}

func splitGroups(s string) []string {
	var groups []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	return groups
}

func (c *userCommand) add(ctx context.Context, args []string) error {
	fs, data := c.flags("add")
	roleName := fs.String("role", "reader", "reader, editor or admin")
	display := fs.String("name", "", "display name, recorded as commit author")
	email := fs.String("email", "", "e-mail address, recorded as commit author")
	groups := fs.String("groups", "", "comma-separated groups")
	pos, err := parse(fs, args, "USER")
	if err != nil {
		return err
	}
	role, err := wiki.ParseRole(*roleName)
	if err != nil {
		return usageError{err.Error()}
	}
	password, err := c.readPassword()
	if err != nil {
		return err
	}
	s, err := c.open(*data, true)
	if err != nil {
		return err
	}
	defer s.Close()
	u, err := s.CreateBy(ctx, cliActor, wiki.User{
		Name: pos[0], DisplayName: *display, Email: *email, Role: role, Groups: splitGroups(*groups),
	}, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created %s (%s)\n", u.Name, u.Role)
	return nil
}

func (c *userCommand) list(ctx context.Context, args []string) error {
	fs, data := c.flags("list")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	s, err := c.open(*data, false)
	if err != nil {
		return err
	}
	defer s.Close()
	users, err := s.List(ctx)
	if err != nil {
		return err
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tDISPLAY NAME\tE-MAIL\tROLE\tGROUPS\tDISABLED")
	for _, u := range users {
		disabled := "no"
		if u.Disabled {
			disabled = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, dash(u.DisplayName), dash(u.Email), u.Role, dash(strings.Join(u.Groups, ",")), disabled)
	}
	return w.Flush()
}

func (c *userCommand) passwd(ctx context.Context, args []string) error {
	fs, data := c.flags("passwd")
	pos, err := parse(fs, args, "USER")
	if err != nil {
		return err
	}
	password, err := c.readPassword()
	if err != nil {
		return err
	}
	s, err := c.open(*data, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetPassword(ctx, cliActor, pos[0], password); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password of %s changed; their sessions have ended\n", pos[0])
	return nil
}

func (c *userCommand) disable(ctx context.Context, args []string) error {
	fs, data := c.flags("disable")
	enable := fs.Bool("enable", false, "enable the account again")
	pos, err := parse(fs, args, "USER")
	if err != nil {
		return err
	}
	s, err := c.open(*data, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetDisabled(ctx, cliActor, pos[0], !*enable); err != nil {
		return err
	}
	if *enable {
		fmt.Fprintf(c.stdout, "%s enabled\n", pos[0])
	} else {
		fmt.Fprintf(c.stdout, "%s disabled; their sessions and tokens no longer work\n", pos[0])
	}
	return nil
}

func (c *userCommand) role(ctx context.Context, args []string) error {
	fs, data := c.flags("role")
	pos, err := parse(fs, args, "USER", "ROLE")
	if err != nil {
		return err
	}
	role, err := wiki.ParseRole(pos[1])
	if err != nil {
		return usageError{err.Error()}
	}
	s, err := c.open(*data, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetRole(ctx, cliActor, pos[0], role); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s is now %s\n", pos[0], role)
	return nil
}

func (c *userCommand) groups(ctx context.Context, args []string) error {
	fs, data := c.flags("groups")
	pos, err := parse(fs, args, "USER", "GROUPS")
	if err != nil {
		return err
	}
	s, err := c.open(*data, false)
	if err != nil {
		return err
	}
	defer s.Close()
	groups := splitGroups(pos[1])
	if err := s.SetGroups(ctx, cliActor, pos[0], groups); err != nil {
		return err
	}
	if len(groups) == 0 {
		fmt.Fprintf(c.stdout, "%s is in no groups\n", pos[0])
	} else {
		fmt.Fprintf(c.stdout, "%s is in %s\n", pos[0], strings.Join(groups, ", "))
	}
	return nil
}
