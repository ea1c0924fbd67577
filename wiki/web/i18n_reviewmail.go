package web

// reviewMailMessages holds the Dutch and English texts of the switch for
// mail about proposals, reviews and their discussions (on the watchlist
// and behind its unsubscribe links). It is never written to.
var reviewMailMessages = map[string][2]string{
	"revmail-heading":            {"Voorstellen en beoordelingen", "Proposals and reviews"},
	"revmail-on":                 {"Je krijgt mail over voorstellen die je beoordeelt, over de beoordeling en publicatie van je eigen voorstellen, en over opmerkingen bij voorstellen waaraan je meedoet.", "You get mail about proposals you review, about the review and publication of your own proposals, and about comments on proposals you take part in."},
	"revmail-off":                {"Je krijgt geen mail over voorstellen en beoordelingen.", "You get no mail about proposals and reviews."},
	"revmail-stop":               {"Geen mail meer over voorstellen", "No more mail about proposals"},
	"revmail-start":              {"Wel mail over voorstellen", "Mail me about proposals"},
	"watchlist-done-revmail-on":  {"Je krijgt weer mail over voorstellen en beoordelingen.", "You get mail about proposals and reviews again."},
	"watchlist-done-revmail-off": {"Je krijgt geen mail meer over voorstellen en beoordelingen.", "You no longer get mail about proposals and reviews."},
	"revmail-unsub":              {"Je krijgt geen mail meer over voorstellen en beoordelingen als je hieronder bevestigt. Op je volglijst zet je die mail weer aan.", "You will get no more mail about proposals and reviews once you confirm below. You can switch it on again on your watchlist."},
	"revmail-unsub-done":         {"Klaar: je krijgt geen mail meer over voorstellen en beoordelingen.", "Done: you get no more mail about proposals and reviews."},
}
