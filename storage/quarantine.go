package storage

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// quarantine holds the objects of a pushed pack in memory until the push
// is validated, so that a refused push leaves nothing in the repository.
// Lookups fall through to the repository, taking its lock for each one:
// pushed packs are thin (their deltas name bases the server has), and
// pushed trees share subtrees with main.
//
// A quarantine is used by one goroutine.
type quarantine struct {
	r       *Repo
	objects map[plumbing.Hash]plumbing.EncodedObject
	// maxObject and maxTotal bound what a pack may inflate to, so that a
	// small pack cannot exhaust the server's memory.
	maxObject, maxTotal, total int64
}

var _ storer.EncodedObjectStorer = (*quarantine)(nil)

func newQuarantine(r *Repo, maxObject, maxTotal int64) *quarantine {
	return &quarantine{r: r, objects: map[plumbing.Hash]plumbing.EncodedObject{}, maxObject: maxObject, maxTotal: maxTotal}
}

// errPackTooBig is wrapped by quarantine errors about size.
var errPackTooBig = errors.New("too big")

func (q *quarantine) NewEncodedObject() plumbing.EncodedObject { return &plumbing.MemoryObject{} }

func (q *quarantine) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	if o.Type() == plumbing.OFSDeltaObject || o.Type() == plumbing.REFDeltaObject {
		return plumbing.ZeroHash, plumbing.ErrInvalidType
	}
	h := o.Hash()
	if _, ok := q.objects[h]; ok {
		return h, nil
	}
	if o.Size() > q.maxObject {
		return plumbing.ZeroHash, fmt.Errorf("%w: a %s of %d bytes (the limit is %d)", errPackTooBig, o.Type(), o.Size(), q.maxObject)
	}
	if q.total += o.Size(); q.total > q.maxTotal {
		return plumbing.ZeroHash, fmt.Errorf("%w: the pushed objects come to more than %d bytes", errPackTooBig, q.maxTotal)
	}
	q.objects[h] = o
	return h, nil
}

// local returns an object of the push itself.
func (q *quarantine) local(h plumbing.Hash) (plumbing.EncodedObject, bool) {
	o, ok := q.objects[h]
	return o, ok
}

func (q *quarantine) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, ok := q.objects[h]; ok {
		if t != plumbing.AnyObject && o.Type() != t {
			return nil, plumbing.ErrObjectNotFound
		}
		return o, nil
	}
	q.r.gitMu.Lock()
	defer q.r.gitMu.Unlock()
	o, err := q.r.st.EncodedObject(t, h)
	if err != nil {
		return nil, err
	}
	return inMemory(o)
}

// inMemory returns a copy of o held in memory. go-git returns large packed
// objects as lazy readers of the pack file; copying them while holding the
// lock keeps all go-git code under it.
func inMemory(o plumbing.EncodedObject) (plumbing.EncodedObject, error) {
	if m, ok := o.(*plumbing.MemoryObject); ok {
		return m, nil
	}
	b, err := readAll(o)
	if err != nil {
		return nil, err
	}
	m := &plumbing.MemoryObject{}
	m.SetType(o.Type())
	if _, err := m.Write(b); err != nil {
		return nil, err
	}
	return m, nil
}

func (q *quarantine) IterEncodedObjects(t plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	var list []plumbing.EncodedObject
	for _, o := range q.objects {
		if t == plumbing.AnyObject || o.Type() == t {
			list = append(list, o)
		}
	}
	return storer.NewEncodedObjectSliceIter(list), nil
}

func (q *quarantine) HasEncodedObject(h plumbing.Hash) error {
	if _, ok := q.objects[h]; ok {
		return nil
	}
	q.r.gitMu.Lock()
	defer q.r.gitMu.Unlock()
	return q.r.st.HasEncodedObject(h)
}

func (q *quarantine) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if o, ok := q.objects[h]; ok {
		return o.Size(), nil
	}
	q.r.gitMu.Lock()
	defer q.r.gitMu.Unlock()
	return q.r.st.EncodedObjectSize(h)
}

func (q *quarantine) AddAlternate(string) error {
	return errors.New("a push quarantine has no alternates")
}
