package web_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// testPNG is a small real PNG image.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 21, G: 66, B: 115, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrowserEditorToolbar is a person who has never heard of Markdown
// building a page in Chromium with only the toolbar, its dialogs and the
// keyboard: a heading, a bulleted list, a 3×3 table, a link to an existing
// page chosen from the suggestions and an image uploaded with its
// description. Ctrl+S saves, and the stored text is the Markdown a person
// would write by hand. On the way: the toolbar is one tab stop with arrow
// keys, the live preview shows the rendered text, and pasting an image
// file uploads it and inserts its link.
func TestBrowserEditorToolbar(t *testing.T) {
	nw := newNavWiki(t, navOptions{})
	browserCtx := startChromium(t, 3*time.Minute)
	b := newBrowserTab(t, browserCtx, "Anna")
	// The page is started as a new user would: "New page" in the header,
	// then folder and title in the form.
	b.do(chromedp.Navigate(nw.srv.URL + "/-/lang/nl?back=/"))
	b.waitFor(`!!document.querySelector('header.site a.new-page')`, "the home page")
	b.do(chromedp.Click(chromedp.CSS("header.site a.new-page")))
	b.waitFor(`!!document.getElementById('wwNewTitle')`, "the new-page form")
	b.do(chromedp.SendKeys("#wwNewFolder", "Plannen"), chromedp.SendKeys("#wwNewTitle", "Werkplan"))
	b.do(chromedp.Click(chromedp.CSS("form.new-page-form button[type=submit]")))
	b.waitFor(`window.wikiwerkEditor && document.querySelector('.ww-toolbar[role=toolbar]') && document.querySelector('form.editor').dataset.editorReady === 'true'`, "the toolbar")
	if got := evalJS[string](b, `location.pathname`); got != "/-/edit/Plannen/Werkplan" {
		t.Fatalf("the new-page form led to %s", got)
	}
	if got := evalJS[string](b, `document.getElementById('wwText').value`); got != "" {
		t.Fatalf("a new page starts with %q", got)
	}
	key := func(k string, mods ...chromedp.Modifier) {
		t.Helper()
		var opts []chromedp.KeyOption
		for _, m := range mods {
			opts = append(opts, chromedp.KeyModifiers(m))
		}
		b.do(chromedp.KeyEvent(k, opts...))
	}
	typeText := func(s string) {
		t.Helper()
		b.do(chromedp.KeyEvent(s))
	}
	active := func() string {
		return evalJS[string](b, `document.activeElement.dataset.cmd || document.activeElement.id || document.activeElement.tagName`)
	}
	click := func(cmd string) {
		t.Helper()
		b.do(chromedp.Click(chromedp.CSS(`.ww-toolbar button[data-cmd="` + cmd + `"]`)))
	}

	// Keyboard only: from the text, Shift+Tab lands on the toolbar's one
	// tab stop; arrows, Home and End move inside it; Enter presses.
	b.do(chromedp.Focus(chromedp.ID("wwText")))
	key(kb.Tab, chromedp.ModifierShift)
	if got := active(); got != "h2" {
		t.Fatalf("Shift+Tab from the text focuses %q, want the first toolbar button", got)
	}
	if n := evalJS[int](b, `[...document.querySelectorAll('.ww-toolbar button')].filter(x => x.tabIndex === 0).length`); n != 1 {
		t.Errorf("%d toolbar buttons are in the tab order, want 1", n)
	}
	key(kb.ArrowRight)
	key(kb.ArrowRight)
	if got := active(); got != "bold" {
		t.Errorf("two right arrows reach %q, want bold", got)
	}
	key(kb.End)
	if got := active(); got != "undo" {
		t.Errorf("End reaches %q", got)
	}
	key(kb.ArrowRight)
	if got := active(); got != "h2" {
		t.Errorf("the right arrow from the last button wraps to %q", got)
	}
	for _, want := range []string{"Tussenkop", "Vet"} {
		key(kb.ArrowRight)
		if label := evalJS[string](b, `document.activeElement.textContent`); !regexp.MustCompile(want).MatchString(label) {
			t.Errorf("the button's name is %q, want %s", label, want)
		}
	}
	key(kb.Home)
	key(kb.Enter)
	if got := active(); got != "wwText" {
		t.Errorf("after pressing Heading the focus is on %q, want the text", got)
	}
	b.waitFor(`/Kop toegevoegd/.test(document.querySelector('.ww-live').textContent)`, "the live region to say what was added")
	typeText("Werkplan")
	if !evalJS[bool](b, `document.querySelector('.ww-toolbar [data-cmd=h2]').getAttribute('aria-pressed') === 'true'`) {
		t.Error("in a heading the Heading button is not pressed")
	}
	// The live preview beside the text (the window is 1100 px wide).
	// (The renderer sets a page's headings one level below its title.)
	b.waitFor(`[...document.querySelectorAll('#wwLivePreview .markdown :is(h2, h3)')].some(h => h.textContent === 'Werkplan')`, "the live preview of the heading")

	// A bulleted list: the button, then Enter for the next item and Enter
	// on an empty item to end it.
	key(kb.Enter)
	key(kb.Enter)
	click("ul")
	typeText("Eerste")
	key(kb.Enter)
	typeText("Tweede")
	key(kb.Enter)
	key(kb.Enter)

	// A 3×3 table: rows × columns, then the grid.
	click("table")
	b.waitFor(`document.querySelector('dialog.ww-table-dialog[open]')`, "the table dialog")
	b.do(chromedp.Click(chromedp.CSS(`dialog.ww-table-dialog button.ww-ok`)))
	b.waitFor(`document.querySelectorAll('dialog.ww-grid-dialog[open] .ww-grid input').length === 9`, "a grid of 3×3 fields")
	cells := [][]string{{"Wie", "Wat", "Wanneer"}, {"Anna", "Intake", "maandag"}, {"Bram", "Besluit", "vrijdag"}}
	for r, row := range cells {
		for c, v := range row {
			b.do(chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`.ww-grid input[data-r="%d"][data-c="%d"]`, r, c)), v))
		}
	}
	if got := evalJS[string](b, `document.querySelector('.ww-grid input[data-r="1"][data-c="2"]').getAttribute('aria-label')`); got != "Rij 1, kolom 3" {
		t.Errorf("a cell's field is labelled %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`dialog.ww-grid-dialog button.ww-ok`)))
	b.waitFor(`!document.querySelector('dialog[open]')`, "the grid dialog to close")
	key(kb.Enter)
	key(kb.Enter)

	// A link to an existing page, chosen from the suggestions.
	typeText("Zie ")
	click("wikilink")
	b.waitFor(`document.querySelector('dialog.ww-wiki-dialog[open] input[role=combobox]') === document.activeElement`, "the page link dialog")
	typeText("Klant")
	b.waitFor(`[...document.querySelectorAll('.ww-wiki-dialog [role=option]')].some(o => o.dataset.name === 'WMO-loket/Klantreis')`, "the suggestion of Klantreis")
	key(kb.ArrowDown)
	key(kb.Enter)
	if got := evalJS[string](b, `document.querySelector('.ww-wiki-dialog input[role=combobox]').value`); got != "WMO-loket/Klantreis" {
		t.Fatalf("choosing the suggestion gives %q", got)
	}
	key(kb.Enter)
	b.waitFor(`!document.querySelector('dialog[open]')`, "the page link dialog to close")

	// An image, through the upload dialog, which wants a description.
	pngFile := filepath.Join(t.TempDir(), "schema.png")
	pngBytes := testPNG(t)
	if err := os.WriteFile(pngFile, pngBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	click("upload")
	b.waitFor(`document.querySelector('dialog.ww-upload-dialog[open] input[type=file]')`, "the upload dialog")
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`dialog.ww-upload-dialog input[type=file]`), []string{pngFile}))
	b.waitFor(`document.querySelector('.ww-upload-dialog input.ww-alt')`, "the description field of the image")
	b.do(chromedp.Click(chromedp.CSS(`dialog.ww-upload-dialog button.ww-ok`)))
	if !evalJS[bool](b, `document.querySelector('.ww-upload-dialog input.ww-alt').getAttribute('aria-invalid') === 'true' && document.activeElement.classList.contains('ww-alt')`) {
		t.Error("an image without a description is not refused")
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`.ww-upload-dialog input.ww-alt`), "Schema van het loket"))
	b.do(chromedp.Click(chromedp.CSS(`dialog.ww-upload-dialog button.ww-ok`)))
	b.waitFor(`!document.querySelector('dialog[open]')`, "the upload to finish")
	b.waitFor(`document.querySelector('#wwLivePreview .markdown img[alt="Schema van het loket"]')`, "the image in the live preview")
	if src := evalJS[string](b, `document.querySelector('#wwLivePreview .markdown img').getAttribute('src')`); src != "/-/files/Plannen/Werkplan/schema.png" {
		t.Errorf("the preview's image points at %q", src)
	}

	b.screenshot("wikiwerk-editor-toolbar.png")

	want := "## Werkplan\n\n- Eerste\n- Tweede\n\n" +
		"| Wie  | Wat     | Wanneer |\n" +
		"| ---- | ------- | ------- |\n" +
		"| Anna | Intake  | maandag |\n" +
		"| Bram | Besluit | vrijdag |\n\n" +
		"Zie [[WMO-loket/Klantreis]]\n\n" +
		"![Schema van het loket](Werkplan/schema.png)\n"
	if got := evalJS[string](b, `document.getElementById('wwText').value`); got != want {
		t.Fatalf("the editor holds\n%q\nwant\n%q", got, want)
	}

	// Leaving with unsaved text asks, and keeps the text as a draft too;
	// where the draft cannot be kept, it still asks.
	if !evalJS[bool](b, `!window.dispatchEvent(new Event('beforeunload', {cancelable: true}))`) {
		t.Error("leaving with unsaved text does not ask")
	}
	if !evalJS[bool](b, `(() => {
		const keep = Storage.prototype.setItem;
		Storage.prototype.setItem = () => { throw new Error('full'); };
		const asked = !window.dispatchEvent(new Event('beforeunload', {cancelable: true}));
		Storage.prototype.setItem = keep;
		return asked;
	})()`) {
		t.Error("leaving with unsaved text that cannot be kept does not ask")
	}

	// Ctrl+S saves.
	key("s", chromedp.ModifierCtrl)
	b.waitFor(`location.pathname === '/Plannen/Werkplan' && location.search === '?saved' && document.readyState === 'complete'`, "Ctrl+S to save")
	if got := nw.content("Plannen/Werkplan"); got != want {
		t.Fatalf("the stored page is\n%q\nwant\n%q", got, want)
	}
	code, body := nw.get("/-/files/Plannen/Werkplan/schema.png")
	if code != 200 || body != string(pngBytes) {
		t.Errorf("the uploaded image: %d, %d bytes, want the %d bytes sent", code, len(body), len(pngBytes))
	}
	if !evalJS[bool](b, `!!document.querySelector('main img[src="/-/files/Plannen/Werkplan/schema.png"][alt="Schema van het loket"]') && !!document.querySelector('main table')`) {
		t.Error("the saved page does not show the image and the table")
	}

	// Pasting an image file (no HTML on the clipboard) opens the same
	// dialog with it, uploads it and inserts its link.
	b.open(nw.srv.URL + "/-/edit/Los")
	b.waitFor(`window.wikiwerkEditor`, "the editor")
	evalJS[bool](b, fmt.Sprintf(`(() => {
		const t = document.getElementById('wwText');
		t.focus();
		t.setSelectionRange(t.value.length, t.value.length);
		const bytes = Uint8Array.from(atob(%s), c => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bytes], 'image.png', {type: 'image/png'}));
		t.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
		return true;
	})()`, jsString(base64.StdEncoding.EncodeToString(pngBytes))))
	b.waitFor(`document.querySelector('dialog.ww-upload-dialog[open] input.ww-alt') === document.activeElement`, "the upload dialog with the pasted image")
	if name := evalJS[string](b, `document.querySelector('.ww-upload-dialog input[type=text]').value`); name != "afbeelding.png" {
		t.Errorf("the pasted image is to be called %q", name)
	}
	typeText("Logo van de gemeente")
	key(kb.Enter)
	b.waitFor(`!document.querySelector('dialog[open]')`, "the pasted image's upload")
	text := evalJS[string](b, `document.getElementById('wwText').value`)
	if want := navPages["Los"] + "\n![Logo van de gemeente](Los/afbeelding.png)\n"; text != want {
		t.Errorf("after pasting, the editor holds %q, want %q", text, want)
	}
	if code, body := nw.get("/-/files/Los/afbeelding.png"); code != 200 || body != string(pngBytes) {
		t.Errorf("the pasted image: %d, %d bytes", code, len(body))
	}

	// The preview without JavaScript's help (the Preview button) comes
	// back with the caret where it was.
	evalJS[bool](b, `document.getElementById('wwText').setSelectionRange(12, 12), true`)
	b.do(chromedp.Click(chromedp.CSS(`form.editor button[value="preview"]`)))
	b.waitFor(`document.readyState === 'complete' && !!document.querySelector('section.preview') && window.wikiwerkEditor`, "the preview page")
	if got := evalJS[int](b, `document.getElementById('wwText').selectionStart`); got != 12 {
		t.Errorf("after the preview the caret is at %d, want 12", got)
	}
	if !evalJS[bool](b, `document.activeElement === document.getElementById('wwText')`) {
		t.Error("after the preview the text does not have the focus")
	}
}
