//go:build !linux

package main

import (
	"errors"
	"net"
)

// peerUID is not implemented here: without peer credentials every
// control connection is refused, and the user command works on the file
// while the server is stopped.
func peerUID(*net.UnixConn) (int, error) {
	return -1, errors.New("peer credentials are not supported on this system")
}
