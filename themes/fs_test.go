package themes

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenDefault(t *testing.T) {
	theme, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"templates/layout.html", "templates/view.html", "static/wikiwerk.css"} {
		if _, err := fs.Stat(theme, f); err != nil {
			t.Errorf("default theme lacks %s: %v", f, err)
		}
	}
}

func TestOverlayPrefersDisk(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "static"), 0o755)
	os.WriteFile(filepath.Join(dir, "static", "wikiwerk.css"), []byte("body{color:red}"), 0o644)
	theme, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	css, err := fs.ReadFile(theme, "static/wikiwerk.css")
	if err != nil || string(css) != "body{color:red}" {
		t.Fatalf("css from disk = %q, %v", css, err)
	}
	// Files the folder does not have come from the default theme.
	if _, err := fs.ReadFile(theme, "templates/layout.html"); err != nil {
		t.Fatalf("layout from default: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing theme folder was accepted")
	}
}
