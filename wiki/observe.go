package wiki

import "errors"

// SaveOutcome is what became of one Save, for metrics.
type SaveOutcome string

// The outcomes of a save.
const (
	// SaveCommitted is a save that made a commit without merging.
	SaveCommitted SaveOutcome = "committed"
	// SaveMerged is a save merged with changes made since its base.
	SaveMerged SaveOutcome = "merged"
	// SaveProposed is a save in a review folder that became a change
	// proposal instead of a commit on main.
	SaveProposed SaveOutcome = "proposed"
	// SaveUnchanged is a save of unchanged text: no commit.
	SaveUnchanged SaveOutcome = "unchanged"
	// SaveConflict is a save refused because its edits overlap others.
	SaveConflict SaveOutcome = "conflict"
	// SaveRefused is a save refused for its input or the user's rights.
	SaveRefused SaveOutcome = "refused"
	// SaveFailed is a save that failed on the server's side.
	SaveFailed SaveOutcome = "failed"
)

// SaveObserver is told the outcome of every page save, from the web and
// the API alike. It must be safe for concurrent use and quick.
type SaveObserver interface {
	ObserveSave(SaveOutcome)
}

// observeSave reports one save's outcome to the observer, if any.
func (w *Wiki) observeSave(res SaveResult, err error) {
	if w.saveObs == nil {
		return
	}
	w.saveObs.ObserveSave(saveOutcome(res, err))
}

func saveOutcome(res SaveResult, err error) SaveOutcome {
	var ce *ConflictError
	switch {
	case errors.As(err, &ce):
		return SaveConflict
	case errors.Is(err, ErrInvalidInput), errors.Is(err, ErrForbidden), errors.Is(err, ErrUnauthenticated),
		errors.Is(err, ErrTooLarge), errors.Is(err, ErrNameTaken), errors.Is(err, ErrInvalidName):
		return SaveRefused
	case err != nil:
		return SaveFailed
	case res.Proposal != nil:
		return SaveProposed
	case res.Merged:
		return SaveMerged
	case !res.Committed:
		return SaveUnchanged
	}
	return SaveCommitted
}
