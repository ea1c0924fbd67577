package web

// revertMessages holds the Dutch and English texts of the page that asks
// before an old version is restored. It is never written to.
var revertMessages = map[string][2]string{
	"revert-confirm-title": {"%s: een oude versie terugzetten", "%s: restore an old version"},
	"revert-confirm-text": {"De tekst van %s wordt weer die van de versie van %s door %s (%s). Dat wordt een nieuwe versie: de versies ertussen blijven in de geschiedenis en kunnen altijd terug.",
		"The text of %s becomes that of the version of %s by %s (%s) again. This makes a new version: the versions in between stay in the history and can always come back."},
	"revert-confirm-restore": {"%s is verwijderd. De versie van %s door %s (%s) komt terug als nieuwe versie, met de bestanden die bij de pagina hoorden.",
		"%s was deleted. The version of %s by %s (%s) comes back as a new version, with the files that belonged to the page."},
	"revert-confirm-why":    {"Waarom zet je deze versie terug?", "Why are you restoring this version?"},
	"revert-confirm-help":   {"Komt in de geschiedenis, zodat anderen het begrijpen.", "Goes into the history, so that others understand."},
	"revert-confirm-button": {"Ja, deze versie terugzetten", "Yes, restore this version"},
}
