package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// compareRevisions returns a check that compares the revision ids of a
// JSON list under key (as the history and recent-changes APIs answer)
// with the commit ids that begin the lines of git log's output. Both
// should list the same commits; where they differ (merges, renames) the
// note says from which position on.
func compareRevisions(key string) func(ww, ref []byte) string {
	return func(ww, ref []byte) string {
		var doc map[string][]struct {
			Revision string `json:"revision"`
		}
		if err := json.Unmarshal(ww, &doc); err != nil {
			return fmt.Sprintf("wikiwerk's answer is not the expected JSON: %v", err)
		}
		got := doc[key]
		var want []string
		for line := range bytes.Lines(ref) {
			id, _, _ := bytes.Cut(line, []byte{0})
			want = append(want, string(bytes.TrimSpace(id)))
		}
		ids := make([]string, len(got))
		for i, r := range got {
			ids[i] = r.Revision
		}
		first := -1
		for i := range min(len(ids), len(want)) {
			if ids[i] != want[i] {
				first = i
				break
			}
		}
		if first < 0 && len(ids) == len(want) {
			return fmt.Sprintf("%d each, identical", len(ids))
		}
		note := fmt.Sprintf("wikiwerk %d, git %d", len(ids), len(want))
		if first >= 0 {
			note += fmt.Sprintf(", differing from #%d", first+1)
		}
		// Both lists are cut at the limit, so an id missing near the end
		// may simply be the next one; those near the top are the story.
		if extra := missing(ids, want); len(extra) > 0 {
			note += "; only wikiwerk lists " + strings.Join(extra, ", ")
		}
		if extra := missing(want, ids); len(extra) > 0 {
			note += "; only git lists " + strings.Join(extra, ", ")
		}
		return note
	}
}

// missing returns up to three short ids of a that b lacks.
func missing(a, b []string) []string {
	var out []string
	for i, id := range a {
		if !slices.Contains(b, id) && len(out) < 3 {
			out = append(out, fmt.Sprintf("%.10s (#%d)", id, i+1))
		}
	}
	return out
}

// compareBlame compares the number of lines blamed. wikiwerk's blame JSON
// is read loosely, as the longest list in the top-level object, so that
// the check does not break on a field name.
func compareBlame(ww, ref []byte) string {
	gitLines := 0
	for line := range bytes.Lines(ref) {
		if len(line) > 0 && line[0] == '\t' {
			gitLines++
		}
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(ww, &doc); err != nil {
		return fmt.Sprintf("wikiwerk's answer is not a JSON object: %v; git blamed %d lines", err, gitLines)
	}
	longest := -1
	for _, raw := range doc {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			longest = max(longest, len(list))
		}
	}
	if longest == gitLines {
		return fmt.Sprintf("%d lines each", gitLines)
	}
	return fmt.Sprintf("wikiwerk %d lines, git %d lines", longest, gitLines)
}
