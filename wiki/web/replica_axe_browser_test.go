package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// TestReplicaAdminPageHasNoAxeViolations puts a replica's own admin page
// through axe-core in both languages, in a state with every part shown
// (lag, last error, divergence), and checks it reflows at 320 px.
func TestReplicaAdminPageHasNoAxeViolations(t *testing.T) {
	seen := time.Now().Add(-3 * time.Minute)
	aw := newAuthWiki(t, authOptions{configure: func(c *web.Config) {
		c.Replica = func() web.ReplicaState {
			return web.ReplicaState{Primary: "https://wiki-primair.intern", PrimaryHead: strings.Repeat("a", 40), Head: strings.Repeat("b", 40),
				Behind: 3, Fetched: true, LastSuccess: seen, LastError: "fetch: connection refused", LastErrorAt: seen.Add(time.Minute), Diverged: true}
		}
	}})
	browserCtx := startChromium(t, 2*time.Minute)
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowserTab(t, browserCtx, "Carla")
			b.signIn(aw.srv.URL, "carla")
			b.do(chromedp.Navigate(aw.srv.URL + "/-/lang/" + lang + "?back=" + web.ReplicaAdminPath))
			b.waitFor(`document.readyState === 'complete' && location.pathname === '`+web.ReplicaAdminPath+`' && !!document.querySelector('main h1')`, "the replica page")
			if !evalJS[bool](b, `document.querySelector('main').innerText.includes('wiki-primair.intern')`) {
				t.Fatal("the replica page does not show the primary")
			}
			for _, v := range runAxe(t, b) {
				t.Errorf("replica page (%s): %s: %s\n    %s", lang, v.ID, v.Help, strings.Join(v.Targets, "\n    "))
			}
			b.do(chromedp.EmulateViewport(320, 640))
			if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 320 {
				t.Errorf("replica page (%s) is %d px wide at 320", lang, w)
			}
		})
	}
}
