package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// errNotImplemented marks an endpoint that answered 404 where a page was
// expected to be found: the route does not exist in this build.
var errNotImplemented = errors.New("not implemented")

// probe performs one call of a measurement and returns its output.
type probe func(ctx context.Context) ([]byte, error)

// samples are the timings of one side of a measurement.
type samples struct {
	// times are the timed repetitions, without the warm-up.
	times []time.Duration
	// first is the output of the first (warm-up) call, for checking that
	// both sides did the same work.
	first []byte
	// err is the first error; a side with an error has no timings.
	err error
}

func (s samples) median() time.Duration { return s.quantile(0.5) }
func (s samples) p90() time.Duration    { return s.quantile(0.9) }

// quantile returns the nearest-rank quantile q of the timings.
func (s samples) quantile(q float64) time.Duration {
	if len(s.times) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(s.times))
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// sampling bounds the repetitions of a measurement.
type sampling struct {
	// reps is the most timed repetitions.
	reps int
	// budget is the time after which the repetitions stop once there are
	// three of them; at three times the budget they stop regardless.
	budget time.Duration
}

// measurePair times wikiwerk and the reference alternately, so that both
// see the same machine state (page cache, CPU frequency, other load),
// after one or two warm-up calls each.
func measurePair(ctx context.Context, ww, ref probe, o sampling) (samples, samples) {
	var a, b samples
	call := func(p probe, s *samples, timed bool) time.Duration {
		if s.err != nil {
			return 0
		}
		t0 := time.Now()
		out, err := p(ctx)
		d := time.Since(t0)
		switch {
		case err != nil:
			s.err, s.times = err, nil
		case timed:
			s.times = append(s.times, d)
		case s.first == nil:
			s.first = out
		}
		return d
	}
	warm := call(ww, &a, false) + call(ref, &b, false)
	if warm < o.budget/10 {
		call(ww, &a, false)
		call(ref, &b, false)
	}
	start := time.Now()
	for n := 1; n <= o.reps && ctx.Err() == nil; n++ {
		call(ww, &a, true)
		call(ref, &b, true)
		if a.err != nil && b.err != nil {
			break
		}
		elapsed := time.Since(start)
		if (elapsed >= o.budget && n >= 3) || elapsed >= 3*o.budget {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		for _, s := range []*samples{&a, &b} {
			if s.err == nil && len(s.times) == 0 {
				s.err = err
			}
		}
	}
	return a, b
}

// httpProbe returns a probe that GETs path from the server on a keep-alive
// client. notFoundMeansMissing turns a 404 into errNotImplemented.
func httpProbe(client *http.Client, base, path string, notFoundMeansMissing bool) probe {
	return func(ctx context.Context) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		switch {
		case resp.StatusCode == http.StatusNotFound && notFoundMeansMissing:
			return nil, fmt.Errorf("GET %s: %w", path, errNotImplemented)
		case resp.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("GET %s: %s: %.200s", path, resp.Status, body)
		}
		return body, nil
	}
}

// gitProbe returns a probe that runs git in the repository as a whole
// process, which is what a command-line user pays for each answer. The
// largest peak memory of any call goes to *peak.
func gitProbe(repo string, peak *int64, args ...string) probe {
	return func(ctx context.Context) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if cmd.ProcessState != nil {
			*peak = max(*peak, maxRSS(cmd.ProcessState))
		}
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return stdout.Bytes(), nil
	}
}
