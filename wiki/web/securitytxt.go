package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// securityTxtPath is where RFC 9116 puts the security contact.
const securityTxtPath = "/.well-known/security.txt"

// securityTxtValidity is how far ahead Expires lies. RFC 9116 asks for
// less than a year; the file is made per request, so it stays current as
// long as the wiki runs with its contact.
const securityTxtValidity = 180 * 24 * time.Hour

func (s *Server) registerWellKnownRoutes(r *mux.Router) {
	r.HandleFunc(securityTxtPath, s.handleSecurityTxt).Methods(http.MethodGet, http.MethodHead)
}

// handleSecurityTxt serves /.well-known/security.txt (RFC 9116) with the
// contacts of Config.SecurityContacts; without any it answers 404, as
// there is nobody to name.
func (s *Server) handleSecurityTxt(w http.ResponseWriter, r *http.Request) {
	if len(s.securityContacts) == 0 {
		http.NotFound(w, r)
		return
	}
	var b strings.Builder
	b.WriteString("# Security contact of this wiki (RFC 9116).\n")
	for _, c := range s.securityContacts {
		fmt.Fprintf(&b, "Contact: %s\n", c)
	}
	expires := s.now().Add(securityTxtValidity).UTC().Truncate(24 * time.Hour)
	fmt.Fprintf(&b, "Expires: %s\n", expires.Format(time.RFC3339))
	b.WriteString("Preferred-Languages: nl, en\n")
	if s.baseURL != "" {
		fmt.Fprintf(&b, "Canonical: %s%s\n", s.baseURL, securityTxtPath)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	fmt.Fprint(w, b.String())
}

// ParseSecurityContact turns what an operator gives (-security-contact)
// into the URIs security.txt lists: mailto:, https: or tel: URIs, and a
// bare e-mail address becomes a mailto: URI. Several are separated by
// commas.
func ParseSecurityContact(v string) ([]string, error) {
	var out []string
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		switch {
		case c == "":
			continue
		case strings.ContainsAny(c, " \t\r\n"):
			return nil, fmt.Errorf("security contact %q contains white space", c)
		case strings.HasPrefix(c, "mailto:") && strings.Contains(c, "@"),
			strings.HasPrefix(c, "https://") && len(c) > len("https://"),
			strings.HasPrefix(c, "tel:") && len(c) > len("tel:"):
			out = append(out, c)
		case !strings.Contains(c, ":") && strings.Count(c, "@") == 1 && !strings.HasPrefix(c, "@") && !strings.HasSuffix(c, "@"):
			out = append(out, "mailto:"+c)
		default:
			return nil, fmt.Errorf("security contact %q is not an e-mail address or a mailto:, https: or tel: URI", c)
		}
	}
	return out, nil
}
