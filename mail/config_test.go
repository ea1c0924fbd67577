package mail

import (
	"errors"
	"flag"
	"net/url"
	"strings"
	"testing"
)

func env(pw string) func(string) string {
	return func(k string) string {
		if k == PasswordEnv {
			return pw
		}
		return ""
	}
}

func TestConfigFromFlags(t *testing.T) {
	fs := flag.NewFlagSet("wikiwerk", flag.ContinueOnError)
	var s Settings
	s.Register(fs)
	err := fs.Parse([]string{"-smtp-addr", "smtp.example.nl:587", "-smtp-user", "wiki",
		"-mail-from", "Wiki <wiki@example.nl>", "-base-url", "https://wiki.example.nl/"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromFlags(s, env("geheim"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.mode() != TLSStartTLS || cfg.Password != "geheim" || cfg.User != "wiki" || cfg.Addr != "smtp.example.nl:587" {
		t.Errorf("config %+v", cfg)
	}
	link := cfg.Link("/-/unsubscribe", url.Values{"token": {"a.b"}})
	if link != "https://wiki.example.nl/-/unsubscribe?token=a.b" {
		t.Errorf("Link = %q", link)
	}
	if _, err := ConfigFromFlags(Settings{TLS: "starttls"}, env("")); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("no -smtp-addr: %v, want ErrNotConfigured", err)
	}
}

func TestConfigValidateErrors(t *testing.T) {
	good := Settings{Addr: "smtp.example.nl:587", TLS: "starttls", User: "wiki", From: "wiki@example.nl", BaseURL: "https://wiki.example.nl"}
	cases := []struct {
		name   string
		change func(s *Settings)
		pw     string
		want   string // part of the error
	}{
		{"user without address", func(s *Settings) { s.Addr = "" }, "geheim", "-smtp-addr is empty"},
		{"no port", func(s *Settings) { s.Addr = "smtp.example.nl" }, "geheim", "want host:port"},
		{"bad port", func(s *Settings) { s.Addr = "smtp.example.nl:0" }, "geheim", "port must be"},
		{"bad mode", func(s *Settings) { s.TLS = "ssl" }, "geheim", "want starttls, tls or none"},
		{"no password", func(s *Settings) {}, "", PasswordEnv + " is empty"},
		{"password without user", func(s *Settings) { s.User = "" }, "geheim", "-smtp-user is empty"},
		{"clear-text password", func(s *Settings) { s.TLS = "none" }, "geheim", "clear text"},
		{"no sender", func(s *Settings) { s.From = "" }, "geheim", "-mail-from is empty"},
		{"bad sender", func(s *Settings) { s.From = "wiki" }, "geheim", "-mail-from"},
		{"sender injection", func(s *Settings) { s.From = "wiki@example.nl\r\nBcc: x@y.nl" }, "geheim", "line break"},
		{"no base url", func(s *Settings) { s.BaseURL = "" }, "geheim", "-base-url is empty"},
		{"relative base url", func(s *Settings) { s.BaseURL = "wiki.example.nl" }, "geheim", "absolute"},
	}
	for _, c := range cases {
		s := good
		c.change(&s)
		_, err := ConfigFromFlags(s, env(c.pw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
	// Clear text is fine to a relay on this machine.
	s := good
	s.Addr, s.TLS = "localhost:25", "none"
	if _, err := ConfigFromFlags(s, env("geheim")); err != nil {
		t.Errorf("local relay: %v", err)
	}
}
