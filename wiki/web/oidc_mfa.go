package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// This file holds what the wiki asks of a single sign-on provider's
// second step. The wiki does not ask for TOTP after single sign-on; where
// a second factor is required, it requires the provider to have used one
// and to say so in the ID token (OIDCConfig.RequireMFA, OIDCConfig.ACR).

// mfaMethods are the values of the amr claim (RFC 8176, Authentication
// Method Reference Values) that RequireMFA accepts as a second factor:
// "mfa" (the provider says it used several factors), "mca" (several
// channels), one-time codes ("otp", "sms", "tel"), keys held in hardware
// or software ("hwk", "swk", "sc", "pop": passkeys and smart cards) and
// biometrics ("fpt", "face", "iris", "retina", "vbm"). A password
// ("pwd"), a PIN ("pin") or knowledge questions ("kba") alone are not.
const mfaMethods = "mfa mca otp sms tel hwk swk sc pop fpt face iris retina vbm"

// authOptions are the parameters of the authorization request: the
// nonce, PKCE and, with ACR, the level of assurance asked for.
func (c *oidcClient) authOptions(st oidcState) []oauth2.AuthCodeOption {
	opts := []oauth2.AuthCodeOption{oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)}
	if c.cfg.ACR != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", c.cfg.ACR))
	}
	return opts
}

// checkMFA refuses claims that do not show the second step RequireMFA
// and ACR ask for (403: signing in again the same way will not help).
func (c *oidcClient) checkMFA(claims map[string]any) error {
	if c.cfg.ACR != "" {
		acr, _ := claims["acr"].(string)
		if acr != c.cfg.ACR {
			return &deniedError{status: http.StatusForbidden, key: "tf-oidc-acr", args: []any{fmt.Sprintf("%.100q", acr), c.cfg.ACR}}
		}
	}
	if c.cfg.RequireMFA {
		amr := claimValues(claims, "amr")
		if !slices.ContainsFunc(amr, func(m string) bool { return slices.Contains(strings.Fields(mfaMethods), strings.ToLower(m)) }) {
			return &deniedError{status: http.StatusForbidden, key: "tf-oidc-mfa", args: []any{fmt.Sprintf("%.100q", strings.Join(amr, " "))}}
		}
	}
	return nil
}
