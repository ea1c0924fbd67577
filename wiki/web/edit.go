package web

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
)

type editData struct {
	base
	// Page is the page being edited.
	Page wiki.Name
	// Content is the text in the edit box: the page's, or the user's own
	// after a failed save.
	Content string
	// Base is the revision the text was started from; "" to create.
	Base                            string
	Message, AuthorName, AuthorMail string
	// Preview is the rendered text when the user asked for a preview.
	Preview template.HTML
	// Conflict is set when the save was refused because the page changed.
	Conflict *wiki.ConflictError
	// Parts is the attempted merge, region by region, for resolving the
	// conflict hunk by hunk; empty when no merge was possible.
	Parts []conflictPart
	// Error says why the save failed, with the user's text kept.
	Error string
	// SignInAgain offers to sign in (in another tab) when the save was
	// refused for want of a signed-in user.
	SignInAgain bool
}

func (s *Server) handleEditForm(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	d := editData{base: s.base(r, "", name), Page: name}
	p, err := s.wiki.Page(r.Context(), name, "")
	switch {
	case err == nil:
		d.Content, d.Base = string(p.Content), p.Revision.ID
	case !errors.Is(err, wiki.ErrNotFound):
		return err
	}
	d.setTitle()
	return s.render(w, http.StatusOK, "edit", d)
}

func (d *editData) setTitle() {
	if d.Base == "" {
		d.Title = d.T("creating", d.Page)
	} else {
		d.Title = d.T("editing", d.Page)
	}
}

func (s *Server) handleEditSave(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	d := editData{
		base:       s.base(r, "", name),
		Page:       name,
		Content:    r.PostForm.Get("content"),
		Base:       strings.TrimSpace(r.PostForm.Get("base")),
		Message:    r.PostForm.Get("message"),
		AuthorName: strings.TrimSpace(r.PostForm.Get("author_name")),
		AuthorMail: strings.TrimSpace(r.PostForm.Get("author_email")),
	}
	d.setTitle()
	if err := s.mayEdit(r, name); err != nil {
		// Signed out meanwhile, say: the text goes back into the form,
		// with what to do about it.
		var de *deniedError
		if !errors.As(err, &de) {
			return err
		}
		d.Error = de.message(d.Lang)
		d.SignInAgain = de.status == http.StatusUnauthorized && s.accounts != nil
		return s.render(w, de.status, "edit", d)
	}
	switch r.PostForm.Get("action") {
	case "preview":
		doc, err := s.wiki.PreviewPage(r.Context(), name, []byte(d.Content))
		if err != nil {
			d.Error = d.T("save-failed", err.Error())
			return s.render(w, statusOf(err), "edit", d)
		}
		d.Preview = doc.HTML
		return s.render(w, http.StatusOK, "edit", d)
	case "resolve":
		text, err := resolution(r.PostForm)
		if err != nil {
			return err
		}
		d.Content = text
	}
	res, err := s.wiki.Save(r.Context(), wiki.Save{
		Actor:   currentUser(r),
		Name:    name,
		Content: []byte(d.Content),
		Base:    d.Base,
		Message: d.Message,
		Author:  author(r, wiki.Author{Name: d.AuthorName, Email: d.AuthorMail}),
	})
	if err != nil {
		// Whatever went wrong, the user's text goes back into the form.
		status := statusOf(err)
		s.logError(r, status, err)
		var ce *wiki.ConflictError
		if errors.As(err, &ce) {
			d.Conflict = ce
			d.Parts = conflictParts(ce)
			// The next save starts from the version the user has now
			// seen; their text stays as they typed it.
			d.Base = ""
			if ce.Current != nil {
				d.Base = ce.Current.Revision.ID
			}
		} else {
			d.Error = d.T("save-failed", publicMessage(err, status))
		}
		return s.render(w, status, "edit", d)
	}
	q := "saved"
	switch {
	case res.Merged && len(res.MergedWith) > 0:
		q = "merged=" + res.MergedWith[0].ID
	case !res.Committed:
		q = "unchanged"
	}
	http.Redirect(w, r, name.URL()+"?"+q, http.StatusSeeOther)
	return nil
}

// formError classifies a failure to read a form: too large, or malformed.
func formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return errors.Join(wiki.ErrInvalidInput, err)
}

func (s *Server) handlePreview(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayEdit(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	// An optional "page" resolves relative links against that page's
	// folder, as the saved page will.
	page, _ := wiki.ParseName(r.PostForm.Get("page"))
	doc, err := s.wiki.PreviewPage(r.Context(), page, []byte(r.PostForm.Get("content")))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write([]byte(doc.HTML))
	return err
}
