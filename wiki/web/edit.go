package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/markdown"
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
	// Mode is how the text box relates to the page: editModeFields (the
	// box holds the body, the front matter is in the fields), editModeSection
	// (the box holds one section) or "" (the box holds the whole file).
	Mode string
	// Fields are the title, tags and language fields in editModeFields.
	Fields wiki.PageFields
	// FieldsFallback says the front matter could not be shown as fields and
	// is in the text box, as written.
	FieldsFallback bool
	// Section is the number of the section edited in editModeSection, and
	// SectionTitle its heading.
	Section      int
	SectionTitle string
	// ReviewRequired says the page is in a review folder and the user
	// is not its reviewer: saving proposes the change (said before saving).
	ReviewRequired bool
	// CanPropose offers "Propose" beside "Save".
	CanPropose bool
	// Proposal is the id of the proposal being changed, "" for none.
	Proposal string
}

// The modes of the editor; see editData.Mode.
const (
	editModeFields  = "fields"
	editModeSection = "section"
)

// TagText is the tags as the tags field shows them.
func (d editData) TagText() string { return strings.Join(d.Fields.Tags, ", ") }

func (s *Server) handleEditForm(w http.ResponseWriter, r *http.Request) error {
	name, err := s.proposablePage(r)
	if err != nil {
		return err
	}
	d := editData{base: s.base(r, "", name), Page: name}
	s.setProposing(r, &d)
	if id := r.URL.Query().Get("proposal"); id != "" {
		if err := s.openProposal(r, &d, id); err != nil {
			return err
		}
		d.setTitle()
		return s.render(w, http.StatusOK, "edit", d)
	}
	p, err := s.wiki.Page(r.Context(), name, "")
	switch {
	case err == nil:
		d.Content, d.Base = string(p.Content), p.Revision.ID
		if sec := r.URL.Query().Get("section"); sec != "" {
			d.openSection(sec)
		}
	case errors.Is(err, wiki.ErrNotFound):
		d.Content = s.templateText(r, r.URL.Query().Get("template"))
		d.Fields.Title = newPageTitle(name, r.URL.Query().Get("title"))
	default:
		return err
	}
	if d.Mode == "" {
		d.splitFields()
	}
	d.setTitle()
	return s.render(w, http.StatusOK, "edit", d)
}

// openSection narrows the editor to section sec of the text; a section
// that does not exist (the page changed since the link was made) leaves the
// whole page in the editor, with a word why.
func (d *editData) openSection(sec string) {
	n, err := strconv.Atoi(sec)
	if err != nil {
		d.Error = d.T("section-missing")
		return
	}
	s, text, err := wiki.SectionText(d.Content, n)
	if err != nil {
		d.Error = d.T("section-missing")
		return
	}
	d.Mode, d.Section, d.SectionTitle, d.Content = editModeSection, n, s.Title, text
}

// splitFields moves the front matter of the text into the fields, or
// leaves it in the text, with a note, when the fields cannot hold it.
func (d *editData) splitFields() {
	sp, ok := wiki.SplitFields(d.Content)
	if !ok {
		d.FieldsFallback = true
		return
	}
	title := d.Fields.Title
	d.Mode, d.Fields, d.Content = editModeFields, sp.Fields, sp.Body
	if d.Base == "" {
		// A new page: the title is the one typed, not the template's.
		d.Fields.Title = title
	}
}

// newPageTitle is the title a new page's front matter gets: the one typed
// in the new-page form, when the page's name does not already say it.
func newPageTitle(name wiki.Name, title string) string {
	title = strings.TrimSpace(title)
	if title == name.Title() {
		return ""
	}
	return title
}

// templateText is the text of the template page tmpl (a page under
// templateFolder), "" when there is none or the user may not read it.
func (s *Server) templateText(r *http.Request, tmpl string) string {
	n, err := wiki.ParseName(tmpl)
	if err != nil || !strings.HasPrefix(string(n), templateFolder+"/") {
		return ""
	}
	p, err := s.wiki.Page(r.Context(), n, "")
	if err != nil {
		return ""
	}
	return string(p.Content)
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
		Mode:       r.PostForm.Get("mode"),
		Fields: wiki.PageFields{Title: r.PostForm.Get("title"), Lang: r.PostForm.Get("lang"),
			Tags: wiki.ParseTags(r.PostForm.Get("tags"))},
	}
	d.Section, _ = strconv.Atoi(r.PostForm.Get("section"))
	d.Proposal = strings.TrimSpace(r.PostForm.Get("proposal"))
	s.setProposing(r, &d)
	d.setTitle()
	if err := s.mayPropose(r, name); err != nil {
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
		text := d.Content
		if d.Mode == editModeFields {
			text = wiki.SplitPage{}.Join(d.Fields, d.Content)
		}
		doc, err := s.wiki.PreviewPage(r.Context(), name, []byte(text))
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
		d.Content, d.Mode = text, ""
	}
	baseText, full, err := s.wholeText(r, &d)
	if err != nil {
		return err
	}
	message := strings.TrimSpace(d.Message)
	if d.Proposal != "" || r.PostForm.Get("action") == "propose" {
		return s.proposeFromEditor(w, r, &d, full, message)
	}
	if message == "" {
		message = d.defaultSummary(s.pageLang(""), baseText, full)
	}
	res, err := s.wiki.Save(r.Context(), wiki.Save{
		Actor:   currentUser(r),
		Name:    name,
		Content: []byte(full),
		Base:    d.Base,
		Message: message,
		Author:  author(r, wiki.Author{Name: d.AuthorName, Email: d.AuthorMail}),
	})
	if err != nil {
		// Whatever went wrong, the user's text goes back into the form.
		status := statusOf(err)
		s.logError(r, status, err)
		var ce *wiki.ConflictError
		if errors.As(err, &ce) {
			// The conflict is about the whole file: the editor shows it
			// whole from here on.
			d.Content, d.Mode = full, ""
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
	if res.Proposal != nil {
		return proposalDone(w, r, res.Proposal.ID, "proposed")
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

// wholeText is the file a save writes, and the base revision's text: the
// posted text as it is, or with the front matter rebuilt from the fields
// around it (keeping every other key as the base had it), or the base's text
// with the posted section put in its place. The save then merges it with
// what changed since the base, like any other.
func (s *Server) wholeText(r *http.Request, d *editData) (baseText, full string, err error) {
	content := strings.ReplaceAll(d.Content, "\r\n", "\n")
	if d.Base != "" {
		p, err := s.wiki.Page(r.Context(), d.Page, d.Base)
		if err != nil && !errors.Is(err, wiki.ErrNotFound) {
			return "", "", err
		}
		if p != nil {
			baseText = string(p.Content)
		}
	}
	switch d.Mode {
	case editModeFields:
		sp, ok := wiki.SplitFields(baseText)
		if !ok {
			return "", "", fmt.Errorf("%w: the front matter of %s at %s cannot be edited as fields", wiki.ErrInvalidInput, d.Page, d.Base)
		}
		return baseText, sp.Join(d.Fields, content), nil
	case editModeSection:
		sec, _, err := wiki.SectionText(baseText, d.Section)
		if err != nil {
			return "", "", fmt.Errorf("%w: %w", wiki.ErrInvalidInput, err)
		}
		d.SectionTitle = sec.Title
		full, err := wiki.ReplaceSection(baseText, d.Section, content)
		if err != nil {
			return "", "", fmt.Errorf("%w: %w", wiki.ErrInvalidInput, err)
		}
		return baseText, full, nil
	}
	return baseText, d.Content, nil
}

// defaultSummary is the edit summary of a save without one, in the wiki's
// language: what was created, or which sections changed.
func (d editData) defaultSummary(lang, baseText, full string) string {
	switch {
	case d.Base == "":
		return translate(lang, "summary-created")
	case d.Mode == editModeSection && d.SectionTitle != "":
		return translate(lang, "summary-section", d.SectionTitle)
	}
	secs := wiki.ChangedSections([]byte(baseText), []byte(strings.ReplaceAll(full, "\r\n", "\n")))
	switch {
	case len(secs) == 1:
		return translate(lang, "summary-section", secs[0])
	case len(secs) > 1 && len(secs) <= 3:
		return translate(lang, "summary-sections", "'"+strings.Join(secs, "', '")+"'")
	}
	return translate(lang, "summary-updated")
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

// BodyHTML is the page's rendered HTML with an "edit this section" link
// after every heading, for those who may edit the current version. The
// links are added only when the headings the renderer found match the
// source's sections one to one (same number, same levels), so that a link
// never opens another section than the one it stands under.
func (d viewData) BodyHTML() template.HTML {
	doc := d.Page.Doc
	if !d.CanEdit || !d.Page.Current || d.Rev != "" || len(doc.Headings) == 0 {
		return doc.HTML
	}
	first, ok := sectionOffset(wiki.Sections(string(d.Page.Content)), doc.Headings)
	if !ok {
		return doc.HTML
	}
	src := string(doc.HTML)
	var b strings.Builder
	for i, h := range doc.Headings {
		open := fmt.Sprintf(`<h%d id="%s">`, h.Level, template.HTMLEscapeString(h.ID))
		at := strings.Index(src, open)
		if at < 0 {
			continue
		}
		closeTag := fmt.Sprintf("</h%d>", h.Level)
		end := strings.Index(src[at:], closeTag)
		if end < 0 {
			continue
		}
		end += at + len(closeTag)
		b.WriteString(src[:end])
		href := wiki.EditURL(d.Page.Name) + "?section=" + strconv.Itoa(first+i)
		fmt.Fprintf(&b, `<p class="section-edit"><a href="%s">%s<span class="visually-hidden">: %s</span></a></p>`,
			template.HTMLEscapeString(href), template.HTMLEscapeString(d.T("section-edit")), template.HTMLEscapeString(h.Text))
		src = src[end:]
	}
	b.WriteString(src)
	return template.HTML(b.String())
}

// sectionOffset is the number of the source section that the first
// rendered heading stands for (2 when the renderer took a leading "# Title"
// out as the page title, else 1), and whether the two lists match.
func sectionOffset(secs []wiki.Section, hs []markdown.Heading) (int, bool) {
	for _, skip := range []int{0, 1} {
		if len(secs) != len(hs)+skip || (skip == 1 && secs[0].Level != 1) {
			continue
		}
		// The renderer keeps "##" as h2 under the title, or moves every
		// heading one level down when the body has "#" headings of its own.
		for _, shift := range []int{0, 1} {
			match := true
			for i, h := range hs {
				if min(secs[i+skip].Level+shift, 6) != h.Level {
					match = false
					break
				}
			}
			if match {
				return 1 + skip, true
			}
		}
	}
	return 0, false
}
