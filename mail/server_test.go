package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test SMTP server got it.
type received struct {
	From string
	To   string
	Data []byte
	TLS  bool
	User string
}

// serverOptions say how the test SMTP server behaves.
type serverOptions struct {
	addr       string      // listen address; empty means a free port
	startTLS   *tls.Config // offer STARTTLS with this
	implicit   *tls.Config // speak TLS from the start with this
	user, pass string      // require AUTH PLAIN with these
	reject     string      // answer 550 to RCPT TO this address
}

// testServer is a real SMTP server (emersion/go-smtp) on loopback.
type testServer struct {
	addr string
	msgs chan received

	mu       sync.Mutex
	rcpts    map[string]int
	auths    int
	mailCmds int
}

func startServer(t *testing.T, o serverOptions) *testServer {
	t.Helper()
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", o.addr)
	if err != nil {
		t.Fatal(err)
	}
	if o.implicit != nil {
		l = tls.NewListener(l, o.implicit)
	}
	ts := &testServer{addr: l.Addr().String(), msgs: make(chan received, 16), rcpts: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &testSession{ts: ts, o: o, tls: isTLS, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = o.startTLS
	// The server would take AUTH in clear text: the client must refuse.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = testLogger{t}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return ts
}

type testLogger struct{ t *testing.T }

func (l testLogger) Printf(format string, v ...any) { l.t.Logf(format, v...) }
func (l testLogger) Println(v ...any)               { l.t.Log(v...) }

type testSession struct {
	ts   *testServer
	o    serverOptions
	conn *smtp.Conn
	tls  bool
	user string
	from string
	to   string
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	s.ts.mu.Lock()
	s.ts.auths++
	s.ts.mu.Unlock()
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.o.user || password != s.o.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.user = username
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	s.ts.mu.Lock()
	s.ts.mailCmds++
	s.ts.mu.Unlock()
	if s.o.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	s.ts.rcpts[to]++
	s.ts.mu.Unlock()
	if to == s.o.reject {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = to
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.ts.msgs <- received{From: s.from, To: s.to, Data: b, TLS: isTLS, User: s.user}
	return nil
}

func (s *testSession) Reset()        { s.from, s.to = "", "" }
func (s *testSession) Logout() error { return nil }

func (ts *testServer) rcptCount(addr string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.rcpts[addr]
}

// testCert makes a self-signed certificate for 127.0.0.1 and localhost,
// the server's TLS config and a client config that trusts it.
func testCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wikiwerk test smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool}
}

// freeAddr returns a loopback address with nothing listening on it.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func waitMsg(t *testing.T, ts *testServer) received {
	t.Helper()
	return <-ts.msgs
}

func isNoSTARTTLS(err error) bool { return errors.Is(err, ErrNoSTARTTLS) }
