package web

import (
	"fmt"
	"net/http"

	"golang.org/x/text/language"
)

// newLanguageMatcher matches browsers to the interface languages, Dutch
// and English. Dutch comes first, so it is the default: most users are Dutch
// civil servants.
func newLanguageMatcher() language.Matcher {
	return language.NewMatcher([]language.Tag{language.Dutch, language.English})
}

// chooseLang picks the interface language: the "lang" cookie if set, else
// the browser's Accept-Language.
func (s *Server) chooseLang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "nl" || c.Value == "en") {
		return c.Value
	}
	accept := r.Header.Get("Accept-Language")
	if accept == "" {
		return "nl"
	}
	tags, _, _ := language.ParseAcceptLanguage(accept)
	_, i, conf := s.languages.Match(tags...)
	if conf == language.No || i == 0 {
		return "nl"
	}
	return "en"
}

// translate returns the message for key in lang, formatted with args. An
// unknown key is returned as is, which a test catches.
func translate(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if lang == "en" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// messages maps a key to its Dutch and English text. It is never written to.
var messages = map[string][2]string{
	"skip":             {"Naar de inhoud", "Skip to content"},
	"site":             {"wikiwerk", "wikiwerk"},
	"nav":              {"Hoofdmenu", "Main menu"},
	"home":             {"Voorpagina", "Front page"},
	"recent":           {"Recente wijzigingen", "Recent changes"},
	"allpages":         {"Alle pagina's", "All pages"},
	"pageactions":      {"Pagina-acties", "Page actions"},
	"view":             {"Lezen", "Read"},
	"edit":             {"Bewerken", "Edit"},
	"history":          {"Geschiedenis", "History"},
	"source":           {"Bron", "Source"},
	"breadcrumb":       {"Kruimelpad", "Breadcrumb"},
	"lastedit":         {"Laatst gewijzigd door %s op %s", "Last changed by %s on %s"},
	"oldversion":       {"Dit is een oude versie van %s, van %s door %s.", "This is an old version of %s, from %s by %s."},
	"tocurrent":        {"Naar de huidige versie", "Go to the current version"},
	"compare-current":  {"Vergelijk met de huidige versie", "Compare with the current version"},
	"missing-title":    {"Deze pagina bestaat nog niet", "This page does not exist yet"},
	"missing-text":     {"Er is nog geen pagina %s.", "There is no page %s yet."},
	"create":           {"Maak deze pagina aan", "Create this page"},
	"editing":          {"%s bewerken", "Editing %s"},
	"creating":         {"%s aanmaken", "Creating %s"},
	"content":          {"Tekst (Markdown)", "Text (Markdown)"},
	"content-help":     {"Opmaak met Markdown; koppel pagina's met [[Pagina]]. Zie de hulppagina.", "Format with Markdown; link pages with [[Page]]. See the help page."},
	"message":          {"Samenvatting van je wijziging", "Summary of your change"},
	"message-help":     {"Bijvoorbeeld: \"Termijnen aangevuld\". Verschijnt in de geschiedenis.", "For example: \"Added deadlines\". Shown in the history."},
	"author":           {"Je naam", "Your name"},
	"email":            {"Je e-mailadres (niet verplicht)", "Your e-mail address (optional)"},
	"author-help":      {"Wordt bij je wijziging vastgelegd. Leeg laten: \"Anonymous\".", "Recorded with your change. Leave empty for \"Anonymous\"."},
	"save":             {"Opslaan", "Save"},
	"preview":          {"Voorbeeld", "Preview"},
	"cancel":           {"Annuleren", "Cancel"},
	"preview-title":    {"Voorbeeld (nog niet opgeslagen)", "Preview (not saved yet)"},
	"conflict-title":   {"Iemand anders heeft deze pagina intussen gewijzigd", "Someone else changed this page in the meantime"},
	"conflict-text":    {"Je tekst is niet opgeslagen, maar ook niet verloren. De huidige versie (%s, door %s, %s) wijzigt dezelfde regels als jij. Kies hieronder per stuk welke tekst blijft, of pas je volledige tekst onderaan met de hand aan.", "Your text was not saved, but it is not lost. The current version (%s, by %s, %s) changes the same lines as you did. Choose below, part by part, which text stays, or edit your full text by hand at the bottom."},
	"resolve-help":     {"Tekst waarover geen verschil is, staat in grijs. Kies bij elk conflict welke versie blijft, of schrijf zelf de samengevoegde tekst.", "Text both versions agree on is shown in grey. For each conflict, choose which version stays, or write the combined text yourself."},
	"see-change":       {"Bekijk die wijziging", "See that change"},
	"conflict-n":       {"Conflict %d", "Conflict %d"},
	"their-part":       {"Huidige versie", "Current version"},
	"your-part":        {"Jouw versie", "Your version"},
	"take-mine":        {"Mijn versie houden", "Keep my version"},
	"take-theirs":      {"De huidige versie houden", "Keep the current version"},
	"take-both":        {"Allebei (eerst de huidige, dan de mijne)", "Both (the current one first, then mine)"},
	"take-custom":      {"Zelf samenvoegen:", "Combine them myself:"},
	"save-resolved":    {"Opslaan met deze keuzes", "Save with these choices"},
	"edit-by-hand":     {"Of: je volledige tekst met de hand aanpassen", "Or: edit your full text by hand"},
	"merged":           {"Opgeslagen en samengevoegd met de wijziging van %s (%s).", "Saved and merged with the change by %s (%s)."},
	"conflict-deleted": {"De pagina is intussen verwijderd. Je tekst staat hieronder; opslaan maakt de pagina opnieuw aan.", "The page was deleted in the meantime. Your text is below; saving creates the page again."},
	"current-version":  {"Huidige versie", "Current version"},
	"your-version":     {"Jouw versie", "Your version"},
	"save-failed":      {"Opslaan is niet gelukt: %s. Je tekst staat nog in het bewerkvak.", "Saving failed: %s. Your text is still in the edit box."},
	"history-of":       {"Geschiedenis van %s", "History of %s"},
	"history-help":     {"Kies twee versies en vergelijk ze.", "Choose two versions and compare them."},
	"compare":          {"Vergelijk geselecteerde versies", "Compare selected versions"},
	"when":             {"Wanneer", "When"},
	"who":              {"Wie", "Who"},
	"summary":          {"Samenvatting", "Summary"},
	"revision":         {"Versie", "Version"},
	"from":             {"van", "from"},
	"to":               {"naar", "to"},
	"older":            {"Oudere versies", "Older versions"},
	"newest":           {"Nieuwste versies", "Newest versions"},
	"nohistory":        {"Deze pagina heeft nog geen geschiedenis.", "This page has no history yet."},
	"diff-of":          {"Verschillen in %s", "Changes to %s"},
	"diff-range":       {"Van versie %s (%s, %s) naar versie %s (%s, %s)", "From version %s (%s, %s) to version %s (%s, %s)"},
	"diff-created":     {"De pagina is aangemaakt in versie %s (%s, %s)", "The page was created in version %s (%s, %s)"},
	"diff-none":        {"Geen verschillen.", "No differences."},
	"diff-stats":       {"%d regels toegevoegd, %d verwijderd", "%d lines added, %d removed"},
	"diff-table":       {"Regel voor regel", "Line by line"},
	"oldline":          {"Oud", "Old"},
	"newline":          {"Nieuw", "New"},
	"added":            {"toegevoegd", "added"},
	"removed":          {"verwijderd", "removed"},
	"view-this":        {"bekijk deze versie", "view this version"},
	"recent-help":      {"De laatste wijzigingen in de hele wiki, via de website en via git.", "The latest changes across the wiki, from the website and from git."},
	"feed":             {"Atom-feed", "Atom feed"},
	"pages":            {"Pagina's", "Pages"},
	"deleted":          {"verwijderd", "deleted"},
	"allpages-help":    {"%d pagina's in deze wiki.", "%d pages in this wiki."},
	"error":            {"Fout", "Error"},
	"error-400":        {"Dat verzoek klopt niet", "That request is not valid"},
	"error-403":        {"Dat mag hier niet", "That is not allowed here"},
	"error-404":        {"Niet gevonden", "Not found"},
	"error-405":        {"Dat kan niet op dit adres", "That does not work at this address"},
	"error-409":        {"Conflict", "Conflict"},
	"error-413":        {"Te groot", "Too large"},
	"error-500":        {"Er ging iets mis", "Something went wrong"},
	"error-back":       {"Terug naar de voorpagina", "Back to the front page"},
	"language":         {"English", "Nederlands"},
	"clone":            {"Kopieer de hele wiki met git: %s", "Copy the whole wiki with git: %s"},
	"tags":             {"Labels", "Tags"},
	"anon-note":        {"Je bewerkt zonder account. Je naam en e-mailadres worden openbaar zichtbaar in de geschiedenis.", "You are editing without an account. Your name and e-mail address are shown publicly in the history."},
	"readonly":         {"Bewerken staat uit op deze wiki.", "Editing is switched off on this wiki."},
	"prev-change":      {"Vorige wijziging", "Previous change"},
	"next-change":      {"Volgende wijziging", "Next change"},
	"saved":            {"Opgeslagen.", "Saved."},
	"unchanged":        {"Niets gewijzigd: de tekst was hetzelfde, er is geen nieuwe versie gemaakt.", "Nothing changed: the text was the same, no new version was made."},
	"revision-short":   {"versie %s", "version %s"},
}
