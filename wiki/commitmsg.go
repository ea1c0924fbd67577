package wiki

import (
	"fmt"
	"strings"
)

// commitTexts are the texts the wiki writes into git itself — automatic
// commit messages and the name of anonymous authors — in Dutch and
// English, chosen by Options.Lang. They stay in the history for good, so
// they are written in the language of the wiki, not of one reader. Never
// written to.
var commitTexts = map[string][2]string{
	"anonymous":           {"Anoniem", "Anonymous"},
	"create":              {"Pagina %s aangemaakt", "Create %s"},
	"update":              {"%s bijgewerkt", "Update %s"},
	"update-section":      {"%s bijgewerkt: sectie %s", "Update %s: section %s"},
	"update-sections":     {"%s bijgewerkt: secties %s", "Update %s: sections %s"},
	"update-many":         {"%s bijgewerkt: secties %s en nog %d", "Update %s: sections %s and %d more"},
	"delete":              {"%s verwijderd", "Delete %s"},
	"rename":              {"%s hernoemd naar %s", "Rename %s to %s"},
	"rename-links":        {"%s hernoemd naar %s, links in %d pagina('s) bijgewerkt", "Rename %s to %s and update links in %d page(s)"},
	"moved-to":            {"Deze pagina is verplaatst naar %s.", "This page has moved to %s."},
	"move":                {"%s verplaatst naar %s", "Move %s to %s"},
	"attach":              {"%s toegevoegd aan %s", "Attach %s to %s"},
	"revert":              {"%s teruggezet naar %s", "Revert %s to %s"},
	"restore":             {"%s hersteld: %s", "Restore %s from %s"},
	"version-of":          {"de versie van %s door %s (%s)", "the version of %s by %s (%s)"},
	"sections-joiner":     {", ", ", "},
	"proposal-publish":    {"Voorstel %s gepubliceerd: %s", "Publish proposal %s: %s"},
	"proposal-new":        {"Voorstel %s: %s", "Propose %s: %s"},
	"proposal-update":     {"Voorstel %s bijgewerkt: %s", "Update proposal %s: %s"},
	"proposal-review":     {"Voorstel %s beoordeeld: %s", "Review proposal %s: %s"},
	"proposal-withdraw":   {"Voorstel %s ingetrokken", "Withdraw proposal %s"},
	"proposal-record":     {"Voorstel %s gepubliceerd", "Publish proposal %s"},
	"proposal-resolve":    {"Conflict in voorstel %s opgelost", "Resolve proposal %s"},
	"proposal-merge-main": {"Hoofdversie samengevoegd in voorstel %s, conflict in %s opgelost", "Merge main into proposal %s, resolving %s"},
	"proposal-pushed":     {"Voorstel %s gepusht", "Proposal %s pushed"},
	"proposal-comment":    {"Opmerking bij voorstel %s", "Comment on proposal %s"},
	"version-time-fmt":    {"2 %s 2006, 15:04", "2 %s 2006, 15:04"},
}

var monthNames = [2][12]string{
	{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// langIndex is the column of commitTexts for the wiki's language.
func (w *Wiki) langIndex() int {
	if w.lang == "nl" {
		return 0
	}
	return 1
}

// say returns the text key in the wiki's language, formatted with args.
func (w *Wiki) say(key string, args ...any) string {
	t, ok := commitTexts[key]
	if !ok {
		panic("wiki: no commit text " + key)
	}
	if len(args) == 0 {
		return t[w.langIndex()]
	}
	return fmt.Sprintf(t[w.langIndex()], args...)
}

// versionName names a revision the way people do, by when and by whom,
// with the short id for those who use git: "de versie van 1 december
// 2026, 14:20 door Anna (468d62ae)".
func (w *Wiki) versionName(r Revision) string {
	t := r.Time.In(w.location)
	month := monthNames[w.langIndex()][t.Month()-1]
	layout := fmt.Sprintf(commitTexts["version-time-fmt"][w.langIndex()], month)
	who := strings.TrimSpace(r.Author.Name)
	if who == "" {
		who = w.say("anonymous")
	}
	return w.say("version-of", t.Format(layout), who, shortID(r.ID))
}

// withDefaultName gives an author without a name the anonymous name.
func (w *Wiki) withDefaultName(a Author) Author {
	if strings.TrimSpace(a.Name) == "" {
		a.Name = w.say("anonymous")
	}
	return a
}

// defaultMessage describes a save that came without an edit summary,
// naming the sections it touched, e.g. "WMO-loket/Ontwerp bijgewerkt:
// sectie Aanvraag". Section names make history readable at a glance.
func (w *Wiki) defaultMessage(name Name, created bool, old, new []byte) string {
	if created {
		return w.say("create", name)
	}
	sections := changedSections(string(old), string(new))
	switch joiner := w.say("sections-joiner"); {
	case len(sections) == 1:
		return w.say("update-section", name, sections[0])
	case len(sections) > 1 && len(sections) <= 3:
		return w.say("update-sections", name, strings.Join(sections, joiner))
	case len(sections) > 3:
		return w.say("update-many", name, strings.Join(sections[:2], joiner), len(sections)-2)
	}
	return w.say("update", name)
}
