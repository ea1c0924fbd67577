package web

import (
	"fmt"
	"net/http"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// revertData is the confirmation page of a restore: which version comes
// back, named by date and author, and the reason to record.
type revertData struct {
	base
	Page wiki.Name
	// Version is the revision whose text comes back; Base the page's
	// current revision ("" when the page was deleted: a restore).
	Version *wiki.Revision
	Base    string
}

// handleRevertForm asks before an old version is restored: it says which
// version comes back (date, author, short id) and what happens, and asks
// for the reason that goes into the history. The form posts to
// handleRevert. Query: revision, and base (empty for a deleted page).
func (s *Server) handleRevertForm(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	id := q.Get("revision")
	if id == "" {
		return fmt.Errorf("%w: which version to restore is missing (revision)", wiki.ErrInvalidInput)
	}
	rev, err := s.wiki.Revision(r.Context(), id)
	if err != nil {
		return err
	}
	d := revertData{base: s.base(r, "", name), Page: name, Version: rev, Base: q.Get("base")}
	d.Title = d.T("revert-confirm-title", name)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "revert", d)
}
