// Package requestid gives every HTTP request an id that follows it
// through the logs: the X-Request-Id a proxy sent (when it looks like an
// id), or a new random one. The id is sent back in the response header
// and added to every log line written with the request's context.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"
)

// Header is the request and response header that carries the id.
const Header = "X-Request-Id"

// key is the context key of the id.
type key struct{}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the id ctx carries, "" for none.
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// New makes a random id: 16 hex digits.
func New() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Sane reports whether an incoming id may be used as it is: 1 to 64
// letters, digits and "-_.:", so that it cannot forge log lines or
// headers and stays short.
func Sane(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// Options tunes Middleware.
type Options struct {
	// Logger, when set, gets one line for every request that may change
	// something (any method but GET and HEAD) and for every answer of
	// 500 or more: method, path, status, duration and the id. Reads are
	// not logged, so that the log stays readable on a busy wiki.
	Logger *slog.Logger
}

// Middleware gives each request its id and puts it in the response
// header and the request's context.
func Middleware(opt Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !Sane(id) {
			id = New()
		}
		w.Header().Set(Header, id)
		ctx := With(r.Context(), id)
		if opt.Logger == nil {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		if status >= 500 || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			opt.Logger.LogAttrs(ctx, level, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Duration("took", time.Since(start).Round(time.Microsecond)))
		}
	})
}

// recorder remembers the status of a response.
type recorder struct {
	http.ResponseWriter
	status int
}

func (s *recorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *recorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes a flush on, for streamed answers.
func (s *recorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (s *recorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Handler adds the request id of a record's context, as request_id, to
// every record it passes on to h.
func Handler(h slog.Handler) slog.Handler { return &handler{h: h} }

type handler struct{ h slog.Handler }

func (x *handler) Enabled(ctx context.Context, l slog.Level) bool { return x.h.Enabled(ctx, l) }

func (x *handler) Handle(ctx context.Context, rec slog.Record) error {
	if id := From(ctx); id != "" {
		rec = rec.Clone()
		rec.AddAttrs(slog.String("request_id", id))
	}
	return x.h.Handle(ctx, rec)
}

func (x *handler) WithAttrs(as []slog.Attr) slog.Handler { return &handler{h: x.h.WithAttrs(as)} }

func (x *handler) WithGroup(name string) slog.Handler { return &handler{h: x.h.WithGroup(name)} }
