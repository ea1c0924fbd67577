package wiki

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki/diff"
)

// BlameLine is one line of a page with the revision that last changed it.
type BlameLine struct {
	// Number is the 1-based line number.
	Number int
	// Text is the line, without its line end.
	Text string
	// Revision is the commit that gave the line its current text.
	Revision Revision
}

// Blame returns every line of the current page with the revision, author
// and time that last changed it. With a BlameIndex (Options.BlameIndex)
// that holds the page's current version this is a lookup, and lines that
// a merge brought in from its other side keep their real authors, as in
// git blame. Otherwise it walks the page's history from the index
// (following renames), diffing each revision with the one before, and
// stops as soon as every line is accounted for, so recently edited pages
// are cheap whatever the size of the repository; the walk credits what a
// merge brought in to the merge. Results are cached per page revision.
func (w *Wiki) Blame(ctx context.Context, name Name) ([]BlameLine, error) {
	page, err := w.store.ReadPage(ctx, name, "")
	if err != nil {
		return nil, err
	}
	key := blameKey{name, page.Revision.ID}
	w.cacheMu.Lock()
	cached, ok := w.blames.Get(key)
	w.cacheMu.Unlock()
	if ok {
		return cached.([]BlameLine), nil
	}
	lines := splitText(string(page.Content))
	out, ok, err := w.blameFromIndex(ctx, page, lines)
	if err != nil {
		return nil, err
	}
	if !ok {
		if out, err = w.blameByWalk(ctx, name, page, lines); err != nil {
			return nil, err
		}
	}
	w.cacheMu.Lock()
	w.blames.Add(key, out)
	w.cacheMu.Unlock()
	return out, nil
}

// blameFromIndex answers from the blame index; ok is false when there is
// none, it does not hold the page's current version, or its answer does
// not fit the text or the history (an index out of step with the
// repository is passed over, never believed).
func (w *Wiki) blameFromIndex(ctx context.Context, page *Page, lines []string) ([]BlameLine, bool, error) {
	if w.blameIdx == nil {
		return nil, false, nil
	}
	owners, ok, err := w.blameIdx.Blame(ctx, page.Name.Path(), page.Blob, page.Revision.ID)
	if err != nil || !ok || len(owners) != len(lines) {
		return nil, false, err
	}
	out := make([]BlameLine, len(lines))
	revs := map[string]*Revision{}
	for i, id := range owners {
		rev, seen := revs[id]
		if !seen {
			rev, err = w.store.Revision(ctx, id)
			if errors.Is(err, ErrNotFound) {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, fmt.Errorf("blame %s: %w", page.Name, err)
			}
			revs[id] = rev
		}
		out[i] = BlameLine{Number: i + 1, Text: lines[i], Revision: *rev}
	}
	return out, true, nil
}

// blameByWalk blames the current page (page, split into lines) by walking
// its history back from head.
func (w *Wiki) blameByWalk(ctx context.Context, name Name, page *Page, lines []string) ([]BlameLine, error) {
	out := make([]BlameLine, len(lines))
	// pos[i] is where line i of the current text is in the version being
	// looked at, -1 once it has an owner or was not in that version.
	pos := make([]int, len(lines))
	for i := range lines {
		out[i] = BlameLine{Number: i + 1, Text: lines[i]}
		pos[i] = i
	}
	open := len(lines)
	q := HistoryQuery{Limit: 500}
	var last *PageRevision
	// cur is the version the lines are being traced through. History is a
	// graph: a revision made on the other side of a merge did not produce
	// the version being traced and is passed over (its lines then count
	// for the merge).
	cur := page.Blob
	// newer is the text of cur: each step's older text is the next step's
	// newer one, so every version is read once.
	newer := string(page.Content)
	for open > 0 && cur != "" {
		revs, err := w.store.History(ctx, name, q)
		if err != nil {
			return nil, err
		}
		if len(revs) == 0 {
			break
		}
		for i := range revs {
			rev := &revs[i]
			if rev.Blob != cur {
				continue
			}
			last = rev
			cur = rev.PrevBlob
			older, err := w.readText(ctx, rev.PrevBlob)
			if err != nil {
				return nil, err
			}
			open -= attribute(out, pos, rev.Revision, older, newer)
			newer = older
			if open == 0 || cur == "" {
				break
			}
		}
		q.Before = revs[len(revs)-1].ID
	}
	if open > 0 && last != nil {
		// Lines older than the walk (a history cut short): the oldest
		// revision seen is the best answer.
		for i := range pos {
			if pos[i] >= 0 {
				out[i].Revision = last.Revision
			}
		}
	}
	return out, nil
}

type blameKey struct {
	name     Name
	revision string
}

// attribute gives rev the lines still open that rev inserted into newer,
// and maps the others to their place in older. It returns how many lines
// it gave an owner.
func attribute(out []BlameLine, pos []int, rev Revision, older, newer string) int {
	res, err := diff.Compare(older, newer, diff.Options{LinesOnly: true})
	// newToOld maps a line of newer to its line in older, -1 if inserted.
	newLines := strings.Count(newer, "\n") + 1
	newToOld := make([]int, newLines+1)
	for i := range newToOld {
		newToOld[i] = -1
	}
	if err == nil {
		for _, l := range res.Lines {
			if l.Op == diff.Equal && l.New-1 < len(newToOld) {
				newToOld[l.New-1] = l.Old - 1
			}
		}
	}
	// A diff that failed (too large, say) attributes every open line to
	// this revision rather than guessing.
	owned := 0
	for i, p := range pos {
		if p < 0 {
			continue
		}
		if p < len(newToOld) && newToOld[p] >= 0 {
			pos[i] = newToOld[p]
			continue
		}
		out[i].Revision = rev
		pos[i] = -1
		owned++
	}
	return owned
}

func (w *Wiki) readText(ctx context.Context, blob string) (string, error) {
	if blob == "" {
		return "", nil
	}
	b, err := w.store.ReadBlob(ctx, blob)
	if err != nil {
		return "", fmt.Errorf("blame: %w", err)
	}
	return string(b), nil
}

// splitText splits a text into lines without their ends; a final line end
// does not start another line.
func splitText(s string) []string {
	s = strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
