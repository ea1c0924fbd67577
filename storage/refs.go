package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
)

// Moving the branch durably.
//
// go-git rewrites a ref file in place (truncate, then write) and never
// fsyncs: a crash in between leaves refs/heads/main empty, and the objects
// it names may not have reached the disk. The wiki moves its branch the way
// git does instead:
//
//  1. every object the new commit needs is fsynced (the loose files and
//     their folders, or the pack and its index);
//  2. refs/heads/main.lock is created exclusively, which also keeps a git
//     process working on the same repository out;
//  3. the current value is compared with the expected old one (the
//     compare-and-swap that keeps concurrent writers from overwriting each
//     other);
//  4. the new id is written to the lock file and fsynced, the move is
//     appended to the reflog logs/refs/heads/main (fsynced), and the lock
//     file is renamed over the ref, and the folder fsynced.
//
// A crash at any point leaves the ref naming either the old commit or the
// new one, and the new one only once everything it needs is on disk.

// errRefLocked says another process holds the branch's lock file.
var errRefLocked = errors.New("the branch is locked by another process")

// refMove is one move of the branch, for the reflog.
type refMove struct {
	old, new plumbing.Hash
	who      object.Signature
	// message is the reflog's text, e.g. "commit: Update Home".
	message string
}

// refPath is the loose ref file of the branch.
func (r *Repo) refPath() string {
	return filepath.Join(r.gitDir, filepath.FromSlash(r.branch.String()))
}

// moveBranchLocked moves the branch from m.old to m.new (zero old: the
// branch must not exist yet) after the objects named in synced were made
// durable by the caller. It returns storageRefChanged when the branch no
// longer points at m.old. Callers hold gitMu.
func (r *Repo) moveBranchLocked(m refMove) error {
	return r.moveRefLocked(r.branch, m)
}

// moveRefLocked moves any ref the way moveBranchLocked moves the branch:
// proposals and the wiki's own records (sidebranch.go) are as durable as
// main. Callers hold gitMu.
func (r *Repo) moveRefLocked(name plumbing.ReferenceName, m refMove) error {
	ref := filepath.Join(r.gitDir, filepath.FromSlash(name.String()))
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", name, err))
	}
	lock := ref + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("update %s: %w (%s exists; if no git command is running, remove it)", name, errRefLocked, lock)
	}
	if err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", name, err))
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(lock)
		}
	}()
	// The compare half of compare-and-swap, now that nobody else can
	// write the ref.
	cur, err := r.refLocked(name)
	if err != nil {
		return err
	}
	if cur != m.old {
		return storageRefChanged
	}
	if _, err := f.WriteString(m.new.String() + "\n"); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", name, err))
	}
	if err := f.Sync(); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", name, err))
	}
	if err := f.Close(); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", name, err))
	}
	if err := r.appendRefLog(name, m); err != nil {
		return err
	}
	if err := os.Rename(lock, ref); err != nil {
		return fsutil.Classify(fmt.Errorf("update %s: %w", name, err))
	}
	committed = true
	if err := fsutil.SyncDir(filepath.Dir(ref)); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return nil
}

// refLocked returns the commit a ref points at, zero if it does not exist.
func (r *Repo) refLocked(name plumbing.ReferenceName) (plumbing.Hash, error) {
	if name == r.branch {
		return r.headLocked()
	}
	ref, err := r.st.Reference(name)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", name, err)
	}
	return ref.Hash(), nil
}

// appendReflog appends the move to logs/refs/heads/<branch> in git's
// format: "<old> <new> <name> <<email>> <unix time> <zone>\t<message>\n".
func (r *Repo) appendReflog(m refMove) error { return r.appendRefLog(r.branch, m) }

// appendRefLog is appendReflog for any ref.
func (r *Repo) appendRefLog(name plumbing.ReferenceName, m refMove) error {
	path := filepath.Join(r.gitDir, "logs", filepath.FromSlash(name.String()))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fsutil.Classify(fmt.Errorf("reflog: %w", err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fsutil.Classify(fmt.Errorf("reflog: %w", err))
	}
	when := m.who.When
	if when.IsZero() {
		when = time.Now()
	}
	line := fmt.Sprintf("%s %s %s <%s> %d %s\t%s\n", m.old, m.new,
		oneLine(m.who.Name), oneLine(m.who.Email), when.Unix(), when.Format("-0700"), oneLine(m.message))
	_, werr := f.WriteString(line)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fsutil.Classify(fmt.Errorf("reflog: %w", err))
	}
	return nil
}

// oneLine keeps a reflog field on its line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// ReflogEntry is one line of the branch's reflog.
type ReflogEntry struct {
	Old, New plumbing.Hash
	Who      string
	Time     time.Time
	Message  string
}

// readReflog reads the branch's reflog, oldest first. A missing reflog is
// empty; a torn last line (a crash while appending) is skipped.
func readReflog(gitDir string, branch plumbing.ReferenceName) ([]ReflogEntry, error) {
	b, err := os.ReadFile(filepath.Join(gitDir, "logs", filepath.FromSlash(branch.String())))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []ReflogEntry
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(line) < 83 {
			continue
		}
		e := ReflogEntry{Old: plumbing.NewHash(string(line[:40])), New: plumbing.NewHash(string(line[41:81]))}
		if e.New.String() != string(line[41:81]) {
			continue
		}
		rest := string(line[82:])
		head, msg, _ := strings.Cut(rest, "\t")
		e.Message = msg
		if i := strings.LastIndex(head, "> "); i >= 0 {
			e.Who = head[:i+1]
			var sec int64
			var zone string
			if _, err := fmt.Sscanf(head[i+2:], "%d %s", &sec, &zone); err == nil {
				e.Time = time.Unix(sec, 0)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// syncLooseObjects makes loose objects durable: each object file and then
// each folder that received one. Objects that are not loose (already in a
// pack) are skipped.
func (r *Repo) syncLooseObjects(ids []plumbing.Hash) error {
	dirs := map[string]bool{}
	for _, h := range ids {
		s := h.String()
		p := filepath.Join(r.gitDir, "objects", s[:2], s[2:])
		if err := fsutil.SyncFile(p); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("sync object %s: %w", s, err)
		}
		dirs[filepath.Dir(p)] = true
	}
	dirs[filepath.Join(r.gitDir, "objects")] = true
	for d := range dirs {
		if err := fsutil.SyncDir(d); err != nil {
			return fmt.Errorf("sync %s: %w", d, err)
		}
	}
	return nil
}
