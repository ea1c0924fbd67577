// Package backup writes and restores a whole wiki as one archive, while
// the server runs. The archive is a tar file (gzip-compressed when asked)
// holding, in this order:
//
//	wikiwerk-backup.json   the manifest: when, which refs, every entry with its SHA-256
//	content.bundle         a git bundle (v2) of every ref of the content repository
//	accounts.db            a copy of the accounts database from one bbolt transaction
//	data/...               the other small files of the data folder (keys, settings)
//
// What the wiki rebuilds from the repository is left out: the history
// index (history.idx), the search index (search/), the link graph
// (links/), the blame index (blame.db). So is the mail queue (mail/):
// restored, it would send invitations and reset links again that were
// sent or have expired. So is the notifier's state (notify/): a live
// bbolt file that a plain copy could catch half-written; without it a
// restored wiki mails about changes made after the restore, not before
// (digests waiting at backup time are not sent). The control socket and
// temporary files are skipped too.
//
// The refs are read once, at the start, and the bundle holds exactly the
// objects they reach: the backup shows the repository as it was at that
// moment, whatever is saved while it is written. Every save acknowledged
// before the backup started is in it.
package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
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
	"time"
)

// Names inside the archive.
const (
	manifestName = "wikiwerk-backup.json"
	bundleName   = "content.bundle"
	accountsName = "accounts.db"
	dataPrefix   = "data/"
)

// formatVersion is the archive format this package writes and reads.
const formatVersion = 1

// maxDataFile is the largest other file of the data folder that is
// backed up; the folder holds keys and settings, not content.
const maxDataFile = 64 << 20

// skipped are the paths in the data folder (relative, with slashes) that
// are not backed up as files: the repository (a bundle instead), the
// accounts database (a transaction copy instead), and what is rebuilt or
// must not come back.
var skipped = map[string]bool{
	"content.git": true,
	"accounts.db": true,
	"history.idx": true,
	"search":      true,
	"links":       true,
	"blame.db":    true,
	"mail":        true,
	"notify":      true,
	// The upstream sync's staging repository is fetched again from the
	// upstream; its notices (upstream/state.json) are kept.
	"upstream/upstream.git": true,
	"wikiwerk.sock":         true,
}

// Manifest describes an archive; it is its first entry.
type Manifest struct {
	// Format is the archive format, 1.
	Format int `json:"format"`
	// Created is when the refs were read: the moment the backup shows.
	Created time.Time `json:"created"`
	// Version is the wikiwerk that wrote it.
	Version string `json:"version,omitempty"`
	// Head is the branch HEAD pointed at, e.g. "refs/heads/main".
	Head string `json:"head,omitempty"`
	// Refs are the repository's refs at that moment.
	Refs []Ref `json:"refs"`
	// Objects is the number of objects in the bundle.
	Objects int `json:"objects"`
	// Entries are the archive's other entries, in order.
	Entries []Entry `json:"entries"`
}

// Entry is one entry of the archive after the manifest.
type Entry struct {
	// Name is the entry's name in the archive.
	Name string `json:"name"`
	// Size is its length in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 of its content.
	SHA256 string `json:"sha256"`
	// Mode is the file's permission bits.
	Mode fs.FileMode `json:"mode"`
}

// Options says what to back up.
type Options struct {
	// DataDir is the wiki's data folder.
	DataDir string
	// RepoDir is the content repository; default DataDir/content.git.
	RepoDir string
	// Accounts writes a consistent copy of the accounts database to w
	// (from the running server, or from the file); nil, or one that
	// returns an error wrapping fs.ErrNotExist, means there is none.
	Accounts func(ctx context.Context, w io.Writer) error
	// Gzip compresses the archive.
	Gzip bool
	// Version is recorded in the manifest.
	Version string
	// TempDir holds the parts while they are written; default the
	// system's.
	TempDir string
}

// Write writes a backup archive to w and returns its manifest.
func Write(ctx context.Context, w io.Writer, opt Options) (*Manifest, error) {
	if opt.RepoDir == "" {
		opt.RepoDir = filepath.Join(opt.DataDir, "content.git")
	}
	gitDir := opt.RepoDir
	if fi, err := os.Stat(filepath.Join(gitDir, ".git")); err == nil && fi.IsDir() {
		gitDir = filepath.Join(gitDir, ".git")
	}
	if _, err := os.Stat(filepath.Join(gitDir, "HEAD")); err != nil {
		return nil, fmt.Errorf("backup: %s is not a git repository: %w", opt.RepoDir, err)
	}
	// A dot name, so that a walk of the data folder skips it.
	tmp, err := os.MkdirTemp(opt.TempDir, ".wikiwerk-backup-")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)

	st := openStorage(gitDir)
	// writeBundle closes it too; a second Close does nothing.
	defer st.Close()
	refs, head, err := readRefs(st)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	man := &Manifest{Format: formatVersion, Created: time.Now().UTC(), Version: opt.Version, Head: head, Refs: refs}
	type part struct {
		entry Entry
		path  string // spooled file, or
		data  []byte // content in memory
	}
	var parts []part

	bundlePath := filepath.Join(tmp, bundleName)
	var objects int
	e, err := spool(bundlePath, func(w io.Writer) error {
		var err error
		objects, err = writeBundle(ctx, gitDir, st, refs, head, w)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("backup: content repository: %w", err)
	}
	man.Objects = objects
	e.Name, e.Mode = bundleName, 0o600
	parts = append(parts, part{entry: e, path: bundlePath})

	if opt.Accounts != nil {
		accPath := filepath.Join(tmp, accountsName)
		e, err := spool(accPath, func(w io.Writer) error { return opt.Accounts(ctx, w) })
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("backup: %w", err)
		default:
			e.Name, e.Mode = accountsName, 0o600
			parts = append(parts, part{entry: e, path: accPath})
		}
	}

	err = filepath.WalkDir(opt.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(opt.DataDir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		base := path.Base(rel)
		if skipped[rel] || strings.HasPrefix(base, ".") || strings.HasSuffix(base, ".tmp") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > maxDataFile {
			return fmt.Errorf("%s is %d MiB: too large for a file of the data folder (is it in the wrong place?)", p, fi.Size()>>20)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		parts = append(parts, part{entry: Entry{Name: dataPrefix + rel, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:]), Mode: fi.Mode().Perm()}, data: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backup: data folder: %w", err)
	}

	for _, p := range parts {
		man.Entries = append(man.Entries, p.entry)
	}
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	out := w
	var gz *gzip.Writer
	if opt.Gzip {
		gz = gzip.NewWriter(w)
		out = gz
	}
	tw := tar.NewWriter(out)
	if err := writeEntry(tw, Entry{Name: manifestName, Size: int64(len(mj)), Mode: 0o600}, man.Created, bytes.NewReader(mj)); err != nil {
		return nil, err
	}
	for _, p := range parts {
		var r io.Reader
		if p.path != "" {
			f, err := os.Open(p.path)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			r = f
		} else {
			r = bytes.NewReader(p.data)
		}
		if err := writeEntry(tw, p.entry, man.Created, r); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	return man, nil
}

// spool writes what fill writes to a new file at p and returns its size
// and SHA-256.
func spool(p string, fill func(io.Writer) error) (Entry, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 256<<10)
	if err := fill(bw); err != nil {
		return Entry{}, err
	}
	if err := bw.Flush(); err != nil {
		return Entry{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return Entry{}, err
	}
	return Entry{Size: fi.Size(), SHA256: hex.EncodeToString(h.Sum(nil))}, f.Close()
}

func writeEntry(tw *tar.Writer, e Entry, when time.Time, r io.Reader) error {
	hdr := &tar.Header{Name: e.Name, Size: e.Size, Mode: int64(e.Mode.Perm()), ModTime: when, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("backup: %s: %w", e.Name, err)
	}
	n, err := io.Copy(tw, r)
	if err != nil {
		return fmt.Errorf("backup: %s: %w", e.Name, err)
	}
	if n != e.Size {
		return fmt.Errorf("backup: %s: wrote %d bytes of %d", e.Name, n, e.Size)
	}
	return nil
}
