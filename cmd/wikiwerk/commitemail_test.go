package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommitEmailSetting: a new data folder decides for pseudonyms and
// keeps the decision; a data folder from before the setting keeps real
// addresses; -commit-email changes the setting for good.
func TestCommitEmailSetting(t *testing.T) {
	decide := func(dir string, args ...string) (pseudonymous bool, domain string) {
		t.Helper()
		m := NewMain(io.Discard)
		if err := m.ParseFlags(append([]string{"-data", dir}, args...), func(string) string { return "" }); err != nil {
			t.Fatal(err)
		}
		c, err := m.commitAddresses()
		if err != nil {
			t.Fatal(err)
		}
		return c.Pseudonymous, c.Pseudonym("anna")
	}
	fresh := filepath.Join(t.TempDir(), "data")
	if p, addr := decide(fresh, "-base-url", "https://wiki.gemeente.nl"); !p || addr != "anna@users.noreply.wiki.gemeente.nl" {
		t.Fatalf("a new wiki: %v %s", p, addr)
	}
	b, err := os.ReadFile(filepath.Join(fresh, "settings.json"))
	if err != nil || !strings.Contains(string(b), `"commit_email": "pseudonymous"`) {
		t.Fatalf("settings.json: %s %v", b, err)
	}
	// Later starts keep it, even when the public address changes.
	if err := os.Mkdir(filepath.Join(fresh, "content.git"), 0o750); err != nil {
		t.Fatal(err)
	}
	if p, addr := decide(fresh, "-base-url", "https://kennis.gemeente.nl"); !p || addr != "anna@users.noreply.wiki.gemeente.nl" {
		t.Fatalf("the new wiki started again: %v %s", p, addr)
	}

	// Accounts made before the first start do not make a wiki old.
	early := t.TempDir()
	if err := os.WriteFile(filepath.Join(early, "accounts.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if p, _ := decide(early); !p {
		t.Fatal("a data folder with only accounts is not new")
	}
	existing := t.TempDir()
	if err := os.Mkdir(filepath.Join(existing, "content.git"), 0o750); err != nil {
		t.Fatal(err)
	}
	if p, _ := decide(existing); p {
		t.Fatal("an existing wiki switched to pseudonyms by itself")
	}
	if p, addr := decide(existing, "-commit-email", "pseudonymous", "-noreply-domain", "kennis.example.nl"); !p || addr != "anna@users.noreply.kennis.example.nl" {
		t.Fatalf("-commit-email pseudonymous: %v %s", p, addr)
	}
	if p, _ := decide(existing); !p {
		t.Fatal("the flag's choice was not kept")
	}
	if p, _ := decide(existing, "-commit-email", "account"); p {
		t.Fatal("-commit-email account")
	}
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-commit-email", "secret"}, func(string) string { return "" }); err == nil {
		t.Error("a bad -commit-email is accepted")
	}
	if err := m.ParseFlags([]string{"-noreply-domain", "a b"}, func(string) string { return "" }); err == nil {
		t.Error("a bad -noreply-domain is accepted")
	}
}
