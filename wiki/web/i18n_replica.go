package web

// replicaMessages holds the Dutch and English texts of a read replica's
// admin page. It is never written to.
var replicaMessages = map[string][2]string{
	"replica-title": {"Leesreplica", "Read replica"},
	"replica-intro": {"Deze wiki is een leesreplica: ze haalt de inhoud op bij de hoofdserver en toont die zelf; wat iemand opslaat, gaat naar de hoofdserver.",
		"This wiki is a read replica: it fetches the content from the primary and shows it itself; whatever someone saves goes to the primary."},
	"replica-primary":  {"Hoofdserver", "Primary"},
	"replica-state":    {"Toestand", "State"},
	"replica-ok":       {"Bijgewerkt", "Up to date"},
	"replica-behind":   {"%d wijzigingen achter", "%d changes behind"},
	"replica-waiting":  {"Nog niet opgehaald", "Not fetched yet"},
	"replica-failing":  {"Ophalen mislukt; de replica probeert het steeds opnieuw en toont intussen wat ze heeft", "Fetching fails; the replica keeps trying and shows what it has meanwhile"},
	"replica-diverged": {"Gestopt: de replica heeft wijzigingen die de hoofdserver niet heeft", "Stopped: the replica has changes the primary does not have"},
	"replica-diverged-help": {"Iemand heeft de inhoud van de replica zelf veranderd, of de hoofdserver is teruggezet. De replica overschrijft niets en volgt niet meer. Maak de gegevensmap van de replica leeg (op de sleutel na) en start haar opnieuw: ze haalt dan alles opnieuw op.",
		"Someone changed the replica's content itself, or the primary was restored to an earlier state. The replica overwrites nothing and no longer follows. Empty the replica's data folder (but for the key) and start it again: it then fetches everything anew."},
	"replica-primary-head": {"Laatste versie op de hoofdserver", "Latest version on the primary"},
	"replica-head":         {"Versie hier", "Version here"},
	"replica-last-success": {"Laatst opgehaald", "Last fetched"},
	"replica-last-error":   {"Laatste fout", "Last error"},
	"replica-never":        {"nog niet", "not yet"},
}
