package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// authFlags are the serve flags about who may do what: the access
// policy, the reverse proxy, and single sign-on.
type authFlags struct {
	// Read is "anyone" or "signed-in".
	Read string
	// Protect lists protected folders: "Beleid,Intern=beleidsteam+ict".
	Protect string
	// Review lists review folders: "Beleid=beleidsteam,Raad".
	Review string
	// TrustProxy honours X-Forwarded-Proto and X-Forwarded-For.
	TrustProxy bool
	// OIDC* configure single sign-on; OIDCIssuer "" switches it off.
	OIDCIssuer, OIDCClientID, OIDCClientSecret, OIDCRedirectURL  string
	OIDCScopes, OIDCRoleClaim, OIDCAdminValues, OIDCEditorValues string

	policy wiki.Policy
}

func (a *authFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.Read, "read", "anyone", "who may read: anyone, or signed-in")
	fs.StringVar(&a.Protect, "protect", "", `folders only admins (or the groups after =) may change, e.g. "Beleid,Intern=beleidsteam+ict"`)
	fs.StringVar(&a.Review, "review", "", `folders whose changes are reviewed before publication: reviewers are admins (or the groups after =), e.g. "Beleid=beleidsteam+juristen,Raad"`)
	fs.BoolVar(&a.TrustProxy, "trust-proxy", false, "behind a reverse proxy: honour its X-Forwarded-Proto and X-Forwarded-For")
	fs.StringVar(&a.OIDCIssuer, "oidc-issuer", "", "single sign-on: the OpenID Connect provider's issuer URL")
	fs.StringVar(&a.OIDCClientID, "oidc-client-id", "", "single sign-on: the wiki's client id at the provider")
	fs.StringVar(&a.OIDCClientSecret, "oidc-client-secret", "", "single sign-on: the client secret (better set WIKIWERK_OIDC_CLIENT_SECRET)")
	fs.StringVar(&a.OIDCRedirectURL, "oidc-redirect-url", "", "single sign-on: this wiki's callback, https://HOST/-/oidc/callback")
	fs.StringVar(&a.OIDCScopes, "oidc-scopes", "profile,email", "single sign-on: scopes to ask for besides openid")
	fs.StringVar(&a.OIDCRoleClaim, "oidc-role-claim", "groups", `single sign-on: the claim that decides the role ("groups", "roles", "realm_access.roles")`)
	fs.StringVar(&a.OIDCAdminValues, "oidc-admin-values", "", "single sign-on: values of the role claim that make an admin, comma-separated")
	fs.StringVar(&a.OIDCEditorValues, "oidc-editor-values", "", "single sign-on: values of the role claim that make an editor, comma-separated")
}

// check validates the flags once parsed and builds the policy.
func (a *authFlags) check(anonymousEdits bool) error {
	a.policy = wiki.Policy{Edit: wiki.Editors}
	if anonymousEdits {
		a.policy.Edit = wiki.Anyone
	}
	switch wiki.Access(a.Read) {
	case wiki.Anyone, wiki.SignedIn:
		a.policy.Read = wiki.Access(a.Read)
	default:
		return fmt.Errorf("-read %q: use anyone or signed-in", a.Read)
	}
	if a.policy.Read == wiki.SignedIn && anonymousEdits {
		return errors.New("-read signed-in and -anonymous-edits do not go together: who may not read cannot edit")
	}
	rules, err := parseProtect(a.Protect)
	if err != nil {
		return err
	}
	a.policy.Protected = rules
	if a.policy.Review, err = parseFolderRules("-review", a.Review); err != nil {
		return err
	}
	if a.OIDCIssuer != "" && (a.OIDCClientID == "" || a.OIDCRedirectURL == "") {
		return errors.New("single sign-on needs -oidc-client-id and -oidc-redirect-url besides -oidc-issuer")
	}
	return nil
}

// parseProtect reads "Beleid,Intern=beleidsteam+ict": folders or pages,
// each optionally with the groups that may change it besides admins.
func parseProtect(s string) ([]wiki.Protected, error) { return parseFolderRules("-protect", s) }

// parseFolderRules reads folder rules in the form of -protect for flag.
func parseFolderRules(flag, s string) ([]wiki.Protected, error) {
	var rules []wiki.Protected
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		prefix, groups, _ := strings.Cut(item, "=")
		name, err := wiki.ParseName(strings.Trim(strings.TrimSpace(prefix), "/"))
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", flag, item, err)
		}
		rule := wiki.Protected{Prefix: name}
		for _, g := range strings.Split(groups, "+") {
			if g = strings.TrimSpace(g); g != "" {
				rule.Groups = append(rule.Groups, g)
			}
		}
		rules = append(rules, rule)
	}
	return rules, nil
}

// oidcConfig is the single sign-on configuration, nil when it is off.
func (a *authFlags) oidcConfig() *web.OIDCConfig {
	if a.OIDCIssuer == "" {
		return nil
	}
	return &web.OIDCConfig{
		Issuer: a.OIDCIssuer, ClientID: a.OIDCClientID, ClientSecret: a.OIDCClientSecret,
		RedirectURL:  a.OIDCRedirectURL,
		Scopes:       splitList(a.OIDCScopes),
		RoleClaim:    strings.TrimSpace(a.OIDCRoleClaim),
		AdminValues:  splitList(a.OIDCAdminValues),
		EditorValues: splitList(a.OIDCEditorValues),
	}
}

// splitList splits a list separated by commas or spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// openAccounts opens DATA/accounts.db for the server.
func (m *Main) openAccounts() (*accounts.Store, error) {
	store, err := accounts.Open(accounts.PathIn(m.DataDir))
	if errors.Is(err, accounts.ErrInUse) {
		return nil, fmt.Errorf("%w (is another wikiwerk serving this data folder?)", err)
	}
	return store, err
}

// keyFile keeps the key that signs the wiki's cookies (CSRF tokens and
// single sign-on state), so that forms opened before a restart can still
// be sent after it.
const keyFile = "csrf.key"

// loadKey reads DATA/csrf.key, making it (32 random bytes, readable by the
// owner only) on the first start.
func (m *Main) loadKey() ([]byte, error) {
	path := filepath.Join(m.DataDir, keyFile)
	key, err := os.ReadFile(path)
	switch {
	case err == nil && len(key) >= 32:
		return key, nil
	case err == nil:
		return nil, fmt.Errorf("%s: %d bytes, want 32; delete it to make a new one (open forms then need reloading)", path, len(key))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Made by a process starting at the same time: use theirs.
		return m.loadKey()
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}
