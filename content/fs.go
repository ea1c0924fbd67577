// Package content holds the seed pages of a new wiki.
//
// On the first start with an empty data directory, wikiwerk creates the
// content repository and commits every file under pages/ as one commit, so a
// new wiki opens with a front page, help in Dutch and English, and an example
// design page instead of an empty screen. After that the pages live only in
// the repository: editing the files here changes new wikis, never existing ones.
package content

import (
	"embed"
	"fmt"
	"io/fs"
)

// FS holds the seed pages under "pages/". A page is "Name.md"; a folder is a
// directory, so "pages/WMO-loket/Ontwerp.md" is the page "WMO-loket/Ontwerp".
//
//go:embed pages
var FS embed.FS

// pagesDir is the directory in FS that maps to the root of the repository.
const pagesDir = "pages"

// Pages returns every seed file keyed by its path in the content repository,
// such as "Home.md" or "WMO-loket/Ontwerp.md", with slashes as separators.
func Pages() (map[string][]byte, error) {
	root, err := fs.Sub(FS, pagesDir)
	if err != nil {
		return nil, fmt.Errorf("seed pages: %w", err)
	}
	pages := make(map[string][]byte)
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		pages[p] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed pages: %w", err)
	}
	return pages, nil
}
