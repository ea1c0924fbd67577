package main

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// report collects what a run measured and prints it as Markdown, ready to
// paste into BENCHMARKS.md.
type report struct {
	date    time.Time
	machine string
	// build names the wikiwerk binary measured.
	build string
	// facts are the lines about the repository that precede the table.
	facts []string
	// timing holds the rows of wikiwerk beside git, server the start-up
	// and memory rows.
	timing, server []row
	// checks say whether both sides of a row returned the same results.
	checks []string
	// short lists the rows that stopped before all repetitions.
	short []string
	// notes hold errors and other remarks.
	notes []string
}

// row is one line of the table, already formatted.
type row struct {
	name, ww, ref, ratio, target string
}

func (r *report) repoInfo(c GenConfig, st *RepoStats, size int64, gen, graph time.Duration) {
	r.facts = append(r.facts, fmt.Sprintf(
		"Repository: %s pages, %s commits on main (%d merges bringing in commits made on clones, %d renames) by %d authors; "+
			"%s on disk, %s of page text before compression; generated with git fast-import in %s, commit-graph written in %s.",
		thousands(len(st.Pages)), thousands(st.Commits), st.Merges, len(st.Renames), c.Authors,
		fmtBytes(size), fmtBytes(st.BlobBytes), fmtDur(gen), fmtDur(graph)))
}

func (r *report) subjectInfo(subjects []subject) {
	var parts []string
	for _, s := range subjects {
		p := fmt.Sprintf("%s `%s` (%s changes", s.role, s.name(), thousands(s.page.Edits))
		if len(s.page.OldPaths) > 0 {
			p += fmt.Sprintf(", %s of them since its move from `%s`", thousands(s.page.EditsUnderPath),
				strings.TrimSuffix(s.page.OldPaths[len(s.page.OldPaths)-1], ".md"))
		}
		parts = append(parts, p+")")
	}
	r.facts = append(r.facts, "Pages measured: "+strings.Join(parts, "; ")+".")
}

// addTiming adds the row of one measurement and notes on its results.
func (r *report) addTiming(m measurement, ww, ref samples, reps int) {
	row := row{name: m.name, ww: r.cell("wikiwerk", m.name, ww), ref: r.cell("git", m.name, ref), ratio: "—"}
	ok := ww.err == nil && ref.err == nil && len(ww.times) > 0 && len(ref.times) > 0
	if ok {
		ratio := float64(ww.median()) / float64(ref.median())
		row.ratio = fmtRatio(ratio)
		if m.ratioTarget {
			row.target = "≤ 1x: " + passMiss(ratio <= 1)
		}
	} else if m.ratioTarget {
		row.target = "≤ 1x: n/a"
	}
	r.timing = append(r.timing, row)
	if ok && m.check != nil {
		if note := m.check(ww.first, ref.first); note != "" {
			r.checks = append(r.checks, m.name+": "+note)
		}
	}
	if n := min(len(ww.times), len(ref.times)); ok && n < reps {
		r.short = append(r.short, fmt.Sprintf("%s: %d", m.name, n))
	}
}

// cell formats one side's timings, or why there are none.
func (r *report) cell(side, name string, s samples) string {
	switch {
	case errors.Is(s.err, errNotImplemented):
		return "n/a (not implemented)"
	case s.err != nil:
		r.notes = append(r.notes, fmt.Sprintf("%s, %s: %v", name, side, s.err))
		return "error (see notes)"
	case len(s.times) == 0:
		return "n/a"
	}
	return fmt.Sprintf("%s (p90 %s)", fmtDur(s.median()), fmtDur(s.p90()))
}

func (r *report) write(w io.Writer, c config) {
	fmt.Fprintf(w, "### wikibench, %s\n\n", r.date.Format("2006-01-02"))
	fmt.Fprintf(w, "Machine: %s.\n\n", r.machine)
	fmt.Fprintf(w, "wikiwerk: %s.\n\n", r.build)
	for _, f := range r.facts {
		fmt.Fprintf(w, "%s\n\n", f)
	}
	fmt.Fprintln(w, "| measurement | wikiwerk | reference (git CLI) | ratio | target |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for _, row := range append(r.timing, r.server...) {
		cells := []string{row.name, row.ww, row.ref, row.ratio, row.target}
		for i, c := range cells {
			if c == "" {
				cells[i] = "—"
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintf(w, "\n"+
		"- Times are the median (p90) of up to %d repetitions after a warm-up, wikiwerk and git alternating. "+
		"wikiwerk is asked over one keep-alive HTTP connection. "+
		"Each git call is timed as a whole process run (fork, exec, reading its output) in the same bare repository, "+
		"because that is what a command-line user pays; the repository has a commit-graph (`git commit-graph write --reachable`, "+
		"without changed-path Bloom filters). ratio = wikiwerk ÷ git; ≤ 1x means wikiwerk is as fast or faster.\n"+
		"- References: history `git log -n 50 %s main -- PATH` (with `--follow` for the renamed page, as wikiwerk follows renames); "+
		"blame `git blame --porcelain main -- PATH`; recent changes `git log -n 50 %s main`; "+
		"page view `git cat-file -p main:PATH` (informative: wikiwerk renders HTML, git only reads the file).\n"+
		"- Start-up is the time from exec until `GET /-/healthz` answers 200: cold with an empty `-data` folder, "+
		"warm after a clean SIGTERM shutdown with the folder the cold run left. "+
		"Peak memory is the server's VmHWM just before it is stopped; beside it, the largest peak of any single git call.\n",
		c.Reps, logFormat, logFormat)
	if len(r.short) > 0 {
		fmt.Fprintf(w, "- Fewer repetitions (the time budget of %v per row ran out): %s.\n", c.Budget, strings.Join(r.short, "; "))
	}
	if len(r.checks) > 0 {
		fmt.Fprintf(w, "- Same results? Revisions or lines returned by the first call of each side:\n")
		for _, n := range r.checks {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "- Note: %s\n", strings.ReplaceAll(n, "\n", "\n  "))
	}
}

// buildInfo names the revision a wikiwerk binary was built from, as the
// Go toolchain stamped it.
func buildInfo(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return fmt.Sprintf("%s (no build information: %v)", bin, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		return fmt.Sprintf("built with %s, revision unknown", info.GoVersion)
	}
	out := fmt.Sprintf("built from commit %.12s", rev)
	if settings["vcs.modified"] == "true" {
		out += " plus uncommitted changes in the working tree"
	}
	return out
}

// machineInfo describes the machine in one line: CPUs, CPU model,
// memory, kernel, and the Go and git versions.
func machineInfo(ctx context.Context) string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	parts := []string{fmt.Sprintf("%d CPUs (nproc), %s", runtime.NumCPU(), model)}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
					parts = append(parts, fmt.Sprintf("%.1f GiB memory", float64(kb)/(1<<20)))
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		parts = append(parts, runtime.GOOS+" "+strings.TrimSpace(string(b)))
	}
	// The machine may be shared; a high load explains noisy numbers.
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			parts = append(parts, "load average "+strings.Join(f[:3], " ")+" at the start")
		}
	}
	parts = append(parts, runtime.Version())
	if out, err := exec.CommandContext(ctx, "git", "--version").Output(); err == nil {
		parts = append(parts, strings.TrimSpace(string(out)))
	}
	return strings.Join(parts, ", ")
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f s", ms/1000)
}

// fmtBytes uses decimal megabytes, the unit of the memory target.
func fmtBytes(n int64) string {
	mb := float64(n) / 1e6
	if mb < 10 {
		return fmt.Sprintf("%.1f MB", mb)
	}
	return fmt.Sprintf("%.0f MB", mb)
}

// fmtRatio keeps two significant digits below 0.1, where wikiwerk is
// often hundreds of times faster and "0.00x" would say nothing.
func fmtRatio(r float64) string {
	switch {
	case r < 0.1:
		return strconv.FormatFloat(r, 'g', 2, 64) + "x"
	case r < 10:
		return fmt.Sprintf("%.2fx", r)
	}
	return fmt.Sprintf("%.0fx", r)
}

// thousands writes n with comma separators: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
