package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// registerAPIRoutes registers the JSON API on a router rooted at /-/api/.
// The suffix routes come first: "{page:.+}" would also match ".../history".
func (s *Server) registerAPIRoutes(r *mux.Router) {
	s.registerPresenceRoutes(r)
	s.registerFileAPIRoutes(r)
	r.Handle("/pages", s.api(s.handleAPIPages)).Methods(http.MethodGet)
	r.Handle("/pages/{page:.+}/history", s.api(s.handleAPIHistory)).Methods(http.MethodGet)
	r.Handle("/pages/{page:.+}/diff", s.api(s.handleAPIDiff)).Methods(http.MethodGet)
	r.Handle("/pages/{page:.+}/blame", s.api(s.handleAPIBlame)).Methods(http.MethodGet)
	r.Handle("/pages/{page:.+}/rename", s.api(s.handleAPIRename)).Methods(http.MethodPost)
	r.Handle("/pages/{page:.+}/revert", s.api(s.handleAPIRevert)).Methods(http.MethodPost)
	r.Handle("/pages/{page:.+}", s.api(s.handleAPIGet)).Methods(http.MethodGet)
	r.Handle("/pages/{page:.+}", s.api(s.handleAPIPut)).Methods(http.MethodPut)
	r.Handle("/pages/{page:.+}", s.api(s.handleAPIDelete)).Methods(http.MethodDelete)
	r.Handle("/recent", s.api(s.handleAPIRecent)).Methods(http.MethodGet)
	r.NotFoundHandler = s.api(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("no API call %s: %w", r.URL.Path, wiki.ErrNotFound)
	})
	r.MethodNotAllowedHandler = s.api(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, errMethod)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v) //nolint:errcheck // the client is gone; nothing to do
}

type revisionJSON struct {
	Revision string      `json:"revision"`
	Author   wiki.Author `json:"author"`
	Time     time.Time   `json:"time"`
	Message  string      `json:"message"`
}

func toRevisionJSON(r wiki.Revision) revisionJSON {
	return revisionJSON{Revision: r.ID, Author: r.Author, Time: r.Time, Message: r.Message}
}

func conflictJSON(ce *wiki.ConflictError) any {
	type current struct {
		Content  string `json:"content"`
		Revision string `json:"revision"`
	}
	type conflict struct {
		BaseStart int      `json:"base_start"`
		Base      []string `json:"base"`
		Theirs    []string `json:"theirs"`
		Mine      []string `json:"mine"`
	}
	out := struct {
		Error     string     `json:"error"`
		Current   *current   `json:"current"`
		Conflicts []conflict `json:"conflicts"`
		// MergedText is the text with git-style conflict markers, for
		// resolving in an editor.
		MergedText string `json:"merged_text,omitempty"`
	}{Error: "conflict", Conflicts: []conflict{}}
	if ce.Current != nil {
		out.Current = &current{Content: string(ce.Current.Content), Revision: ce.Current.Revision.ID}
	}
	if ce.Merge != nil {
		out.MergedText = ce.Merge.Text
		for _, r := range ce.Merge.Regions {
			if c := r.Conflict; c != nil {
				out.Conflicts = append(out.Conflicts, conflict{c.BaseStart, nonNil(c.Base), nonNil(c.Theirs), nonNil(c.Mine)})
			}
		}
	}
	return out
}

func (s *Server) handleAPIPages(w http.ResponseWriter, r *http.Request) error {
	pages, err := s.wiki.Pages(r.Context())
	if err != nil {
		return err
	}
	type page struct {
		Name     wiki.Name `json:"name"`
		Revision string    `json:"revision"`
	}
	out := struct {
		Pages []page `json:"pages"`
	}{Pages: make([]page, len(pages))}
	for i, p := range pages {
		out.Pages[i] = page{p.Name, p.Revision}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAPIGet(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	p, err := s.wiki.Page(r.Context(), name, r.URL.Query().Get("rev"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Name    wiki.Name `json:"name"`
		Content string    `json:"content"`
		revisionJSON
	}{name, string(p.Content), toRevisionJSON(p.Revision)})
	return nil
}

// decodeJSON reads a JSON body into v. It refuses invalid UTF-8 outright:
// encoding/json would silently replace it with U+FFFD and so change the
// user's text.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return formError(err)
	}
	if !utf8.Valid(body) {
		return fmt.Errorf("%w: the body is not valid UTF-8", wiki.ErrInvalidInput)
	}
	if err := checkSurrogates(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: the body is not the expected JSON: %v", wiki.ErrInvalidInput, err)
	}
	// Exactly one JSON value: anything after it but white space means the
	// body is not what the client meant to send.
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return fmt.Errorf("%w: the body has data after the JSON object", wiki.ErrInvalidInput)
	}
	return nil
}

// checkSurrogates refuses \u escapes that encode half of a UTF-16
// surrogate pair on its own (or a pair the wrong way round): encoding/json
// would store them as U+FFFD, which is not the text that was sent.
func checkSurrogates(body []byte) error {
	hex4 := func(b []byte) (rune, bool) {
		if len(b) < 4 {
			return 0, false
		}
		var r rune
		for _, c := range b[:4] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	bad := fmt.Errorf("%w: the body contains an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF); send the character itself or a complete pair", wiki.ErrInvalidInput)
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(body):
			i++
			if body[i] != 'u' {
				continue
			}
			r, ok := hex4(body[i+1:])
			if !ok {
				continue // the decoder reports the malformed escape
			}
			i += 4
			switch {
			case r >= 0xdc00 && r <= 0xdfff:
				return bad
			case r >= 0xd800 && r <= 0xdbff:
				if i+6 >= len(body) || body[i+1] != '\\' || body[i+2] != 'u' {
					return bad
				}
				lo, ok := hex4(body[i+3:])
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					return bad
				}
				i += 6
			}
		}
	}
	return nil
}

func (s *Server) handleAPIPut(w http.ResponseWriter, r *http.Request) error {
	name, err := s.proposablePage(r)
	if err != nil {
		return err
	}
	var body struct {
		Content *string     `json:"content"`
		Message string      `json:"message"`
		Base    string      `json:"base"`
		Author  wiki.Author `json:"author"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Content == nil {
		return fmt.Errorf("%w: the body needs a \"content\" field", wiki.ErrInvalidInput)
	}
	res, err := s.wiki.Save(r.Context(), wiki.Save{
		Actor: currentUser(r),
		Name:  name, Content: []byte(*body.Content), Base: body.Base, Message: body.Message, Author: author(r, body.Author),
	})
	if err != nil {
		return err
	}
	if res.Proposal != nil {
		// A review folder: the save became a proposal; main is unchanged.
		writeJSON(w, http.StatusAccepted, struct {
			Proposal proposalJSON `json:"proposal"`
		}{toProposalJSON(res.Proposal)})
		return nil
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	mergedWith := make([]revisionJSON, len(res.MergedWith))
	for i, r := range res.MergedWith {
		mergedWith[i] = toRevisionJSON(r)
	}
	writeJSON(w, status, struct {
		Name       wiki.Name      `json:"name"`
		Revision   string         `json:"revision"`
		Merged     bool           `json:"merged"`
		MergedWith []revisionJSON `json:"merged_with"`
		Committed  bool           `json:"committed"`
	}{name, res.Revision, res.Merged, mergedWith, res.Committed})
	return nil
}

func (s *Server) handleAPIDelete(w http.ResponseWriter, r *http.Request) error {
	name, err := s.editablePage(r)
	if err != nil {
		return err
	}
	rev, err := s.wiki.Delete(r.Context(), wiki.DeleteRequest{Name: name, Base: r.URL.Query().Get("base"), Author: author(r, wiki.Author{}), Actor: currentUser(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"revision": rev})
	return nil
}

func (s *Server) handleAPIHistory(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	q, err := historyQuery(r)
	if err != nil {
		return err
	}
	revs, err := s.wiki.History(r.Context(), name, q)
	if err != nil {
		return err
	}
	out := struct {
		Revisions []revisionJSON `json:"revisions"`
	}{Revisions: make([]revisionJSON, len(revs))}
	for i, rev := range revs {
		out.Revisions[i] = toRevisionJSON(rev.Revision)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAPIDiff(w http.ResponseWriter, r *http.Request) error {
	name, err := pageName(r)
	if err != nil {
		return err
	}
	cmp, err := s.wiki.Compare(r.Context(), name, r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	if err != nil {
		return err
	}
	from := ""
	if cmp.From != nil {
		from = cmp.From.Revision.ID
	}
	writeJSON(w, http.StatusOK, map[string]string{"from": from, "to": cmp.To.Revision.ID, "diff": cmp.Unified})
	return nil
}

func (s *Server) handleAPIRecent(w http.ResponseWriter, r *http.Request) error {
	q, err := historyQuery(r)
	if err != nil {
		return err
	}
	if _, err := filterQuery(r, &q); err != nil {
		return err
	}
	revs, err := s.wiki.Recent(r.Context(), q)
	if err != nil {
		return err
	}
	type change struct {
		revisionJSON
		Pages []wiki.Name `json:"pages"`
	}
	out := struct {
		Changes []change `json:"changes"`
	}{Changes: make([]change, len(revs))}
	for i, rev := range revs {
		c := change{revisionJSON: toRevisionJSON(rev), Pages: []wiki.Name{}}
		for _, fc := range rev.Changes {
			if n, ok := wiki.ParsePath(fc.Path); ok {
				c.Pages = append(c.Pages, n)
			}
		}
		out.Changes[i] = c
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkAPIMediaType refuses API writes whose body is not declared JSON
// (415). Besides saying what the API takes, it keeps cross-site HTML
// forms, which can only send form and text types, away from the API.
func checkAPIMediaType(r *http.Request) error {
	if !strings.HasPrefix(r.URL.Path, "/-/api/") || isFileAPIWrite(r) || (r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch) {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w: send the body as Content-Type: application/json", errMediaType)
	}
	return nil
}
