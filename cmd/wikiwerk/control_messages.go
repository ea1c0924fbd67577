package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// userMessages are the texts of the wikiwerk user command: {Dutch, English}.
var userMessages = map[string][2]string{
	"created":         {"Account %s aangemaakt (rol: %s)", "Created account %s (role: %s)"},
	"passwd":          {"Wachtwoord van %s gewijzigd; hun sessies zijn beëindigd", "Changed the password of %s; their sessions have ended"},
	"disabled":        {"Account %s uitgeschakeld; hun sessies en tokens werken niet meer", "Disabled account %s; their sessions and tokens no longer work"},
	"enabled":         {"Account %s weer ingeschakeld", "Enabled account %s again"},
	"role":            {"%s heeft nu de rol %s", "%s now has the role %s"},
	"groups":          {"%s zit nu in de groepen %s", "%s is now in the groups %s"},
	"no-groups":       {"%s zit nu in geen enkele groep", "%s is now in no groups"},
	"via-server":      {"(via de draaiende wiki: meteen van kracht)", "(through the running wiki: in effect at once)"},
	"list-header":     {"NAAM\tWEERGAVENAAM\tE-MAIL\tROL\tGROEPEN\tUITGESCHAKELD", "NAME\tDISPLAY NAME\tE-MAIL\tROLE\tGROUPS\tDISABLED"},
	"yes":             {"ja", "yes"},
	"no":              {"nee", "no"},
	"err-not-found":   {"onbekende gebruiker %s", "user %s not found"},
	"err-name-taken":  {"de naam %s is al in gebruik (name taken)", "name taken: %s"},
	"err-invalid":     {"ongeldige invoer", "invalid input"},
	"err-in-use":      {"accounts.db is in gebruik door een ander proces en er antwoordt geen wiki-server op %s: stop dat proces (of het andere wikiwerk user-commando) en probeer het opnieuw", "accounts.db is in use by another process and no wiki server answers on %s: stop that process (or the other wikiwerk user command) and try again"},
	"err-refused":     {"de draaiende wiki weigert dit commando: draai het als de OS-gebruiker van de wiki", "the running wiki refuses this command: run it as the wiki's OS user"},
	"err-no-accounts": {"geen accounts in %s (er is geen %s): controleer -data of WIKIWERK_DATA, of maak het eerste account met: wikiwerk user add -data %s -role admin NAAM", "no accounts in %s (there is no %s): check -data or WIKIWERK_DATA, or create the first account with: wikiwerk user add -data %s -role admin NAME"},
	"usage": {`gebruik:
  wikiwerk user add [-data MAP] [-role reader|editor|admin] [-name "Volledige naam"] [-email E] [-groups a,b] NAAM
  wikiwerk user list [-data MAP]
  wikiwerk user passwd [-data MAP] NAAM
  wikiwerk user disable [-data MAP] [-enable] NAAM
  wikiwerk user role [-data MAP] NAAM reader|editor|admin
  wikiwerk user groups [-data MAP] NAAM a,b      ("" haalt alle groepen weg)
add en passwd lezen het wachtwoord als één regel van standaardinvoer, bijvoorbeeld
  read -rs PW && printf '%s\n' "$PW" | wikiwerk user add -role admin anna
-data is standaard $WIKIWERK_DATA, anders ./wiki-data. Terwijl de wiki draait, vraagt het
commando het de wiki via DATA/wikiwerk.sock (draai het als de OS-gebruiker van de wiki) en
werkt de wijziging meteen; anders opent het DATA/accounts.db zelf. Meldingen zijn in het
Nederlands, of in het Engels met WIKIWERK_LANG=en of een Engelse locale (LC_ALL, LC_MESSAGES, LANG).`, `usage:
  wikiwerk user add [-data DIR] [-role reader|editor|admin] [-name "Full Name"] [-email E] [-groups a,b] USER
  wikiwerk user list [-data DIR]
  wikiwerk user passwd [-data DIR] USER
  wikiwerk user disable [-data DIR] [-enable] USER
  wikiwerk user role [-data DIR] USER reader|editor|admin
  wikiwerk user groups [-data DIR] USER a,b      ("" removes all groups)
add and passwd read the password as one line from standard input, e.g.
  read -rs PW && printf '%s\n' "$PW" | wikiwerk user add -role admin anna
-data defaults to $WIKIWERK_DATA, else ./wiki-data. While the wiki runs, the command asks
it over DATA/wikiwerk.sock (run it as the wiki's OS user) and the change is in effect at
once; otherwise it opens DATA/accounts.db itself. Messages are in Dutch, or in English
when WIKIWERK_LANG=en or the locale (LC_ALL, LC_MESSAGES, LANG) is English.`},
	"err-unknown-command":  {"onbekend commando %q", "unknown command %q"},
	"err-arguments":        {"verwacht %s, kreeg %d argument(en)", "want %s, got %d argument(s)"},
	"data-folder":          {"datamap", "data folder"},
	"prompt-password":      {"Wachtwoord: ", "Password: "},
	"prompt-again":         {"Wachtwoord nogmaals: ", "Password again: "},
	"err-read-password":    {"wachtwoord lezen", "read the password"},
	"err-passwords-differ": {"de twee wachtwoorden verschillen", "the two passwords differ"},
	"err-password-size":    {"het wachtwoord moet 1 tot %d bytes hebben", "the password must have 1 to %d bytes"},
	"err-read-stdin":       {"wachtwoord lezen van standaardinvoer", "read the password from standard input"},
	"err-no-password":      {"geen wachtwoord op standaardinvoer (geef het als één regel)", "no password on standard input (give it as one line)"},
	"err-password-long":    {"het wachtwoord is langer dan %d bytes", "the password is longer than %d bytes"},
}

// cliLang is the language of the user command: WIKIWERK_LANG (the serve
// flag -lang) when it is nl or en, else the locale (LC_ALL, LC_MESSAGES,
// LANG, first one set): English for en_*, Dutch otherwise, as the wiki
// itself is Dutch unless told otherwise. It returns 0 for Dutch and 1 for
// English, the index into userMessages.
func cliLang(getenv func(string) string) int {
	switch strings.ToLower(getenv("WIKIWERK_LANG")) {
	case "nl":
		return 0
	case "en":
		return 1
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "en") {
				return 1
			}
			return 0
		}
	}
	return 0
}

// msg formats message key in the command's language; without args the
// text is returned as it is (the usage has a printf example in it).
func (c *userCommand) msg(key string, args ...any) string {
	text := userMessages[key][cliLang(c.getenv)]
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}

// explain puts a store error (from the file or the server) into the
// command's language. The store's own detail, in English, follows for
// invalid input because it says what exactly is wrong.
func (c *userCommand) explain(name string, err error) error {
	switch {
	case errors.Is(err, wiki.ErrNotFound):
		return errors.New(c.msg("err-not-found", name))
	case errors.Is(err, wiki.ErrNameTaken):
		return errors.New(c.msg("err-name-taken", name))
	case errors.Is(err, wiki.ErrInvalidInput):
		return fmt.Errorf("%s: %w", c.msg("err-invalid"), err)
	}
	return err
}
