package web

// newPageMessages holds the Dutch and English texts of the new-page form, templates, page fields and section editing. It is never written to.
var newPageMessages = map[string][2]string{
	"newpage-template":      {"Sjabloon", "Template"},
	"newpage-template-none": {"Geen: een lege pagina", "None: an empty page"},
	"newpage-template-help": {"Een sjabloon vult de editor alvast met koppen en vaste tekst. Sjablonen zijn de pagina's in de map Sjablonen.", "A template fills the editor with headings and standard text. Templates are the pages in the folder Sjablonen."},

	"fields-legend":    {"Over deze pagina", "About this page"},
	"field-title":      {"Titel", "Title"},
	"field-title-help": {"Leeg laten: de naam van de pagina is de titel.", "Leave empty to use the page's name as its title."},
	"field-tags":       {"Trefwoorden", "Tags"},
	"field-tags-help":  {"Gescheiden door komma's, bijvoorbeeld: wmo, dienstverlening.", "Separated by commas, for example: wmo, services."},
	"field-lang":       {"Taal van de tekst", "Language of the text"},
	"field-lang-help":  {"Een taalcode zoals nl of en. Leeg laten: de taal van de wiki.", "A language code such as nl or en. Leave empty for the wiki's language."},
	"fields-fallback":  {"De gegevens bovenaan deze pagina (tussen de regels ---) zijn te ingewikkeld voor losse velden. Ze staan daarom als tekst in het tekstvak; pas ze daar voorzichtig aan.", "The data at the top of this page (between the --- lines) is too complex for separate fields, so it is shown as text in the text box; change it there with care."},

	"section-edit":    {"bewerken", "edit"},
	"section-editing": {"Je bewerkt alleen de sectie ‘%s’.", "You are editing only the section ‘%s’."},
	"section-whole":   {"Hele pagina bewerken", "Edit the whole page"},
	"section-missing": {"Die sectie bestaat niet (meer); de hele pagina staat in de editor.", "That section does not exist (any more); the whole page is in the editor."},

	"summary-created":  {"Pagina aangemaakt", "Created page"},
	"summary-section":  {"Sectie '%s' bewerkt", "Edited section '%s'"},
	"summary-sections": {"Secties %s bewerkt", "Edited sections %s"},
	"summary-updated":  {"Pagina bijgewerkt", "Updated page"},
}
