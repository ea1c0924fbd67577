package storage

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/text/unicode/norm"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// pushChecker validates the commits of a push before main may move to
// them. It checks what git fsck --strict checks of commits and trees, and
// the wiki's own rules (fsck.go), and what the wiki needs of files: that
// every page can be reached by its name, is valid UTF-8 and within the size
// limits, and that no two files or folders of one folder differ only in
// letter case.
//
// Each new commit is compared with its first parent, and only entries that
// differ are checked: whatever the parent already had was checked when it
// arrived (or predates the wiki and is not the pusher's doing).
type pushChecker struct {
	r   *Repo
	q   *quarantine
	lim PushLimits
	// fresh collects the pushed objects that the new history reaches:
	// only these are kept.
	fresh []plumbing.Hash
	seen  map[plumbing.Hash]bool
	// checked remembers trees by hash and path, and blobs by hash and
	// kind (page or not), so that shared content is checked once.
	checked map[string]bool
	// collision is the first pair of names that differ only in letter
	// case. It is reported after checkFoldedNames, whose message about
	// pages says more.
	collision error
}

// reject builds the error that refuses a push.
func reject(reason, format string, args ...any) *PushRejection {
	return &PushRejection{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// newCommits walks from new back to main's history and returns the pushed
// commits, newest first. It refuses a push that does not contain old (a
// rewrite of history) and one whose objects are missing.
func (c *pushChecker) newCommits(old, new plumbing.Hash) ([]*object.Commit, error) {
	oldSeq := int32(-1)
	if !old.IsZero() {
		s, ok := c.r.chainSeq(old)
		if !ok {
			return nil, errStale
		}
		oldSeq = s
	}
	var out []*object.Commit
	visited := map[plumbing.Hash]bool{}
	stack := []plumbing.Hash{new}
	ff := old.IsZero()
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[h] {
			continue
		}
		visited[h] = true
		// Every commit on main's first-parent chain at or after old
		// descends from old; those before it are old's ancestors. Either
		// way the walk stops there.
		if s, ok := c.r.chainSeq(h); ok {
			if s >= oldSeq && oldSeq >= 0 {
				ff = true
			}
			continue
		}
		o, err := c.q.EncodedObject(plumbing.AnyObject, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, reject("missing objects", "the pushed history refers to commit %s, which neither the push nor the wiki has", h)
		}
		if err != nil {
			return nil, fmt.Errorf("read commit %s: %w", h, err)
		}
		if o.Type() == plumbing.TagObject {
			return nil, reject("not a commit", "%s is a tag; the wiki's branch holds commits, and the wiki keeps no tags", h)
		}
		if o.Type() != plumbing.CommitObject {
			return nil, reject("not a commit", "%s is a %s, not a commit", h, o.Type())
		}
		if _, local := c.q.local(h); local {
			b, err := readAll(o)
			if err != nil {
				return nil, err
			}
			if p := fsckCommit(b); p != nil {
				return nil, reject("bad commit", "commit %s: %s (%s)", h.String()[:10], p.Msg, p.ID)
			}
			c.keep(h)
		}
		cm, err := object.DecodeCommit(c.q, o)
		if err != nil {
			return nil, reject("bad commit", "commit %s cannot be read: %v", h, err)
		}
		if _, local := c.q.local(h); local {
			out = append(out, cm)
		}
		stack = append(stack, cm.ParentHashes...)
	}
	if !ff {
		return nil, reject("non-fast-forward",
			"the push would remove commits from the wiki's history (was it a force push, a rebase or an amended commit?).\n"+
				"The wiki only accepts pushes that build on its current history: run 'git pull', then push again.")
	}
	return out, nil
}

func (c *pushChecker) keep(h plumbing.Hash) {
	if !c.seen[h] {
		c.seen[h] = true
		c.fresh = append(c.fresh, h)
	}
}

// chainSeq returns the position of h on main's first-parent chain.
func (r *Repo) chainSeq(h plumbing.Hash) (int32, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.idx.seq[h]
	return s, ok
}

// checkCommit checks the tree of a pushed commit against its first
// parent's.
func (c *pushChecker) checkCommit(cm *object.Commit) error {
	var base plumbing.Hash
	if len(cm.ParentHashes) > 0 {
		p, err := object.GetCommit(c.q, cm.ParentHashes[0])
		if err != nil {
			return fmt.Errorf("read parent of %s: %w", cm.Hash, err)
		}
		base = p.TreeHash
	}
	if err := c.checkTree(cm.TreeHash, base, ""); err != nil {
		var rej *PushRejection
		if errors.As(err, &rej) {
			rej.Message = fmt.Sprintf("in commit %s (%q by %s):\n%s", cm.Hash.String()[:10], firstLine(cm.Message), cm.Author.Name, rej.Message)
		}
		return err
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// checkTree checks tree t at path prefix, entry by entry where it differs
// from base, the tree at the same path in the parent.
func (c *pushChecker) checkTree(t, base plumbing.Hash, prefix string) error {
	if t == base {
		return nil
	}
	key := "t" + t.String() + prefix
	if c.checked[key] {
		return nil
	}
	c.checked[key] = true
	o, err := c.q.EncodedObject(plumbing.AnyObject, t)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return reject("missing objects", "folder %q refers to tree %s, which neither the push nor the wiki has", strings.TrimSuffix(prefix, "/"), t)
	}
	if err != nil {
		return fmt.Errorf("read tree %s: %w", t, err)
	}
	if o.Type() != plumbing.TreeObject {
		return reject("bad tree", "%s at %q is a %s, not a tree", t, prefix, o.Type())
	}
	b, err := readAll(o)
	if err != nil {
		return err
	}
	entries, p := fsckTree(b)
	if p != nil {
		return treeRejection(p, t, prefix)
	}
	if _, local := c.q.local(t); local {
		c.keep(t)
	}
	before := map[string]object.TreeEntry{}
	if !base.IsZero() {
		bt, err := object.GetTree(c.q, base)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", base, err)
		}
		for _, e := range bt.Entries {
			before[e.Name] = e
		}
	}
	if c.collision == nil {
		for _, pair := range foldCollisions(entries) {
			_, had0 := before[pair[0]]
			_, had1 := before[pair[1]]
			if had0 && had1 {
				continue // the parent had both: not this push's doing
			}
			c.collision = reject("name taken", "%q and %q differ only in letter case; the two would be one file on Windows and macOS.\n%s", prefix+pair[0], prefix+pair[1], renameAdvice)
			break
		}
	}
	for _, e := range entries {
		p := prefix + e.Name
		if b, ok := before[e.Name]; ok && b.Hash == e.Hash && b.Mode == e.Mode {
			continue
		}
		switch e.Mode {
		case filemode.Dir:
			var sub plumbing.Hash
			if b, ok := before[e.Name]; ok && b.Mode == filemode.Dir {
				sub = b.Hash
			}
			if err := c.checkTree(e.Hash, sub, p+"/"); err != nil {
				return err
			}
		case filemode.Regular, filemode.Executable:
			if err := c.checkFile(p, e.Hash); err != nil {
				return err
			}
		default:
			// fsckTree refuses every other mode.
			return fmt.Errorf("tree %s: unexpected mode %v", t, e.Mode)
		}
	}
	return nil
}

// treeRejection explains why tree t at prefix is refused.
func treeRejection(p *fsckProblem, t plumbing.Hash, prefix string) error {
	path := prefix + p.Name
	switch p.ID {
	case "wikiSymlink":
		return reject("symbolic link", "%q is a symbolic link; the wiki stores only files and folders.\n%s", path, fixAdvice)
	case "wikiSubmodule":
		return reject("submodule", "%q is a submodule; the wiki stores only files and folders.\n%s", path, fixAdvice)
	}
	if p.Name != "" {
		return reject("invalid page name", "%q is not a valid name for the wiki: %s.\n%s", path, p.Msg, renameAdvice)
	}
	where := "the top folder"
	if prefix != "" {
		where = fmt.Sprintf("folder %q", strings.TrimSuffix(prefix, "/"))
	}
	return reject("bad tree", "%s (tree %s): %s (%s).\n%s", where, t, p.Msg, p.ID, fixAdvice)
}

// checkFile checks a file's path and content.
func (c *pushChecker) checkFile(p string, h plumbing.Hash) error {
	page := strings.HasSuffix(p, wiki.PageExt)
	if err := checkPushedPath(p, page); err != nil {
		return err
	}
	if !page && !c.lim.allowsType(p) {
		return reject("file type", "%q: %q files are not accepted by this wiki; allowed are %s.\n%s", p, path.Ext(p), strings.Join(c.lim.FileTypes, ", "), fixAdvice)
	}
	key := "b" + h.String()
	if page {
		key += "p"
	}
	if c.checked[key] {
		return nil
	}
	c.checked[key] = true
	o, err := c.q.EncodedObject(plumbing.AnyObject, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return reject("missing objects", "%q refers to blob %s, which neither the push nor the wiki has", p, h)
	}
	if err != nil {
		return fmt.Errorf("read blob %s: %w", h, err)
	}
	if o.Type() != plumbing.BlobObject {
		return reject("bad tree", "%q is a %s, not a file", p, o.Type())
	}
	limit, what := c.lim.MaxFileBytes, "file"
	if page {
		limit, what = c.lim.MaxPageBytes, "page"
	}
	if o.Size() > limit {
		return reject("file too large", "%q is %s; a %s may be at most %s.\n%s", p, byteSize(o.Size()), what, byteSize(limit), fixAdvice)
	}
	if page {
		b, err := readAll(o)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return reject("invalid UTF-8", "page %q is not valid UTF-8 text; save it as UTF-8.\n%s", p, fixAdvice)
		}
		if bytes.IndexByte(b, 0) >= 0 {
			return reject("invalid text", "page %q contains NUL characters; pages are text.\n%s", p, fixAdvice)
		}
	}
	if _, local := c.q.local(h); local {
		c.keep(h)
	}
	return nil
}

// checkPushedPath applies the page-name rules to a file's path: a page
// must map to a valid name (or it could never be reached in the wiki), an
// attachment must keep to the same rules of its whole path. Names must be
// in NFC, the form URLs are normalised to.
func checkPushedPath(p string, page bool) error {
	name := p
	if page {
		name = strings.TrimSuffix(p, wiki.PageExt)
	}
	n, err := wiki.ParseName(name)
	why := ""
	switch {
	case err != nil:
		// ParseName says `invalid page name: "x": why`; the path is
		// quoted below already.
		why = err.Error()
		for _, q := range []string{name, norm.NFC.String(name)} {
			why = strings.TrimPrefix(why, fmt.Sprintf("%v: %q: ", wiki.ErrInvalidName, q))
		}
	case string(n) != name:
		why = fmt.Sprintf("it is not in Unicode NFC form (rename it to %q)", string(n)+strings.TrimPrefix(p, name))
	default:
		return nil
	}
	what := "file"
	if page {
		what = "page"
	}
	return reject("invalid page name", "%q is not a valid %s name for the wiki: %s.\n%s", p, what, why, renameAdvice)
}

// fixAdvice tells how to take a bad file out of commits not yet pushed.
const fixAdvice = "Fix it, then redo your commits without the bad version:\n" +
	"  git reset --soft origin/main && git commit\n" +
	"and push again."

// renameAdvice tells how to take a bad name out of commits not yet pushed:
// each pushed commit is checked, so renaming in a new commit is not enough.
const renameAdvice = "Rename it (git mv), then redo your commits without the old name:\n" +
	"  git reset --soft origin/main && git commit\n" +
	"and push again. The wiki's help page lists the rules for page names."

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkEntryName checks one part of a path: the rules of wiki.ParseName that
// apply to each part on its own.
func checkEntryName(s string) error {
	switch {
	case s == "":
		return errors.New("it is empty")
	case strings.ContainsRune(s, '/'):
		return errors.New("it contains a slash")
	case !utf8.ValidString(s):
		return errors.New("it is not valid UTF-8")
	case s == "." || s == "..":
		return errors.New(`"." and ".." are not allowed`)
	case strings.HasPrefix(s, "."):
		return errors.New(`a name may not start with "." (hidden files cannot be reached in the wiki)`)
	case strings.TrimSpace(s) != s:
		return errors.New("a name may not start or end with a space")
	case strings.ContainsRune(s, '\\'):
		return errors.New("it contains a backslash")
	case !norm.NFC.IsNormalString(s):
		return fmt.Errorf("it is not in Unicode NFC form (rename it to %q)", norm.NFC.String(s))
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			return errors.New("it contains a control character")
		}
		if strings.ContainsRune(`<>:"|?*`, r) {
			return fmt.Errorf("it contains %q, which is not allowed in file names", r)
		}
	}
	return nil
}
