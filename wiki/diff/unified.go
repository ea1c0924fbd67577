package diff

import (
	"strconv"
	"strings"
)

// noEOLMarker follows a line that has no terminator because it is the last
// line of a text without a final newline; patch and git apply need it to
// recreate the text byte for byte.
const noEOLMarker = "\\ No newline at end of file\n"

// Unified returns the unified diff from old to new, labelled oldLabel and
// newLabel on the "---" and "+++" lines (written as given, so pass
// "a/Page.md" and "b/Page.md" for a git-style patch), with context
// unchanged lines around each change. It returns "" when the texts are
// equal. CRLF is normalised to LF first, so the patch applies to the LF form
// of old. The output is accepted by patch and git apply; git apply needs
// context > 0 unless it is run with --unidiff-zero. It returns an error
// wrapping ErrTooLarge when a text is over opt.MaxBytes.
func Unified(old, new, oldLabel, newLabel string, context int, opt Options) (string, error) {
	r, err := Compare(old, new, opt)
	if err != nil {
		return "", err
	}
	hunks := r.Hunks(context)
	if len(hunks) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("--- " + oldLabel + "\n")
	b.WriteString("+++ " + newLabel + "\n")
	for _, h := range hunks {
		b.WriteString("@@ -" + hunkRange(h.OldStart, h.OldLines) + " +" + hunkRange(h.NewStart, h.NewLines) + " @@\n")
		for _, l := range h.Lines {
			prefix, noEOL := " ", false
			switch l.Op {
			case Equal:
				// An equal line includes its terminator, so it is the
				// unterminated last line of both texts or of neither.
				noEOL = r.oldNoEOL && l.Old == r.oldLines
			case Delete:
				prefix, noEOL = "-", r.oldNoEOL && l.Old == r.oldLines
			case Insert:
				prefix, noEOL = "+", r.newNoEOL && l.New == r.newLines
			}
			b.WriteString(prefix + l.Text + "\n")
			if noEOL {
				b.WriteString(noEOLMarker)
			}
		}
	}
	return b.String(), nil
}

// hunkRange formats one side of a hunk header; like GNU diff it leaves out
// a count of 1.
func hunkRange(start, lines int) string {
	if lines == 1 {
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(lines)
}
