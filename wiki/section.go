package wiki

import (
	"fmt"
	"strings"
)

// Section is a part of a page's source: a heading and what follows it up
// to the next heading of the same or a higher level.
type Section struct {
	// Level is 1 for "#" up to 6 for "######" (setext: 1 for "=", 2 for "-").
	Level int
	// Title is the heading's text as written, without the markers.
	Title string
	// Start and End are byte offsets into the source: the start of the
	// heading line, and the start of the next heading of the same or a
	// higher level (or the end of the text).
	Start, End int
}

// Sections returns the sections of src in order, one per heading; number
// n (counting from 1) is Sections(src)[n-1]. Headings inside fenced code
// and in the front matter are not headings. Setext headings count when
// their text is a single line after a blank line.
func Sections(src string) []Section {
	var (
		out         []Section
		fence       string // the opening fence run while inside one
		prev        string // the previous line, for setext headings
		prevAt      int
		blankBefore = true // the line before prev was blank (or none)
	)
	pos := frontMatterEnd(src)
	for pos < len(src) {
		line, _, _ := strings.Cut(src[pos:], "\n")
		next := pos + len(line) + 1
		trimmed := strings.TrimRight(line, " \t\r")
		indent := len(trimmed) - len(strings.TrimLeft(trimmed, " "))
		body := strings.TrimLeft(trimmed, " ")
		switch {
		case fence != "":
			if indent < 4 && strings.HasPrefix(body, fence) && strings.Trim(body, fence[:1]) == "" {
				fence = ""
			}
		case indent < 4 && (strings.HasPrefix(body, "```") || strings.HasPrefix(body, "~~~")):
			fence = body[:len(body)-len(strings.TrimLeft(body, body[:1]))]
		default:
			if t, ok := headingTitle(line); ok {
				out = append(out, Section{Level: strings.Count(body[:strings.IndexAny(body+" ", " \t")], "#"), Title: t, Start: pos})
			} else if lvl := setextLevel(body, indent); lvl > 0 && blankBefore && isPlainLine(prev) {
				out = append(out, Section{Level: lvl, Title: strings.TrimSpace(prev), Start: prevAt})
			}
		}
		blankBefore = strings.TrimSpace(prev) == ""
		prev, prevAt = line, pos
		if fence != "" {
			prev = ""
		}
		pos = next
	}
	for i := range out {
		out[i].End = len(src)
		for _, later := range out[i+1:] {
			if later.Level <= out[i].Level {
				out[i].End = later.Start
				break
			}
		}
	}
	return out
}

// setextLevel is 1 for a "===" underline, 2 for "---", else 0.
func setextLevel(body string, indent int) int {
	switch {
	case indent >= 4 || body == "":
	case strings.Trim(body, "=") == "":
		return 1
	case strings.Trim(body, "-") == "":
		return 2
	}
	return 0
}

// isPlainLine reports whether line can be the text of a setext heading:
// not blank, not indented as code, not a list item, quote, table row,
// heading or HTML.
func isPlainLine(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(line, "    ") || strings.ContainsAny(t[:1], "-*+>|#<=`~") {
		return false
	}
	if i := strings.IndexAny(t, ".)"); i > 0 && i < 10 && strings.Trim(t[:i], "0123456789") == "" {
		return false
	}
	return true
}

// SectionText returns the text of section n (from 1) of src.
// Returns ErrNotFound when src has no such section.
func SectionText(src string, n int) (Section, string, error) {
	secs := Sections(src)
	if n < 1 || n > len(secs) {
		return Section{}, "", fmt.Errorf("%w: section %d of %d", ErrNotFound, n, len(secs))
	}
	s := secs[n-1]
	return s, src[s.Start:s.End], nil
}

// ReplaceSection returns src with section n (from 1) replaced by text. A
// text that does not end in a newline gets one when more follows, so the
// next heading stays on a line of its own. Returns ErrNotFound when src has
// no such section.
func ReplaceSection(src string, n int, text string) (string, error) {
	s, _, err := SectionText(src, n)
	if err != nil {
		return "", err
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if s.End < len(src) && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if s.End < len(src) && !strings.HasSuffix(text, "\n\n") && strings.HasSuffix(src[s.Start:s.End], "\n\n") {
		// The textarea drops nothing, but people trim; keep the blank
		// line that separated the section from the next heading.
		text += "\n"
	}
	return src[:s.Start] + text + src[s.End:], nil
}

// ChangedSections returns the titles of the sections of new that hold
// changed lines, in order, once each: for a default edit summary.
func ChangedSections(old, new []byte) []string {
	return changedSections(string(old), string(new))
}
