package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// filesPerPage is how many files /-/files shows at once.
const filesPerPage = 100

type fileListData struct {
	base
	Folder, Kind, Filter string
	Kinds                []string
	Files                []fileRow
	Total                int
	// From is the number of the first file shown, from 1.
	From             int
	PrevURL, NextURL string
}

type fileRow struct {
	wiki.FileInfo
	Page       wiki.Name
	Kind       string
	HistoryURL string
}

// fileHistoryURL is the history page of a file.
func fileHistoryURL(p string) string {
	return strings.Replace(wiki.FileURL(p), "/-/files/", "/-/files-history/", 1)
}

// handleFileList lists every file of the wiki, filtered by folder, kind
// and a part of the name (a plain GET form), a page at a time.
func (s *Server) handleFileList(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayRead(r); err != nil {
		return err
	}
	q := r.URL.Query()
	d := fileListData{base: s.base(r, "", ""), Folder: strings.Trim(q.Get("folder"), "/ "),
		Kind: q.Get("type"), Filter: strings.TrimSpace(q.Get("name")), Kinds: wiki.FileKinds}
	d.Title = d.T("files-title")
	if !slices.Contains(wiki.FileKinds, d.Kind) {
		d.Kind = ""
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = max(offset, 0)
	files, total, err := s.wiki.FindFiles(r.Context(), wiki.FileQuery{Folder: d.Folder, Kind: d.Kind, Name: d.Filter,
		Limit: filesPerPage, Offset: offset})
	if err != nil {
		return err
	}
	d.Total, d.From = total, offset+1
	for _, f := range files {
		_, page, _ := wiki.CheckFilePath(f.Path)
		d.Files = append(d.Files, fileRow{FileInfo: f, Page: page, Kind: wiki.FileKind(f.Path), HistoryURL: fileHistoryURL(f.Path)})
	}
	link := func(off int) string {
		v := url.Values{}
		for k, val := range map[string]string{"folder": d.Folder, "type": d.Kind, "name": d.Filter} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if off > 0 {
			v.Set("offset", strconv.Itoa(off))
		}
		if len(v) == 0 {
			return "/-/files"
		}
		return "/-/files?" + v.Encode()
	}
	if offset > 0 {
		d.PrevURL = link(max(offset-filesPerPage, 0))
	}
	if offset+len(files) < total {
		d.NextURL = link(offset + filesPerPage)
	}
	return s.render(w, http.StatusOK, "files", d)
}

type fileHistoryData struct {
	base
	Path     string
	Page     wiki.Name
	FileURL  string
	Image    bool
	Versions []fileVersionRow
	// Old and New are the two versions of an image shown side by side;
	// nil when there is only one.
	Old, New *fileVersionRow
}

type fileVersionRow struct {
	wiki.FileVersion
	URL        string
	CompareURL string
	Deleted    bool
}

// handleFileHistory lists the versions of a file: who, when, how large,
// with a link to each; an image shows a version (?compare=R, else the
// newest) beside the one before it.
func (s *Server) handleFileHistory(w http.ResponseWriter, r *http.Request) error {
	if err := s.mayRead(r); err != nil {
		return err
	}
	p, page, err := wiki.CheckFilePath(mux.Vars(r)["path"])
	if err != nil {
		return err
	}
	versions, err := s.wiki.FileHistory(r.Context(), p, 0)
	if err != nil {
		return err
	}
	d := fileHistoryData{base: s.base(r, "", page), Path: p, Page: page, FileURL: wiki.FileURL(p),
		Image: rasterTypes[wiki.FileContentType(p)]}
	d.Title = d.T("file-history-title", p)
	for _, v := range versions {
		row := fileVersionRow{FileVersion: v, Deleted: v.Blob == ""}
		if !row.Deleted {
			row.URL = d.FileURL + "?" + url.Values{"rev": {v.ID}}.Encode()
		}
		d.Versions = append(d.Versions, row)
	}
	compare := r.URL.Query().Get("compare")
	for i := range d.Versions {
		if i+1 < len(d.Versions) && d.Image && !d.Versions[i].Deleted && !d.Versions[i+1].Deleted {
			d.Versions[i].CompareURL = fileHistoryURL(p) + "?" + url.Values{"compare": {d.Versions[i].ID}}.Encode() + "#compare"
			if d.New == nil && (compare == "" || compare == d.Versions[i].ID) {
				d.New, d.Old = &d.Versions[i], &d.Versions[i+1]
			}
		}
	}
	return s.render(w, http.StatusOK, "file-history", d)
}
