package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestProtect(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("metrics")) })
	for _, c := range []struct {
		token, auth string
		want        int
	}{
		{"", "", http.StatusNotFound},
		{"", "Bearer ", http.StatusNotFound},
		{"t0ken", "", http.StatusUnauthorized},
		{"t0ken", "Basic dDBrZW4=", http.StatusUnauthorized},
		{"t0ken", "Bearer t0ke", http.StatusForbidden},
		{"t0ken", "Bearer t0kenx", http.StatusForbidden},
		{"t0ken", "Bearer t0ken", http.StatusOK},
		{"t0ken", "bearer t0ken", http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodGet, "/-/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		Protect(c.token, ok).ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("token %q, Authorization %q: %d, want %d", c.token, c.auth, rec.Code, c.want)
		}
	}
}

// accepted returns the registry's count of accepted pushes.
func accepted(t *testing.T, m *Metrics) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "wikiwerk_git_pushes_total" {
			continue
		}
		for _, s := range f.Metric {
			for _, l := range s.Label {
				if l.GetName() == "result" && l.GetValue() == "accepted" {
					return s.Counter.GetValue()
				}
			}
		}
	}
	t.Fatal("no wikiwerk_git_pushes_total{result=accepted}")
	return 0
}

// TestTwoRegistries: each server has its own counters, so two in one
// process (as in tests) do not add up.
func TestTwoRegistries(t *testing.T) {
	a, b := New(), New()
	a.ObservePush(true)
	if got, other := accepted(t, a), accepted(t, b); got != 1 || other != 0 {
		t.Errorf("accepted pushes: %v and %v, want 1 and 0", got, other)
	}
}
