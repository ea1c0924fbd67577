package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds the page operations besides editing: rename, delete and
// revert (which also restores deleted pages), in HTML and JSON.

type renameData struct {
	base
	Page                            wiki.Name
	Base, To                        string
	UpdateLinks                     bool
	Message, AuthorName, AuthorMail string
	Error                           string
}

func (s *Server) handleRenameForm(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	p, err := s.wiki.Page(r.Context(), name, "")
	if err != nil {
		return err
	}
	d := renameData{base: s.base(r, "", name), Page: name, Base: p.Revision.ID, To: string(name), UpdateLinks: true}
	d.Title = d.T("rename-title", name)
	return s.render(w, http.StatusOK, "rename", d)
}

func (s *Server) handleRename(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	d := renameData{base: s.base(r, "", name), Page: name,
		Base: r.PostForm.Get("base"), To: strings.TrimSpace(r.PostForm.Get("to")),
		UpdateLinks: r.PostForm.Get("update_links") != "", Message: r.PostForm.Get("message"),
		AuthorName: strings.TrimSpace(r.PostForm.Get("author_name")), AuthorMail: strings.TrimSpace(r.PostForm.Get("author_email"))}
	d.Title = d.T("rename-title", name)
	to, err := wiki.ParseName(d.To)
	if err == nil {
		err = s.mayRename(r, name, to, d.UpdateLinks)
	}
	var res wiki.RenameResult
	if err == nil {
		res, err = s.wiki.Rename(r.Context(), wiki.Rename{From: name, To: to, Base: d.Base, UpdateLinks: d.UpdateLinks,
			Author: author(r, wiki.Author{Name: d.AuthorName, Email: d.AuthorMail}), Message: d.Message, Actor: currentUser(r)})
	}
	if err != nil {
		status := statusOf(err)
		s.logError(r, status, err)
		d.Error = s.localMessage(r, err, status)
		var ce *wiki.ConflictError
		if errors.As(err, &ce) && ce.Current != nil {
			d.Error = d.T("rename-stale", ce.Current.Revision.Author.Name)
			d.Base = ce.Current.Revision.ID
		}
		return s.render(w, status, "rename", d)
	}
	q := url.Values{"renamed-from": {string(name)}, "links": {strconv.Itoa(len(res.Updated))}}
	http.Redirect(w, r, to.URL()+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

type deleteData struct {
	base
	Page    wiki.Name
	Base    string
	Message string
	Error   string
	// Files are the page's files, which go with it.
	Files []string
}

func (s *Server) handleDeleteForm(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	p, err := s.wiki.Page(r.Context(), name, "")
	if err != nil {
		return err
	}
	d := deleteData{base: s.base(r, "", name), Page: name, Base: p.Revision.ID}
	d.Title = d.T("delete-title", name)
	if d.Files, err = s.wiki.PageFiles(r.Context(), name); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "delete", d)
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	d := deleteData{base: s.base(r, "", name), Page: name, Base: r.PostForm.Get("base"), Message: r.PostForm.Get("message")}
	d.Title = d.T("delete-title", name)
	by := author(r, wiki.Author{Name: strings.TrimSpace(r.PostForm.Get("author_name")), Email: strings.TrimSpace(r.PostForm.Get("author_email"))})
	if _, err := s.wiki.Delete(r.Context(), wiki.DeleteRequest{Name: name, Base: d.Base, Author: by, Message: d.Message, Actor: currentUser(r)}); err != nil {
		status := statusOf(err)
		s.logError(r, status, err)
		d.Error = publicMessage(err, status)
		var ce *wiki.ConflictError
		if errors.As(err, &ce) && ce.Current != nil {
			d.Error = d.T("delete-stale", ce.Current.Revision.Author.Name)
			d.Base = ce.Current.Revision.ID
		}
		return s.render(w, status, "delete", d)
	}
	http.Redirect(w, r, name.URL(), http.StatusSeeOther)
	return nil
}

// handleRevert makes a page's text that of an earlier revision, or brings
// back a deleted page (base empty).
func (s *Server) handleRevert(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	by := author(r, wiki.Author{Name: strings.TrimSpace(r.PostForm.Get("author_name")), Email: strings.TrimSpace(r.PostForm.Get("author_email"))})
	_, err = s.wiki.Revert(r.Context(), wiki.RevertRequest{Name: name, To: r.PostForm.Get("revision"), Base: r.PostForm.Get("base"), Author: by, Message: r.PostForm.Get("message"), Actor: currentUser(r)})
	if err != nil {
		return err
	}
	http.Redirect(w, r, name.URL()+"?reverted", http.StatusSeeOther)
	return nil
}

// authorBody is the optional author of API writes (honoured only with
// anonymous edits, like the rest of the API).
type authorBody struct {
	Message string      `json:"message"`
	Author  wiki.Author `json:"author"`
}

func (s *Server) handleAPIRename(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	var body struct {
		To          string `json:"to"`
		Base        string `json:"base"`
		UpdateLinks bool   `json:"update_links"`
		authorBody
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	to, err := wiki.ParseName(body.To)
	if err != nil {
		return err
	}
	if err := s.mayRename(r, name, to, body.UpdateLinks); err != nil {
		return err
	}
	res, err := s.wiki.Rename(r.Context(), wiki.Rename{From: name, To: to, Base: body.Base, UpdateLinks: body.UpdateLinks, Author: author(r, body.Author), Message: body.Message, Actor: currentUser(r)})
	if err != nil {
		return err
	}
	updated := res.Updated
	if updated == nil {
		updated = []wiki.Name{} // [] rather than null in JSON
	}
	writeJSON(w, http.StatusOK, struct {
		Name        wiki.Name   `json:"name"`
		Revision    string      `json:"revision"`
		Updated     []wiki.Name `json:"updated"`
		Attachments int         `json:"attachments"`
	}{to, res.Revision, updated, res.Attachments})
	return nil
}

func (s *Server) handleAPIRevert(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	var body struct {
		Revision string  `json:"revision"`
		Base     *string `json:"base"`
		authorBody
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	// Without a base the revert applies to the page as it is now.
	base := ""
	if body.Base != nil {
		base = *body.Base
	} else if cur, err := s.wiki.Page(r.Context(), name, ""); err == nil {
		base = cur.Revision.ID
	} else if !errors.Is(err, wiki.ErrNotFound) {
		return err
	}
	res, err := s.wiki.Revert(r.Context(), wiki.RevertRequest{Name: name, To: body.Revision, Base: base, Author: author(r, body.Author), Message: body.Message, Actor: currentUser(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Name      wiki.Name `json:"name"`
		Revision  string    `json:"revision"`
		Committed bool      `json:"committed"`
	}{name, res.Revision, res.Committed})
	return nil
}
