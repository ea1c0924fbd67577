package wiki

import "context"

// Ready reports whether the wiki can serve pages: the repository is open
// and has a head.
func (w *Wiki) Ready(ctx context.Context) bool {
	snap, err := w.store.Snapshot(ctx)
	return err == nil && snap.Head != ""
}

// Indexing reports whether the history is still being indexed (a first
// start on a large repository), with the commits done of total. History,
// blame and recent changes are empty until it is done.
func (w *Wiki) Indexing() (done, total int, busy bool) {
	if ix, ok := w.store.(Indexer); ok {
		return ix.Indexing()
	}
	return 0, 0, false
}
