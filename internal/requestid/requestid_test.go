package requestid

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSane(t *testing.T) {
	for id, want := range map[string]bool{
		"abc-123":                   true,
		"5f0c9a1e-7b2d-4c1a-9e0f":   true,
		"nginx:1a2b.3c_4":           true,
		"":                          false,
		"has space":                 false,
		"line\nbreak":               false,
		`quote"`:                    false,
		strings.Repeat("a", 64):     true,
		strings.Repeat("a", 65):     false,
		"héllo":                     false,
		"<script>alert(1)</script>": false,
	} {
		if got := Sane(id); got != want {
			t.Errorf("Sane(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestMiddlewareLogsWithID: the handler's own log lines and the request
// line carry the id; a read is not logged, a write and a 500 are.
func TestMiddlewareLogsWithID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil)))
	h := Middleware(Options{Logger: log}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "inside")
		if r.URL.Path == "/boom" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	for _, c := range []struct{ method, path, id string }{
		{http.MethodGet, "/read", "r-1"},
		{http.MethodPost, "/write", "w-1"},
		{http.MethodGet, "/boom", "b-1"},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Header.Set(Header, c.id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get(Header); got != c.id {
			t.Errorf("%s: answered id %q", c.path, got)
		}
	}
	requests := map[string]string{}
	inside := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		id, _ := rec["request_id"].(string)
		switch rec["msg"] {
		case "inside":
			inside[id] = true
		case "request":
			requests[id] = rec["level"].(string)
		}
	}
	if !inside["r-1"] || !inside["w-1"] || !inside["b-1"] {
		t.Errorf("handler lines by id: %v", inside)
	}
	if _, ok := requests["r-1"]; ok || requests["w-1"] != "INFO" || requests["b-1"] != "WARN" {
		t.Errorf("request lines by id: %v", requests)
	}
}
