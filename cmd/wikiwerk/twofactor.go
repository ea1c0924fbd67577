package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// securityFlags are the serve flags of two-factor sign-in and the audit
// log's copy for a SIEM.
type securityFlags struct {
	// Require2FA is who must use two-step sign-in: none, admins or all.
	Require2FA web.TwoFactorScope
	// OIDCRequireMFA and OIDCACR require the single sign-on provider's
	// second step (web.OIDCConfig.RequireMFA, ACR).
	OIDCRequireMFA bool
	OIDCACR        string
	// AuditLog is a file to append the audit log to as JSON lines, "-"
	// for standard error, "" for none.
	AuditLog string
}

func (f *securityFlags) register(fs *flag.FlagSet) {
	f.Require2FA = web.TwoFactorNone
	fs.Func("require-2fa", "who must sign in in two steps (password and a code from an app): none, admins or all (default none)", func(v string) error {
		scope, err := web.ParseTwoFactorScope(v)
		if err != nil {
			return errors.New("use none, admins or all")
		}
		f.Require2FA = scope
		return nil
	})
	fs.BoolVar(&f.OIDCRequireMFA, "oidc-require-mfa", false, "single sign-on: refuse sign-ins whose ID token does not name a second factor in its amr claim")
	fs.StringVar(&f.OIDCACR, "oidc-acr", "", "single sign-on: ask for this acr value (acr_values) and refuse ID tokens with another acr")
	fs.StringVar(&f.AuditLog, "audit-log", "", `also write the audit log as JSON lines to this file (appended, mode 0600), or "-" for standard error`)
}

// check validates the flags once parsed.
func (f *securityFlags) check(oidcIssuer string) error {
	if oidcIssuer == "" && (f.OIDCRequireMFA || f.OIDCACR != "") {
		return errors.New("-oidc-require-mfa and -oidc-acr need single sign-on (-oidc-issuer)")
	}
	return nil
}

// withMFA adds the second-step requirements to a single sign-on
// configuration (nil when single sign-on is off).
func (f *securityFlags) withMFA(c *web.OIDCConfig) *web.OIDCConfig {
	if c != nil {
		c.RequireMFA = f.OIDCRequireMFA
		c.ACR = strings.TrimSpace(f.OIDCACR)
	}
	return c
}

// startAudit connects the audit log's JSON-lines copy (-audit-log) and
// records the security settings that changed since the last start. The
// function it returns closes the file.
func (m *Main) startAudit(ctx context.Context, store *accounts.Store) (func(), error) {
	closeSink := func() {}
	if path := m.AuditLog; path != "" {
		var w io.Writer = m.stderr
		if path != "-" {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if err != nil {
				return nil, fmt.Errorf("-audit-log: %w", err)
			}
			w = f
			closeSink = func() { store.SetAuditSink(nil); f.Close() }
		}
		store.SetAuditSink(accounts.JSONLines(w, func(err error) { m.log.Error("audit log", "err", err) }))
	}
	changed, err := store.RecordSettings(ctx, m.securitySettings())
	if err != nil {
		closeSink()
		return nil, err
	}
	if len(changed) > 0 {
		m.log.Info("security settings recorded in the audit log: new, or changed since the last start", "settings", strings.Join(changed, " "))
	}
	if m.Require2FA != web.TwoFactorNone && m.OIDCIssuer != "" && !m.OIDCRequireMFA && m.OIDCACR == "" {
		m.log.Warn("-require-2fa applies to password sign-ins; single sign-on is not asked for a code: consider -oidc-require-mfa or -oidc-acr")
	}
	return closeSink, nil
}

// securitySettings are the settings whose changes the audit log records:
// who may read and edit, protected folders, two-step sign-in, single
// sign-on. Nothing secret (the OIDC client secret is left out).
func (m *Main) securitySettings() map[string]string {
	var rules []string
	for _, p := range m.policy.Protected {
		r := string(p.Prefix)
		if len(p.Groups) > 0 {
			r += "=" + strings.Join(p.Groups, "+")
		}
		rules = append(rules, r)
	}
	return map[string]string{
		"read":               string(m.policy.Read),
		"edit":               string(m.policy.Edit),
		"anonymous-edits":    strconv.FormatBool(m.AnonymousEdits),
		"protect":            strings.Join(rules, ","),
		"require-2fa":        string(m.Require2FA),
		"trust-proxy":        strconv.FormatBool(m.TrustProxy),
		"oidc-issuer":        m.OIDCIssuer,
		"oidc-client-id":     m.OIDCClientID,
		"oidc-role-claim":    m.OIDCRoleClaim,
		"oidc-admin-values":  m.OIDCAdminValues,
		"oidc-editor-values": m.OIDCEditorValues,
		"oidc-require-mfa":   strconv.FormatBool(m.OIDCRequireMFA),
		"oidc-acr":           m.OIDCACR,
		"audit-log":          auditLogSetting(m.AuditLog),
	}
}

// auditLogSetting is -audit-log as recorded: where the copy goes.
func auditLogSetting(path string) string {
	switch path {
	case "":
		return "off"
	case "-":
		return "standard error"
	}
	return path
}
