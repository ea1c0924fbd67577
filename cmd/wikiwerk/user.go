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

// userUsage is the help of the command, in the command's language.
func (c *userCommand) userUsage() string { return c.msg("usage") + "\n" + c.twoFactorMsg("2fa-usage") }

// cliActor is the actor the audit log records for changes made here.
var cliActor = wiki.Actor{Name: "cli"}

// userCommand is "wikiwerk user": account management from the command
// line, through the running server's control socket or, when no server
// runs, directly on DATA/accounts.db.
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
		fmt.Fprintf(c.stderr, "%s\n", c.userUsage())
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
	case "2fa-reset":
		err = c.resetTwoFactor(ctx, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprintf(c.stdout, "%s\n", c.userUsage())
		return 0
	default:
		err = usagef(c.msg("err-unknown-command"), sub)
	}
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(c.stderr, "wikiwerk user %s: %v\n%s\n", sub, err, c.userUsage())
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
	fs.Usage = func() { fmt.Fprintf(c.stderr, "%s\n", c.userUsage()) }
	dataDir := "./wiki-data"
	if v := c.getenv("WIKIWERK_DATA"); v != "" {
		dataDir = v
	}
	data := fs.String("data", dataDir, "data folder (environment WIKIWERK_DATA)")
	return fs, data
}

// parse parses args, allowing flags after the arguments too
// ("user add anna -role admin"), and checks the number of arguments.
func (c *userCommand) parse(fs *flag.FlagSet, args []string, want ...string) ([]string, error) {
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
		return nil, usagef(c.msg("err-arguments"), strings.Join(want, " "), len(pos))
	}
	return pos, nil
}

// connect returns the account operations for a data folder: the running
// server's, over its control socket, or else the accounts database opened
// directly. remote says which. Only add creates the database: for the
// other commands a missing file means a wrong -data.
func (c *userCommand) connect(ctx context.Context, dataDir string, create bool) (ops userOps, remote bool, done func(), err error) {
	sock := socketPath(dataDir)
	cc, err := dialControl(ctx, sock)
	switch {
	case err == nil:
		return cc, true, cc.client.CloseIdleConnections, nil
	case !errors.Is(err, errNoServer):
		return nil, false, nil, err
	}
	path := accounts.PathIn(dataDir)
	if create {
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, false, nil, fmt.Errorf("%s: %w", c.msg("data-folder"), err)
		}
	} else if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, false, nil, errors.New(c.msg("err-no-accounts", dataDir, path, dataDir))
	}
	s, err := accounts.OpenWith(path, c.options)
	if errors.Is(err, accounts.ErrInUse) {
		return nil, false, nil, fmt.Errorf("%s (%w)", c.msg("err-in-use", sock), err)
	}
	if err != nil {
		return nil, false, nil, err
	}
	return s, false, func() { s.Close() }, nil
}

// report prints what the command did, and that the running server has it.
func (c *userCommand) report(remote bool, key string, args ...any) {
	line := c.msg(key, args...)
	if remote {
		line += " " + c.msg("via-server")
	}
	fmt.Fprintln(c.stdout, line)
}

// failed puts the error of an operation on account name in the command's
// language.
func (c *userCommand) failed(name string, err error) error {
	if errors.Is(err, errForbidden) {
		return fmt.Errorf("%s (%w)", c.msg("err-refused"), err)
	}
	return c.explain(name, err)
}

// readPassword reads the password: from a prompt without echo when
// standard input is a terminal (asked twice, to catch typos), else as one
// line from standard input, for scripts.
func (c *userCommand) readPassword() (string, error) {
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, c.msg("prompt-password"))
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("%s: %w", c.msg("err-read-password"), err)
		}
		fmt.Fprint(c.stderr, c.msg("prompt-again"))
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("%s: %w", c.msg("err-read-password"), err)
		}
		if string(first) != string(second) {
			return "", errors.New(c.msg("err-passwords-differ"))
		}
		if len(first) == 0 || len(first) > accounts.MaxPasswordBytes {
			return "", errors.New(c.msg("err-password-size", accounts.MaxPasswordBytes))
		}
		return string(first), nil
	}
	// One byte more than allowed, plus a CR LF, tells "too long" apart.
	r := bufio.NewReader(io.LimitReader(c.stdin, accounts.MaxPasswordBytes+3))
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s: %w", c.msg("err-read-stdin"), err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	switch {
	case line == "":
		return "", errors.New(c.msg("err-no-password"))
	case len(line) > accounts.MaxPasswordBytes:
		return "", errors.New(c.msg("err-password-long", accounts.MaxPasswordBytes))
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
	pos, err := c.parse(fs, args, "USER")
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
	s, remote, done, err := c.connect(ctx, *data, true)
	if err != nil {
		return err
	}
	defer done()
	u, err := s.CreateBy(ctx, cliActor, wiki.User{
		Name: pos[0], DisplayName: *display, Email: *email, Role: role, Groups: splitGroups(*groups),
	}, password)
	if err != nil {
		return c.failed(pos[0], err)
	}
	c.report(remote, "created", u.Name, u.Role)
	return nil
}

func (c *userCommand) list(ctx context.Context, args []string) error {
	fs, data := c.flags("list")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	s, _, done, err := c.connect(ctx, *data, false)
	if err != nil {
		return err
	}
	defer done()
	users, err := s.List(ctx)
	if err != nil {
		return c.failed("", err)
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, c.msg("list-header"))
	for _, u := range users {
		disabled := c.msg("no")
		if u.Disabled {
			disabled = c.msg("yes")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, dash(u.DisplayName), dash(u.Email), u.Role, dash(strings.Join(u.Groups, ",")), disabled)
	}
	return w.Flush()
}

func (c *userCommand) passwd(ctx context.Context, args []string) error {
	fs, data := c.flags("passwd")
	pos, err := c.parse(fs, args, "USER")
	if err != nil {
		return err
	}
	password, err := c.readPassword()
	if err != nil {
		return err
	}
	s, remote, done, err := c.connect(ctx, *data, false)
	if err != nil {
		return err
	}
	defer done()
	if err := s.SetPassword(ctx, cliActor, pos[0], password); err != nil {
		return c.failed(pos[0], err)
	}
	c.report(remote, "passwd", pos[0])
	return nil
}

func (c *userCommand) disable(ctx context.Context, args []string) error {
	fs, data := c.flags("disable")
	enable := fs.Bool("enable", false, "enable the account again")
	pos, err := c.parse(fs, args, "USER")
	if err != nil {
		return err
	}
	s, remote, done, err := c.connect(ctx, *data, false)
	if err != nil {
		return err
	}
	defer done()
	if err := s.SetDisabled(ctx, cliActor, pos[0], !*enable); err != nil {
		return c.failed(pos[0], err)
	}
	if *enable {
		c.report(remote, "enabled", pos[0])
	} else {
		c.report(remote, "disabled", pos[0])
	}
	return nil
}

func (c *userCommand) role(ctx context.Context, args []string) error {
	fs, data := c.flags("role")
	pos, err := c.parse(fs, args, "USER", "ROLE")
	if err != nil {
		return err
	}
	role, err := wiki.ParseRole(pos[1])
	if err != nil {
		return usageError{err.Error()}
	}
	s, remote, done, err := c.connect(ctx, *data, false)
	if err != nil {
		return err
	}
	defer done()
	if err := s.SetRole(ctx, cliActor, pos[0], role); err != nil {
		return c.failed(pos[0], err)
	}
	c.report(remote, "role", pos[0], role)
	return nil
}

func (c *userCommand) groups(ctx context.Context, args []string) error {
	fs, data := c.flags("groups")
	pos, err := c.parse(fs, args, "USER", "GROUPS")
	if err != nil {
		return err
	}
	s, remote, done, err := c.connect(ctx, *data, false)
	if err != nil {
		return err
	}
	defer done()
	groups := splitGroups(pos[1])
	if err := s.SetGroups(ctx, cliActor, pos[0], groups); err != nil {
		return c.failed(pos[0], err)
	}
	if len(groups) == 0 {
		c.report(remote, "no-groups", pos[0])
	} else {
		c.report(remote, "groups", pos[0], strings.Join(groups, ", "))
	}
	return nil
}
