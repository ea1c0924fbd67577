package wiki

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// PageFields are the front matter keys the editor shows as form fields
// above the text: the ones a non-technical author needs.
type PageFields struct {
	// Title is the front matter title; "" when the page has none.
	Title string
	// Tags are the page's tags, in order, without duplicates.
	Tags []string
	// Lang is the language of the page's text ("nl", "en"); "" for the
	// wiki's.
	Lang string
}

// SplitPage is a page's text split into its front matter fields and the
// Markdown body, remembering the front matter exactly as it was written, so
// that JoinFields changes only what the author changed.
type SplitPage struct {
	// Fields are the known keys as read.
	Fields PageFields
	// Body is the text after the front matter.
	Body string
	// front is the front matter block as written, delimiters included;
	// "" when the page has none.
	front string
	// entries are the front matter's top-level keys with their raw lines.
	entries []fmEntry
	// style remembers how tags were written: flow ("[a, b]") or a
	// comma-separated scalar.
	scalarTags bool
}

// fmEntry is one top-level key of the front matter with the lines that
// belong to it, newline included, exactly as written.
type fmEntry struct {
	key string
	raw string
}

// fieldKeys are the keys PageFields stands for.
var fieldKeys = []string{"title", "tags", "lang"}

// fmKey matches a top-level "key:" line of simple front matter.
var fmKey = regexp.MustCompile(`^([A-Za-z0-9_][A-Za-z0-9_.-]*):(?:[ \t]|$)`)

// SplitFields splits content into front matter fields and body. ok is false
// when the front matter holds something the fields cannot represent
// faithfully (comments, blank lines, multi-line or complex values of the
// known keys, duplicate keys, CR characters): the editor then shows the
// whole text as it is. A page without front matter splits into empty
// fields and the whole text as body.
func SplitFields(content string) (SplitPage, bool) {
	if strings.Contains(content, "\r") {
		return SplitPage{}, false
	}
	n := frontMatterEnd(content)
	if n == 0 {
		if firstLine(content) == "---" {
			// An unclosed block: the renderer shows it as text, and so
			// must the editor, or a title added later would swallow it.
			return SplitPage{}, false
		}
		return SplitPage{Body: content}, true
	}
	sp := SplitPage{Body: content[n:], front: content[:n]}
	inner := content[len("---\n"):n]
	last := strings.LastIndexByte(strings.TrimSuffix(inner, "\n"), '\n')
	if strings.TrimSuffix(inner[last+1:], "\n") != "---" {
		return SplitPage{}, false
	}
	if !sp.parseEntries(inner[:last+1]) || !sp.readKnown() {
		return SplitPage{}, false
	}
	return sp, true
}

// parseEntries cuts the lines between the delimiters into top-level keys
// with their continuation lines.
func (sp *SplitPage) parseEntries(lines string) bool {
	for _, line := range strings.SplitAfter(lines, "\n") {
		if line == "" {
			continue
		}
		body := strings.TrimSuffix(line, "\n")
		switch {
		case strings.TrimSpace(body) == "", strings.HasPrefix(strings.TrimSpace(body), "#"):
			return false
		case fmKey.MatchString(body):
			sp.entries = append(sp.entries, fmEntry{key: fmKey.FindStringSubmatch(body)[1], raw: line})
		case (body[0] == ' ' || body[0] == '\t' || strings.HasPrefix(body, "- ")) && len(sp.entries) > 0:
			sp.entries[len(sp.entries)-1].raw += line
		default:
			return false
		}
	}
	return true
}

// readKnown decodes the known keys, refusing what it cannot round-trip.
func (sp *SplitPage) readKnown() bool {
	seen := map[string]bool{}
	for _, e := range sp.entries {
		if seen[e.key] {
			return false
		}
		seen[e.key] = true
		if !slices.Contains(fieldKeys, e.key) {
			continue
		}
		if strings.Count(e.raw, "\n") > 1 {
			return false
		}
		v := strings.TrimSpace(strings.TrimSuffix(e.raw, "\n")[len(e.key)+1:])
		var ok bool
		switch e.key {
		case "title":
			sp.Fields.Title, ok = yamlScalar(v)
		case "lang":
			sp.Fields.Lang, ok = yamlScalar(v)
		case "tags":
			sp.Fields.Tags, sp.scalarTags, ok = yamlTags(v)
		}
		if !ok {
			return false
		}
	}
	return true
}

// Join rebuilds the page from fields and body: a known key whose value did
// not change keeps its line byte for byte, a changed one gets a new line in
// its place, an emptied one is dropped, a new one is added at the end;
// every other key stays as it was, where it was.
func (sp SplitPage) Join(f PageFields, body string) string {
	f = cleanFields(f)
	if sp.front != "" && slices.Equal(cleanFields(sp.Fields).Tags, f.Tags) &&
		cleanFields(sp.Fields).Title == f.Title && cleanFields(sp.Fields).Lang == f.Lang {
		return sp.front + body
	}
	var out []string
	done := map[string]bool{}
	for _, e := range sp.entries {
		if !slices.Contains(fieldKeys, e.key) {
			out = append(out, e.raw)
			continue
		}
		done[e.key] = true
		if sp.same(e.key, f) {
			out = append(out, e.raw)
		} else if line := sp.fieldLine(e.key, f); line != "" {
			out = append(out, line)
		}
	}
	for _, k := range fieldKeys {
		if line := sp.fieldLine(k, f); !done[k] && line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return body
	}
	return "---\n" + strings.Join(out, "") + "---\n" + body
}

// same reports whether key has the same value in f as in the page read.
func (sp SplitPage) same(key string, f PageFields) bool {
	old := cleanFields(sp.Fields)
	switch key {
	case "title":
		return old.Title == f.Title
	case "lang":
		return old.Lang == f.Lang
	}
	return slices.Equal(old.Tags, f.Tags)
}

// fieldLine is the front matter line for key with its value in f, "" when
// the value is empty.
func (sp SplitPage) fieldLine(key string, f PageFields) string {
	switch key {
	case "title":
		if f.Title != "" {
			return "title: " + yamlQuote(f.Title) + "\n"
		}
	case "lang":
		if f.Lang != "" {
			return "lang: " + yamlQuote(f.Lang) + "\n"
		}
	case "tags":
		if len(f.Tags) == 0 {
			return ""
		}
		q := make([]string, len(f.Tags))
		for i, t := range f.Tags {
			q[i] = yamlQuote(t)
		}
		if sp.scalarTags {
			if s := strings.Join(f.Tags, ", "); yamlQuote(s) == s {
				return "tags: " + s + "\n"
			}
		}
		return "tags: [" + strings.Join(q, ", ") + "]\n"
	}
	return ""
}

// ParseTags reads a comma-separated tag field: trimmed, without empty
// entries and duplicates, in order.
func ParseTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// cleanFields trims the fields as the form would.
func cleanFields(f PageFields) PageFields {
	f.Title = strings.TrimSpace(f.Title)
	f.Lang = strings.TrimSpace(f.Lang)
	f.Tags = ParseTags(strings.Join(f.Tags, ","))
	return f
}

// frontMatterEnd is the length of the front matter block at the start of
// content, closing line included, or 0 when there is none. It follows the
// renderer: the first line is "---", a later line of dashes closes it.
func frontMatterEnd(content string) int {
	if strings.TrimRight(firstLine(content), " \t\r") != "---" {
		return 0
	}
	n := strings.IndexByte(content, '\n') + 1
	for rest := content[n:]; rest != ""; {
		line, after, found := strings.Cut(rest, "\n")
		n += len(line)
		if found {
			n++
		}
		if t := strings.TrimSpace(line); t != "" && strings.Trim(t, "-") == "" {
			return n
		}
		rest = after
	}
	return 0
}

// firstLine is content up to its first newline.
func firstLine(content string) string {
	line, _, _ := strings.Cut(content, "\n")
	return line
}

// plainUnsafe are characters that make a plain YAML scalar mean something
// else (or not parse) when they appear in it.
const plainUnsafe = ":#[]{},&*!|>'\"%@`\\"

// yamlScalar decodes a one-line scalar: plain, 'single' or "double" quoted
// without escapes other than \" and \\. ok is false for anything else.
func yamlScalar(v string) (string, bool) {
	switch {
	case v == "":
		return "", true
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		inner := v[1 : len(v)-1]
		if strings.Count(inner, "'")%2 != 0 || strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return "", false
		}
		return strings.ReplaceAll(inner, "''", "'"), true
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		return unquoteDouble(v[1 : len(v)-1])
	case !plainSafe(v):
		return "", false
	}
	return v, true
}

// plainSafe reports whether v reads back as itself when written as a plain
// YAML scalar on a key's line.
func plainSafe(v string) bool {
	return !strings.ContainsAny(v[:1], plainUnsafe+"-? \t") && !isYAMLWord(v) &&
		!strings.Contains(v, ": ") && !strings.Contains(v, " #") && !strings.HasSuffix(v, ":")
}

// unquoteDouble decodes the inside of a double-quoted scalar that uses no
// escapes but \" and \\.
func unquoteDouble(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == '\\' || c == '"':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// yamlTags decodes tags written as a one-line flow list ("[a, b]") or as a
// comma-separated scalar ("a, b"); scalar reports the latter.
func yamlTags(v string) (tags []string, scalar, ok bool) {
	if v == "" {
		return nil, false, true
	}
	if v[0] != '[' {
		if !plainSafe(v) {
			return nil, false, false
		}
		return ParseTags(v), true, true
	}
	if v[len(v)-1] != ']' {
		return nil, false, false
	}
	for _, item := range strings.Split(v[1:len(v)-1], ",") {
		t, ok := yamlScalar(strings.TrimSpace(item))
		if !ok {
			return nil, false, false
		}
		if t != "" {
			tags = append(tags, t)
		}
	}
	return tags, false, true
}

// yamlQuote writes s as a YAML scalar that reads back as the string s:
// plain when that is safe, else double-quoted.
func yamlQuote(s string) string {
	if s != "" && s == strings.TrimSpace(s) && !strings.ContainsAny(s, plainUnsafe) && plainSafe(s) {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// isYAMLWord reports whether a plain scalar would read as something other
// than a string: a number, a boolean, null.
func isYAMLWord(v string) bool {
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n":
		return true
	}
	_, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64)
	return err == nil || strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0o")
}
