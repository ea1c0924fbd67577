package main

import (
	"os"
	"syscall"
)

// childProcAttr makes the kernel kill the wikiwerk server should wikibench
// die without running its deferred clean-up (SIGKILL, a crash in another
// goroutine), so that no server outlives a run.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// maxRSS returns the peak resident memory of a finished process in bytes,
// or 0 when it is unknown.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // Linux reports kilobytes
	}
	return 0
}
