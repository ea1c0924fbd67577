package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newWiki makes a data folder with a repository of a few commits, a key
// file and a file in a subfolder, and things that are not backed up.
func newWiki(t *testing.T) (string, *storage.Repo) {
	t.Helper()
	data := t.TempDir()
	repo, err := storage.Init(filepath.Join(data, "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	base := map[wiki.Name]string{}
	for i := range 5 {
		name := wiki.Name(fmt.Sprintf("Beleid/Pagina %d", i%3))
		res, err := repo.Commit(context.Background(), wiki.Commit{
			Author:  wiki.Author{Name: "Anna de Vries", Email: "anna@example.nl"},
			Message: fmt.Sprintf("Bewerking %d", i),
			Changes: []wiki.Change{{Name: name, Base: base[name], Content: []byte(fmt.Sprintf("# Pagina\n\nVersie %d\n", i))}},
		})
		if err != nil {
			t.Fatal(err)
		}
		base[name] = res.Revision
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(data, "csrf.key"), bytes.Repeat([]byte{7}, 32), 0o600))
	must(os.MkdirAll(filepath.Join(data, "settings"), 0o750))
	must(os.WriteFile(filepath.Join(data, "settings", "site.json"), []byte(`{"title":"Wiki"}`), 0o640))
	must(os.MkdirAll(filepath.Join(data, "search"), 0o750))
	must(os.WriteFile(filepath.Join(data, "search", "index"), []byte("rebuilt"), 0o600))
	must(os.WriteFile(filepath.Join(data, "history.idx"), []byte("rebuilt"), 0o600))
	must(os.MkdirAll(filepath.Join(data, "mail"), 0o750))
	must(os.WriteFile(filepath.Join(data, "mail", "1.eml"), []byte("old mail"), 0o600))
	return data, repo
}

func TestBackupAndRestore(t *testing.T) {
	data, repo := newWiki(t)
	snap, err := repo.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var archive bytes.Buffer
	accounts := func(_ context.Context, w io.Writer) error {
		_, err := w.Write([]byte("accounts copy"))
		return err
	}
	man, err := Write(context.Background(), &archive, Options{DataDir: data, Accounts: accounts, Gzip: true, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(man.Refs) != 1 || man.Refs[0].Name != "refs/heads/main" || man.Refs[0].Hash != snap.Head || man.Head != "refs/heads/main" {
		t.Fatalf("refs %+v head %q, want main at %s", man.Refs, man.Head, snap.Head)
	}
	var names []string
	for _, e := range man.Entries {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, " "); got != "content.bundle accounts.db data/csrf.key data/settings/site.json" {
		t.Fatalf("entries: %s", got)
	}

	target := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(context.Background(), bytes.NewReader(archive.Bytes()), target); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(target, "content.git")
	gitCmd(t, restored, "fsck", "--strict", "--no-dangling")
	if got := strings.TrimSpace(gitCmd(t, restored, "rev-parse", "HEAD")); got != snap.Head {
		t.Fatalf("restored HEAD %s, want %s", got, snap.Head)
	}
	if n := strings.Count(gitCmd(t, restored, "log", "--oneline", "main"), "\n"); n != 5 {
		t.Fatalf("restored main has %d commits, want 5", n)
	}
	for p, want := range map[string]string{"accounts.db": "accounts copy", "csrf.key": string(bytes.Repeat([]byte{7}, 32)), "settings/site.json": `{"title":"Wiki"}`} {
		got, err := os.ReadFile(filepath.Join(target, p))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v", p, got, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(target, "csrf.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("csrf.key mode %v, %v", fi.Mode(), err)
	}
	for _, p := range []string{"search", "history.idx", "mail"} {
		if _, err := os.Stat(filepath.Join(target, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was restored: %v", p, err)
		}
	}
	// storage opens the restored repository and reads the pages.
	r2, err := storage.Open(restored, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	p, err := r2.ReadPage(context.Background(), "Beleid/Pagina 1", "")
	if err != nil || !strings.Contains(string(p.Content), "Versie 4") {
		t.Fatalf("restored page: %q, %v", p.Content, err)
	}
}

// TestBundleForGit: the bundle inside is one the git CLI verifies and
// clones.
func TestBundleForGit(t *testing.T) {
	data, repo := newWiki(t)
	snap, _ := repo.Snapshot(context.Background())
	var archive bytes.Buffer
	if _, err := Write(context.Background(), &archive, Options{DataDir: data, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tarOut := filepath.Join(dir, "backup.tar")
	if err := os.WriteFile(tarOut, archive.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	gitCmd(t, dir, "init", "-q", "unpack")
	cmd := exec.Command("tar", "-xf", tarOut, "-C", filepath.Join(dir, "unpack"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	bundle := filepath.Join(dir, "unpack", "content.bundle")
	out := gitCmd(t, filepath.Join(dir, "unpack"), "bundle", "verify", bundle)
	if !strings.Contains(out, "complete history") && !strings.Contains(out, "is okay") {
		t.Fatalf("git bundle verify: %s", out)
	}
	gitCmd(t, dir, "clone", "-q", bundle, "clone")
	if got := strings.TrimSpace(gitCmd(t, filepath.Join(dir, "clone"), "rev-parse", "HEAD")); got != snap.Head {
		t.Fatalf("clone of the bundle at %s, want %s", got, snap.Head)
	}
	gitCmd(t, filepath.Join(dir, "clone"), "fsck", "--strict", "--no-dangling")
}

func TestRestoreRefusesNonEmptyFolder(t *testing.T) {
	data, _ := newWiki(t)
	var archive bytes.Buffer
	if _, err := Write(context.Background(), &archive, Options{DataDir: data, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if err := os.WriteFile(filepath.Join(target, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(context.Background(), bytes.NewReader(archive.Bytes()), target); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore into a non-empty folder: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "notes.txt")); string(b) != "mine" {
		t.Fatal("the folder's file was touched")
	}
}

// TestRestoreRefusesDamage: a changed byte anywhere makes the restore
// fail, and leaves the folder empty.
func TestRestoreRefusesDamage(t *testing.T) {
	data, _ := newWiki(t)
	var archive bytes.Buffer
	if _, err := Write(context.Background(), &archive, Options{DataDir: data, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	b := archive.Bytes()
	i := bytes.Index(b, []byte(`{"title":"Wiki"}`))
	if i < 0 {
		t.Fatal("settings file not found in the archive")
	}
	b[i+3] ^= 1
	target := filepath.Join(t.TempDir(), "restored")
	_, err := Restore(context.Background(), bytes.NewReader(b), target)
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged archive: %v", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Fatalf("a failed restore left %d entries", len(entries))
	}
	if _, err := Restore(context.Background(), bytes.NewReader(b[:len(b)/2]), filepath.Join(t.TempDir(), "cut")); err == nil {
		t.Fatal("a cut archive was restored")
	}
}

// TestRestoreRefusesHostileNames: an archive whose entries would land
// outside the folder, or in the place of the wiki's own files, is
// refused, and nothing is written outside the folder.
func TestRestoreRefusesHostileNames(t *testing.T) {
	for _, name := range []string{"data/../evil", "data//evil", "data/content.git/HEAD", "data/search/x", "/etc/evil", "data/a\\b"} {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		content := []byte("evil")
		sum := sha256.Sum256(content)
		man := Manifest{Format: formatVersion, Entries: []Entry{{Name: name, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Mode: 0o600}}}
		mj, _ := json.Marshal(man)
		tw.WriteHeader(&tar.Header{Name: manifestName, Size: int64(len(mj)), Mode: 0o600, Typeflag: tar.TypeReg})
		tw.Write(mj)
		tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(content)), Mode: 0o600, Typeflag: tar.TypeReg})
		tw.Write(content)
		tw.Close()
		parent := t.TempDir()
		target := filepath.Join(parent, "r")
		// Refused for the entry itself, not only for the missing bundle.
		if _, err := Restore(context.Background(), &b, target); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%q: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(parent, "evil")); err == nil {
			t.Errorf("%q: wrote outside the folder", name)
		}
		if entries, _ := os.ReadDir(target); len(entries) != 0 {
			t.Errorf("%q: left %d entries", name, len(entries))
		}
	}
}
