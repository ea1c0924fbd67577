package main

import (
	"math/rand/v2"
	"strings"
)

// The vocabulary of the synthetic wiki. Dutch-ish civil-service prose is
// enough: the benchmark cares about line counts and edit patterns, but a
// repository that reads like the real thing is easier to eyeball when a
// number looks wrong.

var firstNames = []string{
	"Anna", "Jan", "Fatima", "Pieter", "Sanne", "Mohammed", "Lotte", "Henk",
	"Ingrid", "Kees", "Priya", "Bram", "Noor", "Willem", "Esther", "Youssef",
}

var lastNames = []string{
	"de Vries", "Jansen", "El Amrani", "van den Berg", "Bakker", "Yilmaz",
	"Visser", "Smit", "de Boer", "Mulder", "Ramdin", "Meijer", "Hoekstra",
	"van Dijk", "Kuipers", "Bos",
}

// Reserved .example domains: the addresses look real but can never reach
// anyone.
var mailDomains = []string{"gemeente.example", "provincie.example", "uitvoering.example"}

var subjects = []string{
	"De gemeente", "Het loket", "De klantmanager", "Het team", "De inwoner",
	"De consulent", "De afdeling", "Het college", "De wijkcoach", "De aanvrager",
	"Het sociaal wijkteam", "De projectgroep", "De servicedesk",
}

var verbs = []string{
	"beoordeelt", "registreert", "bespreekt", "controleert", "ontvangt",
	"verwerkt", "beschrijft", "plant", "evalueert", "archiveert", "deelt",
	"ondersteunt", "bewaakt", "actualiseert",
}

var objects = []string{
	"de aanvraag", "het keukentafelgesprek", "de melding", "het ondersteuningsplan",
	"de beschikking", "het dossier", "de termijn", "de klantreis", "het verslag",
	"de werkinstructie", "de privacyverklaring", "het bezwaar", "de indicatie",
	"de maatwerkvoorziening", "het formulier", "de planning",
}

var adverbials = []string{
	"binnen zes weken", "na overleg met de inwoner", "in het zaaksysteem",
	"voor de volgende stap", "volgens de werkinstructie", "zo snel mogelijk",
	"tijdens het spreekuur", "in samenwerking met de wijkcoach",
	"conform de verordening", "aan het eind van het kwartaal", "digitaal",
	"met een kopie aan de aanvrager",
}

var headings = []string{
	"Aanleiding", "Werkwijze", "Termijnen", "Rollen en verantwoordelijkheden",
	"Privacy", "Contact", "Veelgestelde vragen", "Stappenplan", "Achtergrond",
	"Besluiten", "Open punten", "Zie ook",
}

var editMessages = []string{
	"Termijnen aangepast", "Typfout verbeterd", "Werkwijze verduidelijkt",
	"Contactgegevens bijgewerkt", "Open punten aangevuld", "Verwijzing naar de verordening toegevoegd",
	"Stappenplan herschreven", "Opmerkingen uit het teamoverleg verwerkt",
	"Verouderde informatie verwijderd", "Voorbeeld toegevoegd", "Kopjes gelijkgetrokken",
	"Links bijgewerkt", "Besluit van de stuurgroep vastgelegd", "Privacyparagraaf aangescherpt",
}

// author is one committer of the synthetic history.
type author struct {
	Name, Email string
}

// makeAuthors returns n distinct authors. Beyond the 16 first names the
// last names are combined differently so that names stay unique.
func makeAuthors(n int) []author {
	out := make([]author, n)
	for i := range out {
		first := firstNames[i%len(firstNames)]
		last := lastNames[(i+i/len(firstNames))%len(lastNames)]
		local := strings.ToLower(first) + "." + strings.ToLower(strings.ReplaceAll(last, " ", ""))
		if i >= len(firstNames) {
			local += string(rune('a' + (i/len(firstNames))%26))
		}
		out[i] = author{Name: first + " " + last, Email: local + "@" + mailDomains[i%len(mailDomains)]}
	}
	return out
}

func pick(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }

// sentence returns one line of page body: mostly prose, sometimes a list
// item or a heading, as real pages mix them.
func sentence(r *rand.Rand) string {
	switch n := r.IntN(10); {
	case n == 0:
		return "## " + pick(r, headings)
	case n <= 2:
		return "- " + pick(r, objects) + " " + pick(r, adverbials)
	default:
		return pick(r, subjects) + " " + pick(r, verbs) + " " + pick(r, objects) + " " + pick(r, adverbials) + "."
	}
}
