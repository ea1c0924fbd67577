package web

import (
	"net/http"
	"net/url"
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
	// Templates are the pages under templateFolder, to start from; Template
	// is the one chosen ("" for an empty page).
	Templates []wiki.Name
	Template  string
}

// templateFolder holds the pages offered as templates for a new page.
const templateFolder = "Sjablonen"

// TemplateLabel is what the template list shows for t: its name without
// the folder.
func (newPageData) TemplateLabel(t wiki.Name) string {
	return strings.TrimPrefix(string(t), templateFolder+"/")
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
		Template:  q.Get("template"),
	}
	d.Title = d.T("newpage")
	if pages, err := s.wiki.Pages(r.Context()); err == nil {
		d.Folders = folders(pages, maxFolderChoices)
		d.Templates = templatePages(pages, maxFolderChoices)
	}
	if d.Template != "" && !slices.Contains(d.Templates, wiki.Name(d.Template)) {
		d.Template = ""
	}
	if !q.Has("title") {
		return s.render(w, http.StatusOK, "new", d)
	}
	if d.PageTitle == "" {
		d.Error = d.T("newpage-title-needed")
		return s.render(w, http.StatusBadRequest, "new", d)
	}
	name := nameFromTitle(d.PageTitle)
	if d.Folder != "" {
		name = d.Folder + "/" + name
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
	v := url.Values{}
	if t := newPageTitle(n, d.PageTitle); t != "" {
		v.Set("title", t)
	}
	if d.Template != "" {
		v.Set("template", d.Template)
	}
	to := wiki.EditURL(n)
	if len(v) > 0 {
		to += "?" + v.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// nameFromTitle is the last part of a page name for a title: the title,
// with slashes (which would make folders) as dashes and runs of white space
// as one space; what is still not a valid name is refused with a reason. The
// title itself goes into the front matter when the two differ.
func nameFromTitle(title string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(title, "/", "-")), " ")
}

// templatePages returns the pages under templateFolder, sorted, at most limit.
func templatePages(pages []wiki.PageInfo, limit int) []wiki.Name {
	var out []wiki.Name
	for _, p := range pages {
		if strings.HasPrefix(string(p.Name), templateFolder+"/") && len(out) < limit {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
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
