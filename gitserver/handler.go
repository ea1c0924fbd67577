// Package gitserver serves the wiki's content repository to the stock git
// client over git's smart HTTP protocol (version 0/1; a client asking for
// version 2 gets version 0, as the protocol allows):
//
//	GET  .../info/refs?service=git-upload-pack    refs for clone and fetch
//	POST .../git-upload-pack                      negotiation and pack
//	GET  .../info/refs?service=git-receive-pack   refs for push
//	POST .../git-receive-pack                     push
//
// The handler does the protocol: pkt-lines, capabilities, the have/want
// negotiation of stateless RPC, side-band multiplexing and report-status.
// Everything that touches the repository is a method of storage.Repo, behind
// its lock: which commits are common, which objects to send, whether a push
// is valid, and the compare-and-swap of the branch.
package gitserver

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Access is what a request wants to do with the repository.
type Access int

const (
	// Read is clone and fetch.
	Read Access = iota
	// Write is push.
	Write
)

func (a Access) String() string {
	if a == Write {
		return "push"
	}
	return "read"
}

// ErrUnauthorized is returned by an Authorize function to ask for
// credentials: the handler answers 401 with a Basic challenge, and git
// prompts for a user name and password (or token).
var ErrUnauthorized = errors.New("authentication required")

// Repository is what the git protocol needs of the content repository;
// *storage.Repo is one. Ref negotiation, pack planning and the checks of a
// push live in storage, under its lock; this package speaks the protocol.
type Repository interface {
	// Branch returns the wiki's branch and its head.
	Branch() (plumbing.ReferenceName, plumbing.Hash, error)
	// Negotiate answers a fetch's "have" lines.
	Negotiate(wants, haves []plumbing.Hash) ([]storage.HaveAnswer, error)
	// PreparePack plans the pack a fetch receives; the caller closes it.
	PreparePack(ctx context.Context, req storage.FetchRequest) (*storage.Pack, error)
	// ReceivePack validates and applies a push.
	ReceivePack(ctx context.Context, updates []storage.RefUpdate, pack io.Reader, lim storage.PushLimits) storage.PushResult
}

var _ Repository = (*storage.Repo)(nil)

// Config holds what a Handler needs.
type Config struct {
	// Repo is the content repository.
	Repo Repository
	// Authorize decides whether the request may do a. It returns nil to
	// allow, an error wrapping ErrUnauthorized to ask for credentials
	// (401), or any other error to refuse (403); the error's text is
	// shown to the user by git. nil allows reading and refuses pushes.
	Authorize func(r *http.Request, a Access) error
	// Limits bound what a push may contain.
	Limits storage.PushLimits
	// MayChange, when set, decides whether the pusher may change the
	// paths a push touches (after Authorize allowed writing at all), for
	// rules per folder; an error refuses the push with its text.
	MayChange func(r *http.Request, paths []string) error
	// Proposals, when set, takes pushes to refs/for/main and to voorstel/
	// branches as change proposals, for the pusher of r (proposals.go).
	Proposals func(r *http.Request) wiki.ProposalReceiver
	// MaxRequestBytes bounds a fetch request (wants and haves); default
	// 16 MiB.
	MaxRequestBytes int64
	// Logger receives server-side errors; default slog.Default().
	Logger *slog.Logger
	// Observer, when set, is told the outcome of every push.
	Observer PushObserver
}

// Handler serves git's smart HTTP protocol. Mount it under a prefix such as
// /wiki.git/: it answers to paths that end in /info/refs, /git-upload-pack
// and /git-receive-pack.
type Handler struct {
	repo      Repository
	authorize func(*http.Request, Access) error
	mayChange func(*http.Request, []string) error
	proposals func(*http.Request) wiki.ProposalReceiver
	limits    storage.PushLimits
	maxReq    int64
	log       *slog.Logger
	obs       PushObserver
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Authorize == nil {
		cfg.Authorize = func(_ *http.Request, a Access) error {
			if a == Write {
				return errors.New("pushing is switched off on this wiki")
			}
			return nil
		}
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 16 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handler{repo: cfg.Repo, authorize: cfg.Authorize, mayChange: cfg.MayChange, proposals: cfg.Proposals, limits: cfg.Limits, maxReq: cfg.MaxRequestBytes, log: cfg.Logger, obs: cfg.Observer}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	var err error
	switch {
	case strings.HasSuffix(path, "/info/refs") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		err = h.handleInfoRefs(w, r)
	case strings.HasSuffix(path, "/git-upload-pack") && r.Method == http.MethodPost:
		err = h.handleUploadPack(w, r)
	case strings.HasSuffix(path, "/git-receive-pack") && r.Method == http.MethodPost:
		err = h.handleReceivePack(w, r)
	case strings.HasSuffix(path, "/info/refs") || strings.HasSuffix(path, "/git-upload-pack") || strings.HasSuffix(path, "/git-receive-pack"):
		err = httpError(http.StatusMethodNotAllowed, "method %s is not allowed here", r.Method)
	default:
		err = httpError(http.StatusNotFound, "not found: this wiki serves git over smart HTTP only (git clone URL/wiki.git)")
	}
	if err != nil {
		h.fail(w, r, err)
	}
}

// statusError is an error with the HTTP status to answer.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func httpError(status int, format string, args ...any) error {
	return &statusError{status: status, msg: fmt.Sprintf(format, args...)}
}

// fail answers an error that happened before the response started. Git
// shows a text/plain body to the user, prefixed "remote: ".
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := "internal error"
	var se *statusError
	switch {
	case errors.As(err, &se):
		status, msg = se.status, se.msg
	case errors.Is(err, errResponseStarted):
		// The response is under way: the error went out in-band.
		return
	}
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "git http", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="wikiwerk", charset="UTF-8"`)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

// errResponseStarted marks errors reported inside a response that was
// already under way.
var errResponseStarted = errors.New("response started")

// allow applies Authorize.
func (h *Handler) allow(r *http.Request, a Access) error {
	err := h.authorize(r, a)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnauthorized):
		return httpError(http.StatusUnauthorized, "%v", err)
	}
	return httpError(http.StatusForbidden, "%v", err)
}

// requestBody returns the request body, inflated when the client
// compressed it (git gzips large fetch requests), and limited to limit
// bytes when limit > 0.
func requestBody(r *http.Request, limit int64) (io.Reader, error) {
	var body io.Reader = r.Body
	switch r.Header.Get("Content-Encoding") {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, httpError(http.StatusBadRequest, "bad gzip body: %v", err)
		}
		body = zr
	default:
		return nil, httpError(http.StatusUnsupportedMediaType, "unsupported Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
	if limit > 0 {
		body = &limitedReader{r: body, n: limit}
	}
	return body, nil
}

// limitedReader fails, rather than stopping quietly, past its limit.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("request too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// deadlineWriter pushes the connection's write deadline forward while data
// flows, so that the server's WriteTimeout (sized for web pages) does not
// cut off a long clone, while a stalled client still times out.
type deadlineWriter struct {
	w    io.Writer
	rc   *http.ResponseController
	next time.Time
}

func newDeadlineWriter(w http.ResponseWriter) *deadlineWriter {
	return &deadlineWriter{w: w, rc: http.NewResponseController(w)}
}

const stallTimeout = 2 * time.Minute

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if now := time.Now(); now.After(d.next) {
		// Not every ResponseWriter supports deadlines (httptest's
		// recorder does not); then there is nothing to extend.
		_ = d.rc.SetWriteDeadline(now.Add(stallTimeout))
		d.next = now.Add(10 * time.Second)
	}
	return d.w.Write(p)
}

// deadlineReader lets a large push take longer than the server's
// ReadTimeout, as long as it keeps sending.
type deadlineReader struct {
	r    io.Reader
	rc   *http.ResponseController
	next time.Time
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if now := time.Now(); now.After(d.next) {
		_ = d.rc.SetReadDeadline(now.Add(stallTimeout))
		d.next = now.Add(10 * time.Second)
	}
	return d.r.Read(p)
}

func noCache(h http.Header) {
	h.Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "Fri, 01 Jan 1980 00:00:00 GMT")
}
