package web

// auditActionMessages name the actions of the audit log in words, in
// Dutch and English; the log itself keeps the action's code (for filters
// and for a SIEM), which the pages show beside the words. An action
// without words here is shown by its code. Never written to.
var auditActionMessages = map[string][2]string{
	"audit-action-signin":                 {"Aangemeld", "Signed in"},
	"audit-action-signin-failed":          {"Aanmelden mislukt", "Sign-in failed"},
	"audit-action-signout":                {"Afgemeld", "Signed out"},
	"audit-action-denied":                 {"Geweigerd", "Refused"},
	"audit-action-forbidden":              {"Geen toegang", "Forbidden"},
	"audit-action-user-created":           {"Account aangemaakt", "Account created"},
	"audit-action-profile":                {"Gegevens gewijzigd", "Details changed"},
	"audit-action-password":               {"Wachtwoord ingesteld", "Password set"},
	"audit-action-password-change-failed": {"Wachtwoord wijzigen mislukt", "Password change failed"},
	"audit-action-password-reset":         {"Wachtwoord hersteld met een link", "Password reset with a link"},
	"audit-action-invite-link":            {"Uitnodiging gemaakt", "Invitation made"},
	"audit-action-reset-link":             {"Herstellink gemaakt", "Reset link made"},
	"audit-action-invite-accepted":        {"Uitnodiging aangenomen", "Invitation accepted"},
	"audit-action-role":                   {"Rol gewijzigd", "Role changed"},
	"audit-action-groups":                 {"Groepen gewijzigd", "Groups changed"},
	"audit-action-disable":                {"Account uitgeschakeld", "Account disabled"},
	"audit-action-enable":                 {"Account ingeschakeld", "Account enabled"},
	"audit-action-session-ended":          {"Sessie beëindigd", "Session ended"},
	"audit-action-sessions-ended":         {"Andere sessies beëindigd", "Other sessions ended"},
	"audit-action-token-created":          {"Token gemaakt", "Token created"},
	"audit-action-token-revoked":          {"Token ingetrokken", "Token revoked"},
	"audit-action-push":                   {"Git-push", "Git push"},
	"audit-action-2fa-enrolled":           {"Tweestapsverificatie ingesteld", "Two-step sign-in set up"},
	"audit-action-2fa-enrol-failed":       {"Tweestapsverificatie instellen mislukt", "Two-step sign-in set-up failed"},
	"audit-action-2fa-disabled":           {"Tweestapsverificatie uitgezet", "Two-step sign-in switched off"},
	"audit-action-2fa-disable-failed":     {"Tweestapsverificatie uitzetten mislukt", "Switching off two-step sign-in failed"},
	"audit-action-2fa-reset":              {"Tweestapsverificatie gewist door beheerder", "Two-step sign-in reset by an admin"},
	"audit-action-2fa-recovery-used":      {"Herstelcode gebruikt", "Recovery code used"},
	"audit-action-2fa-recovery-new":       {"Nieuwe herstelcodes", "New recovery codes"},
	"audit-action-settings":               {"Instelling bij de start", "Setting at start"},
	"audit-action-unsubscribed":           {"Afgemeld voor mail", "Unsubscribed from mail"},
	"audit-action-sync-now":               {"Synchronisatie gestart", "Sync started"},
	"audit-action-sync-dismiss":           {"Melding van synchronisatie weggehaald", "Sync notice dismissed"},
	"audit-action-comment":                {"Opmerking", "Comment"},
	"audit-action-commented":              {"Opmerking geplaatst", "Comment posted"},
}

// AuditAction names an audit log action in the page's language; an
// action without words is shown by its code.
func (b base) AuditAction(code string) string {
	if _, ok := lookupMessage("audit-action-" + code); !ok {
		return code
	}
	return b.T("audit-action-" + code)
}
