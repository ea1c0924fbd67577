package web

// a11yMessages holds the Dutch and English texts of the accessibility
// page (/-/accessibility) and the footer link to it. It is never written
// to.
var a11yMessages = map[string][2]string{
	"a11y-link": {"Toegankelijkheid", "Accessibility"},
	// Printed above a page: which version this paper shows.
	"print-version": {"Versie van %s, door %s (%s)", "Version of %s, by %s (%s)"},
	"a11y-title":    {"Toegankelijkheid", "Accessibility"},
	"a11y-intro": {"%s draait op wikiwerk. De software is gebouwd en getest om te voldoen aan WCAG 2.1 niveau AA (EN 301 549), de norm uit het Besluit digitale toegankelijkheid overheid.",
		"%s runs on wikiwerk. The software is built and tested to meet WCAG 2.1 level AA (EN 301 549), the standard of the Dutch decree on digital accessibility of government bodies."},
	"a11y-statement-title": {"Toegankelijkheidsverklaring", "Accessibility statement"},
	"a11y-statement-there": {"De organisatie achter deze wiki heeft een toegankelijkheidsverklaring gepubliceerd:", "The organisation behind this wiki has published an accessibility statement:"},
	"a11y-statement-link":  {"toegankelijkheidsverklaring van %s", "accessibility statement of %s"},
	"a11y-statement-none": {"De organisatie achter deze wiki heeft hier nog geen toegankelijkheidsverklaring gekoppeld. Beheerders: stel die op met het sjabloon docs/toegankelijkheidsverklaring-sjabloon.md en koppel hem met -accessibility-statement.",
		"The organisation behind this wiki has not linked an accessibility statement here yet. Administrators: write one with the template docs/toegankelijkheidsverklaring-sjabloon.md and link it with -accessibility-statement."},
	"a11y-tested-title": {"Wat is getest", "What was tested"},
	"a11y-tested-axe": {"Elk soort pagina (lezen, bewerken, geschiedenis, vergelijken, zoeken, bestanden, inloggen, account, beheer, foutpagina's en meer), in het Nederlands en het Engels, ingelogd en niet, in licht en donker kleurenschema: automatisch met axe-core 4.14.1 op WCAG 2.1 A en AA.",
		"Every kind of page (reading, editing, history, comparing, search, files, signing in, account, administration, error pages and more), in Dutch and English, signed in and not, in the light and dark colour scheme: automatically with axe-core 4.14.1 against WCAG 2.1 A and AA."},
	"a11y-tested-keyboard": {"Met alleen het toetsenbord: inloggen, een pagina zoeken, bewerken en opslaan, twee versies vergelijken en een oude versie terugzetten. De focus is steeds zichtbaar en raakt nooit kwijt.",
		"By keyboard alone: signing in, finding a page, editing and saving, comparing two versions and restoring an old one. The focus is always visible and never lost."},
	"a11y-tested-reflow": {"Elke pagina op 320 pixels breed (400 % zoom): niets schuift zijwaarts buiten beeld; brede tabellen schuiven binnen hun eigen vak.",
		"Every page at 320 pixels wide (400 % zoom): nothing scrolls sideways off the screen; wide tables scroll within their own box."},
	"a11y-tested-manual": {"Met de hand: kopniveaus, taal van de inhoud, zichtbaarheid en contrast van de focus, aanduiding van de huidige pagina in menu's.",
		"By hand: heading levels, language of the content, visibility and contrast of the focus, marking of the current page in menus."},
	"a11y-result-title": {"Resultaat", "Result"},
	"a11y-result": {"Bij de laatste test vond axe-core geen enkele overtreding op alle geteste soorten pagina's. Automatische tests vinden niet alles; zie de bekende beperkingen hieronder.",
		"At the last test axe-core found no violation at all on every kind of page tested. Automated tests do not find everything; see the known limits below."},
	"a11y-limits-title": {"Bekende beperkingen", "Known limits"},
	"a11y-limit-content": {"Wat schrijvers op pagina's zetten (afbeeldingen zonder beschrijving, tabellen zonder kopregel, onduidelijke linkteksten) valt onder hun eigen verantwoordelijkheid.",
		"What writers put on pages (images without a description, tables without a header row, unclear link texts) is their own responsibility."},
	"a11y-limit-visual": {"De visuele editor is met axe getest, maar nog niet met schermlezers; de tekstmodus werkt overal.",
		"The visual editor was tested with axe but not yet with screen readers; the text mode works everywhere."},
	"a11y-limit-diagrams": {"Diagrammen (Mermaid) zijn afbeeldingen; hun broncode staat eronder als tekstalternatief.",
		"Diagrams (Mermaid) are images; their source is shown below them as a text alternative."},
	"a11y-limit-screenreader": {"Er is nog geen test met mensen die een schermlezer of spraakbesturing gebruiken.",
		"There has not yet been a test with people who use a screen reader or voice control."},
	"a11y-contact-title": {"Iets gevonden?", "Found something?"},
	"a11y-contact": {"Loop je ergens tegenaan, meld het dan bij de beheerders van deze wiki. Fouten in de software zelf kunnen worden gemeld bij het wikiwerk-project.",
		"If something does not work for you, tell the administrators of this wiki. Problems in the software itself can be reported to the wikiwerk project."},
}
