package main

import (
	"io"
	"testing"
)

// TestSiteFlags: -site-name, -logo and -accessibility-statement reach
// web.Site, also from the environment, and an address that is no path or
// web address is refused at start.
func TestSiteFlags(t *testing.T) {
	env := map[string]string{"WIKIWERK_SITE_NAME": "Gemeentewiki"}
	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-logo", "/-/static/logo.svg", "-accessibility-statement", "https://www.example.nl/toegankelijkheid"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if m.Site.Name != "Gemeentewiki" || m.Site.Logo != "/-/static/logo.svg" || m.Site.AccessibilityStatement != "https://www.example.nl/toegankelijkheid" {
		t.Fatalf("site: %+v", m.Site)
	}
	for _, args := range [][]string{{"-logo", "javascript:alert(1)"}, {"-accessibility-statement", "verklaring.html"}} {
		if err := NewMain(io.Discard).ParseFlags(args, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
