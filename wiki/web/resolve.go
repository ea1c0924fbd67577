package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// conflictPart is one region of a failed merge as the conflict form shows
// it: clean text both sides agree on, or a conflict to choose in.
type conflictPart struct {
	// Index numbers the parts in the form's fields.
	Index int
	// Number counts conflicts only, for "conflict 2 of 3".
	Number int
	// Clean is true for text both sides agree on; Text holds it.
	Clean bool
	Text  string
	// Theirs and Mine are the two versions of a conflicting region.
	Theirs, Mine string
}

// maxParts bounds the number of regions a resolution form may post.
const maxParts = 10000

// conflictParts turns a merge into the parts of the conflict form.
func conflictParts(ce *wiki.ConflictError) []conflictPart {
	if ce.Merge == nil {
		return nil
	}
	var parts []conflictPart
	n := 0
	for i, r := range ce.Merge.Regions {
		p := conflictPart{Index: i}
		if r.Conflict == nil {
			p.Clean, p.Text = true, r.Text
		} else {
			n++
			p.Number = n
			p.Theirs, p.Mine = joinLines(r.Conflict.Theirs), joinLines(r.Conflict.Mine)
		}
		parts = append(parts, p)
	}
	return parts
}

func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// resolution assembles the text the user chose in the conflict form: the
// clean parts as they were, and for each conflict their version, the
// other version, both, or their own combination.
func resolution(form url.Values) (string, error) {
	n, err := strconv.Atoi(form.Get("parts"))
	if err != nil || n < 0 || n > maxParts {
		return "", fmt.Errorf("%w: the conflict form is incomplete", wiki.ErrInvalidInput)
	}
	var b strings.Builder
	for i := range n {
		key := strconv.Itoa(i)
		if clean, ok := form["part-"+key]; ok {
			b.WriteString(clean[0])
			continue
		}
		theirs, mine := form.Get("theirs-"+key), form.Get("mine-"+key)
		switch form.Get("choice-" + key) {
		case "theirs":
			b.WriteString(theirs)
		case "both":
			b.WriteString(theirs)
			b.WriteString(mine)
		case "custom":
			b.WriteString(asLines(form.Get("custom-" + key)))
		case "mine":
			b.WriteString(mine)
		default:
			return "", fmt.Errorf("%w: choose a version for conflict %d", wiki.ErrInvalidInput, i+1)
		}
	}
	return b.String(), nil
}

// asLines makes text typed in a form box a run of whole lines, as the
// regions around it expect.
func asLines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}
