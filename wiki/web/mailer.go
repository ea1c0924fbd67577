package web

import (
	"context"
	"net/http"

	"github.com/wikiwerk/wikiwerk/mail"
)

// Mailer sends mail; *mail.Queue is one. Enqueue returns once the
// message is stored durably; delivery happens later, with retries.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) (string, error)
}

// absoluteURL makes path (starting with "/") an absolute address of the
// wiki: under Config.BaseURL when set, else with the scheme and host the
// request came in by.
func (s *Server) absoluteURL(r *http.Request, path string) string {
	if s.baseURL != "" {
		return s.baseURL + path
	}
	scheme := "http"
	if s.isHTTPS(r) {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + path
}
