package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestAccountPagesHaveNoAxeViolations runs axe-core on the admin
// overview, the list of accounts, one account's page with a link just
// made, the invitation and reset forms, a link that no longer works, and
// the account page, in Dutch and English.
func TestAccountPagesHaveNoAxeViolations(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	browserCtx := startChromium(t, 3*time.Minute)
	uw := newUsersWiki(t, usersOptions{})
	ctx := context.Background()
	if _, err := uw.accounts.CreateInvited(ctx, wiki.Actor{Name: "carla"}, wiki.User{Name: "eva", Email: "eva@example.nl"}); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowserTab(t, browserCtx, "Carla")
			check := func(what string) {
				t.Helper()
				for _, v := range runAxe(t, b) {
					t.Errorf("%s (%s): %s: %s\n    %s", what, lang, v.ID, v.Help, strings.Join(v.Targets, "\n    "))
				}
			}
			visit := func(path, ready, what string) {
				t.Helper()
				b.do(chromedp.Navigate(uw.srv.URL + path))
				b.waitFor(`document.readyState === 'complete' && (`+ready+`)`, what)
				check(what)
			}
			b.do(chromedp.Navigate(uw.srv.URL + "/-/lang/" + lang + "?back=/-/login"))
			b.waitFor(`!!document.getElementById('wwLogin')`, "the sign-in form")
			b.set("wwLogin", "carla")
			b.set("wwPassword", passwords["carla"])
			b.do(chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)))
			b.waitFor(`document.readyState === 'complete' && !location.pathname.startsWith('/-/') && document.body.innerText.includes('Carla Smit')`, "signed in")

			visit("/-/admin", `!!document.querySelector('a[href="/-/admin/users"]')`, "admin overview")
			visit("/-/admin/users", `!!document.getElementById('wwNewLogin')`, "accounts list")
			visit("/-/admin/users?q=jansen&status=active", `!!document.getElementById('wwUserQ')`, "accounts list, filtered")
			visit("/-/admin/users/bram", `!!document.getElementById('wwDisplay')`, "user page")
			b.do(chromedp.Click(chromedp.CSS(`input[name=action][value=reset] ~ button`)))
			b.waitFor(`!!document.getElementById('wwLink')`, "the reset link shown")
			check("user page with a link to pass on")
			visit("/-/account", `!!document.getElementById('wwOwnDisplay')`, "account page")

			invite, err := uw.accounts.NewLink(ctx, wiki.Actor{Name: "carla"}, "eva", wiki.LinkInvite)
			if err != nil {
				t.Fatal(err)
			}
			reset, err := uw.accounts.NewLink(ctx, wiki.Actor{Name: "carla"}, "anna", wiki.LinkReset)
			if err != nil {
				t.Fatal(err)
			}
			visit("/-/invite/"+invite.Secret, `!!document.getElementById('wwDisplayName')`, "invitation form")
			visit("/-/reset/"+reset.Secret, `!!document.getElementById('wwPassword2')`, "reset form")
			visit("/-/reset/"+strings.Repeat("A", 43), `!!document.querySelector('main h1')`, "a link that does not work")
		})
	}
}
