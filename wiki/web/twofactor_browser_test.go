package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// press clicks an element with a DOM click, which does not depend on
// where it is drawn at that moment.
func press(b *browserTab, css string) {
	b.t.Helper()
	evalJS[bool](b, `(() => { document.querySelector(`+jsString(css)+`).click(); return true; })()`)
}

// browserSignIn fills in the sign-in form.
func signInWithPassword(b *browserTab, base, name string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base + "/-/login"))
	b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwPassword')`, "the sign-in form")
	b.set("wwLogin", name)
	b.set("wwPassword", passwords[name])
	press(b, `form.login button[type=submit]`)
}

// browserEnrol sets up TOTP on /-/account/2fa as a person does: the
// secret read off the page stands for the phone's app. It returns the
// secret.
func browserEnrol(t *testing.T, b *browserTab, base string, check func(string)) string {
	t.Helper()
	b.do(chromedp.Navigate(base + "/-/account/2fa"))
	b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwTfStart')`, "the 2fa page")
	check("2fa page, off")
	press(b, `#wwTfStart`)
	b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwTfSecret') && document.querySelector('img.qr').complete`, "the secret and QR code")
	// The QR code is a PNG of its own route: the CSP allows it.
	if w := evalJS[int](b, `document.querySelector('img.qr').naturalWidth`); w != 256 {
		t.Fatalf("the QR code did not load (width %d)", w)
	}
	check("2fa page, enrolling")
	secret := strings.ReplaceAll(evalJS[string](b, `document.getElementById('wwTfSecret').textContent`), " ", "")
	b.set("wwTfCode", totpAt(t, secret, time.Now()))
	press(b, `#wwTfConfirm`)
	b.waitFor(`document.readyState === 'complete' && document.querySelectorAll('#wwCodes li').length === 10`, "the recovery codes")
	check("2fa page, recovery codes")
	return secret
}

// TestBrowserTwoFactorSignIn: sign in, enrol TOTP, sign out, and sign in
// again with the password and a code.
func TestBrowserTwoFactorSignIn(t *testing.T) {
	aw := newAuthWiki(t, authOptions{})
	browserCtx := startChromium(t, 2*time.Minute)
	b := newBrowserTab(t, browserCtx, "Anna")
	base := aw.srv.URL
	b.do(chromedp.Navigate(base + "/-/lang/nl?back=/-/login"))
	signInWithPassword(b, base, "anna")
	b.waitFor(`location.pathname === '/Home' && document.readyState === 'complete'`, "the front page after signing in")
	secret := browserEnrol(t, b, base, func(string) {})

	press(b, `nav.account form[action="/-/logout"] button`)
	b.waitFor(`document.readyState === 'complete' && !document.querySelector('nav.account form[action="/-/logout"]')`, "signed out")

	signInWithPassword(b, base, "anna")
	b.waitFor(`location.pathname === '/-/login/2fa' && !!document.getElementById('wwCode')`, "the code step")
	if evalJS[bool](b, `!!document.querySelector('nav.account form[action="/-/logout"]')`) {
		t.Fatal("signed in before the code")
	}
	// A wrong code first.
	b.set("wwCode", totpAt(t, secret, time.Now().Add(time.Hour)))
	press(b, `#wwCodeSubmit`)
	b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwCodeError')`, "the wrong-code message")
	b.set("wwCode", totpAt(t, secret, time.Now().Add(30*time.Second)))
	press(b, `#wwCodeSubmit`)
	b.waitFor(`location.pathname === '/Home' && document.readyState === 'complete' && !!document.querySelector('nav.account form[action="/-/logout"]')`, "signed in with the code")
	if !strings.Contains(evalJS[string](b, `document.querySelector('nav.account').innerText`), "Anna de Vries") {
		t.Fatal("the header does not show Anna signed in")
	}
	if !aw.audited("signin", "anna", "password and totp") {
		t.Error("the two-step sign-in is not in the audit log")
	}
}

// TestTwoFactorPagesHaveNoAxeViolations runs axe-core on the pages of
// two-step sign-in (off, enrolling, recovery codes, on, required, the
// code step) and on the audit log, in Dutch and English.
func TestTwoFactorPagesHaveNoAxeViolations(t *testing.T) {
	browserCtx := startChromium(t, 3*time.Minute)
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			aw := newAuthWiki(t, authOptions{configure: func(c *web.Config) { c.RequireTwoFactor = web.TwoFactorAdmins }})
			base := aw.srv.URL
			b := newBrowserTab(t, browserCtx, "Carla")
			check := func(what string) {
				t.Helper()
				for _, v := range runAxe(t, b) {
					t.Errorf("%s (%s): %s: %s\n    %s", what, lang, v.ID, v.Help, strings.Join(v.Targets, "\n    "))
				}
			}
			b.do(chromedp.Navigate(base + "/-/lang/" + lang + "?back=/-/login"))
			signInWithPassword(b, base, "carla")
			// An admin without a second factor lands on the 2fa page,
			// which says why.
			b.waitFor(`location.pathname === '/-/account/2fa' && !!document.getElementById('wwTfRequired')`, "the required notice")
			browserEnrol(t, b, base, check)
			b.do(chromedp.Navigate(base + "/-/account/2fa"))
			b.waitFor(`!!document.getElementById('wwProof')`, "the 2fa page, on")
			check("2fa page, on")
			b.do(chromedp.Navigate(base + "/-/admin/audit?result=success"))
			b.waitFor(`!!document.getElementById('wwAuditTable')`, "the audit log")
			check("audit log")

			press(b, `nav.account form[action="/-/logout"] button`)
			b.waitFor(`document.readyState === 'complete' && !document.querySelector('nav.account form[action="/-/logout"]')`, "signed out")
			signInWithPassword(b, base, "carla")
			b.waitFor(`location.pathname === '/-/login/2fa' && !!document.getElementById('wwCode')`, "the code step")
			check("code step")
			b.set("wwCode", "000000")
			press(b, `#wwCodeSubmit`)
			b.waitFor(`document.readyState === 'complete' && !!document.getElementById('wwCodeError')`, "the wrong-code message")
			check("code step, wrong code")
		})
	}
}
