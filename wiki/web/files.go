package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// Files on pages: served under /-/files/ with headers that keep a file
// from running script in the wiki's origin, uploaded with a plain
// multipart form (/-/upload/) or the API (PUT /-/api/files/).

const (
	// maxUploadFiles is the most files one upload form may carry.
	maxUploadFiles = 10
	// uploadMemory is how much of an upload is kept in memory; the rest
	// goes to temporary files.
	uploadMemory = 1 << 20
	// uploadField is the form field of the files.
	uploadField = "files"
)

// registerFileRoutes registers the HTML routes of files, ahead of the
// catch-all page route.
func (s *Server) registerFileRoutes(r *mux.Router) {
	r.Handle("/-/files", s.html(s.handleFileList)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/files-history/{path:.+}", s.html(s.handleFileHistory)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/files/{path:.+}", s.html(s.handleFile)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/upload/{page:.+}", s.html(s.handleUploadForm)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/-/upload/{page:.+}", s.html(s.handleUpload)).Methods(http.MethodPost)
}

// registerFileAPIRoutes registers the file API, ahead of "/pages/{page:.+}".
func (s *Server) registerFileAPIRoutes(r *mux.Router) {
	r.Handle("/pages/{page:.+}/files", s.api(s.handleAPIFiles)).Methods(http.MethodGet)
	r.Handle("/files/{path:.+}", s.api(s.handleAPIPutFile)).Methods(http.MethodPut)
	r.Handle("/files/{path:.+}", s.api(s.handleAPIDeleteFile)).Methods(http.MethodDelete)
}

// bodyLimit is the largest request body accepted for r: uploads of files
// have their own, larger, limit.
func (s *Server) bodyLimit(r *http.Request) int64 {
	limit := s.maxBody
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/-/upload/"):
		limit = max(limit, s.wiki.MaxFileBytes()*maxUploadFiles+uploadMemory)
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/-/api/files/"):
		limit = max(limit, s.wiki.MaxFileBytes()+1)
	}
	return limit
}

// isFileAPIWrite reports whether r sends a raw file body to the API
// (which therefore need not be JSON).
func isFileAPIWrite(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/-/api/files/")
}

// spoolUpload reads an upload form before the CSRF check (which would
// otherwise parse it with a large memory buffer), after checking that the
// user may attach files to the page at all, so that a refused upload is
// not read. Files beyond uploadMemory go to temporary files; cleanup
// removes them.
func (s *Server) spoolUpload(r *http.Request) (cleanup func(), err error) {
	cleanup = func() {}
	rest, ok := strings.CutPrefix(r.URL.Path, "/-/upload/")
	if !ok || r.Method != http.MethodPost {
		return cleanup, nil
	}
	name, err := wiki.ParseName(rest)
	if err != nil {
		return cleanup, err
	}
	if err := s.mayEdit(r, name); err != nil {
		return cleanup, err
	}
	err = r.ParseMultipartForm(uploadMemory)
	if f := r.MultipartForm; f != nil {
		cleanup = func() { f.RemoveAll() } //nolint:errcheck // temporary files
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return cleanup, err
	case err != nil:
		return cleanup, fmt.Errorf("%w: send the files as a multipart form: %v", wiki.ErrInvalidInput, err)
	}
	return cleanup, nil
}

// rasterTypes are served inline: browsers do not run script in them.
var rasterTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// contentTypeOf picks the media type of a file: by extension, else by
// sniffing, but never as a type a browser would run (HTML, XML, SVG).
func contentTypeOf(p string, content []byte) string {
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	t := http.DetectContentType(content)
	mt, _, _ := mime.ParseMediaType(t)
	switch {
	case rasterTypes[mt], mt == "text/plain", mt == "application/pdf":
		return t
	}
	return "application/octet-stream"
}

// contentDisposition is an attachment header for a file name, encoded as
// RFC 8187 says.
func contentDisposition(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return "attachment; filename*=UTF-8''" + b.String()
}

// handleFile serves a file of the repository. Raster images are shown
// inline; everything else is a download in a sandbox, so that an HTML or
// SVG file cannot run script with the wiki's cookies.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) error {
	rev := r.URL.Query().Get("rev")
	f, err := s.wiki.ReadFile(r.Context(), mux.Vars(r)["path"], rev)
	if err != nil {
		return err
	}
	h := w.Header()
	ctype := contentTypeOf(f.Path, f.Content)
	mt, _, _ := mime.ParseMediaType(ctype)
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	if !rasterTypes[mt] {
		h.Set("Content-Disposition", contentDisposition(path.Base(f.Path)))
	}
	etag, content := f.Blob, f.Content
	if width := thumbWidth(r.URL.Query().Get("w")); width > 0 && rasterTypes[mt] {
		// A reduced image, when it is larger than that; else the original.
		if th := s.thumbs.get(f.Blob, width, f.Content); th.content != nil {
			etag, content = f.Blob+"-w"+strconv.Itoa(width), th.content
			h.Set("Content-Type", th.ctype)
		}
	}
	h.Set("ETag", `"`+etag+`"`)
	if rev != "" {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, path.Base(f.Path), f.Revision.Time, bytes.NewReader(content))
	return nil
}

// handleUploadForm leads to the upload form, which is part of the page.
func (s *Server) handleUploadForm(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	if !s.wiki.Exists(r.Context(), name) {
		return fmt.Errorf("page %s: %w", name, wiki.ErrNotFound)
	}
	http.Redirect(w, r, name.URL()+"#attach", http.StatusFound)
	return nil
}

// handleUpload stores the files of an upload form in the page's folder,
// in one commit by the uploader. A file whose name is already taken gets a
// new version.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	if !s.wiki.Exists(r.Context(), name) {
		return fmt.Errorf("page %s: %w", name, wiki.ErrNotFound)
	}
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(uploadMemory); err != nil {
			return fmt.Errorf("%w: send the files as a multipart form: %v", wiki.ErrInvalidInput, err)
		}
		defer r.MultipartForm.RemoveAll() //nolint:errcheck // temporary files
	}
	headers := r.MultipartForm.File[uploadField]
	if len(headers) == 0 {
		return fmt.Errorf("%w: choose at least one file", wiki.ErrInvalidInput)
	}
	if len(headers) > maxUploadFiles {
		return fmt.Errorf("%w: at most %d files at once", wiki.ErrInvalidInput, maxUploadFiles)
	}
	existing, err := s.wiki.Files(r.Context(), name)
	if err != nil {
		return err
	}
	current := make(map[string]string, len(existing))
	for _, f := range existing {
		current[f.Path] = f.Revision
	}
	files := make([]wiki.FileUpload, 0, len(headers))
	names := make([]string, 0, len(headers))
	for _, fh := range headers {
		base := path.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))
		if base == "" || base == "." || base == "/" {
			return fmt.Errorf("%w: a file without a name", wiki.ErrInvalidInput)
		}
		p, _, err := wiki.CheckFilePath(string(name) + "/" + base)
		if err != nil {
			return err
		}
		content, err := readPart(fh, s.wiki.MaxFileBytes())
		if err != nil {
			return err
		}
		files = append(files, wiki.FileUpload{Path: p, Content: content, Base: current[p]})
		names = append(names, path.Base(p))
	}
	msg := strings.TrimSpace(r.FormValue("message"))
	if msg == "" {
		key := "attach-message"
		if len(names) > 1 {
			key = "attach-message-n"
		}
		msg = translate(s.chooseLang(r), key, strings.Join(names, ", "), name)
	}
	if _, err := s.wiki.PutFiles(r.Context(), wiki.PutFilesRequest{Files: files, Message: msg,
		Author: author(r, wiki.Author{}), Actor: currentUser(r)}); err != nil {
		return err
	}
	http.Redirect(w, r, name.URL()+"#attachments", http.StatusSeeOther)
	return nil
}

// readPart reads one uploaded file, refusing it when it is larger than
// limit.
func readPart(fh *multipart.FileHeader, limit int64) ([]byte, error) {
	if fh.Size > limit {
		return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", wiki.ErrTooLarge, fh.Filename, fh.Size, limit)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", wiki.ErrTooLarge, fh.Filename, limit)
	}
	return b, nil
}

type fileJSON struct {
	Path        string `json:"path"`
	Revision    string `json:"revision"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

// filePage checks the {path} route variable and that the user may change
// the folder it is in.
func (s *Server) filePage(r *http.Request) (string, error) {
	p, page, err := wiki.CheckFilePath(mux.Vars(r)["path"])
	if err != nil {
		return "", err
	}
	return p, s.mayEdit(r, page)
}

func (s *Server) handleAPIPutFile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.filePage(r)
	if err != nil {
		return err
	}
	limit := s.wiki.MaxFileBytes()
	content, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return err
	}
	if int64(len(content)) > limit {
		return fmt.Errorf("%w: the file is larger than %d bytes", wiki.ErrTooLarge, limit)
	}
	res, err := s.wiki.PutFile(r.Context(), wiki.PutFileRequest{Path: p, Content: content, Base: r.URL.Query().Get("base"),
		Message: r.URL.Query().Get("message"), Author: author(r, wiki.Author{}), Actor: currentUser(r)})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, fileJSON{Path: res.Path, Revision: res.Revision, Size: res.Size, ContentType: res.ContentType})
	return nil
}

func (s *Server) handleAPIDeleteFile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.filePage(r)
	if err != nil {
		return err
	}
	rev, err := s.wiki.DeleteFile(r.Context(), wiki.DeleteFileRequest{Path: p, Base: r.URL.Query().Get("base"),
		Author: author(r, wiki.Author{}), Actor: currentUser(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"revision": rev})
	return nil
}

func (s *Server) handleAPIFiles(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	files, err := s.wiki.Files(r.Context(), name)
	if err != nil {
		return err
	}
	if files == nil {
		files = []wiki.FileInfo{}
	}
	writeJSON(w, http.StatusOK, map[string][]wiki.FileInfo{"files": files})
	return nil
}
