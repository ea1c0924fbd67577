package markdown

import (
	"errors"
	"fmt"
	"io"
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
)

// DefaultHighlightStyle is the light chroma style the default theme uses.
const DefaultHighlightStyle = "github"

// ErrUnknownStyle is returned for a chroma style name that does not exist.
var ErrUnknownStyle = errors.New("unknown highlight style")

// chromaOptions are shared by the renderer and the stylesheet writer, so
// the class names in pages and in the CSS always agree. Classes rather
// than inline styles keep the sanitiser free of any style attribute.
func chromaOptions() []chromahtml.Option {
	return []chromahtml.Option{chromahtml.WithClasses(true)}
}

// WriteHighlightCSS writes the stylesheet for highlighted code blocks in
// the named chroma style (for example DefaultHighlightStyle) to w. It
// returns ErrUnknownStyle for a name chroma does not have, rather than
// silently falling back to another style.
func WriteHighlightCSS(w io.Writer, style string) error {
	s, ok := styles.Registry[strings.ToLower(style)]
	if !ok {
		return fmt.Errorf("highlight css %q: %w", style, ErrUnknownStyle)
	}
	if err := chromahtml.New(chromaOptions()...).WriteCSS(w, s); err != nil {
		return fmt.Errorf("highlight css %q: %w", style, err)
	}
	return nil
}

// HighlightCSS returns the stylesheet that WriteHighlightCSS writes.
func HighlightCSS(style string) (string, error) {
	var b strings.Builder
	if err := WriteHighlightCSS(&b, style); err != nil {
		return "", err
	}
	return b.String(), nil
}
