package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// handlerFunc is an HTTP handler that returns its error instead of writing
// it, so that the mapping from error to status lives in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusOf maps a domain error to its HTTP status.
func statusOf(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, wiki.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, wiki.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, wiki.ErrInvalidName), errors.Is(err, wiki.ErrInvalidInput):
		return http.StatusBadRequest
	case errors.Is(err, wiki.ErrConflict), errors.Is(err, wiki.ErrNameTaken), errors.Is(err, wiki.ErrStale):
		return http.StatusConflict
	case errors.Is(err, wiki.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, wiki.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errTooManyAttempts):
		return http.StatusTooManyRequests
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errMediaType), errors.Is(err, wiki.ErrUnsupportedType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, wiki.ErrNoSpace):
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

// errMethod is returned for a method a route does not support.
var errMethod = errors.New("method not allowed")

// errMediaType is returned for a request body of a type the route does
// not take.
var errMediaType = errors.New("unsupported media type")

// publicMessage is the error text shown to the user: the error itself for
// 4xx (it says what was wrong with the request), and nothing internal for
// 5xx.
func publicMessage(err error, status int) string {
	if status == http.StatusInsufficientStorage {
		return "De schijf van de wiki is vol: er is niets opgeslagen. Probeer het later opnieuw; uw tekst staat nog in het formulier. / The wiki's disk is full: nothing was saved. Try again later; your text is still in the form."
	}
	if status >= 500 {
		return "Er ging iets mis aan onze kant. / Something went wrong on our side."
	}
	return err.Error()
}

// localized is an error that can say itself in the reader's language.
type localized interface {
	message(lang string) string
}

// localMessage is publicMessage in the reader's language where the error
// has a translation.
func (s *Server) localMessage(r *http.Request, err error, status int) string {
	var l localized
	if status < 500 && errors.As(err, &l) {
		return l.message(s.chooseLang(r))
	}
	return domainMessage(s.chooseLang(r), err, status)
}

// logError logs server-side failures; client errors are not the server's
// problem and would only flood the log.
func (s *Server) logError(r *http.Request, status int, err error) {
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
}

// html wraps a handler whose errors are shown as themed error pages.
func (s *Server) html(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status := statusOf(err)
			s.logError(r, status, err)
			setErrorHeaders(w, r, err, status, false)
			s.renderError(w, r, status, s.localMessage(r, err, status))
		}
	})
}

// api wraps a handler whose errors are JSON: {"error": "..."}.
func (s *Server) api(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status := statusOf(err)
			s.logError(r, status, err)
			setErrorHeaders(w, r, err, status, true)
			var ce *wiki.ConflictError
			if errors.As(err, &ce) {
				writeJSON(w, status, conflictJSON(ce))
				return
			}
			writeJSON(w, status, map[string]string{"error": publicMessage(err, status)})
		}
	})
}
