package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a running wikiwerk process.
type server struct {
	cmd  *exec.Cmd
	url  string // base URL, ending in "/"
	logs *tail

	done    chan struct{} // closed once the process has exited
	waitErr error         // valid after done is closed
}

// urlLine matches the line the server logs once it listens.
var urlLine = regexp.MustCompile(`url=(http://\S+/)`)

// startServer runs `wikiwerk serve` on repo with data as its data folder
// and waits until it answers GET /-/healthz with 200. It returns the time
// from exec to that answer. On error the process is already gone.
func startServer(ctx context.Context, bin, repo, data string, timeout time.Duration, client *http.Client) (*server, time.Duration, error) {
	cmd := exec.Command(bin, "serve", "-repo", repo, "-addr", "127.0.0.1:0", "-data", data)
	cmd.Env = serverEnv()
	cmd.SysProcAttr = childProcAttr()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, 0, fmt.Errorf("wikiwerk stderr: %w", err)
	}
	s := &server{cmd: cmd, logs: &tail{max: 30}, done: make(chan struct{})}
	urls := make(chan string, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", bin, err)
	}
	go s.watch(stderr, urls)

	fail := func(err error) (*server, time.Duration, error) {
		s.kill()
		return nil, 0, fmt.Errorf("%w; last log lines:\n%s", err, s.logs)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case s.url = <-urls:
	case <-s.done:
		return fail(fmt.Errorf("wikiwerk exited before listening: %v", s.waitErr))
	case <-deadline.C:
		return fail(fmt.Errorf("wikiwerk did not log its url within %v", timeout))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	for {
		if healthy(ctx, client, s.url+"-/healthz") {
			return s, time.Since(start), nil
		}
		select {
		case <-s.done:
			return fail(fmt.Errorf("wikiwerk exited before it was healthy: %v", s.waitErr))
		case <-deadline.C:
			return fail(fmt.Errorf("wikiwerk did not answer /-/healthz with 200 within %v", timeout))
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// serverEnv is this process's environment without WIKIWERK_ variables,
// which would otherwise change what is measured.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WIKIWERK_") {
			env = append(env, kv)
		}
	}
	return env
}

func healthy(ctx context.Context, client *http.Client, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the status matters
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// watch reads the server's log until it closes, passing on the URL it
// listens on, then reaps the process. Reading to the end matters: a
// server whose stderr pipe fills up blocks.
func (s *server) watch(stderr io.Reader, urls chan<- string) {
	r := bufio.NewReader(stderr)
	sent := false
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			s.logs.add(strings.TrimRight(line, "\n"))
			if m := urlLine.FindStringSubmatch(line); m != nil && !sent {
				urls <- m[1]
				sent = true
			}
		}
		if err != nil {
			break
		}
	}
	s.waitErr = s.cmd.Wait()
	close(s.done)
}

// peakRSS returns the process's peak resident memory (VmHWM) in bytes.
func (s *server) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("peak memory: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("peak memory: parse %q: %w", line, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("peak memory: no VmHWM in /proc status")
}

// stop asks the server to shut down with SIGTERM, as an operator would, and
// kills it if it has not exited within timeout. An error means the
// shutdown was not clean.
func (s *server) stop(timeout time.Duration) error {
	select {
	case <-s.done:
		return fmt.Errorf("wikiwerk had already exited: %v", s.waitErr)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.kill()
		return fmt.Errorf("signal wikiwerk: %w", err)
	}
	select {
	case <-s.done:
		if s.waitErr != nil {
			return fmt.Errorf("wikiwerk exited with %v after SIGTERM; last log lines:\n%s", s.waitErr, s.logs)
		}
		return nil
	case <-time.After(timeout):
		s.kill()
		return fmt.Errorf("wikiwerk did not exit within %v of SIGTERM and was killed", timeout)
	}
}

// kill ends the process if it still runs and waits, boundedly, until it
// is reaped. It is safe to call more than once; callers defer it.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Kill() //nolint:errcheck // it may have exited meanwhile
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// tail keeps the last lines of a log, for error messages.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return "  (none)"
	}
	return "  " + strings.Join(t.lines, "\n  ")
}
