package web

import (
	"net/http"
	"time"

	"github.com/wikiwerk/wikiwerk/wiki"
)

type blameData struct {
	base
	Page  wiki.Name
	Lines []wiki.BlameLine
}

func (s *Server) handleBlame(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	lines, err := s.wiki.Blame(r.Context(), name)
	if err != nil {
		return err
	}
	d := blameData{base: s.base(r, "", name), Page: name, Lines: lines}
	d.Title = d.T("blame-of", name)
	return s.render(w, http.StatusOK, "blame", d)
}

func (s *Server) handleAPIBlame(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	lines, err := s.wiki.Blame(r.Context(), name)
	if err != nil {
		return err
	}
	type line struct {
		Line     int         `json:"line"`
		Text     string      `json:"text"`
		Revision string      `json:"revision"`
		Author   wiki.Author `json:"author"`
		Time     time.Time   `json:"time"`
	}
	out := struct {
		Lines []line `json:"lines"`
	}{Lines: make([]line, len(lines))}
	for i, l := range lines {
		out.Lines[i] = line{l.Number, l.Text, l.Revision.ID, l.Revision.Author, l.Revision.Time}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
