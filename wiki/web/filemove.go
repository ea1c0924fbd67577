package web

import (
	"errors"
	"net/http"
	"path"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds renaming and deleting an attachment from the web: a
// form that asks, and a POST that does it, as for pages.

// registerFileMoveRoutes registers the rename and delete forms of files,
// ahead of the catch-all page route.
func (s *Server) registerFileMoveRoutes(r *mux.Router) {
	r.Handle("/-/file-rename/{path:.+}", s.html(s.handleFileMoveForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/file-rename/{path:.+}", s.html(s.handleFileMove)).Methods(http.MethodPost)
	r.Handle("/-/file-delete/{path:.+}", s.html(s.handleFileMoveForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/file-delete/{path:.+}", s.html(s.handleFileMove)).Methods(http.MethodPost)
}

// fileMoveData fills file-move.html, for a rename or a delete.
type fileMoveData struct {
	base
	// Delete is true on the delete form, false on the rename form.
	Delete                          bool
	Path, To, Base                  string
	Page                            wiki.Name
	FileURL, Action                 string
	Message, AuthorName, AuthorMail string
	Error                           string
}

// fileMoveTarget reads the file's path from the URL and checks that the
// user may change its page.
func (s *Server) fileMoveTarget(r *http.Request) (fileMoveData, error) {
	p, page, err := wiki.CheckFilePath(mux.Vars(r)["path"])
	if err != nil {
		return fileMoveData{}, err
	}
	if err := s.mayEdit(r, page); err != nil {
		return fileMoveData{}, err
	}
	d := fileMoveData{base: s.base(r, "", page), Path: p, Page: page, FileURL: wiki.FileURL(p), To: p,
		Delete: strings.HasPrefix(r.URL.Path, "/-/file-delete/")}
	d.Action = strings.Replace(d.FileURL, "/-/files/", "/-/file-rename/", 1)
	d.Title = d.T("file-rename-title", path.Base(p))
	if d.Delete {
		d.Action = strings.Replace(d.FileURL, "/-/files/", "/-/file-delete/", 1)
		d.Title = d.T("file-delete-title", path.Base(p))
	}
	return d, nil
}

func (s *Server) handleFileMoveForm(w http.ResponseWriter, r *http.Request) error {
	d, err := s.fileMoveTarget(r)
	if err != nil {
		return err
	}
	if d.Base, err = s.wiki.FileRevision(r.Context(), d.Path); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "file-move", d)
}

func (s *Server) handleFileMove(w http.ResponseWriter, r *http.Request) error {
	d, err := s.fileMoveTarget(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	f := r.PostForm
	d.Base, d.Message = f.Get("base"), f.Get("message")
	d.AuthorName, d.AuthorMail = strings.TrimSpace(f.Get("author_name")), strings.TrimSpace(f.Get("author_email"))
	by := author(r, wiki.Author{Name: d.AuthorName, Email: d.AuthorMail})
	if d.Delete {
		_, err = s.wiki.DeleteFile(r.Context(), wiki.DeleteFileRequest{Path: d.Path, Base: d.Base, Author: by, Message: d.Message, Actor: currentUser(r)})
	} else {
		d.To = strings.TrimSpace(f.Get("to"))
		if d.To != "" && !strings.Contains(d.To, "/") {
			// A bare name stays in the file's folder.
			d.To = path.Dir(d.Path) + "/" + d.To
		}
		_, err = s.wiki.RenameFile(r.Context(), wiki.RenameFileRequest{From: d.Path, To: d.To, Base: d.Base, Author: by, Message: d.Message, Actor: currentUser(r)})
	}
	if err != nil {
		status := statusOf(err)
		s.logError(r, status, err)
		d.Error = publicMessage(err, status)
		if errors.Is(err, wiki.ErrConflict) {
			d.Error = d.T("file-move-stale")
			if rev, err := s.wiki.FileRevision(r.Context(), d.Path); err == nil {
				d.Base = rev
			}
		}
		return s.render(w, status, "file-move", d)
	}
	http.Redirect(w, r, d.Page.URL()+"#attachments", http.StatusSeeOther)
	return nil
}
