package storage

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// This file answers the questions of a fetch (git clone, git pull): which
// refs there are, which of the client's commits we share, and which objects
// the client is missing. pack.go turns the answer into a pack.

// ErrNotOurRef is returned when a client wants a commit that is not on the
// branch's history: only what main reaches (now or before) can be fetched,
// so that unreachable objects never leave the server.
var ErrNotOurRef = errors.New("not our ref")

// Branch returns the name of the branch that holds the wiki and the commit
// it points at (zero while the repository is empty). These are the refs
// that git clients see.
func (r *Repo) Branch() (plumbing.ReferenceName, plumbing.Hash, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	// Someone with access to the folder may have moved the branch; the
	// index must know the commit before a client can ask for it.
	if err := r.syncLocked(); err != nil {
		return r.branch, plumbing.ZeroHash, err
	}
	return r.branch, r.headHash(), nil
}

// HaveAnswer is what the server knows after one "have" line of a fetch
// negotiation.
type HaveAnswer struct {
	// Common reports that the repository holds the object too.
	Common bool
	// Ready reports that, counting this have, every want reaches a common
	// commit: the server could send a pack without learning more.
	Ready bool
}

// Negotiate answers one round of a fetch negotiation: for each of haves (in
// order), whether it is common and whether the server is ready after it. It
// returns an error wrapping ErrNotOurRef when a want is not a commit of the
// branch's first-parent history.
func (r *Repo) Negotiate(wants, haves []plumbing.Hash) ([]HaveAnswer, error) {
	r.gitMu.Lock()
	defer r.gitMu.Unlock()
	minWant, err := r.checkWantsLocked(wants)
	if err != nil {
		return nil, err
	}
	out := make([]HaveAnswer, len(haves))
	ready := false
	for i, h := range haves {
		common := r.st.HasEncodedObject(h) == nil
		// All wants lie on main's first-parent chain, so a common commit
		// on that chain at or before the oldest want is an ancestor of
		// every want. That is all "ready" needs; a have elsewhere only
		// means another round.
		if s, ok := r.idx.seq[h]; common && ok && s <= minWant {
			ready = true
		}
		out[i] = HaveAnswer{Common: common, Ready: ready}
	}
	return out, nil
}

// checkWantsLocked checks that every want is on the chain and returns the
// lowest sequence number among them.
func (r *Repo) checkWantsLocked(wants []plumbing.Hash) (int32, error) {
	if len(wants) == 0 {
		return 0, fmt.Errorf("%w: no wants", ErrNotOurRef)
	}
	minWant := int32(-1)
	side := false
	for _, w := range wants {
		s, ok := r.idx.seq[w]
		if !ok && r.isSideTipLocked(w) {
			// A proposal or the wiki's records (sidebranch.go): not on
			// main's chain, so "ready" cannot be told early; the
			// client's "done" ends the negotiation.
			side = true
			continue
		}
		if !ok {
			return 0, fmt.Errorf("%w: %s", ErrNotOurRef, w)
		}
		if minWant < 0 || s < minWant {
			minWant = s
		}
	}
	if side {
		minWant = -1
	}
	return minWant, nil
}

// FetchRequest is what a client fetches once negotiation is over.
type FetchRequest struct {
	// Wants are the commits asked for; Negotiate's rules apply.
	Wants []plumbing.Hash
	// Haves are the client's commits that the repository has too; the
	// client has everything they reach, so none of it is sent.
	Haves []plumbing.Hash
	// OfsDelta allows deltas that name their base by offset (capability
	// ofs-delta); otherwise deltas name their base by id.
	OfsDelta bool
	// ThinPack allows deltas against objects the client has but the pack
	// does not contain (capability thin-pack).
	ThinPack bool
}

// cloneCache remembers the objects of a full clone of one commit, so that
// the next clone walks only the commits made since, as git does with
// reachability bitmaps. The walk runs under the repository lock, so this
// also keeps clones from holding up saves.
type cloneCache struct {
	head    plumbing.Hash
	objects []fetchObject
	index   map[plumbing.Hash]int
}

// fetchObjectsLocked finds the objects for req, from the clone cache when
// req is a clone. Callers hold gitMu.
func (r *Repo) fetchObjectsLocked(ctx context.Context, w *fetchWalk, req FetchRequest) error {
	want := req.Wants[0]
	for _, h := range req.Wants {
		if h != want {
			return w.walkLocked(ctx, req.Wants, req.Haves)
		}
	}
	if len(req.Haves) > 0 {
		return w.walkLocked(ctx, req.Wants, req.Haves)
	}
	c := r.packs.clone
	wantSeq, _ := r.idx.seq[want]
	var cachedSeq int32 = -1
	if c != nil {
		if s, ok := r.idx.seq[c.head]; ok {
			cachedSeq = s
		}
	}
	switch {
	case cachedSeq >= 0 && c.head == want:
	case cachedSeq >= 0 && cachedSeq < wantSeq:
		// The cached head is on main's chain before want, so it is an
		// ancestor: walk only what came since.
		inc := &fetchWalk{or: w.or}
		if err := inc.walkLocked(ctx, req.Wants, []plumbing.Hash{c.head}); err != nil {
			return err
		}
		for _, o := range inc.objects {
			if _, ok := c.index[o.hash]; !ok {
				c.index[o.hash] = len(c.objects)
				c.objects = append(c.objects, o)
			}
		}
		c.head = want
	default:
		if err := w.walkLocked(ctx, req.Wants, nil); err != nil {
			return err
		}
		if cachedSeq < wantSeq {
			r.packs.clone = &cloneCache{head: want, objects: w.objects, index: w.included}
		}
		return nil
	}
	w.objects, w.included, w.clientHas = c.objects, c.index, map[plumbing.Hash]bool{}
	return nil
}

// fetchObject is one object a fetch sends.
type fetchObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	// pathBase is the object at the same path in the parent commit, zero
	// if none: usually a good delta base, as it is the previous version.
	pathBase plumbing.Hash
}

// fetchWalk finds the objects reachable from the wants but not from the
// haves.
type fetchWalk struct {
	or *objectReader
	// objects are the objects to send, parents' objects before
	// children's.
	objects []fetchObject
	// included maps each object to send to its position in objects.
	included map[plumbing.Hash]int
	// clientHas holds objects met on the parents' side of a tree
	// comparison that were not sent: the client has them.
	clientHas map[plumbing.Hash]bool
	// scratch holds the entry lists of the trees being compared, two per
	// level of depth, reused from one comparison to the next.
	scratch [][]rawEntry
}

// walkLocked fills w for req. Callers hold gitMu.
//
// Commits are walked the way git's rev-list does: newest first from wants
// and haves together, haves' ancestors marked uninteresting, stopping once
// only uninteresting commits remain. Then each new commit's tree is compared
// with its first parent's, in parents-first order, and only entries that
// differ are descended into: whatever equals the parent's entry is either
// sent already (the parent is new too) or held by the client (the parent is
// one of its commits). The cost therefore follows the size of the change,
// not of the wiki, and the parent's version of each object is at hand as a
// delta base.
func (w *fetchWalk) walkLocked(ctx context.Context, wants, haves []plumbing.Hash) error {
	w.included = map[plumbing.Hash]int{}
	w.clientHas = map[plumbing.Hash]bool{}
	commits, err := w.walkCommits(ctx, wants, haves)
	if err != nil {
		return err
	}
	for i, n := range commits {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		w.include(n.c.hash, plumbing.CommitObject, plumbing.ZeroHash)
		var base plumbing.Hash
		if p := n.firstParent; p != nil {
			base = p.c.tree
			if p.uninteresting {
				w.clientHas[p.c.hash] = true
			}
		}
		if err := w.diffTree(n.c.tree, base, 0); err != nil {
			return fmt.Errorf("walk commit %s: %w", n.c.hash, err)
		}
	}
	for h := range w.clientHas {
		if _, ok := w.included[h]; ok {
			delete(w.clientHas, h)
		}
	}
	return nil
}

func (w *fetchWalk) include(h plumbing.Hash, t plumbing.ObjectType, base plumbing.Hash) {
	if _, ok := w.included[h]; ok {
		return
	}
	w.included[h] = len(w.objects)
	w.objects = append(w.objects, fetchObject{hash: h, typ: t, pathBase: base})
}

// readTree reads the entries of tree h into scratch list i.
func (w *fetchWalk) readTree(h plumbing.Hash, i int) ([]rawEntry, error) {
	for len(w.scratch) <= i {
		w.scratch = append(w.scratch, nil)
	}
	if h.IsZero() {
		return w.scratch[i][:0], nil
	}
	t, b, err := w.or.read(h)
	if err != nil {
		return nil, err
	}
	if t != plumbing.TreeObject {
		return nil, fmt.Errorf("%s is a %s, not a tree", h, t)
	}
	entries, err := parseRawTree(w.scratch[i], b)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	w.scratch[i] = entries
	return entries, nil
}

// diffTree includes tree t and what it holds that differs from base, the
// tree at the same path in the parent (zero if none). depth is t's depth
// below the root.
func (w *fetchWalk) diffTree(t, base plumbing.Hash, depth int) error {
	if t == base {
		return nil
	}
	if _, ok := w.included[t]; ok {
		return nil
	}
	if !base.IsZero() {
		w.clientHas[base] = true
	}
	w.include(t, plumbing.TreeObject, base)
	entries, err := w.readTree(t, 2*depth)
	if err != nil {
		return err
	}
	old, err := w.readTree(base, 2*depth+1)
	if err != nil {
		return err
	}
	// Both lists are in git's tree order: walk them side by side.
	j := 0
	for i := range entries {
		e := &entries[i]
		for j < len(old) && compareEntries(&old[j], e) < 0 {
			j++
		}
		var o *rawEntry
		if j < len(old) && compareEntries(&old[j], e) == 0 {
			o = &old[j]
			if o.hash == e.hash && o.mode == e.mode {
				continue
			}
		}
		switch {
		case e.mode == filemode.Submodule:
			// A gitlink names a commit of another repository: nothing
			// to send.
		case e.isDir():
			var ob plumbing.Hash
			if o != nil {
				ob = o.hash
			}
			if err := w.diffTree(e.hash, ob, depth+1); err != nil {
				return err
			}
		default:
			var ob plumbing.Hash
			if o != nil && o.mode.IsFile() {
				ob = o.hash
				w.clientHas[ob] = true
			}
			w.include(e.hash, plumbing.BlobObject, ob)
		}
	}
	return nil
}

// compareEntries orders tree entries as git does: by name, as if the
// names of subtrees ended in "/". Entries compare equal only when both
// name and kind (subtree or not) match.
func compareEntries(a, b *rawEntry) int {
	n := min(len(a.name), len(b.name))
	if c := bytes.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	next := func(e *rawEntry) int {
		switch {
		case len(e.name) > n:
			return int(e.name[n])
		case e.isDir():
			return '/'
		}
		return 0
	}
	return next(a) - next(b)
}

// commitNode is a commit met by walkCommits.
type commitNode struct {
	c             *rawCommit
	uninteresting bool
	// firstParent is set once the commit is known to be sent.
	firstParent *commitNode
	parents     []*commitNode
	sent        bool
}

// commitQueue orders commits newest first by committer time.
type commitQueue []*commitNode

func (q commitQueue) Len() int           { return len(q) }
func (q commitQueue) Less(i, j int) bool { return q[i].c.when > q[j].c.when }
func (q commitQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)        { *q = append(*q, x.(*commitNode)) }
func (q *commitQueue) Pop() any {
	old := *q
	n := old[len(old)-1]
	*q = old[:len(old)-1]
	return n
}

// walkCommits returns the commits reachable from wants and not from haves,
// parents before children. Haves that are not commits are ignored.
func (w *fetchWalk) walkCommits(ctx context.Context, wants, haves []plumbing.Hash) ([]*commitNode, error) {
	nodes := map[plumbing.Hash]*commitNode{}
	var q commitQueue
	interesting := 0 // interesting commits in q
	load := func(h plumbing.Hash, uninteresting bool) (*commitNode, error) {
		if n, ok := nodes[h]; ok {
			if uninteresting && !n.uninteresting {
				n.uninteresting = true
				if !n.sent {
					interesting--
				}
			}
			return n, nil
		}
		t, b, err := w.or.read(h)
		if err != nil {
			return nil, err
		}
		if t != plumbing.CommitObject {
			return nil, fmt.Errorf("%w: %s is a %s", plumbing.ErrInvalidType, h, t)
		}
		c, err := parseRawCommit(h, b)
		if err != nil {
			return nil, err
		}
		n := &commitNode{c: c, uninteresting: uninteresting}
		nodes[h] = n
		heap.Push(&q, n)
		if !uninteresting {
			interesting++
		}
		return n, nil
	}
	for _, h := range haves {
		if _, err := load(h, true); err != nil {
			if errors.Is(err, plumbing.ErrObjectNotFound) || errors.Is(err, plumbing.ErrInvalidType) {
				continue
			}
			return nil, err
		}
	}
	var roots []*commitNode
	for _, h := range wants {
		n, err := load(h, false)
		if err != nil {
			return nil, err
		}
		roots = append(roots, n)
	}
	for steps := 0; q.Len() > 0 && interesting > 0; steps++ {
		if steps%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		n := heap.Pop(&q).(*commitNode)
		if !n.uninteresting {
			interesting--
			n.sent = true
		}
		for i, ph := range n.c.parents {
			p, err := load(ph, n.uninteresting)
			if err != nil {
				return nil, err
			}
			n.parents = append(n.parents, p)
			if i == 0 {
				n.firstParent = p
			}
		}
	}
	// Parents first: a depth-first walk from the wants over sent commits,
	// emitting each after its parents. Explicit stack, as histories can
	// be deep.
	var out []*commitNode
	done := map[*commitNode]bool{}
	type frame struct {
		n    *commitNode
		next int
	}
	for _, root := range roots {
		if !root.sent || done[root] {
			continue
		}
		stack := []frame{{n: root}}
		done[root] = true
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(f.n.parents) {
				p := f.n.parents[f.next]
				f.next++
				if p.sent && !p.uninteresting && !done[p] {
					done[p] = true
					stack = append(stack, frame{n: p})
				}
				continue
			}
			out = append(out, f.n)
			stack = stack[:len(stack)-1]
		}
	}
	return out, nil
}
