package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/wikiwerk/wikiwerk/internal/fsutil"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Which address commits made on the web carry is a setting of the wiki,
// decided on its first start and kept in DATA/settings.json: a new wiki
// (no DATA/content.git yet) records pseudonyms (<login>@users.noreply.<domain>), so that clones and
// feeds do not spread work addresses; a data folder that existed before
// the setting keeps recording the accounts' addresses, so that its history
// does not change style unasked. -commit-email changes the setting (and
// it stays changed); -noreply-domain sets <domain>, which is kept too, so
// that a person's pseudonym stays the same.

// Values of -commit-email and of commit_email in settings.json.
const (
	commitPseudonymous = "pseudonymous"
	commitAccount      = "account"
)

// commitFlags are -commit-email and -noreply-domain.
type commitFlags struct {
	// CommitEmail is "", commitPseudonymous or commitAccount; "" keeps
	// the wiki's setting.
	CommitEmail string
	// NoreplyDomain is "" to keep the wiki's setting (on the first start:
	// the host of -base-url, else wiki.DefaultNoreplyDomain).
	NoreplyDomain string
}

func (c *commitFlags) register(fs *flag.FlagSet) {
	fs.Func("commit-email", "address of web commits: pseudonymous (<login>@users.noreply.<domain>) or account (the account's e-mail); default: the wiki's setting, pseudonymous for a new wiki", func(v string) error {
		if v != commitPseudonymous && v != commitAccount {
			return fmt.Errorf("%q: choose %s or %s", v, commitPseudonymous, commitAccount)
		}
		c.CommitEmail = v
		return nil
	})
	fs.Func("noreply-domain", "the <domain> of pseudonymous commit addresses; default: the wiki's setting, on the first start the host of -base-url, else "+wiki.DefaultNoreplyDomain, func(v string) error {
		d := wiki.NoreplyDomainFor(v)
		if d == wiki.DefaultNoreplyDomain && v != d {
			return fmt.Errorf("%q is not a host name", v)
		}
		c.NoreplyDomain = d
		return nil
	})
}

// settings are the wiki's own settings in DATA/settings.json.
type settings struct {
	CommitEmail   string `json:"commit_email,omitempty"`
	NoreplyDomain string `json:"noreply_domain,omitempty"`
}

func settingsPath(dataDir string) string { return filepath.Join(dataDir, "settings.json") }

func readSettings(dataDir string) (settings, bool, error) {
	var s settings
	b, err := os.ReadFile(settingsPath(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("wiki settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, false, fmt.Errorf("wiki settings %s: %w", settingsPath(dataDir), err)
	}
	return s, true, nil
}

// freshData reports whether the data folder has never held a wiki: no
// content repository yet (and none given with -repo). Accounts do not
// count: the first admin may well be made with wikiwerk user add before
// the first start.
func (m *Main) freshData() bool {
	if m.RepoPath != "" {
		return false
	}
	_, err := os.Stat(filepath.Join(m.DataDir, "content.git"))
	return errors.Is(err, fs.ErrNotExist)
}

// commitAddresses decides, before anything else is created in the data
// folder, which address web commits carry, and keeps the decision.
func (m *Main) commitAddresses() (wiki.CommitAddresses, error) {
	old, found, err := readSettings(m.DataDir)
	if err != nil {
		return wiki.CommitAddresses{}, err
	}
	s := old
	switch {
	case m.CommitEmail != "":
		s.CommitEmail = m.CommitEmail
	case s.CommitEmail == "" && m.freshData():
		s.CommitEmail = commitPseudonymous
	case s.CommitEmail == "":
		s.CommitEmail = commitAccount
	}
	switch {
	case m.NoreplyDomain != "":
		s.NoreplyDomain = m.NoreplyDomain
	case s.NoreplyDomain == "" && s.CommitEmail == commitPseudonymous:
		host := ""
		if u, err := url.Parse(m.Mail.BaseURL); err == nil && m.Mail.BaseURL != "" {
			host = u.Host
		}
		s.NoreplyDomain = wiki.NoreplyDomainFor(host)
	}
	if !found || s != old {
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return wiki.CommitAddresses{}, err
		}
		if err := os.MkdirAll(m.DataDir, 0o750); err != nil {
			return wiki.CommitAddresses{}, fmt.Errorf("data folder: %w", err)
		}
		if err := fsutil.WriteFileBytes(settingsPath(m.DataDir), 0o640, append(b, '\n')); err != nil {
			return wiki.CommitAddresses{}, fmt.Errorf("wiki settings: %w", err)
		}
	}
	c := wiki.CommitAddresses{Pseudonymous: s.CommitEmail == commitPseudonymous, Domain: s.NoreplyDomain}
	if c.Pseudonymous {
		m.log.Info("web commits carry pseudonymous addresses", "example", c.Pseudonym("anna"))
	} else {
		m.log.Info("web commits carry the accounts' e-mail addresses (-commit-email pseudonymous changes that)")
	}
	return c, nil
}
