package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wikiwerk/wikiwerk/backup"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
)

// backupMessages are the texts of wikiwerk backup and restore: {Dutch, English}.
var backupMessages = map[string][2]string{
	"backup-usage": {`gebruik:
  wikiwerk backup [-data MAP] [-repo PAD] [-gzip] -to BESTAND
Schrijft een reservekopie van de wiki naar BESTAND (tar; gzip met -gzip of een naam op .gz/.tgz;
-to - schrijft naar standaarduitvoer, voor een pijp): de inhoud als git-bundel van elke ref, een
kopie van de accounts en de sleutels en instellingen in MAP. Kan terwijl de wiki draait: de
accounts komen dan via DATA/wikiwerk.sock (draai het als de OS-gebruiker van de wiki). De kopie
toont de wiki op het moment dat de backup begon. De indexen (history.idx, search/, links/,
blame.db) zitten er niet in, want de wiki bouwt ze opnieuw; de mailwachtrij ook niet.
Een bestaand BESTAND wordt pas vervangen als de nieuwe kopie compleet is.`, `usage:
  wikiwerk backup [-data DIR] [-repo PATH] [-gzip] -to FILE
Writes a backup of the wiki to FILE (tar; gzip with -gzip or a name ending in .gz/.tgz;
-to - writes to standard output, for a pipe): the content as a git bundle of every ref, a copy
of the accounts, and the keys and settings in DIR. Works while the wiki runs: the accounts then
come through DATA/wikiwerk.sock (run it as the wiki's OS user). The copy shows the wiki as it
was when the backup started. The indexes (history.idx, search/, links/, blame.db) are left out,
as the wiki rebuilds them; so is the mail queue.
An existing FILE is replaced only once the new copy is complete.`},
	"restore-usage": {`gebruik:
  wikiwerk restore -from BESTAND [-data MAP]
Zet een reservekopie van wikiwerk backup terug in MAP, die leeg moet zijn of nog niet bestaan.
Elk onderdeel wordt gecontroleerd; daarna wordt de repository nagekeken zoals wikiwerk check doet.
Start de wiki daarna met: wikiwerk serve -data MAP (de indexen worden dan opnieuw opgebouwd).`, `usage:
  wikiwerk restore -from FILE [-data DIR]
Restores a backup made by wikiwerk backup into DIR, which must be empty or not exist yet.
Every part is verified; then the repository is checked as wikiwerk check does.
Then start the wiki with: wikiwerk serve -data DIR (it rebuilds its indexes).`},
	"err-no-to":          {"geef met -to het bestand waar de reservekopie heen moet", "give the file to write the backup to with -to"},
	"err-no-from":        {"geef met -from de reservekopie die terug moet", "give the backup to restore with -from"},
	"backup-written":     {"Reservekopie geschreven: %s (%s)", "Backup written: %s (%s)"},
	"backup-moment":      {"  moment: %s; %s op %s", "  moment: %s; %s at %s"},
	"backup-contents":    {"  %d refs, %d objecten; accounts: %s; %d andere bestanden", "  %d refs, %d objects; accounts: %s; %d other files"},
	"accounts-server":    {"van de draaiende wiki", "from the running wiki"},
	"accounts-file":      {"uit accounts.db", "from accounts.db"},
	"accounts-none":      {"geen (er is geen accounts.db)", "none (there is no accounts.db)"},
	"err-accounts-use":   {"accounts.db is in gebruik en er antwoordt geen wiki-server op %s: stop dat proces of start de wiki, en probeer het opnieuw", "accounts.db is in use and no wiki server answers on %s: stop that process or start the wiki, and try again"},
	"err-refused":        {"de draaiende wiki weigert dit commando: draai het als de OS-gebruiker van de wiki", "the running wiki refuses this command: run it as the wiki's OS user"},
	"err-not-empty":      {"%s is niet leeg: zet een reservekopie alleen terug in een lege of nieuwe map (er is niets veranderd)", "%s is not empty: restore a backup only into an empty or new folder (nothing was changed)"},
	"restored":           {"Teruggezet in %s: %s op %s, reservekopie van %s", "Restored into %s: %s at %s, backup of %s"},
	"restored-files":     {"  accounts: %s; %d andere bestanden", "  accounts: %s; %d other files"},
	"yes":                {"ja", "yes"},
	"no":                 {"nee", "no"},
	"check-clean":        {"Controle: alles in orde (%d commits, %d bestanden gelezen)", "Check: all is well (read %d commits, %d files)"},
	"check-problem":      {"PROBLEEM: %s", "PROBLEM: %s"},
	"restored-next":      {"Start de wiki met: wikiwerk serve -data %s (de indexen worden opnieuw opgebouwd)", "Start the wiki with: wikiwerk serve -data %s (it rebuilds its indexes)"},
	"err-unexpected-arg": {"onverwachte argumenten: %s", "unexpected arguments: %s"},
	"err-no-repo":        {"geen wiki in %s (er is geen %s): controleer -data of WIKIWERK_DATA", "no wiki in %s (there is no %s): check -data or WIKIWERK_DATA"},
	"err-restore":        {"de reservekopie is niet teruggezet en %s is weer leeg", "the backup was not restored, and %s is empty again"},
	"err-backup":         {"er is geen reservekopie geschreven", "no backup was written"},
	"err-inside-data":    {"schrijf de reservekopie buiten de datamap %s: anders komt elke kopie in de volgende terecht", "write the backup outside the data folder %s: else every backup ends up in the next one"},
}

// opsCommand is the common part of wikiwerk backup and restore.
type opsCommand struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// msg formats message key in the command's language.
func (c *opsCommand) msg(key string, args ...any) string {
	text := backupMessages[key][cliLang(c.getenv)]
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}

// dataDefault is -data's default: WIKIWERK_DATA, else ./wiki-data.
func (c *opsCommand) dataDefault() string {
	if d := c.getenv("WIKIWERK_DATA"); d != "" {
		return d
	}
	return "./wiki-data"
}

// fail prints err for the command name and returns exit code 1.
func (c *opsCommand) fail(name string, err error) int {
	fmt.Fprintf(c.stderr, "wikiwerk %s: %v\n", name, err)
	return 1
}

// backupCommand is "wikiwerk backup".
type backupCommand struct{ opsCommand }

func (c *backupCommand) run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("wikiwerk backup", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, c.msg("backup-usage")) }
	data := fs.String("data", c.dataDefault(), "data folder")
	repoPath := fs.String("repo", c.getenv("WIKIWERK_REPO"), "the repository, when not DATA/content.git")
	to := fs.String("to", "", "the backup file to write; - for standard output")
	gz := fs.Bool("gzip", false, "compress with gzip (also when FILE ends in .gz or .tgz)")
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
	if *to == "" {
		fmt.Fprintln(c.stderr, c.msg("err-no-to"))
		fs.Usage()
		return 2
	}
	if *to != "-" && inside(*to, *data) {
		return c.fail("backup", errors.New(c.msg("err-inside-data", *data)))
	}
	repoDir := *repoPath
	if repoDir == "" {
		repoDir = filepath.Join(*data, "content.git")
	}
	if _, err := os.Stat(repoDir); err != nil {
		return c.fail("backup", errors.New(c.msg("err-no-repo", *data, repoDir)))
	}
	compress := *gz || strings.HasSuffix(*to, ".gz") || strings.HasSuffix(*to, ".tgz")
	source := ""
	opt := backup.Options{
		DataDir: *data,
		RepoDir: *repoPath,
		Gzip:    compress,
		Version: versionString(),
		TempDir: filepath.Dir(*to),
		Accounts: func(ctx context.Context, w io.Writer) error {
			var err error
			source, err = c.copyAccounts(ctx, *data, w)
			return err
		},
	}
	var man *backup.Manifest
	var err error
	report := c.stdout
	if *to == "-" {
		// To standard output, for a pipe (restic, borg, ssh); the
		// report goes to standard error then.
		opt.TempDir = ""
		report = c.stderr
		man, err = backup.Write(ctx, c.stdout, opt)
	} else {
		man, err = writeArchive(ctx, *to, opt)
	}
	if err != nil {
		switch {
		case errors.Is(err, errForbidden):
			err = errors.New(c.msg("err-refused"))
		case errors.Is(err, accounts.ErrInUse):
			err = errors.New(c.msg("err-accounts-use", socketPath(*data)))
		}
		return c.fail("backup", fmt.Errorf("%s: %w", c.msg("err-backup"), err))
	}
	size := "-"
	if fi, err := os.Stat(*to); err == nil && *to != "-" {
		size = humanSize(fi.Size())
	}
	fmt.Fprintln(report, c.msg("backup-written", *to, size))
	head, at := headOf(man)
	fmt.Fprintln(report, c.msg("backup-moment", man.Created.Format("2006-01-02 15:04:05 MST"), head, at))
	acc := c.msg("accounts-none")
	if source != "" {
		acc = c.msg(source)
	}
	fmt.Fprintln(report, c.msg("backup-contents", len(man.Refs), man.Objects, acc, countData(man)))
	return 0
}

// writeArchive writes the archive to a temporary file beside to and
// renames it into place once it is complete and on disk, so that an
// existing backup is never replaced by a broken one.
func writeArchive(ctx context.Context, to string, opt backup.Options) (*backup.Manifest, error) {
	dir := filepath.Dir(to)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(to)+".tmp-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	man, err := backup.Write(ctx, tmp, opt)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), to)
	}
	if err == nil {
		err = syncDir(dir)
	}
	return man, err
}

// copyAccounts writes a copy of the accounts database to w: from the
// running server over the control socket, or from the file when no
// server runs. It returns the message key of where the copy came from,
// and an error wrapping fs.ErrNotExist when there is no database.
func (c *backupCommand) copyAccounts(ctx context.Context, data string, w io.Writer) (string, error) {
	client, err := dialControl(ctx, socketPath(data))
	switch {
	case err == nil:
		return "accounts-server", client.backupAccounts(ctx, w)
	case !errors.Is(err, errNoServer):
		return "", err
	}
	_, err = accounts.BackupFile(accounts.PathIn(data), w)
	if errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return "accounts-file", err
}

// headOf names the branch HEAD points at and its commit.
func headOf(man *backup.Manifest) (string, string) {
	name := strings.TrimPrefix(man.Head, "refs/heads/")
	for _, r := range man.Refs {
		if r.Name == man.Head {
			return name, r.Hash[:12]
		}
	}
	return name, "-"
}

// countData counts the data folder's files in the backup.
func countData(man *backup.Manifest) int {
	n := 0
	for _, e := range man.Entries {
		if strings.HasPrefix(e.Name, "data/") {
			n++
		}
	}
	return n
}

// hasAccounts reports whether the backup holds an accounts database.
func hasAccounts(man *backup.Manifest) bool {
	for _, e := range man.Entries {
		if e.Name == "accounts.db" {
			return true
		}
	}
	return false
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// inside reports whether path p lies in folder dir.
func inside(p, dir string) bool {
	ap, err1 := filepath.Abs(p)
	ad, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(ad, ap)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
