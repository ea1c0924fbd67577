package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// newPageData is the form that starts a new page.
type newPageData struct {
	base
	// Folder and PageTitle are what the form holds.
	Folder, PageTitle string
	// Folders are the existing folders, offered while typing.
	Folders []string
	// Error says what is wrong with the name.
	Error string
	// Existing is the page the form names when it exists already.
	Existing wiki.Name
}

// maxFolderChoices bounds the folders the form offers.
const maxFolderChoices = 500

// handleNewPage asks for a folder and a title, and sends the user to the
// editor of Folder/Title. The form is a GET: it changes nothing, the
// editor's save does. (?folder= fills in the folder, from the page the
// user came from.)
func (s *Server) handleNewPage(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayEdit(r); err != nil {
		return err
	}
	q := r.URL.Query()
	d := newPageData{
		base:      s.base(r, "", ""),
		Folder:    strings.Trim(strings.TrimSpace(q.Get("folder")), "/"),
		PageTitle: strings.TrimSpace(q.Get("title")),
	}
	d.Title = d.T("newpage")
	if pages, err := s.wiki.Pages(r.Context()); err == nil {
		d.Folders = folders(pages, maxFolderChoices)
	}
	if !q.Has("title") {
		return s.render(w, http.StatusOK, "new", d)
	}
	if d.PageTitle == "" {
		d.Error = d.T("newpage-title-needed")
		return s.render(w, http.StatusBadRequest, "new", d)
	}
	name := d.PageTitle
	if d.Folder != "" {
		name = d.Folder + "/" + d.PageTitle
	}
	n, err := wiki.ParseName(name)
	if err != nil {
		d.Error = s.localMessage(r, err, http.StatusBadRequest)
		return s.render(w, http.StatusBadRequest, "new", d)
	}
	if err := s.mayEdit(r, n); err != nil {
		return err
	}
	if s.wiki.Exists(r.Context(), n) {
		d.Existing = n
		return s.render(w, http.StatusConflict, "new", d)
	}
	http.Redirect(w, r, wiki.EditURL(n), http.StatusSeeOther)
	return nil
}

// folders returns the folders that hold pages, sorted, at most limit.
func folders(pages []wiki.PageInfo, limit int) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pages {
		for f := p.Name.Folder(); f != "" && !seen[f]; f = wiki.Name(f).Folder() {
			seen[f] = true
			out = append(out, f)
		}
	}
	slices.Sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
