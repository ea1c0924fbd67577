package accounts

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// WriteBackup writes a consistent copy of the open database to w: one
// read transaction, so sign-ins and changes go on meanwhile and the copy
// is the database as it was at one moment. It returns the bytes written.
func (s *Store) WriteBackup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("accounts backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the database at path to w,
// opening it read-only. It returns an error wrapping ErrInUse when a
// server holds the file (ask that server instead), and one wrapping
// os.ErrNotExist when there is no database.
func BackupFile(path string, w io.Writer) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("accounts backup: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if errors.Is(err, berrors.ErrTimeout) {
		return 0, fmt.Errorf("accounts backup %s: %w", path, ErrInUse)
	}
	if err != nil {
		return 0, fmt.Errorf("accounts backup %s: %w", path, err)
	}
	defer db.Close()
	var n int64
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("accounts backup %s: %w", path, err)
	}
	return n, nil
}
