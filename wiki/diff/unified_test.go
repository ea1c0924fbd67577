package diff

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnifiedText(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		context  int
		want     string
	}{
		{"equal", "a\nb\n", "a\nb\n", 3, ""},
		{"CRLF only", "a\r\nb\r\n", "a\nb\n", 3, ""},
		{"modify", "a\nb\nc\n", "a\nB\nc\n", 3,
			"--- a/p.md\n+++ b/p.md\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"context 0", "a\nb\nc\n", "a\nB\nc\n", 0,
			"--- a/p.md\n+++ b/p.md\n@@ -2 +2 @@\n-b\n+B\n"},
		{"create", "", "a\n", 3,
			"--- a/p.md\n+++ b/p.md\n@@ -0,0 +1 @@\n+a\n"},
		{"add final newline", "a\nb", "a\nb\n", 3,
			"--- a/p.md\n+++ b/p.md\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{"remove final newline", "a\nb\n", "a\nb", 3,
			"--- a/p.md\n+++ b/p.md\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"},
		{"unterminated context", "a\nb\nc", "A\nb\nc", 3,
			"--- a/p.md\n+++ b/p.md\n@@ -1,3 +1,3 @@\n-a\n+A\n b\n c\n\\ No newline at end of file\n"},
		{"both unterminated, last changed", "a\nb", "a\nB", 3,
			"--- a/p.md\n+++ b/p.md\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+B\n\\ No newline at end of file\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unified(tt.old, tt.new, "a/p.md", "b/p.md", tt.context, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// unifiedCases are applied with the real patch tools.
func unifiedCases() []struct{ name, old, new string } {
	var lines []string
	for i := range 60 {
		lines = append(lines, "Regel "+strings.Repeat("é", i%5)+" nummer "+string(rune('a'+i%26)))
	}
	page := strings.Join(lines, "\n") + "\n"
	edited := append([]string(nil), lines...)
	edited[3] = "Gewijzigd: De aanvraag wordt binnen 6 weken beoordeeld"
	edited[30] = ""
	edited = append(edited[:45], append([]string{"Nieuw 👩‍👩‍👧‍👦", "Nog één"}, edited[45:]...)...)
	edited = edited[:len(edited)-1]
	long := strings.Repeat("lange regel ", 100<<10/12)
	return []struct{ name, old, new string }{
		{"modify", "a\nb\nc\n", "a\nB\nc\n"},
		{"several hunks", page, strings.Join(edited, "\n") + "\n"},
		{"create", "", "a\nb\n"},
		{"delete all", "a\nb\n", ""},
		{"append", "a\nb\n", "a\nb\nc\n"},
		{"prepend", "a\nb\n", "x\na\nb\n"},
		{"add final newline", "a\nb", "a\nb\n"},
		{"remove final newline", "a\nb\n", "a\nb"},
		{"unterminated both, last changed", "a\nb\nc", "a\nb\nC"},
		{"unterminated, append", "a\nb", "a\nb\nc"},
		{"unterminated context", "a\nb\nc\nd\ne", "A\nb\nc\nd\ne"},
		{"Dutch and emoji", "Coördinatie\nRuïne 🇳🇱\nCafé\n", "Coordinatie\nRuïne 🇧🇪\nCafé ☕\n"},
		{"long line", "kop\n" + long + "\nstaart\n", "kop\n" + long + "extra\nstaart\n"},
		{"blank lines", "\n\n\na\n\n", "\n\na\n\n\n"},
		{"CRLF old", "a\r\nb\r\nc\r\n", "a\nB\nc\n"},
	}
}

// TestUnifiedGitApply applies each diff with git apply and checks that it
// gives the new text byte for byte.
func TestUnifiedGitApply(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	for _, tc := range unifiedCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			run(t, dir, git, "init", "-q")
			patch := writeCase(t, dir, tc.old, tc.new)
			run(t, dir, git, "apply", "--check", patch)
			run(t, dir, git, "apply", patch)
			checkApplied(t, dir, tc.new)
		})
	}
}

// TestUnifiedPatch does the same with GNU patch.
func TestUnifiedPatch(t *testing.T) {
	patchCmd, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch not installed")
	}
	for _, tc := range unifiedCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			patch := writeCase(t, dir, tc.old, tc.new)
			run(t, dir, patchCmd, "-p1", "--dry-run", "-f", "-s", "-i", patch)
			run(t, dir, patchCmd, "-p1", "-f", "-s", "--no-backup-if-mismatch", "-i", patch)
			checkApplied(t, dir, tc.new)
		})
	}
}

// writeCase writes the LF form of old as p.md in dir and the diff to new
// beside it, and returns the diff's path.
func writeCase(t *testing.T, dir, old, new string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "p.md"), []byte(normalize(old)), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Unified(old, new, "a/p.md", "b/p.md", 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d == "" {
		t.Fatal("empty diff")
	}
	patch := filepath.Join(dir, "change.patch")
	if err := os.WriteFile(patch, []byte(d), 0o644); err != nil {
		t.Fatal(err)
	}
	return patch
}

func checkApplied(t *testing.T, dir, want string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, "p.md"))
	if errors.Is(err, os.ErrNotExist) && want == "" {
		return // patch may remove a file that became empty
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != normalize(want) {
		t.Errorf("after applying: %q, want %q", abbreviate(string(got)), abbreviate(normalize(want)))
	}
}

func abbreviate(s string) string {
	if len(s) > 200 {
		return s[:100] + "..." + s[len(s)-100:]
	}
	return s
}

func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
}
