package web

import (
	"fmt"
	"net/http"
	"regexp"
)

// Errors of the domain (wiki.ErrNotFound, wiki.ErrInvalidInput...) carry
// English text, written for logs and the API. On a page, a reader of the
// Dutch interface gets the common ones in Dutch; the rest get a Dutch
// sentence for their status with the English detail after it, marked as
// English.

// errorPattern turns one common error text into the reader's language.
type errorPattern struct {
	re *regexp.Regexp
	// key is the message; its %s get the submatches.
	key string
}

// errorPatterns are matched against the end of an error's text: the
// wrapping context before it ("page X: ") is left out.
var errorPatterns = []errorPattern{
	{regexp.MustCompile(`"([^"]*)" is not a 40-character revision id$`), "a11y-err-bad-revision"},
	{regexp.MustCompile(`^(?:page|history of) (.+?): (?:.+: )?not found$`), "a11y-err-page-not-found"},
	{regexp.MustCompile(`^file (.+?): not found$`), "a11y-err-file-not-found"},
	{regexp.MustCompile(`^revision ([0-9a-f]+): not found$`), "a11y-err-revision-not-found"},
	{regexp.MustCompile(`invalid page name: "([^"]*)"`), "a11y-err-bad-name"},
}

// domainMessage is the message of err, an error without a translation of
// its own, for a page in lang.
func domainMessage(lang string, err error, status int) string {
	if lang == "en" || status >= 500 {
		return localPublicMessage(lang, err, status)
	}
	text := err.Error()
	for _, p := range errorPatterns {
		if m := p.re.FindStringSubmatch(text); m != nil {
			args := make([]any, len(m)-1)
			for i, s := range m[1:] {
				args[i] = s
			}
			return translate(lang, p.key, args...)
		}
	}
	switch status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return translate(lang, fmt.Sprintf("a11y-err-%d", status), text)
	}
	return text
}

// localPublicMessage is publicMessage with the 5xx texts in lang only.
func localPublicMessage(lang string, err error, status int) string {
	switch {
	case status == http.StatusInsufficientStorage:
		return translate(lang, "a11y-err-disk-full")
	case status >= 500:
		return translate(lang, "a11y-err-server")
	}
	return err.Error()
}
