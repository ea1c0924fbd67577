package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
)

// callBackupAccounts streams a consistent copy of the open accounts
// database (one bbolt read transaction): while the server runs, bbolt's
// lock keeps every other process out of the file.
const callBackupAccounts = "/v1/backup/accounts"

// registerBackupCalls adds the backup calls to the control socket.
func registerBackupCalls(mux *http.ServeMux, store *accounts.Store) {
	mux.HandleFunc("POST "+callBackupAccounts, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		// The copy is written straight into the response; a failure
		// half-way shows as a body shorter than the trailer's length.
		w.Header().Set("Trailer", "X-Backup-Length")
		n, err := store.WriteBackup(w)
		if err != nil {
			// The client sees the trailer missing and fails.
			return
		}
		w.Header().Set("X-Backup-Length", strconv.FormatInt(n, 10))
	})
}

// backupAccounts copies the running server's accounts database to w.
func (c *controlClient) backupAccounts(ctx context.Context, w io.Writer) error {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://wikiwerk"+callBackupAccounts, nil)
	if err != nil {
		return err
	}
	res, err := c.client.Do(r)
	if err != nil {
		return fmt.Errorf("control socket %s: %w", c.path, err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusForbidden {
		return errForbidden
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("control socket %s: the server answered %s to the accounts backup", c.path, res.Status)
	}
	n, err := io.Copy(w, res.Body)
	if err != nil {
		return fmt.Errorf("accounts backup from the server: %w", err)
	}
	if want := res.Trailer.Get("X-Backup-Length"); want != strconv.FormatInt(n, 10) {
		return fmt.Errorf("accounts backup from the server: got %d bytes, the server wrote %q", n, want)
	}
	return nil
}
