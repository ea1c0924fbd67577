package storage

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/text/cases"
)

// This file holds the rules a pushed object must meet before the wiki
// keeps it: first those of git fsck --strict (fsck.c and path.c of git
// 2.39, with git's message ids, so that a repository the wiki accepted a
// push into is always clean for `git fsck --strict` and safe to clone),
// then the wiki's own, which are stricter. fsck_test.go checks every rule
// against the git CLI's verdict on the same objects.

// fsckProblem is why an object is refused.
type fsckProblem struct {
	// ID is git's message id ("nulInHeader", "hasDotgit", ...) for a rule
	// of git fsck, or one starting with "wiki" for the wiki's own.
	ID string
	// Name is the tree entry the wiki's rules refuse, if they do; then Msg
	// says why without repeating it.
	Name string
	// Msg says what is wrong, for the person pushing.
	Msg string
}

func (p *fsckProblem) Error() string {
	if p.Name != "" {
		return fmt.Sprintf("%s: %q: %s", p.ID, p.Name, p.Msg)
	}
	return p.ID + ": " + p.Msg
}

func problem(id, format string, args ...any) *fsckProblem {
	return &fsckProblem{ID: id, Msg: fmt.Sprintf(format, args...)}
}

// maxEntryBytes bounds one part of a path: most file systems (ext4, APFS,
// NTFS) take no longer file names, so a clone could not check it out.
const maxEntryBytes = 255

// fsckObject applies every rule that an object of type t with content b
// can be judged by on its own: commits, tags and trees; blobs are judged by
// their path (pushChecker.checkFile).
func fsckObject(t plumbing.ObjectType, b []byte) *fsckProblem {
	switch t {
	case plumbing.CommitObject:
		return fsckCommit(b)
	case plumbing.TagObject:
		return fsckTag(b)
	case plumbing.TreeObject:
		entries, p := fsckTree(b)
		if p != nil {
			return p
		}
		if c := foldCollisions(entries); len(c) > 0 {
			return collisionProblem(c[0])
		}
	}
	return nil
}

// verifyHeaders is git's verify_headers: no NUL before the blank line that
// ends the header, and a header that ends in a newline.
func verifyHeaders(b []byte) *fsckProblem {
	for i, c := range b {
		switch c {
		case 0:
			return problem("nulInHeader", "a NUL byte in the header at offset %d", i)
		case '\n':
			if i+1 < len(b) && b[i+1] == '\n' {
				return nil
			}
		}
	}
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return nil
	}
	return problem("unterminatedHeader", "the header does not end in a newline")
}

// isHex40 is a 40-digit object id in lower case. Git also reads upper
// case; git itself never writes it, and the wiki refuses it so that an id
// has one spelling.
func isHex40(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkID checks the id on a header line.
func checkID(id, line, s string) *fsckProblem {
	switch {
	case isHex40(s):
		return nil
	case isHex40(strings.ToLower(s)):
		return problem("wikiUppercaseID", "the %s line %q has an id in upper case, which git never writes", line, s)
	}
	return problem(id, "bad %s line %q", line, s)
}

// headerLine returns the value of the next header line if it starts with
// key and a space, and the rest of b after it.
func headerLine(b []byte, key string) (string, []byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(key+" "))
	if !ok {
		return "", b, false
	}
	line, after, found := bytes.Cut(rest, []byte("\n"))
	if !found {
		return string(line), nil, true
	}
	return string(line), after, true
}

// fsckCommit is git's fsck_commit, plus the wiki's rules: one committer
// (git reads the first, go-git the last, so two would show different
// people), and a name in both identities (the wiki shows the author beside
// every change).
func fsckCommit(b []byte) *fsckProblem {
	if p := verifyHeaders(b); p != nil {
		return p
	}
	tree, rest, ok := headerLine(b, "tree")
	if !ok {
		return problem("missingTree", "no tree line")
	}
	if p := checkID("badTreeSha1", "tree", tree); p != nil {
		return p
	}
	for {
		var p string
		if p, rest, ok = headerLine(rest, "parent"); !ok {
			break
		}
		if p := checkID("badParentSha1", "parent", p); p != nil {
			return p
		}
	}
	authors := 0
	for {
		var a string
		if a, rest, ok = headerLine(rest, "author"); !ok {
			break
		}
		authors++
		if p := fsckIdent(a); p != nil {
			p.Msg = fmt.Sprintf("author %q: %s", a, p.Msg)
			return p
		}
		if p := wikiIdent(a); p != nil {
			p.Msg = fmt.Sprintf("author %q: %s", a, p.Msg)
			return p
		}
	}
	switch {
	case authors == 0:
		return problem("missingAuthor", "no author")
	case authors > 1:
		return problem("multipleAuthors", "more than one author")
	}
	c, rest, ok := headerLine(rest, "committer")
	if !ok {
		return problem("missingCommitter", "no committer")
	}
	if p := fsckIdent(c); p != nil {
		p.Msg = fmt.Sprintf("committer %q: %s", c, p.Msg)
		return p
	}
	if p := wikiIdent(c); p != nil {
		p.Msg = fmt.Sprintf("committer %q: %s", c, p.Msg)
		return p
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return problem("nulInCommit", "a NUL byte in the commit message")
	}
	for len(rest) > 0 && rest[0] != '\n' {
		if _, _, ok := headerLine(rest, "committer"); ok {
			return problem("wikiMultipleCommitters", "more than one committer")
		}
		_, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
	}
	return nil
}

// fsckIdent is git's fsck_ident for "Name <email> 1700000000 +0100". Git
// reads the date with strtoumax, which also takes a sign or leading
// blanks; the wiki takes digits only, as git writes it.
func fsckIdent(s string) *fsckProblem {
	if strings.HasPrefix(s, "<") {
		return problem("missingNameBeforeEmail", "no space before the e-mail address")
	}
	i := strings.IndexAny(s, "<>")
	switch {
	case i >= 0 && s[i] == '>':
		return problem("badName", "bad name")
	case i < 0:
		return problem("missingEmail", "no e-mail address in <...>")
	case s[i-1] != ' ':
		return problem("missingSpaceBeforeEmail", "no space before the e-mail address")
	}
	rest := s[i+1:]
	j := strings.IndexAny(rest, "<>")
	if j < 0 || rest[j] != '>' {
		return problem("badEmail", "bad e-mail address")
	}
	date, ok := strings.CutPrefix(rest[j+1:], " ")
	if !ok {
		return problem("missingSpaceBeforeDate", "no date")
	}
	if date != "" && date[0] == '0' && (len(date) < 2 || date[1] != ' ') {
		return problem("zeroPaddedDate", "bad date: zero-padded")
	}
	ts, tz, ok := strings.Cut(date, " ")
	n := 0
	for n < len(ts) && ts[n] >= '0' && ts[n] <= '9' {
		n++
	}
	if n > 0 {
		if _, err := strconv.ParseInt(ts[:n], 10, 64); err != nil {
			return problem("badDateOverflow", "bad date: too large")
		}
	}
	if !ok || n == 0 || n != len(ts) {
		return problem("badDate", "bad date")
	}
	if len(tz) != 5 || (tz[0] != '+' && tz[0] != '-') || !allDigits(tz[1:]) {
		return problem("badTimezone", "bad time zone %q", tz)
	}
	return nil
}

// wikiIdent adds the wiki's rule: a name that is not empty.
func wikiIdent(s string) *fsckProblem {
	name, _, _ := strings.Cut(s, "<")
	if strings.TrimSpace(name) == "" {
		return problem("wikiEmptyName", "no name: set one with git config user.name")
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// fsckTag is git's fsck_tag_standalone. Only main can be pushed, so no tag
// ever reaches the wiki; the rules are here so that the checker covers
// every kind of object git checks.
func fsckTag(b []byte) *fsckProblem {
	if p := verifyHeaders(b); p != nil {
		return p
	}
	obj, rest, ok := headerLine(b, "object")
	if !ok {
		return problem("missingObject", "no object line")
	}
	if p := checkID("badObjectSha1", "object", obj); p != nil {
		return p
	}
	typ, rest, ok := headerLine(rest, "type")
	if !ok {
		return problem("missingTypeEntry", "no type line")
	}
	if rest == nil {
		return problem("missingType", "the header ends after the type line")
	}
	if _, err := plumbing.ParseObjectType(typ); err != nil || typ == "ofs-delta" || typ == "ref-delta" {
		return problem("badType", "bad type %q", typ)
	}
	_, rest, ok = headerLine(rest, "tag")
	if !ok {
		return problem("missingTagEntry", "no tag line")
	}
	if rest == nil {
		return problem("missingTag", "the header ends after the tag line")
	}
	// Git only notes a bad tag name or a missing tagger (old tags have
	// none), even with --strict.
	if tagger, _, ok := headerLine(rest, "tagger"); ok {
		if p := fsckIdent(tagger); p != nil {
			p.Msg = fmt.Sprintf("tagger %q: %s", tagger, p.Msg)
			return p
		}
	}
	return nil
}

// fsckTree parses a tree and applies git fsck --strict's rules to its
// entries (zero-padded modes, unsorted or duplicate entries, empty names,
// names with a slash, ".", "..", ".git" under any name Windows or macOS
// would take for it, a symbolic link named .gitmodules, null ids) and those
// it only warns about (other modes, a symbolic link named .gitattributes),
// then the wiki's: only files and folders (no symbolic links, no
// submodules), and names the wiki can serve and every clone can check out
// (checkEntryName, at most 255 bytes, no .gitmodules-like names, which
// would configure submodules).
func fsckTree(b []byte) ([]object.TreeEntry, *fsckProblem) {
	var out []object.TreeEntry
	var prev []byte
	prevDir := false
	names := map[string]bool{}
	var wiki *fsckProblem
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		nul := bytes.IndexByte(b, 0)
		if sp < 0 || nul < sp || len(b) < nul+21 {
			return nil, problem("badTree", "cannot be parsed as a tree (a truncated entry)")
		}
		modeText, name := b[:sp], b[sp+1:nul]
		var h plumbing.Hash
		copy(h[:], b[nul+1:nul+21])
		b = b[nul+21:]
		if len(name) == 0 {
			return nil, problem("badTree", "cannot be parsed as a tree (an entry with an empty name)")
		}
		mode, ok := treeModes[string(modeText)]
		if !ok {
			if len(modeText) > 0 && modeText[0] == '0' {
				return nil, problem("zeroPaddedFilemode", "entry %q has the zero-padded file mode %q, which git does not write", name, modeText)
			}
			return nil, problem("badFilemode", "entry %q has the file mode %q, which git does not write", name, modeText)
		}
		s := string(name)
		switch {
		case bytes.IndexByte(name, '/') >= 0:
			return nil, problem("fullPathname", "entry %q contains a slash", s)
		case s == ".":
			return nil, problem("hasDot", `an entry named "."`)
		case s == "..":
			return nil, problem("hasDotdot", `an entry named ".."`)
		case isHFSDotGit(s) || isNTFSDotGit(s):
			return nil, problem("hasDotgit", "entry %q, which Windows or macOS would take for %q", s, ".git")
		case mode == filemode.Symlink && (isHFSDot(s, "gitmodules") || isNTFSDot(s, "gitmodules", "gi7eba")):
			return nil, problem("gitmodulesSymlink", "entry %q is a symbolic link named like .gitmodules", s)
		case mode == filemode.Symlink && (isHFSDot(s, "gitattributes") || isNTFSDot(s, "gitattributes", "gi7d29")):
			return nil, problem("gitattributesSymlink", "entry %q is a symbolic link named like .gitattributes", s)
		case h.IsZero():
			return nil, problem("nullSha1", "entry %q has a null id", s)
		}
		// A backslash separates folders on Windows: git checks each part.
		for _, part := range strings.Split(s, `\`)[1:] {
			if isNTFSDotGit(part) {
				return nil, problem("hasDotgit", "entry %q, which Windows would take for a path through %q", s, ".git")
			}
		}
		dir := mode == filemode.Dir
		if prev != nil {
			switch gitEntryOrder(prev, prevDir, name, dir) {
			case 0:
				return nil, problem("duplicateEntries", "duplicate entry %q", s)
			case 1:
				return nil, problem("treeNotSorted", "entries are not sorted the way git sorts them (%q before %q)", prev, s)
			}
		}
		// A file and a folder of one name sort apart ("a", "a.txt",
		// "a/"), so git remembers the names it saw.
		if names[s] {
			return nil, problem("duplicateEntries", "duplicate entry %q", s)
		}
		names[s] = true
		prev, prevDir = name, dir
		if wiki == nil {
			wiki = wikiEntry(s, mode)
		}
		out = append(out, object.TreeEntry{Name: s, Mode: mode, Hash: h})
	}
	// The wiki's rules come after git's, so that the id of a problem is
	// git's whenever git would refuse the tree too.
	if wiki != nil {
		return nil, wiki
	}
	return out, nil
}

// treeModes are the modes git writes. Git fsck --strict only warns about
// others (badFilemode; 100664 was written by very old versions of git),
// except zero-padded ones; the wiki refuses them all.
var treeModes = map[string]filemode.FileMode{
	"100644": filemode.Regular,
	"100755": filemode.Executable,
	"40000":  filemode.Dir,
	"120000": filemode.Symlink,
	"160000": filemode.Submodule,
}

// gitEntryOrder orders two tree entries as git does, a folder's name as
// if it ended in "/": -1 if a sorts first, 0 if the names are equal, 1 if b
// sorts first.
func gitEntryOrder(a []byte, aDir bool, b []byte, bDir bool) int {
	n := min(len(a), len(b))
	if c := bytes.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	if len(a) == len(b) {
		return 0
	}
	next := func(s []byte, dir bool) byte {
		if len(s) > n {
			return s[n]
		}
		if dir {
			return '/'
		}
		return 0
	}
	ca, cb := next(a, aDir), next(b, bDir)
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}

// wikiEntry applies the wiki's rules to one tree entry.
func wikiEntry(name string, mode filemode.FileMode) *fsckProblem {
	p := func(id, format string, args ...any) *fsckProblem {
		return &fsckProblem{ID: id, Name: name, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case mode == filemode.Symlink:
		return p("wikiSymlink", "it is a symbolic link; the wiki stores only files and folders")
	case mode == filemode.Submodule:
		return p("wikiSubmodule", "it is a submodule; the wiki stores only files and folders")
	case len(name) > maxEntryBytes:
		return p("wikiNameTooLong", "it is %d bytes long; a file or folder name may be at most %d bytes (in UTF-8), or a clone could not check it out", len(name), maxEntryBytes)
	}
	for _, special := range []struct{ name, short string }{
		{"gitmodules", "gi7eba"}, {"gitattributes", "gi7d29"}, {"gitignore", "gi250a"}, {"mailmap", "maba30"},
	} {
		if isHFSDot(name, special.name) || isNTFSDot(name, special.name, special.short) {
			return p("wikiGitFile", "Windows or macOS would take it for %q, a file that configures git (the wiki has none)", "."+special.name)
		}
	}
	if err := checkEntryName(name); err != nil {
		return p("wikiBadName", "%v", err)
	}
	return nil
}

// foldCollisions lists the pairs of entries whose names differ only in
// letter case: on Windows and macOS they would be one file (or a file and
// a folder of one name), so a clone there loses one of them.
func foldCollisions(entries []object.TreeEntry) [][2]string {
	var out [][2]string
	seen := make(map[string]string, len(entries))
	c := cases.Fold()
	for _, e := range entries {
		k := c.String(e.Name)
		if other, ok := seen[k]; ok {
			out = append(out, [2]string{other, e.Name})
			continue
		}
		seen[k] = e.Name
	}
	return out
}

func collisionProblem(pair [2]string) *fsckProblem {
	return &fsckProblem{ID: "wikiCaseCollision", Name: pair[1], Msg: fmt.Sprintf("it differs from %q only in letter case; the two would be one file on Windows and macOS", pair[0])}
}

// The functions below are git's, from path.c and utf8.c: the names that
// file systems on Windows (NTFS short names, trailing dots and spaces,
// alternate streams) and macOS (HFS+, which ignores some invisible
// characters and case) take for .git and git's own files.

// isNTFSDotGit is git's is_ntfs_dotgit.
func isNTFSDotGit(name string) bool {
	var rest string
	switch {
	case len(name) >= 4 && strings.EqualFold(name[:4], ".git"):
		rest = name[4:]
	case len(name) >= 5 && strings.EqualFold(name[:5], "git~1"):
		rest = name[5:]
	default:
		return false
	}
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\', '/', ':':
			return true
		case '.', ' ':
		default:
			return false
		}
	}
	return true
}

// onlySpacesAndPeriods is what NTFS drops from the end of a name; a colon
// starts an alternate data stream of the file named before it.
func onlySpacesAndPeriods(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			return true
		case ' ', '.':
		default:
			return false
		}
	}
	return true
}

// isNTFSDot is git's is_ntfs_dot_generic: name is "."+dotName under NTFS,
// its short name (the first six letters, "~" and 1 to 4) or the fallback
// short name that starts with shortPrefix.
func isNTFSDot(name, dotName, shortPrefix string) bool {
	if len(name) > len(dotName) && name[0] == '.' && strings.EqualFold(name[1:1+len(dotName)], dotName) {
		return onlySpacesAndPeriods(name[1+len(dotName):])
	}
	if len(name) >= 8 && strings.EqualFold(name[:6], dotName[:6]) && name[6] == '~' && name[7] >= '1' && name[7] <= '4' {
		return onlySpacesAndPeriods(name[8:])
	}
	sawTilde := false
	i := 0
	for ; i < 8; i++ {
		if i >= len(name) {
			return false
		}
		c := name[i]
		switch {
		case sawTilde:
			if c < '0' || c > '9' {
				return false
			}
		case c == '~':
			i++
			if i >= len(name) || name[i] < '1' || name[i] > '9' {
				return false
			}
			sawTilde = true
		case i >= 6:
			return false
		case c&0x80 != 0:
			return false
		case lowerASCII(c) != shortPrefix[i]:
			return false
		}
	}
	return onlySpacesAndPeriods(name[i:])
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hfsIgnored are the code points HFS+ leaves out when it compares names.
func hfsIgnored(r rune) bool {
	switch r {
	case 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f, 0xfeff:
		return true
	}
	return false
}

// nextHFSChar is git's next_hfs_char: the next code point that HFS+ does
// not ignore, or 0 at the end or at bytes that are not UTF-8.
func nextHFSChar(s string) (rune, string) {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n <= 1 {
			// Git stops at bytes that are not UTF-8, as at the end.
			return 0, ""
		}
		s = s[n:]
		if !hfsIgnored(r) {
			return r, s
		}
	}
	return 0, ""
}

// isHFSDot is git's is_hfs_dot_generic: name is "."+needle to HFS+.
func isHFSDot(name, needle string) bool {
	r, rest := nextHFSChar(name)
	if r != '.' {
		return false
	}
	for i := 0; i < len(needle); i++ {
		r, rest = nextHFSChar(rest)
		if r > 127 || lowerASCII(byte(r)) != needle[i] {
			return false
		}
	}
	r, _ = nextHFSChar(rest)
	return r == 0 || r == '/'
}

func isHFSDotGit(name string) bool { return isHFSDot(name, "git") }
