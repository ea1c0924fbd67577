package main

import (
	"flag"
	"fmt"

	"github.com/wikiwerk/wikiwerk/wiki/web"
)

// siteFlags are -site-name, -logo and -accessibility-statement: how an
// organisation brands the wiki and where its accessibility statement is,
// without a rebuild.
type siteFlags struct {
	Site web.Site
}

func (f *siteFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.Site.Name, "site-name", "", "the wiki's name in the header and window title (default wikiwerk)")
	fs.Func("logo", "address of a logo shown before the site name: a path on this site (a -theme file is /-/static/NAME) or an https: URL", func(v string) error {
		if err := web.ValidSiteLink(v); err != nil {
			return fmt.Errorf("%q: a path starting with / or an https: URL", v)
		}
		f.Site.Logo = v
		return nil
	})
	fs.Func("accessibility-statement", "address of the organisation's accessibility statement, linked from /-/accessibility (template: docs/toegankelijkheidsverklaring-sjabloon.md)", func(v string) error {
		if err := web.ValidSiteLink(v); err != nil {
			return fmt.Errorf("%q: a path starting with / or an https: URL", v)
		}
		f.Site.AccessibilityStatement = v
		return nil
	})
}
