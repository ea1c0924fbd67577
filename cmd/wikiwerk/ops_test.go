package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// opsServer is a wiki server run in this test process with any flags
// and environment, with its log lines kept.
type opsServer struct {
	url         string
	metricsAddr string
	stop        func()

	mu   sync.Mutex
	logs []string
}

// lines returns the log lines so far.
func (s *opsServer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.logs...)
}

// runningAnyRe finds the address in the "wikiwerk is running" line, as
// text or as JSON.
var runningAnyRe = regexp.MustCompile(`wikiwerk is running.*url"?[=:]"?(http://[^"\s]+)/`)

var metricsAddrRe = regexp.MustCompile(`metrics for Prometheus.*address"?[=:]"?([0-9.:]+)`)

// startOpsServer runs Main with args (plus -addr and -memory-limit) and
// the environment env until the test ends, and returns once it listens.
func startOpsServer(t *testing.T, env map[string]string, args ...string) *opsServer {
	t.Helper()
	pr, pw := io.Pipe()
	m := NewMain(pw)
	args = append([]string{"-addr", "127.0.0.1:0", "-memory-limit", "0"}, args...)
	if err := m.ParseFlags(args, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx)
		pw.Close()
	}()
	s := &opsServer{}
	found := make(chan string, 1)
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs = append(s.logs, line)
			if m := metricsAddrRe.FindStringSubmatch(line); m != nil {
				s.metricsAddr = m[1]
			}
			s.mu.Unlock()
			if m := runningAnyRe.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case s.url = <-found:
	case err := <-done:
		cancel()
		<-logsDone
		t.Fatalf("the server stopped before listening: %v\n%s", err, strings.Join(s.lines(), "\n"))
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start")
	}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		<-logsDone
	}
	t.Cleanup(s.stop)
	return s
}

// scrape fetches u with the bearer token (none when "") and parses the
// Prometheus text format.
func scrape(t *testing.T, u, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %d %s", u, resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include labels (counter, gauge, or a histogram's count), -1 when there
// is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	total, found := 0.0, false
outer:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue outer
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	if !found {
		return -1
	}
	return total
}

func statusOf(t *testing.T, u, auth string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestMetricsClosedWithoutToken: without WIKIWERK_METRICS_TOKEN nothing
// is served at /-/metrics, even where reading is open to anyone.
func TestMetricsClosedWithoutToken(t *testing.T) {
	srv := startOpsServer(t, nil, "-data", t.TempDir())
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		if code := statusOf(t, srv.url+"/-/metrics", auth); code != http.StatusNotFound {
			t.Errorf("/-/metrics with %q and no token configured: %d, want 404", auth, code)
		}
	}
}

// TestMetricsCountSavesAndPushes scrapes /-/metrics on the main address
// (with the token) and /metrics on -metrics-addr, and sees the counters
// move with a web save, an API save, a conflict, an accepted and a
// refused git push.
func TestMetricsCountSavesAndPushes(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	const token = "s3cret-metrics-token"
	srv := startOpsServer(t, map[string]string{"WIKIWERK_METRICS_TOKEN": token},
		"-data", t.TempDir(), "-anonymous-edits=true", "-metrics-addr", "127.0.0.1:0")
	metricsURL := srv.url + "/-/metrics"
	if code := statusOf(t, metricsURL, ""); code != http.StatusUnauthorized {
		t.Errorf("/-/metrics without a token: %d, want 401", code)
	}
	if code := statusOf(t, metricsURL, "Bearer wrong"); code != http.StatusForbidden {
		t.Errorf("/-/metrics with a wrong token: %d, want 403", code)
	}
	if code := statusOf(t, metricsURL, "Bearer "+token+"x"); code != http.StatusForbidden {
		t.Errorf("/-/metrics with a longer token: %d, want 403", code)
	}
	if srv.metricsAddr == "" {
		t.Fatalf("no metrics address in the log:\n%s", strings.Join(srv.lines(), "\n"))
	}
	before := scrape(t, metricsURL, token)
	for _, name := range []string{"go_goroutines", "go_build_info", "process_resident_memory_bytes", "wikiwerk_mail_queue_length",
		"wikiwerk_feed_consumer_lag_commits", "wikiwerk_cache_hits_total", "wikiwerk_cache_misses_total"} {
		if before[name] == nil {
			t.Errorf("no %s in the metrics", name)
		}
	}
	if v := value(before, "wikiwerk_feed_consumer_lag_commits", "consumer", "search"); v < 0 {
		t.Error("no lag for the search index")
	}

	// A save on the web, one through the API, and a stale one.
	page := "Metrics/Test"
	client, csrf := formClient(t, srv.url+"/-/edit/"+page)
	resp, err := client.PostForm(srv.url+"/-/edit/"+page, url.Values{"content": {"# Test\n\nEen.\n"}, "csrf_token": {csrf}, "author_name": {"Anna"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web save: %d", resp.StatusCode)
	}
	p, _ := apiGet(t, srv.url, page, "")
	rev, _, code := apiPut(http.DefaultClient, srv.url, page, "# Test\n\nTwee.\n", p.Revision, "Bram")
	if rev == "" {
		t.Fatalf("API save: %d", code)
	}
	if _, _, code := apiPut(http.DefaultClient, srv.url, page, "# Anders\n\nDrie.\n", p.Revision, "Cor"); code != http.StatusConflict {
		t.Fatalf("stale API save: %d, want 409", code)
	}
	// Two edits of different paragraphs from the same revision: the
	// second is merged.
	other := "merged/page"
	base, _, _ := apiPut(http.DefaultClient, srv.url, other, "Een.\n\nTwee.\n\nDrie.\n\nVier.\n", "", "Anna")
	if r, _, code := apiPut(http.DefaultClient, srv.url, other, "Een!\n\nTwee.\n\nDrie.\n\nVier.\n", base, "Bram"); r == "" {
		t.Fatalf("first edit: %d", code)
	}
	if r, merged, code := apiPut(http.DefaultClient, srv.url, other, "Een.\n\nTwee.\n\nDrie.\n\nVier!\n", base, "Cor"); r == "" || !merged {
		t.Fatalf("second edit: %d, merged %v", code, merged)
	}
	// The page view twice: the second comes from the view cache.
	get(t, srv.url+"/"+page)
	get(t, srv.url+"/"+page)

	// A push that is taken, and a forced one that is refused.
	work := t.TempDir()
	if out, err := gitAs(t, work, "clone", srv.url+"/wiki.git", "wiki"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "wiki")
	os.WriteFile(filepath.Join(clone, "Geduwd.md"), []byte("# Geduwd\n"), 0o644)
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Uit git")
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	gitAs(t, clone, "commit", "--amend", "-m", "Herschreven")
	if out, err := gitAs(t, clone, "push", "--force", "origin", "main"); err == nil {
		t.Fatalf("a forced push was taken:\n%s", out)
	}

	after := scrape(t, metricsURL, token)
	delta := func(name string, labels ...string) float64 {
		return value(after, name, labels...) - max(0, value(before, name, labels...))
	}
	if d := delta("wikiwerk_page_saves_total", "outcome", "committed"); d != 4 {
		t.Errorf("committed saves moved by %v, want 4", d)
	}
	if d := delta("wikiwerk_page_saves_total", "outcome", "merged"); d != 1 {
		t.Errorf("merged saves moved by %v, want 1", d)
	}
	if d := delta("wikiwerk_page_saves_total", "outcome", "conflict"); d != 1 {
		t.Errorf("conflicts moved by %v, want 1", d)
	}
	if d := delta("wikiwerk_git_pushes_total", "result", "accepted"); d != 1 {
		t.Errorf("accepted pushes moved by %v, want 1", d)
	}
	if d := delta("wikiwerk_git_pushes_total", "result", "refused"); d != 1 {
		t.Errorf("refused pushes moved by %v, want 1", d)
	}
	if d := delta("wikiwerk_http_requests_total", "route", "/-/edit/{page:.+}", "method", "POST", "status", "303"); d != 1 {
		t.Errorf("web saves counted by route: %v, want 1", d)
	}
	if d := delta("wikiwerk_http_requests_total", "route", "/-/api/pages/{page:.+}", "method", "PUT", "status", "409"); d != 1 {
		t.Errorf("API conflicts counted by route: %v, want 1", d)
	}
	if d := delta("wikiwerk_http_request_duration_seconds", "route", "/{page:.+}", "method", "GET"); d < 2 {
		t.Errorf("page views timed: %v, want 2 or more", d)
	}
	if d := delta("wikiwerk_http_requests_total", "route", "/wiki.git/*", "method", "POST"); d < 2 {
		t.Errorf("git requests counted: %v, want 2 or more", d)
	}
	if d := delta("wikiwerk_repository_lock_hold_seconds"); d < 3 {
		t.Errorf("repository lock holds: %v, want 3 or more", d)
	}
	if d := delta("wikiwerk_repository_lock_wait_seconds"); d < 3 {
		t.Errorf("repository lock waits: %v, want 3 or more", d)
	}
	if d := delta("wikiwerk_cache_hits_total", "cache", "views"); d < 1 {
		t.Errorf("view cache hits moved by %v", d)
	}
	// Search is timed.
	get(t, srv.url+"/-/search?q=Geduwd")
	get(t, srv.url+"/-/api/search/suggest?q=Ged")
	timed := scrape(t, metricsURL, token)
	if v := value(timed, "wikiwerk_search_duration_seconds", "kind", "query", "result", "ok"); v < 1 {
		t.Errorf("search queries timed: %v", v)
	}
	if v := value(timed, "wikiwerk_search_duration_seconds", "kind", "suggest"); v < 1 {
		t.Errorf("suggestions timed: %v", v)
	}
	// The separate address serves the same registry at /metrics.
	side := scrape(t, "http://"+srv.metricsAddr+"/metrics", "")
	if v := value(side, "wikiwerk_git_pushes_total", "result", "accepted"); v != value(after, "wikiwerk_git_pushes_total", "result", "accepted") {
		t.Errorf("-metrics-addr shows %v accepted pushes, the main address %v", v, value(after, "wikiwerk_git_pushes_total", "result", "accepted"))
	}
	if code := statusOf(t, "http://"+srv.metricsAddr+"/Home", ""); code != http.StatusNotFound {
		t.Errorf("the metrics address serves the wiki: %d", code)
	}
}

// TestJSONLogsCarryRequestID: with -log-format json every line is a JSON
// object, and the lines of a request carry its id: the one a proxy sent
// when it is sane, else a new one, also sent back in X-Request-Id.
func TestJSONLogsCarryRequestID(t *testing.T) {
	srv := startOpsServer(t, nil, "-data", t.TempDir(), "-anonymous-edits=true", "-log-format", "json")
	put := func(id string) string {
		req, _ := http.NewRequest(http.MethodPut, srv.url+"/-/api/pages/Logboek", strings.NewReader(`{"content":"# Logboek\n","base":"","author":{"name":"Anna"}}`))
		req.Header.Set("Content-Type", "application/json")
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("X-Request-Id")
	}
	if got := put("proxy-42.abc"); got != "proxy-42.abc" {
		t.Errorf("X-Request-Id answered %q, want the proxy's", got)
	}
	made := put("bad id <script> with spaces")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(made) {
		t.Errorf("an insane request id was not replaced: %q", made)
	}
	if resp, err := http.Get(srv.url + "/Home"); err == nil {
		if id := resp.Header.Get("X-Request-Id"); id == "" {
			t.Error("a page view has no X-Request-Id")
		}
		resp.Body.Close()
	}
	srv.stop()
	found := map[string]bool{}
	for _, line := range srv.lines() {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if rec["msg"] == "request" {
			id, _ := rec["request_id"].(string)
			found[id] = true
			if rec["method"] != "PUT" || rec["path"] != "/-/api/pages/Logboek" {
				t.Errorf("request line: %v", rec)
			}
		}
	}
	if !found["proxy-42.abc"] || !found[made] {
		t.Errorf("request ids in the log: %v, want proxy-42.abc and %s", found, made)
	}
}

// waitReady polls /-/readyz until it answers 200 and returns the 503
// answers seen before.
func waitReady(t *testing.T, base string) []string {
	t.Helper()
	var notReady []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := get(t, base+"/-/readyz")
		if code == 200 {
			if strings.TrimSpace(body) != "ready" {
				t.Fatalf("readyz 200 with %q", body)
			}
			return notReady
		}
		if code != http.StatusServiceUnavailable {
			t.Fatalf("readyz: %d %s", code, body)
		}
		notReady = append(notReady, body)
		if time.Now().After(deadline) {
			t.Fatalf("not ready after a minute: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestReadyzEndToEnd(t *testing.T) {
	srv := startOpsServer(t, nil, "-data", t.TempDir(), "-read", "signed-in")
	// Public like /-/healthz, also where reading needs an account.
	waitReady(t, srv.url)
	if code, _ := get(t, srv.url+"/-/healthz"); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code, _ := get(t, srv.url+"/Home"); code == 200 {
		t.Error("the test expects reading to need an account")
	}
}

// TestOpsHandlerLeavesPathsAlone: the handler around the wiki does not
// clean paths (a redirect); the wiki refuses "..", as without it.
func TestOpsHandlerLeavesPathsAlone(t *testing.T) {
	srv := startOpsServer(t, nil, "-data", t.TempDir())
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/-/edit/..%2Fx", "/-/readyz/../Home"} {
		resp, err := client.Get(srv.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", p, resp.StatusCode)
		}
	}
}
