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
	"rename":           {"Hernoemen", "Rename"},
	"rename-title":     {"%s hernoemen of verplaatsen", "Rename or move %s"},
	"rename-to":        {"Nieuwe naam", "New name"},
	"rename-help":      {"Een schuine streep maakt een map, bijvoorbeeld WMO-loket/Archief/Ontwerp. Op de oude naam blijft een doorverwijzing staan.", "A slash makes a folder, for example WMO-loket/Archive/Design. The old name keeps a redirect."},
	"rename-links":     {"Links naar deze pagina in andere pagina's ook aanpassen", "Also update links to this page in other pages"},
	"rename-stale":     {"%s heeft de pagina intussen gewijzigd. Controleer de nieuwe versie en probeer het opnieuw.", "%s changed the page in the meantime. Check the new version and try again."},
	"renamed":          {"Hernoemd vanaf %s; links in %d andere pagina's aangepast.", "Renamed from %s; links updated in %d other pages."},
	"redirected-from":  {"Doorverwezen vanaf", "Redirected from"},
	"delete":           {"Verwijderen", "Delete"},
	"delete-title":     {"%s verwijderen", "Delete %s"},
	"delete-help":      {"De pagina verdwijnt uit de wiki, maar niet uit de geschiedenis: je kunt hem later altijd terugzetten.", "The page leaves the wiki, but not its history: you can always restore it later."},
	"delete-why":       {"Waarom verwijder je deze pagina?", "Why are you deleting this page?"},
	"delete-stale":     {"%s heeft de pagina intussen gewijzigd. Bekijk die wijziging voordat je verwijdert.", "%s changed the page in the meantime. Look at that change before deleting."},
	"deleted-title":    {"Deze pagina is verwijderd", "This page was deleted"},
	"deleted-text":     {"%s is verwijderd door %s op %s.", "%s was deleted by %s on %s."},
	"restore":          {"Laatste versie terugzetten", "Restore the last version"},
	"view-last":        {"Laatste versie bekijken", "View the last version"},
	"revert-this":      {"Deze versie terugzetten", "Restore this version"},
	"reverted":         {"De oude versie is teruggezet als nieuwe versie.", "The old version was restored as a new version."},
	"blame":            {"Wie schreef wat", "Blame"},
	"blame-of":         {"Wie schreef wat in %s", "Who wrote what in %s"},
	"blame-help":       {"Per regel de laatste versie die hem veranderde. Klik op een versie voor die wijziging.", "For every line, the last version that changed it. Click a version to see that change."},
	"text":             {"Tekst", "Text"},
	"contributions-of": {"Bijdragen van %s", "Contributions by %s"},
	"filter":           {"Filteren", "Filter"},
	"filter-author":    {"Auteur (naam of e-mail)", "Author (name or e-mail)"},
	"filter-folder":    {"Map", "Folder"},
	"filter-since":     {"Vanaf", "From"},
	"filter-until":     {"Tot en met", "Up to and including"},
	"filter-none":      {"Geen wijzigingen gevonden.", "No changes found."},
	"size":             {"Regels", "Lines"},
	"as-name":          {"als %s", "as %s"},
	"lines-added":      {"%d regels toegevoegd", "%d lines added"},
	"lines-removed":    {"%d regels verwijderd", "%d lines removed"},
	"diff-views":       {"Weergave van de verschillen", "How to show the changes"},
	"view-unified":     {"Onder elkaar", "Unified"},
	"view-split":       {"Naast elkaar", "Side by side"},
	"view-rendered":    {"Als opgemaakte tekst", "As formatted text"},
	"show-more":        {"%d ongewijzigde regels tonen", "Show %d unchanged lines"},
	"show-more-blocks": {"%d ongewijzigde alinea's tonen", "Show %d unchanged paragraphs"},
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
	// editor.js
	"draft-found":         {"In deze browser staat een concept van deze pagina dat nog niet is opgeslagen.", "This browser holds a draft of this page that was not saved."},
	"draft-restore":       {"Herstel concept van %s", "Restore draft from %s"},
	"draft-discard":       {"Weggooien", "Discard"},
	"draft-replace":       {"De tekst in het bewerkvak vervangen door het concept?", "Replace the text in the edit box with the draft?"},
	"draft-restored":      {"Concept hersteld.", "Draft restored."},
	"draft-discarded":     {"Concept weggegooid.", "Draft discarded."},
	"editing-too":         {"Ook bezig met deze pagina: %s", "Also editing this page: %s"},
	"editor-anonymous":    {"iemand zonder naam", "someone without a name"},
	"saved-meanwhile":     {"%s heeft %s een wijziging opgeslagen:", "%s saved a change %s:"},
	"saved-meanwhile-see": {"bekijk", "see it"},
	"deleted-meanwhile":   {"%s heeft deze pagina %s verwijderd.", "%s deleted this page %s."},
	"save-still":          {"Je kunt gewoon opslaan: wijzigingen in verschillende regels worden samengevoegd.", "You can still save: changes to different lines are merged."},
}
