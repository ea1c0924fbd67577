package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/themes"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// pngBytes starts like a PNG file.
var pngBytes = []byte("\x89PNG\r\n\x1a\n0123456789abcdef")

// newFileWiki is newTestWiki with a small file limit.
func newFileWiki(t *testing.T, maxFile int64, types ...string) *testWiki {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "content.git")
	repo, err := storage.Init(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = repo.Commit(context.Background(), wiki.Commit{
		Author: wiki.Author{Name: "wikiwerk"}, Message: "seed",
		Changes: []wiki.Change{{Name: "WMO-loket/Ontwerp", Content: []byte("Regel een\n")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	theme, err := themes.Open("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{
		Wiki:           wiki.New(repo, wiki.Options{MaxPageBytes: 64 << 10, MaxFileBytes: maxFile, FileTypes: types}),
		Theme:          theme,
		AnonymousEdits: true,
		MaxBodyBytes:   256 << 10,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	tw := &testWiki{t: t, srv: httptest.NewServer(s), repo: repo, dir: dir}
	t.Cleanup(func() { tw.srv.Close(); repo.Close() })
	return tw
}

// multipartBody is an upload form with the files (name -> content) and
// the CSRF token in its field, as a browser sends it.
func multipartBody(t *testing.T, token string, files ...[2]string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if token != "" {
		mw.WriteField("csrf_token", token)
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile("files", f[0])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[1]))
	}
	mw.Close()
	return mw.FormDataContentType(), b.String()
}

// upload posts an upload form to a testWiki with its CSRF cookie and token.
func (tw *testWiki) upload(page string, files ...[2]string) (int, string, http.Header) {
	tw.t.Helper()
	resp, err := http.Get(tw.srv.URL + "/-/pages")
	if err != nil {
		tw.t.Fatal(err)
	}
	page0, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfMeta.FindSubmatch(page0)
	if m == nil {
		tw.t.Fatal("no CSRF token")
	}
	ctype, body := multipartBody(tw.t, html.UnescapeString(string(m[1])), files...)
	req, _ := http.NewRequest(http.MethodPost, tw.srv.URL+"/-/upload/"+page, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Do(req)
	if err != nil {
		tw.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b), r.Header
}

func (tw *testWiki) commitFile(path, content string) string {
	tw.t.Helper()
	res, err := tw.repo.Commit(context.Background(), wiki.Commit{Author: wiki.Author{Name: "git"}, Message: "file",
		Changes: []wiki.Change{{File: path, Content: []byte(content)}}})
	if err != nil {
		tw.t.Fatal(err)
	}
	return res.Revision
}

func TestUploadFormAndPageList(t *testing.T) {
	tw := newFileWiki(t, 1000)
	code, body, hdr := tw.upload("WMO-loket/Ontwerp", [2]string{"klantreis.png", string(pngBytes)}, [2]string{"schets.svg", "<svg/>"})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/WMO-loket/Ontwerp#attachments" {
		t.Fatalf("upload: %d %s %v", code, body, hdr)
	}
	rev, err := tw.repo.Revision(context.Background(), tw.head())
	if err != nil || rev.Message != "Bijlagen klantreis.png, schets.svg toegevoegd aan WMO-loket/Ontwerp" || len(rev.Changes) != 2 {
		t.Fatalf("commit: %+v %v", rev, err)
	}
	first := tw.head()
	code, page := tw.get("/WMO-loket/Ontwerp")
	if code != 200 || !strings.Contains(page, `href="/-/files/WMO-loket/Ontwerp/klantreis.png"`) || !strings.Contains(page, "Bijlagen") ||
		!strings.Contains(page, `action="/-/upload/WMO-loket/Ontwerp"`) {
		t.Fatalf("page view does not list the files: %s", page)
	}
	// The same name again is a new version; the old one stays reachable.
	code, _, _ = tw.upload("WMO-loket/Ontwerp", [2]string{"klantreis.png", string(pngBytes) + "v2"})
	if code != http.StatusSeeOther || tw.head() == first {
		t.Fatalf("new version: %d", code)
	}
	code, got, h := tw.do("GET", "/-/files/WMO-loket/Ontwerp/klantreis.png?rev="+first, "", "")
	if code != 200 || got != string(pngBytes) || h.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("old version: %d %q %v", code, got, h)
	}
	code, got, h = tw.do("GET", "/-/files/WMO-loket/Ontwerp/klantreis.png", "", "")
	if code != 200 || got != string(pngBytes)+"v2" || h.Get("Cache-Control") != "no-cache" {
		t.Fatalf("current version: %d %q %v", code, got, h)
	}
	// GET of the upload route leads to the form on the page.
	if code, _, h := tw.do("GET", "/-/upload/WMO-loket/Ontwerp", "", ""); code != http.StatusFound || h.Get("Location") != "/WMO-loket/Ontwerp#attach" {
		t.Fatalf("upload form: %d %v", code, h)
	}
	// Too large: 413 and nothing written.
	before := tw.head()
	if code, _, _ := tw.upload("WMO-loket/Ontwerp", [2]string{"klein.png", "x"}, [2]string{"groot.png", strings.Repeat("x", 1001)}); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d", code)
	}
	if tw.head() != before {
		t.Fatal("a refused upload changed main")
	}
}

func TestFileHeaders(t *testing.T) {
	tw := newFileWiki(t, 1000)
	tw.commitFile("WMO-loket/Ontwerp/reis.png", string(pngBytes))
	tw.commitFile("WMO-loket/Ontwerp/plaat.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	tw.commitFile("WMO-loket/Ontwerp/pagina.html", "<html><script>alert(1)</script></html>")
	tw.commitFile("WMO-loket/Ontwerp/LEESMIJ", "<html><script>alert(1)</script></html>")
	for _, c := range []struct {
		path, ctype string
		inline      bool
	}{
		{"reis.png", "image/png", true},
		{"plaat.svg", "image/svg+xml", false},
		{"pagina.html", "text/html; charset=utf-8", false},
		{"LEESMIJ", "application/octet-stream", false},
	} {
		code, _, h := tw.do("GET", "/-/files/WMO-loket/Ontwerp/"+c.path, "", "")
		if code != 200 || h.Get("Content-Type") != c.ctype || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Content-Security-Policy") != "sandbox; default-src 'none'" {
			t.Errorf("%s: %d %v", c.path, code, h)
		}
		disp := h.Get("Content-Disposition")
		if c.inline != (disp == "") || (!c.inline && disp != "attachment; filename*=UTF-8''"+c.path) {
			t.Errorf("%s: Content-Disposition %q", c.path, disp)
		}
	}
	// Range requests.
	code, got, h := tw.do("GET", "/-/files/WMO-loket/Ontwerp/reis.png", "", "", "Range", "bytes=2-5")
	if code != http.StatusPartialContent || got != string(pngBytes[2:6]) || h.Get("Content-Range") != "bytes 2-5/"+itoa(len(pngBytes)) {
		t.Fatalf("range: %d %q %v", code, got, h)
	}
	// ETag revalidation.
	_, _, h = tw.do("GET", "/-/files/WMO-loket/Ontwerp/reis.png", "", "")
	etag := h.Get("ETag")
	if len(etag) != 42 {
		t.Fatalf("etag %q", etag)
	}
	if code, _, _ := tw.do("GET", "/-/files/WMO-loket/Ontwerp/reis.png", "", "", "If-None-Match", etag); code != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", code)
	}
	if code, _, _ := tw.do("GET", "/-/files/WMO-loket/Ontwerp/geen.png", "", ""); code != http.StatusNotFound {
		t.Fatalf("missing: %d", code)
	}
	if code, _, _ := tw.do("GET", "/-/files/WMO-loket/../x.png", "", ""); code != http.StatusBadRequest {
		t.Fatalf("bad path: %d", code)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestFileAPI(t *testing.T) {
	tw := newFileWiki(t, 1000)
	path := "/-/api/files/WMO-loket/Ontwerp/data.csv"
	code, body, _ := tw.do("PUT", path, "text/csv", "a,b\n1,2\n")
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created map[string]any
	json.Unmarshal([]byte(body), &created)
	first, _ := created["revision"].(string)
	if created["path"] != "WMO-loket/Ontwerp/data.csv" || created["size"] != float64(8) || !strings.HasPrefix(created["content_type"].(string), "text/csv") || len(first) != 40 {
		t.Fatalf("create answer: %s", body)
	}
	code, body, _ = tw.do("PUT", path+"?base="+first, "text/csv", "a,b\n3,4\n")
	var updated map[string]any
	json.Unmarshal([]byte(body), &updated)
	second, _ := updated["revision"].(string)
	if code != http.StatusOK || second == first || len(second) != 40 {
		t.Fatalf("update: %d %s", code, body)
	}
	if code, body, _ := tw.do("PUT", path+"?base="+first, "text/csv", "stale"); code != http.StatusConflict {
		t.Fatalf("stale: %d %s", code, body)
	}
	if code, body, _ := tw.do("PUT", path, "text/csv", "exists"); code != http.StatusConflict {
		t.Fatalf("create over an existing file: %d %s", code, body)
	}
	before := tw.head()
	if code, body, _ := tw.do("PUT", path+"?base="+second, "text/csv", strings.Repeat("x", 1001)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d %s", code, body)
	}
	if tw.head() != before {
		t.Fatal("a refused file changed main")
	}
	code, body, _ = tw.do("GET", "/-/api/pages/WMO-loket/Ontwerp/files", "", "")
	var list struct {
		Files []map[string]any `json:"files"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 || len(list.Files) != 1 ||
		list.Files[0]["path"] != "WMO-loket/Ontwerp/data.csv" || list.Files[0]["revision"] != second || list.Files[0]["size"] != float64(8) {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, _, _ := tw.do("DELETE", path+"?base="+first, "", ""); code != http.StatusConflict {
		t.Fatalf("stale delete: %d", code)
	}
	code, body, _ = tw.do("DELETE", path+"?base="+second, "", "")
	if code != 200 || !strings.Contains(body, tw.head()) {
		t.Fatalf("delete: %d %s", code, body)
	}
	if code, _ := tw.get("/-/files/WMO-loket/Ontwerp/data.csv"); code != http.StatusNotFound {
		t.Fatalf("deleted file served: %d", code)
	}
	if code, body, _ := tw.do("GET", "/-/api/pages/WMO-loket/Ontwerp/files", "", ""); code != 200 || !strings.Contains(body, `"files":[]`) {
		t.Fatalf("empty list: %d %s", code, body)
	}
}

func TestFileTypesRefused(t *testing.T) {
	tw := newFileWiki(t, 1000, "png", "pdf")
	before := tw.head()
	if code, body, _ := tw.do("PUT", "/-/api/files/WMO-loket/Ontwerp/x.exe", "application/octet-stream", "MZ"); code != http.StatusUnsupportedMediaType {
		t.Fatalf("API: %d %s", code, body)
	}
	if code, _, _ := tw.upload("WMO-loket/Ontwerp", [2]string{"a.png", "x"}, [2]string{"b.exe", "MZ"}); code != http.StatusUnsupportedMediaType {
		t.Fatalf("form: %d", code)
	}
	if tw.head() != before {
		t.Fatal("a refused type changed main")
	}
	if code, _, _ := tw.upload("WMO-loket/Ontwerp", [2]string{"a.PNG", "x"}); code != http.StatusSeeOther {
		t.Fatalf("allowed type: %d", code)
	}
}

func TestFileRights(t *testing.T) {
	aw := newAuthWiki(t, authOptions{policy: wiki.Policy{Edit: wiki.Editors,
		Protected: []wiki.Protected{{Prefix: "Beleid", Groups: []string{"beleidsteam"}}}}})
	anna := aw.signedIn("anna")
	before := aw.head()
	ctype, body := multipartBody(t, anna.token, [2]string{"logo.png", string(pngBytes)})
	if code, _, _ := anna.do(http.MethodPost, "/-/upload/Beleid/Visie", ctype, body); code != http.StatusForbidden {
		t.Fatalf("upload to a protected folder: %d", code)
	}
	if code, _, _ := aw.basic("anna", passwords["anna"], http.MethodPut, "/-/api/files/Beleid/Visie/logo.png", "x"); code != http.StatusForbidden {
		t.Fatalf("API upload to a protected folder: %d", code)
	}
	if aw.head() != before {
		t.Fatal("a refused upload changed main")
	}
	// Where she may edit, she may upload.
	ctype, body = multipartBody(t, anna.token, [2]string{"logo.png", string(pngBytes)})
	if code, b, _ := anna.do(http.MethodPost, "/-/upload/WMO-loket/Ontwerp", ctype, body); code != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", code, b)
	}
	if a := aw.lastAuthor(); a.Name != "Anna de Vries" {
		t.Fatalf("uploaded by %+v", a)
	}
	// A reader may not upload.
	bram := aw.signedIn("bram")
	ctype, body = multipartBody(t, bram.token, [2]string{"x.png", "x"})
	if code, _, _ := bram.do(http.MethodPost, "/-/upload/WMO-loket/Ontwerp", ctype, body); code != http.StatusForbidden {
		t.Fatalf("reader upload: %d", code)
	}
}

func TestFilesNeedReadRights(t *testing.T) {
	aw := newAuthWiki(t, authOptions{policy: wiki.Policy{Read: wiki.SignedIn, Edit: wiki.Editors}})
	aw.commitFile("WMO-loket/Ontwerp/reis.png", string(pngBytes))
	if code, _ := aw.get("/-/files/WMO-loket/Ontwerp/reis.png"); code != http.StatusUnauthorized {
		t.Fatalf("anonymous read: %d", code)
	}
	if code, _, _ := aw.do("GET", "/-/api/pages/WMO-loket/Ontwerp/files", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("anonymous list: %d", code)
	}
	bram := aw.signedIn("bram")
	if code, got, _ := bram.get("/-/files/WMO-loket/Ontwerp/reis.png"); code != 200 || got != string(pngBytes) {
		t.Fatalf("reader: %d", code)
	}
}
