package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Targets from issue 4.
const (
	warmStartTarget = 2 * time.Second
	// coldStartTarget is issue 9's: health and page views within 2 s of
	// a start with an empty data folder, however long the history.
	coldStartTarget = 2 * time.Second
	peakMemTarget   = 300_000_000 // bytes
	// stopTimeout bounds a clean shutdown; the server lets requests in
	// flight finish, and none are.
	stopTimeout = 30 * time.Second
)

// logFormat is the git log format of the history and recent-changes
// references: the fields wikiwerk's JSON carries.
const logFormat = "--format=%H%x00%an%x00%ae%x00%at%x00%s"

// bench is one benchmark run.
type bench struct {
	cfg    config
	log    io.Writer
	start  time.Time
	client *http.Client
	// gitPeak is the largest peak memory of any reference git call.
	gitPeak int64
}

func newBench(cfg config, log io.Writer) *bench {
	return &bench{
		cfg: cfg, log: log, start: time.Now(),
		// One keep-alive connection, as a browser or API client keeps.
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}},
	}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "wikibench %6.1fs: %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, args...))
}

// run performs the whole benchmark and writes the report to stdout. Once
// the repository exists a report is written even when a later step
// fails, with what was measured.
func (b *bench) run(ctx context.Context, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	machine := machineInfo(ctx)
	dir, cleanup, err := b.workDir()
	if err != nil {
		return err
	}
	defer cleanup()

	bin, build := b.cfg.Bin, ""
	if bin == "" {
		from := "the working tree"
		if b.cfg.Rev != "" {
			from = "revision " + b.cfg.Rev
		}
		b.logf("building wikiwerk from %s", from)
		if bin, build, err = buildWikiwerk(ctx, dir, b.cfg.Rev); err != nil {
			return err
		}
	} else if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("-bin: %w", err)
	}
	if build == "" {
		build = buildInfo(bin)
	}

	repo := filepath.Join(dir, "content.git")
	b.logf("generating %d pages, %d commits with git fast-import in %s", b.cfg.Gen.Pages, b.cfg.Gen.Commits, repo)
	t0 := time.Now()
	stats, err := Generate(ctx, repo, b.cfg.Gen)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	genTime := time.Since(t0)
	t0 = time.Now()
	if err := WriteCommitGraph(ctx, repo); err != nil {
		return err
	}
	graphTime := time.Since(t0)
	size, err := dirSize(repo)
	if err != nil {
		return err
	}
	b.logf("generated in %v, commit-graph in %v, %s on disk", genTime.Round(time.Millisecond), graphTime.Round(time.Millisecond), fmtBytes(size))

	rep := &report{date: time.Now(), machine: machine, build: build}
	rep.repoInfo(b.cfg.Gen, stats, size, genTime, graphTime)
	subjects := pickSubjects(stats)
	rep.subjectInfo(subjects)
	data := filepath.Join(dir, "data")
	err = b.serve(ctx, bin, repo, data, subjects, rep)
	if size, derr := dirSize(data); derr == nil {
		rep.facts = append(rep.facts, fmt.Sprintf("wikiwerk's data folder after the run: %s.", fmtBytes(size)))
	}
	rep.write(stdout, b.cfg)
	b.logf("done")
	return err
}

// workDir returns the working folder and a function that removes it when
// it is a temporary one the user did not ask to keep.
func (b *bench) workDir() (string, func(), error) {
	if b.cfg.Out != "" {
		if _, err := os.Stat(filepath.Join(b.cfg.Out, "content.git")); err == nil {
			return "", nil, fmt.Errorf("-out %s already holds a content.git; choose an empty folder", b.cfg.Out)
		}
		if err := os.MkdirAll(b.cfg.Out, 0o750); err != nil {
			return "", nil, fmt.Errorf("-out: %w", err)
		}
		return b.cfg.Out, func() { b.logf("kept %s", b.cfg.Out) }, nil
	}
	dir, err := os.MkdirTemp("", "wikibench-")
	if err != nil {
		return "", nil, fmt.Errorf("working folder: %w", err)
	}
	return dir, func() {
		if b.cfg.Keep {
			b.logf("kept %s", dir)
			return
		}
		if err := os.RemoveAll(dir); err != nil {
			b.logf("could not remove %s: %v", dir, err)
		}
	}, nil
}

// subject is a page whose history and blame are measured.
type subject struct {
	// role says why it was chosen: "most-edited", "renamed" or "median".
	role string
	page PageStat
	// follow is set when the page's history continues under an old name,
	// which git log only finds with --follow.
	follow bool
}

func (s subject) name() string { return strings.TrimSuffix(s.page.Path, ".md") }

// pickSubjects chooses the pages with a long history: the most-edited
// page, a renamed page whose first 50 revisions cross its move, and the
// page with the median number of changes.
func pickSubjects(st *RepoStats) []subject {
	if len(st.Pages) == 0 {
		return nil
	}
	byEdits := make([]int, len(st.Pages))
	for i := range byEdits {
		byEdits[i] = i
	}
	slices.SortStableFunc(byEdits, func(a, b int) int { return st.Pages[b].Edits - st.Pages[a].Edits })
	chosen := []int{byEdits[0]}
	out := []subject{{role: "most-edited", page: st.Pages[byEdits[0]]}}

	renamed := -1
	crosses := func(p PageStat) bool { return p.EditsUnderPath < 50 && p.Edits > 50 }
	for _, i := range byEdits {
		p := st.Pages[i]
		if len(p.OldPaths) == 0 || slices.Contains(chosen, i) {
			continue
		}
		if renamed < 0 || (crosses(p) && !crosses(st.Pages[renamed])) {
			renamed = i
		}
	}
	if renamed >= 0 {
		chosen = append(chosen, renamed)
		out = append(out, subject{role: "renamed", page: st.Pages[renamed], follow: true})
	}
	// Walk outwards from the middle until an unused page turns up.
	mid := len(byEdits) / 2
	for d := 0; d <= mid; d++ {
		for _, j := range []int{mid - d, mid + d} {
			if j >= 0 && j < len(byEdits) && !slices.Contains(chosen, byEdits[j]) {
				return append(out, subject{role: "median", page: st.Pages[byEdits[j]]})
			}
		}
	}
	return out
}

// pageURL escapes each segment of a page name on its own, as wikiwerk's
// links do.
func pageURL(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// serve runs the server twice on the repository: cold, with an empty data
// folder, and warm, with the folder the cold run left; the measurements
// run against the warm server.
func (b *bench) serve(ctx context.Context, bin, repo, data string, subjects []subject, rep *report) error {
	if err := os.MkdirAll(data, 0o750); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	b.logf("starting wikiwerk with an empty data folder (cold index)")
	cold, d, err := startServer(ctx, bin, repo, data, b.cfg.StartTimeout, b.client)
	if err != nil {
		rep.server = append(rep.server, row{name: "start-up, cold index", ww: "failed (see notes)"})
		rep.notes = append(rep.notes, fmt.Sprintf("cold start: %v", err))
		return fmt.Errorf("cold start: %w", err)
	}
	defer cold.kill()
	rep.server = append(rep.server, row{name: "start-up, empty data folder (exec until /-/healthz is 200)", ww: fmtDur(d),
		target: "< 2 s: " + passMiss(d < coldStartTarget)})
	b.logf("cold start took %v (%s)", d.Round(time.Millisecond), cold.url)
	// A page view while the history index is still being built.
	if len(subjects) == 0 {
		return errors.New("no page to view")
	}
	t0 := time.Now()
	if _, err := httpProbe(b.client, cold.url, "-/api/pages/"+pageURL(subjects[0].name()), false)(ctx); err == nil {
		view := d + time.Since(t0)
		rep.server = append(rep.server, row{name: "first page view after a cold start (from exec)", ww: fmtDur(view),
			target: "< 2 s: " + passMiss(view < coldStartTarget)})
	} else {
		rep.notes = append(rep.notes, fmt.Sprintf("first page view after the cold start: %v", err))
	}
	// The full history index is built in the background: measure until
	// recent changes answer, beside git log --raw listing every changed
	// path of every commit of the same repository.
	t0 = time.Now()
	built := d
	for {
		body, err := httpProbe(b.client, cold.url, "-/api/recent?limit=1", false)(ctx)
		if err == nil && strings.Contains(string(body), `"revision"`) {
			built += time.Since(t0)
			break
		}
		if ctx.Err() != nil || time.Since(t0) > b.cfg.StartTimeout {
			rep.notes = append(rep.notes, fmt.Sprintf("the history index was not built within %v: %v", b.cfg.StartTimeout, err))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t1 := time.Now()
	logRaw := exec.CommandContext(ctx, "git", "-C", repo, "log", "--raw", "--no-renames", "--format=%H", "main")
	logRaw.Stdout = io.Discard
	refErr := logRaw.Run()
	gitDur := time.Since(t1)
	ref := fmtDur(gitDur) + " (git log --raw)"
	if refErr != nil {
		ref = "failed: " + refErr.Error()
	}
	rep.server = append(rep.server, row{name: "full history index build, in the background (from exec until recent changes answer)", ww: fmtDur(built), ref: ref,
		ratio: fmt.Sprintf("%.1fx", float64(built)/float64(gitDur))})
	rep.server = append(rep.server, b.memoryRow("peak memory, cold run (VmHWM)", cold, rep))
	b.client.CloseIdleConnections()
	if err := cold.stop(stopTimeout); err != nil {
		rep.notes = append(rep.notes, fmt.Sprintf("cold run shutdown: %v", err))
	}

	b.logf("restarting wikiwerk with the same data folder (warm index)")
	warm, d, err := startServer(ctx, bin, repo, data, b.cfg.StartTimeout, b.client)
	if err != nil {
		rep.server = append(rep.server, row{name: "start-up, warm index", ww: "failed (see notes)", target: "< 2 s: MISS"})
		rep.notes = append(rep.notes, fmt.Sprintf("warm start: %v", err))
		return fmt.Errorf("warm start: %w", err)
	}
	defer warm.kill()
	rep.server = append(rep.server, row{name: "start-up, warm index (after a clean SIGTERM shutdown)", ww: fmtDur(d),
		target: "< 2 s: " + passMiss(d < warmStartTarget)})
	b.logf("warm start took %v", d.Round(time.Millisecond))

	for _, m := range b.measurements(repo, warm.url, subjects) {
		b.logf("measuring %s", m.name)
		ww, ref := measurePair(ctx, m.ww, m.ref, sampling{reps: b.cfg.Reps, budget: b.cfg.Budget})
		rep.addTiming(m, ww, ref, b.cfg.Reps)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	rep.server = append(rep.server, b.memoryRow("peak memory, warm run, after all measurements (VmHWM)", warm, rep))
	b.client.CloseIdleConnections()
	if err := warm.stop(stopTimeout); err != nil {
		rep.notes = append(rep.notes, fmt.Sprintf("warm run shutdown: %v", err))
	}
	return nil
}

func (b *bench) memoryRow(name string, s *server, rep *report) row {
	r := row{name: name, ref: "—", ratio: "—"}
	peak, err := s.peakRSS()
	if err != nil {
		rep.notes = append(rep.notes, err.Error())
		r.ww, r.target = "n/a", "< 300 MB: n/a"
		return r
	}
	r.ww = fmtBytes(peak)
	r.target = "< 300 MB: " + passMiss(peak < peakMemTarget)
	if b.gitPeak > 0 {
		r.ref = fmtBytes(b.gitPeak) + " (largest git call)"
	}
	return r
}

// measurement is one row of timings: wikiwerk and the git CLI doing the
// same work.
type measurement struct {
	name string
	// ww is the wikiwerk side, ref the reference.
	ww, ref probe
	// ratioTarget is set where the issue demands wikiwerk be no slower.
	ratioTarget bool
	// check compares the outputs of the two sides' first calls and returns
	// a note on their agreement, or "" when there is nothing to say.
	check func(ww, ref []byte) string
}

func (b *bench) measurements(repo, base string, subjects []subject) []measurement {
	var ms []measurement
	label := func(s subject) string {
		return fmt.Sprintf("%s page (%s changes)", s.role, thousands(s.page.Edits))
	}
	for _, s := range subjects {
		args := []string{"log", "-n", "50", logFormat}
		if s.follow {
			args = append(args, "--follow")
		}
		ms = append(ms, measurement{
			name:        "history, first 50: " + label(s),
			ww:          httpProbe(b.client, base, "-/api/pages/"+pageURL(s.name())+"/history?limit=50", false),
			ref:         gitProbe(repo, &b.gitPeak, append(args, "main", "--", s.page.Path)...),
			ratioTarget: true,
			check:       compareRevisions("revisions"),
		})
	}
	for _, s := range subjects {
		ms = append(ms, measurement{
			name:        "blame: " + label(s),
			ww:          httpProbe(b.client, base, "-/api/pages/"+pageURL(s.name())+"/blame", true),
			ref:         gitProbe(repo, &b.gitPeak, "blame", "--porcelain", "main", "--", s.page.Path),
			ratioTarget: true,
			check:       compareBlame,
		})
	}
	ms = append(ms, measurement{
		name:  "recent changes, first 50",
		ww:    httpProbe(b.client, base, "-/api/recent?limit=50", false),
		ref:   gitProbe(repo, &b.gitPeak, "log", "-n", "50", logFormat, "main"),
		check: compareRevisions("changes"),
	})
	if len(subjects) > 0 {
		s := subjects[0]
		ms = append(ms, measurement{
			name: "page view (HTML; git only reads the file): " + label(s),
			ww:   httpProbe(b.client, base, pageURL(s.name()), false),
			ref:  gitProbe(repo, &b.gitPeak, "cat-file", "-p", "main:"+s.page.Path),
		})
	}
	return ms
}

// dirSize sums the sizes of the files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return n, nil
}
