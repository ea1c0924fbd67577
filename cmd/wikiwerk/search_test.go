package main

import (
	"encoding/json"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLangFlag(t *testing.T) {
	m := NewMain(io.Discard)
	if err := m.ParseFlags(nil, func(string) string { return "" }); err != nil || m.Lang != "nl" {
		t.Fatalf("default: %q %v", m.Lang, err)
	}
	m = NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-lang", "en"}, func(string) string { return "" }); err != nil || m.Lang != "en" {
		t.Fatalf("-lang en: %q %v", m.Lang, err)
	}
	m = NewMain(io.Discard)
	if err := m.ParseFlags(nil, func(k string) string {
		if k == "WIKIWERK_LANG" {
			return "en"
		}
		return ""
	}); err != nil || m.Lang != "en" {
		t.Fatalf("WIKIWERK_LANG=en: %q %v", m.Lang, err)
	}
	if err := NewMain(io.Discard).ParseFlags([]string{"-lang", "de"}, func(string) string { return "" }); err == nil {
		t.Fatal("-lang de was accepted")
	}
}

// TestSearchEndToEnd runs the binary: the seed pages become searchable
// on the first start, a page pushed with git becomes searchable and gets
// its backlinks without a restart, and after a restart the index and the
// link graph carry on from their checkpoints instead of starting over.
func TestSearchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	srv := start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-anonymous-edits=true")
	// searchFor polls the search API until it finds page, for at most 30 s
	// (a first start indexes the seed pages in the background).
	searchFor := func(base, q, page string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, body := get(t, base+"/-/api/search?"+url.Values{"q": {q}}.Encode())
			var res struct {
				Results []struct{ Name string }
			}
			if code == 200 && json.Unmarshal([]byte(body), &res) == nil {
				for _, r := range res.Results {
					if r.Name == page {
						return
					}
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("search %q does not find %s: %d %s", q, page, code, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	searchFor(srv.url, "ervaringsdeskundigen", "Home")

	work := t.TempDir()
	if out, err := gitAs(t, work, "clone", srv.url+"/wiki.git", "wiki"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "wiki")
	if err := os.WriteFile(filepath.Join(clone, "Mantelzorg.md"), []byte("# Mantelzorg\n\nRespijtzorg voor mantelzorgers. Zie [[Home]].\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Mantelzorg")
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	searchFor(srv.url, "respijtzorg", "Mantelzorg")
	backlinks := func(base string) []string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, body := get(t, base+"/-/api/pages/Home/links")
			var l struct{ Backlinks []string }
			json.Unmarshal([]byte(body), &l)
			if slices.Contains(l.Backlinks, "Mantelzorg") || time.Now().After(deadline) {
				return l.Backlinks
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if got := backlinks(srv.url); !slices.Contains(got, "Mantelzorg") {
		t.Errorf("backlinks of Home after the push: %v", got)
	}
	srv.stop(t)

	srv = start(t, bin, "serve", "-addr", "127.0.0.1:0", "-data", data, "-anonymous-edits=true")
	searchFor(srv.url, "respijtzorg", "Mantelzorg")
	if got := backlinks(srv.url); !slices.Contains(got, "Mantelzorg") {
		t.Errorf("backlinks of Home after a restart: %v", got)
	}
	srv.stop(t)
	if strings.Contains(srv.logs.String(), "rebuilding") {
		t.Errorf("an index was rebuilt at the restart:\n%s", srv.logs)
	}
	for _, dir := range []string{"search", "links"} {
		if _, err := os.Stat(filepath.Join(data, dir)); err != nil {
			t.Errorf("DATA/%s: %v", dir, err)
		}
	}
}
