//go:build !linux

package main

import (
	"os"
	"syscall"
)

// childProcAttr has no parent-death signal to set outside Linux; the
// deferred clean-up alone stops the server.
func childProcAttr() *syscall.SysProcAttr { return nil }

// maxRSS is not measured outside Linux.
func maxRSS(*os.ProcessState) int64 { return 0 }
