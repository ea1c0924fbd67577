// Package themes holds the wiki's built-in look: html/template pages and
// static assets, embedded in the binary. A theme folder on disk with the
// same layout (templates/*.html, static/*) overrides it file by file; see
// Open.
package themes

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// FS holds the default theme under "default/".
//
//go:embed default
var FS embed.FS

// Open returns the theme to use, with templates/ and static/ at its root.
// With dir empty it is the embedded default theme. Otherwise a file in dir
// wins over the default file of the same name, so a designer can change
// one template or the stylesheet without copying the rest, and see changes
// without recompiling.
func Open(dir string) (fs.FS, error) {
	def, err := fs.Sub(FS, "default")
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return def, nil
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("theme %s: not a folder", dir)
	}
	return overlay{top: os.DirFS(dir), bottom: def}, nil
}

// overlay serves each file from top if it is there, else from bottom.
type overlay struct{ top, bottom fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	f, err := o.top.Open(name)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return o.bottom.Open(name)
}
