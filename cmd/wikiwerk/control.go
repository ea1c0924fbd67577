package main

// The control socket lets "wikiwerk user ..." change accounts while the
// server runs. bbolt locks accounts.db for as long as the server has it
// open, and the server reads it on every request, so instead of opening
// the file per operation the server answers HTTP on a Unix socket in the
// data folder and runs the command on its own open store. A change is
// then in effect at once: a new account can sign in, a disabled one's
// sessions are gone.
//
// Access control is the file system plus the kernel: the socket is mode
// 0600, and every connection's peer credentials (SO_PEERCRED) must show
// the server's own uid, so only the wiki's OS user (and not, say, another
// account in its group) is served.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// socketName is the control socket in the data folder.
const socketName = "wikiwerk.sock"

// socketPath is the control socket of a data folder.
func socketPath(dataDir string) string { return filepath.Join(dataDir, socketName) }

// maxControlBody bounds a request body: an account and a password.
const maxControlBody = 64 << 10

// controlRequest is the body of every call that changes an account.
type controlRequest struct {
	// User is the new account (add); only Name for the other calls.
	User wiki.User `json:"user"`
	// Password is the new password (add, passwd).
	Password string `json:"password,omitempty"`
	// Role is the new role (role).
	Role wiki.Role `json:"role,omitempty"`
	// Disabled is the new state (disable).
	Disabled bool `json:"disabled,omitempty"`
	// Groups are the new groups (groups); empty removes all.
	Groups []string `json:"groups,omitempty"`
}

// controlResponse is the body of every answer.
type controlResponse struct {
	// User is the account created (add).
	User *wiki.User `json:"user,omitempty"`
	// Users are all accounts (list).
	Users []wiki.User `json:"users,omitempty"`
	// Error is the store's message when the call failed, and Kind its
	// sentinel: "not-found", "name-taken", "invalid" or "" for others.
	Error string `json:"error,omitempty"`
	Kind  string `json:"kind,omitempty"`
}

// Control calls: each runs one method of the accounts store.
const (
	callList     = "/v1/users/list"
	callAdd      = "/v1/users/add"
	callPassword = "/v1/users/passwd"
	callRole     = "/v1/users/role"
	callDisabled = "/v1/users/disable"
	callGroups   = "/v1/users/groups"
)

// errorKinds maps the sentinels that cross the socket to their names.
var errorKinds = []struct {
	kind   string
	err    error
	status int
}{
	{"not-found", wiki.ErrNotFound, http.StatusNotFound},
	{"name-taken", wiki.ErrNameTaken, http.StatusConflict},
	{"invalid", wiki.ErrInvalidInput, http.StatusBadRequest},
}

// controlHandler serves the control calls on store, for peers with uid.
func controlHandler(store *accounts.Store, uid int) http.Handler {
	mux := http.NewServeMux()
	call := func(path string, fn func(ctx context.Context, req controlRequest) (controlResponse, error)) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			var req controlRequest
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody)).Decode(&req); err != nil {
				writeControl(w, http.StatusBadRequest, controlResponse{Error: "bad request: " + err.Error()})
				return
			}
			resp, err := fn(r.Context(), req)
			if err != nil {
				status, kind := http.StatusInternalServerError, ""
				for _, k := range errorKinds {
					if errors.Is(err, k.err) {
						status, kind = k.status, k.kind
						break
					}
				}
				writeControl(w, status, controlResponse{Error: err.Error(), Kind: kind})
				return
			}
			writeControl(w, http.StatusOK, resp)
		})
	}
	call(callList, func(ctx context.Context, _ controlRequest) (controlResponse, error) {
		users, err := store.List(ctx)
		return controlResponse{Users: users}, err
	})
	call(callAdd, func(ctx context.Context, req controlRequest) (controlResponse, error) {
		u, err := store.CreateBy(ctx, cliActor, req.User, req.Password)
		return controlResponse{User: u}, err
	})
	call(callPassword, func(ctx context.Context, req controlRequest) (controlResponse, error) {
		return controlResponse{}, store.SetPassword(ctx, cliActor, req.User.Name, req.Password)
	})
	call(callRole, func(ctx context.Context, req controlRequest) (controlResponse, error) {
		return controlResponse{}, store.SetRole(ctx, cliActor, req.User.Name, req.Role)
	})
	call(callDisabled, func(ctx context.Context, req controlRequest) (controlResponse, error) {
		return controlResponse{}, store.SetDisabled(ctx, cliActor, req.User.Name, req.Disabled)
	})
	call(callGroups, func(ctx context.Context, req controlRequest) (controlResponse, error) {
		return controlResponse{}, store.SetGroups(ctx, cliActor, req.User.Name, req.Groups)
	})
	call(callTwoFactorReset, func(ctx context.Context, req controlRequest) (controlResponse, error) {
		return controlResponse{}, store.RemoveSecondFactor(ctx, cliActor, req.User.Name, "2fa-reset")
	})
	registerBackupCalls(mux, store)
	return requireUID(uid, mux)
}

func writeControl(w http.ResponseWriter, status int, resp controlResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}

// peerKey is the context key of a connection's peer credentials.
type peerKey struct{}

// peer is who is at the other end of a control connection.
type peer struct {
	uid int
	err error
}

// withPeer records the peer credentials of a connection in its context.
func withPeer(ctx context.Context, c net.Conn) context.Context {
	p := peer{uid: -1, err: errors.New("not a Unix socket")}
	if uc, ok := c.(*net.UnixConn); ok {
		p.uid, p.err = peerUID(uc)
	}
	return context.WithValue(ctx, peerKey{}, p)
}

// requireUID answers 403 to every peer whose uid is not uid (or unknown).
func requireUID(uid int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := r.Context().Value(peerKey{}).(peer)
		if !ok || p.err != nil || p.uid != uid {
			msg := fmt.Sprintf("forbidden: this wiki serves its control socket to uid %d only, not to uid %d", uid, p.uid)
			writeControl(w, http.StatusForbidden, controlResponse{Error: msg, Kind: "forbidden"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// controlServer is the running control listener.
type controlServer struct {
	path string
	ln   *net.UnixListener
	// info identifies the socket file this server made, so that Close
	// removes it only if nobody replaced it meanwhile.
	info os.FileInfo
	srv  *http.Server
	done chan struct{}
}

// listenControl makes the control socket at path, replacing a stale one,
// and serves store on it for peers with uid. The caller must hold the
// accounts database (bbolt's lock): then no other server can be using a
// socket that is there already, so it is stale.
//
// The socket is bound in a fresh 0700 folder, made 0600 and then renamed
// into place, so that it is never reachable with looser permissions.
func listenControl(path string, store *accounts.Store, uid int, log *slog.Logger) (*controlServer, error) {
	tmpDir, err := os.MkdirTemp(filepath.Dir(path), ".control-")
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, socketName)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The file is renamed; Close removes it under its final name.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	info, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	c := &controlServer{path: path, ln: ln, info: info, done: make(chan struct{})}
	c.srv = &http.Server{
		Handler:           controlHandler(store, uid),
		ConnContext:       withPeer,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(c.done)
		c.srv.Serve(ln)
	}()
	return c, nil
}

// Close stops serving, lets calls in flight finish, and removes the
// socket file if it is still the one this server made.
func (c *controlServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	<-c.done
	if fi, statErr := os.Lstat(c.path); statErr == nil && os.SameFile(fi, c.info) {
		os.Remove(c.path)
	}
	return err
}

// startControl starts the control socket of the data folder for the
// server's accounts store and returns the function that stops it. A
// socket that cannot be made (a path too long for a Unix socket, a
// system without peer credentials) is logged, and the server runs on:
// the user command then says to stop the server.
func (m *Main) startControl(store *accounts.Store) func() {
	path := socketPath(m.DataDir)
	c, err := listenControl(path, store, os.Getuid(), m.log)
	if err != nil {
		m.log.Warn("no control socket: wikiwerk user works only while the server is stopped", "error", err)
		return func() {}
	}
	m.log.Info("control socket for wikiwerk user", "path", path)
	return func() {
		if err := c.Close(); err != nil {
			m.log.Warn("control socket", "error", err)
		}
	}
}
