package markdown

import (
	"bytes"
	"html"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// taskBoxRenderer renders a task list's checkbox as goldmark does, plus
// an aria-label with the task's own text: a form field needs a name
// (WCAG 4.1.2, axe's "label" rule), and the text next to a disabled box
// is not its label for assistive technology. A screen reader then says
// "Huisbezoek plannen, checkbox, not checked".
type taskBoxRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (taskBoxRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(east.KindTaskCheckBox, renderTaskBox)
}

func renderTaskBox(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<input`)
	if node.(*east.TaskCheckBox).IsChecked {
		_, _ = w.WriteString(` checked=""`)
	}
	_, _ = w.WriteString(` disabled="" type="checkbox"`)
	if block := node.Parent(); block != nil {
		var b bytes.Buffer
		plainText(&b, block, src)
		if label := strings.Join(strings.Fields(b.String()), " "); label != "" {
			_, _ = w.WriteString(` aria-label="` + html.EscapeString(label) + `"`)
		}
	}
	_, _ = w.WriteString("> ")
	return ast.WalkContinue, nil
}
