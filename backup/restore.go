package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// ErrNotEmpty is returned by Restore for a data folder that holds
// something: a restore never mixes with or overwrites a wiki.
var ErrNotEmpty = errors.New("the data folder is not empty")

// maxManifest bounds the manifest entry.
const maxManifest = 16 << 20

// Restore unpacks the archive read from r into dataDir, which must be
// missing or empty, and returns its manifest. Every entry is checked
// against the manifest's SHA-256, and the repository against the refs:
// when anything is wrong, what was unpacked is removed again and an error
// returned. The wiki rebuilds its indexes on its first start.
func Restore(ctx context.Context, r io.Reader, dataDir string) (man *Manifest, err error) {
	if err := requireEmpty(dataDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer func() {
		if err != nil {
			removeContents(dataDir)
		}
	}()
	br := bufio.NewReaderSize(r, 64<<10)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		defer gz.Close()
		in = gz
	}
	tr := tar.NewReader(in)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName {
		return nil, fmt.Errorf("restore: not a wikiwerk backup (no %s at the start)", manifestName)
	}
	mj, err := io.ReadAll(io.LimitReader(tr, maxManifest))
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	man = &Manifest{}
	if err := json.Unmarshal(mj, man); err != nil {
		return nil, fmt.Errorf("restore: manifest: %w", err)
	}
	if man.Format != formatVersion {
		return nil, fmt.Errorf("restore: archive format %d, this wikiwerk reads format %d", man.Format, formatVersion)
	}
	want := map[string]Entry{}
	for _, e := range man.Entries {
		want[e.Name] = e
	}
	seen := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		e, ok := want[hdr.Name]
		if !ok || seen[hdr.Name] || hdr.Typeflag != tar.TypeReg || hdr.Size != e.Size {
			return nil, fmt.Errorf("restore: unexpected entry %q in the archive", hdr.Name)
		}
		seen[hdr.Name] = true
		sum := sha256.New()
		body := io.TeeReader(tr, sum)
		switch {
		case e.Name == bundleName:
			err = restoreRepo(filepath.Join(dataDir, "content.git"), body, man)
		case e.Name == accountsName:
			err = writeFile(filepath.Join(dataDir, "accounts.db"), body, 0o600)
		case strings.HasPrefix(e.Name, dataPrefix):
			var p string
			if p, err = dataPath(dataDir, strings.TrimPrefix(e.Name, dataPrefix)); err == nil {
				err = writeFile(p, body, e.Mode.Perm()&0o700)
			}
		default:
			err = errors.New("unknown entry")
		}
		if err == nil {
			// Whatever the reader of the part left unread counts too.
			_, err = io.Copy(io.Discard, body)
		}
		if err != nil {
			return nil, fmt.Errorf("restore: %s: %w", e.Name, err)
		}
		if got := hex.EncodeToString(sum.Sum(nil)); got != e.SHA256 {
			return nil, fmt.Errorf("restore: %s is damaged (SHA-256 %s, the manifest says %s)", e.Name, got, e.SHA256)
		}
	}
	for _, e := range man.Entries {
		if !seen[e.Name] {
			return nil, fmt.Errorf("restore: the archive is cut short: %s is missing", e.Name)
		}
	}
	if !seen[bundleName] {
		return nil, errors.New("restore: the archive holds no content repository")
	}
	return man, nil
}

// requireEmpty fails unless dir is missing or an empty folder.
func requireEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore into %s: %w", dir, ErrNotEmpty)
	}
	return nil
}

// removeContents removes what a failed restore put into dir.
func removeContents(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// dataPath is where a data file of the archive goes; names that would
// leave the folder are refused.
func dataPath(dataDir, rel string) (string, error) {
	clean := path.Clean(rel)
	if rel == "" || clean != rel || path.IsAbs(rel) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(rel, "\\") {
		return "", fmt.Errorf("bad file name %q", rel)
	}
	if skipped[strings.SplitN(clean, "/", 2)[0]] {
		return "", fmt.Errorf("the file %q would take the place of the wiki's own", rel)
	}
	p := filepath.Join(dataDir, filepath.FromSlash(clean))
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", err
	}
	return p, nil
}

// writeFile writes r to a new file at p and syncs it.
func writeFile(p string, r io.Reader, perm fs.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// restoreRepo makes a bare repository at dir from the bundle in r: its
// pack becomes the repository's pack, its refs the refs, and HEAD points
// at the branch it pointed at.
func restoreRepo(dir string, r io.Reader, man *Manifest) error {
	br := bufio.NewReaderSize(r, 64<<10)
	h, err := readBundleHeader(br)
	if err != nil {
		return err
	}
	if !sameRefs(h.refs, man.Refs) {
		return errors.New("the bundle's refs differ from the manifest's")
	}
	branch := plumbing.ReferenceName(man.Head)
	if branch == "" || branch.Validate() != nil || !strings.HasPrefix(string(branch), "refs/heads/") {
		branch = plumbing.NewBranchReferenceName("main")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	st := filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRU(16<<20), filesystem.Options{})
	defer st.Close()
	if _, err := git.InitWithOptions(st, nil, git.InitOptions{DefaultBranch: branch}); err != nil {
		return fmt.Errorf("init %s: %w", dir, err)
	}
	if err := packfile.UpdateObjectStorage(st, br); err != nil {
		return fmt.Errorf("unpack the bundle: %w", err)
	}
	for _, ref := range h.refs {
		if err := st.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(ref.Name), plumbing.NewHash(ref.Hash))); err != nil {
			return fmt.Errorf("set %s: %w", ref.Name, err)
		}
	}
	if err := st.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, branch)); err != nil {
		return err
	}
	// A fresh view, so that the pack just written is read from disk.
	check := filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRU(16<<20), filesystem.Options{})
	defer check.Close()
	return checkReachable(check, h.refs)
}

func sameRefs(a, b []Ref) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]string{}
	for _, r := range a {
		m[r.Name] = r.Hash
	}
	for _, r := range b {
		if m[r.Name] != r.Hash {
			return false
		}
	}
	return true
}
