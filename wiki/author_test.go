package wiki_test

import (
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestCommitAddresses(t *testing.T) {
	anna := &wiki.User{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@gemeente.nl"}
	if got := (wiki.CommitAddresses{}).Author(anna); got != (wiki.Author{Name: "Anna de Vries", Email: "anna@gemeente.nl"}) {
		t.Errorf("the zero setting: %+v", got)
	}
	c := wiki.CommitAddresses{Pseudonymous: true, Domain: "wiki.gemeente.nl"}
	if got := c.Author(anna); got != (wiki.Author{Name: "Anna de Vries", Email: "anna@users.noreply.wiki.gemeente.nl"}) {
		t.Errorf("pseudonymous: %+v", got)
	}
	if got := (wiki.CommitAddresses{Pseudonymous: true}).Pseudonym("bram"); got != "bram@users.noreply.wikiwerk.invalid" {
		t.Errorf("without a domain: %s", got)
	}
	for host, want := range map[string]string{
		"wiki.gemeente.nl": "wiki.gemeente.nl", "Wiki.Gemeente.NL:8443": "wiki.gemeente.nl", "": wiki.DefaultNoreplyDomain,
		"localhost:8080": wiki.DefaultNoreplyDomain, "192.0.2.7": wiki.DefaultNoreplyDomain, "[2001:db8::1]:80": wiki.DefaultNoreplyDomain,
		"evil@x.nl": wiki.DefaultNoreplyDomain,
	} {
		if got := wiki.NoreplyDomainFor(host); got != want {
			t.Errorf("NoreplyDomainFor(%q) = %q, want %q", host, got, want)
		}
	}
}
