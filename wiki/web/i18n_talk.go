package web

// talkMessages holds the Dutch and English texts of page discussions. It
// is never written to.
var talkMessages = map[string][2]string{
	"talk-tab":         {"Overleg", "Discussion"},
	"talk-title":       {"Overleg over %s", "Discussion of %s"},
	"talk-intro":       {"Hier bespreekt u de pagina zonder haar te wijzigen. Pagina:", "Here you discuss the page without changing it. Page:"},
	"talk-none":        {"Nog geen opmerkingen.", "No comments yet."},
	"talk-new":         {"Nieuwe opmerking", "New comment"},
	"talk-text":        {"Uw opmerking", "Your comment"},
	"talk-help":        {"Markdown mag, zoals op pagina's. Iedereen die de pagina kan lezen, ziet uw opmerking.", "Markdown works as on pages. Everyone who can read the page sees your comment."},
	"talk-send":        {"Plaatsen", "Post"},
	"talk-reply":       {"Reageren", "Reply"},
	"talk-your-reply":  {"Uw reactie", "Your reply"},
	"talk-send-reply":  {"Reactie plaatsen", "Post reply"},
	"talk-edit":        {"Bewerken", "Edit"},
	"talk-save-edit":   {"Wijziging opslaan", "Save change"},
	"talk-edited":      {"bewerkt", "edited"},
	"talk-to":          {"aan %s", "to %s"},
	"talk-failed":      {"Uw opmerking is niet geplaatst: %s", "Your comment was not posted: %s"},
	"talk-signin":      {"Om te reageren hebt u een account nodig.", "To comment you need an account."},
	"talk-recent":      {"Recente opmerkingen", "Recent comments"},
	"talk-recent-on":   {"opmerking bij %s", "comment on %s"},
	"talk-recent-edit": {"opmerking bewerkt bij %s", "comment edited on %s"},
}
