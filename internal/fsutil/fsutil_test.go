package fsutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteFileReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "history.idx")
	if err := WriteFileBytes(p, 0o644, []byte("oud")); err != nil {
		t.Fatal(err)
	}
	// A write that fails half-way leaves the old file and no temporary.
	err := WriteFile(p, 0o644, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("stopped")
	})
	if err == nil {
		t.Fatal("a failed write reported success")
	}
	if b, _ := os.ReadFile(p); string(b) != "oud" {
		t.Fatalf("after a failed write: %q", b)
	}
	if err := WriteFileBytes(p, 0o600, []byte("nieuw")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "nieuw" {
		t.Fatalf("after a write: %q", b)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{".history.idx.tmp-123", ".links.tmp-9", "history.idx", ".hidden"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	n, err := RemoveTemps(dir)
	if err != nil || n != 2 {
		t.Fatalf("removed %d, %v", n, err)
	}
	for _, keep := range []string{"history.idx", ".hidden"} {
		if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s was removed", keep)
		}
	}
}

func TestClassify(t *testing.T) {
	full := fmt.Errorf("write objects/ab/cd: %w", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC})
	if !errors.Is(Classify(full), ErrNoSpace) || !errors.Is(Classify(full), syscall.ENOSPC) {
		t.Fatalf("ENOSPC not classified: %v", Classify(full))
	}
	if err := Classify(errors.New("other")); errors.Is(err, ErrNoSpace) {
		t.Fatal("another error taken for a full disk")
	}
	if Classify(nil) != nil {
		t.Fatal("nil")
	}
}
