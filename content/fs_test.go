package content

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// intentionallyMissing are link targets that must NOT exist in the seed wiki.
// WMO-loket/Ontwerp links to WMO-loket/Werkafspraken on purpose: a new team
// sees how a link to a page that does not exist yet looks different and
// invites them to create it.
var intentionallyMissing = []string{"WMO-loket/Werkafspraken"}

func seedPages(t *testing.T) map[string][]byte {
	t.Helper()
	pages, err := Pages()
	if err != nil {
		t.Fatalf("Pages: %v", err)
	}
	return pages
}

func TestRequiredPagesExist(t *testing.T) {
	pages := seedPages(t)
	for _, p := range []string{"Home.md", "Help.md", "Help/English.md", "WMO-loket/Ontwerp.md"} {
		if len(pages[p]) == 0 {
			t.Errorf("seed page %s is missing or empty", p)
		}
	}
}

func TestPagesAreWellFormed(t *testing.T) {
	for p, b := range seedPages(t) {
		if !strings.HasSuffix(p, ".md") {
			t.Errorf("%s: seed files must be pages ending in .md", p)
		}
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ".") || seg != strings.TrimSpace(seg) {
				t.Errorf("%s: %q is not a valid part of a page name", p, seg)
			}
		}
		if !utf8.Valid(b) {
			t.Errorf("%s: not valid UTF-8", p)
		}
		if !strings.HasSuffix(string(b), "\n") {
			t.Errorf("%s: does not end with a newline", p)
		}
		if strings.Contains(string(b), "\r") {
			t.Errorf("%s: has CR characters; use LF line endings", p)
		}
		if strings.HasPrefix(string(b), "\uFEFF") {
			t.Errorf("%s: starts with a byte order mark", p)
		}
	}
}

func TestWikilinksResolve(t *testing.T) {
	pages := seedPages(t)
	linked := make(map[string]bool)
	for p, b := range pages {
		for _, target := range wikilinkTargets(string(b)) {
			linked[target] = true
			if _, ok := pages[target+".md"]; ok || slices.Contains(intentionallyMissing, target) {
				continue
			}
			t.Errorf("%s: [[%s]] links to a page that is not in the seed wiki", p, target)
		}
	}
	for _, target := range intentionallyMissing {
		if _, ok := pages[target+".md"]; ok {
			t.Errorf("%s must not exist: it demonstrates a link to a missing page", target)
		}
		if !linked[target] {
			t.Errorf("no seed page links to %s any more; drop it from intentionallyMissing", target)
		}
	}
	for _, want := range []string{"Help", "Help/English", "WMO-loket/Ontwerp"} {
		if !linked[want] {
			t.Errorf("no seed page links to %s", want)
		}
	}
}

func TestWikilinkTargets(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"plain", "Zie [[Help]].", []string{"Help"}},
		{"folder, label and anchor", "[[WMO-loket/Ontwerp|ontwerp]] en [[Help#Wikilinks]]", []string{"WMO-loket/Ontwerp", "Help"}},
		{"label with anchor", "[[ Help#Kopje | hier ]]", []string{"Help"}},
		{"toc and same-page anchor", "[[_TOC_]]\n[[#Doel]]", nil},
		{"code span", "Typ `[[Pagina]]` of ``[[Ook`niet]]``, maar [[Home]] wel.", []string{"Home"}},
		{"fenced code", "```markdown\n[[Pagina]]\n```\n[[Home]]", []string{"Home"}},
		{"longer fence", "````\n```\n[[Binnen]]\n```\n[[Nog binnen]]\n````\n[[Home]]", []string{"Home"}},
		{"tilde fence", "~~~\n[[Pagina]]\n~~~\n[[Help]]", []string{"Help"}},
		{"unclosed code span", "een ` los teken en [[Help]]", []string{"Help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wikilinkTargets(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("wikilinkTargets(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

var wikilinkRE = regexp.MustCompile(`\[\[([^\[\]]+)\]\]`)

// wikilinkTargets returns the page names that [[Target]], [[Target|label]]
// and [[Target#anchor]] links in md point to, skipping fenced code blocks,
// code spans, the [[_TOC_]] marker and links to an anchor on the same page.
func wikilinkTargets(md string) []string {
	var targets []string
	var fence string // the opening fence while inside a fenced code block
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]+" \t") == "" {
				fence = ""
			}
			continue
		}
		if f := openingFence(trimmed); f != "" {
			fence = f
			continue
		}
		for _, m := range wikilinkRE.FindAllStringSubmatch(stripCodeSpans(line), -1) {
			inner := strings.TrimSpace(m[1])
			if inner == "_TOC_" {
				continue
			}
			target, _, _ := strings.Cut(inner, "|")
			target, _, _ = strings.Cut(target, "#")
			if target = strings.TrimSpace(target); target != "" {
				targets = append(targets, target)
			}
		}
	}
	return targets
}

// openingFence returns the run of three or more backticks or tildes that
// opens a fenced code block on line, or "".
func openingFence(line string) string {
	for _, c := range []string{"`", "~"} {
		n := len(line) - len(strings.TrimLeft(line, c))
		if n >= 3 {
			return line[:n]
		}
	}
	return ""
}

// stripCodeSpans removes `code spans` from one line: a run of backticks up
// to the next run of the same length. A run without a partner stays as text.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(line, '`')
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		n := len(line[i:]) - len(strings.TrimLeft(line[i:], "`"))
		ticks, rest := line[i:i+n], line[i+n:]
		end := closingRun(rest, n)
		if end < 0 {
			b.WriteString(line[:i+n])
			line = rest
			continue
		}
		b.WriteString(line[:i])
		line = rest[end+len(ticks):]
	}
}

// closingRun returns the index in s of the first run of exactly n backticks,
// or -1.
func closingRun(s string, n int) int {
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '`' {
			j++
		}
		if j-i == n {
			return i
		}
		i = j
	}
	return -1
}
