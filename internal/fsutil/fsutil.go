// Package fsutil holds the few file-system steps that durability needs:
// writing a file so that a crash leaves either the old or the new content,
// and flushing files and folders to disk.
//
// A write that the wiki acknowledges must survive a power cut or kill -9.
// The kernel keeps written data in its page cache until it decides to write
// it out; fsync forces it. A rename is only durable once the folder that
// holds the name is fsynced too.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrNoSpace is wrapped by errors caused by a full disk or quota, so that
// the web can answer 507 Insufficient Storage instead of 500.
var ErrNoSpace = errors.New("no space left on the data disk")

// Classify wraps err with ErrNoSpace when it comes from a full disk or an
// exhausted quota; other errors are returned as they are.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}

// SyncFile fsyncs the file at path.
func SyncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	serr := f.Sync()
	cerr := f.Close()
	return Classify(errors.Join(serr, cerr))
}

// SyncDir fsyncs a folder, which makes the creation, removal or renaming
// of the names in it durable.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := f.Sync()
	cerr := f.Close()
	return Classify(errors.Join(serr, cerr))
}

// WriteFile writes a file atomically: to a temporary file in the same
// folder, fsynced, renamed over path, and the folder fsynced. Readers and
// a crash see either the old file or the new one, never a part.
func WriteFile(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return Classify(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return Classify(err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return Classify(err)
	}
	if err := tmp.Close(); err != nil {
		return Classify(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Classify(err)
	}
	return SyncDir(dir)
}

// WriteFileBytes is WriteFile for content already in memory.
func WriteFileBytes(path string, perm os.FileMode, b []byte) error {
	return WriteFile(path, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// RemoveTemps removes the leftovers of WriteFile calls that a crash
// interrupted, in dir: files whose names start with "." and contain
// ".tmp-". It returns how many it removed.
func RemoveTemps(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || len(name) == 0 || name[0] != '.' || !strings.Contains(name, ".tmp-") {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err == nil {
			n++
		}
	}
	return n, nil
}
