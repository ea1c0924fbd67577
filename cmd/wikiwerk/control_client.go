package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// userOps are the account operations of the user command: the accounts
// store itself (server stopped) or the running server's control socket.
type userOps interface {
	CreateBy(ctx context.Context, by wiki.Actor, u wiki.User, password string) (*wiki.User, error)
	List(ctx context.Context) ([]wiki.User, error)
	SetPassword(ctx context.Context, by wiki.Actor, name, password string) error
	SetRole(ctx context.Context, by wiki.Actor, name string, role wiki.Role) error
	SetDisabled(ctx context.Context, by wiki.Actor, name string, disabled bool) error
	SetGroups(ctx context.Context, by wiki.Actor, name string, groups []string) error
	// RemoveSecondFactor is 2fa-reset (twofactor_user.go).
	RemoveSecondFactor(ctx context.Context, by wiki.Actor, name, kind string) error
}

// errNoServer means no server listens on the control socket.
var errNoServer = errors.New("no server on the control socket")

// errForbidden means the server refused the caller's uid.
var errForbidden = errors.New("forbidden")

// controlClient calls the running server over its control socket. The
// server records the changes as made by "cli", whatever by says.
type controlClient struct {
	path   string
	client *http.Client
}

// dialControl connects to the control socket at path, returning
// errNoServer when there is none or it is stale (nobody listens).
func dialControl(ctx context.Context, path string) (*controlClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, errNoServer
	}
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	conn.Close()
	c := &controlClient{path: path, client: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
	}}}
	return c, nil
}

// call posts req to the control call path and decodes the answer,
// turning an error answer back into the store's sentinel.
func (c *controlClient) call(ctx context.Context, path string, req controlRequest) (controlResponse, error) {
	var resp controlResponse
	body, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://wikiwerk"+path, bytes.NewReader(body))
	if err != nil {
		return resp, err
	}
	r.Header.Set("Content-Type", "application/json")
	res, err := c.client.Do(r)
	if err != nil {
		return resp, fmt.Errorf("control socket %s: %w", c.path, err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		return resp, fmt.Errorf("control socket %s: answer %d: %w", c.path, res.StatusCode, err)
	}
	if res.StatusCode == http.StatusOK {
		return resp, nil
	}
	if resp.Kind == "forbidden" {
		return resp, fmt.Errorf("%w: %s", errForbidden, resp.Error)
	}
	for _, k := range errorKinds {
		if k.kind == resp.Kind {
			return resp, remoteError{msg: resp.Error, kind: k.err}
		}
	}
	return resp, remoteError{msg: resp.Error}
}

// remoteError is an error of the server's store: its message, and the
// sentinel it wrapped there.
type remoteError struct {
	msg  string
	kind error
}

func (e remoteError) Error() string { return e.msg }
func (e remoteError) Unwrap() error { return e.kind }

// CreateBy creates an account on the server.
func (c *controlClient) CreateBy(ctx context.Context, _ wiki.Actor, u wiki.User, password string) (*wiki.User, error) {
	resp, err := c.call(ctx, callAdd, controlRequest{User: u, Password: password})
	if err == nil && resp.User == nil {
		err = errors.New("the server created the account but did not say so")
	}
	return resp.User, err
}

// List returns the server's accounts.
func (c *controlClient) List(ctx context.Context) ([]wiki.User, error) {
	resp, err := c.call(ctx, callList, controlRequest{})
	return resp.Users, err
}

// SetPassword sets a password on the server.
func (c *controlClient) SetPassword(ctx context.Context, _ wiki.Actor, name, password string) error {
	_, err := c.call(ctx, callPassword, controlRequest{User: wiki.User{Name: name}, Password: password})
	return err
}

// SetRole sets a role on the server.
func (c *controlClient) SetRole(ctx context.Context, _ wiki.Actor, name string, role wiki.Role) error {
	_, err := c.call(ctx, callRole, controlRequest{User: wiki.User{Name: name}, Role: role})
	return err
}

// SetDisabled disables or enables an account on the server.
func (c *controlClient) SetDisabled(ctx context.Context, _ wiki.Actor, name string, disabled bool) error {
	_, err := c.call(ctx, callDisabled, controlRequest{User: wiki.User{Name: name}, Disabled: disabled})
	return err
}

// SetGroups sets groups on the server.
func (c *controlClient) SetGroups(ctx context.Context, _ wiki.Actor, name string, groups []string) error {
	_, err := c.call(ctx, callGroups, controlRequest{User: wiki.User{Name: name}, Groups: groups})
	return err
}
