package wiki

import (
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki/diff"
)

// changedSections returns the titles of the Markdown sections (ATX
// headings) of new that contain changed lines, in order, once each.
// Changes before the first heading belong to no section.
func changedSections(old, new string) []string {
	res, err := diff.Compare(old, new, diff.Options{})
	if err != nil {
		return nil
	}
	var (
		out     []string
		seen    = map[string]bool{}
		current string // title of the section the walk is in
		inFence bool
	)
	for _, l := range res.Lines {
		if l.Op != diff.Delete {
			trimmed := strings.TrimSpace(l.Text)
			if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
				inFence = !inFence
			}
			if t, ok := headingTitle(l.Text); ok && !inFence {
				current = t
			}
		}
		if l.Op != diff.Equal && current != "" && !seen[current] {
			seen[current] = true
			out = append(out, current)
		}
	}
	return out
}

// headingTitle returns the text of an ATX heading line ("## Aanvraag").
func headingTitle(line string) (string, bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return "", false
	}
	level := len(t) - len(strings.TrimLeft(t, "#"))
	if level < 1 || level > 6 || (len(t) > level && t[level] != ' ' && t[level] != '\t') {
		return "", false
	}
	title := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(t[level:]), "#"))
	return title, title != ""
}
