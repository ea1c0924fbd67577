package web_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// handboek is a realistic page: a heading, a paragraph with [[wiki
// links]], a "*" list with a nested item, a table with odd alignment and
// padding, an HTML comment, a task list and a paragraph with soft breaks.
const handboek = `# Handboek WMO-loket

Zie [[WMO-loket/Ontwerp]] en [[Nog niet|de planning]] voor de achtergrond.

* Melding ontvangen
* Keukentafelgesprek plannen
    * binnen zes weken

| Stap |   Wie   | Termijn |
|:-----|:-------:|--:|
| Melding | loket | 1 dag |
| Gesprek | consulent | 6 weken |

<!-- Niet aanpassen zonder overleg met het team -->

- [ ] Formulier bijwerken
- [x] Teksten nalopen

Een alinea met *nadruk* en __vet__ en een_woord,
over twee regels.
`

// TestBrowserVisualMode drives the Text / Visual switch in Chromium:
//
//	a) switching to visual and back gives the page back byte for byte,
//	   for realistic pages;
//	b) the block-preserving merge keeps untouched blocks and lines;
//	c) changing one word in visual mode and saving changes one line;
//	d) nothing the visual mode does trips the Content-Security-Policy.
func TestBrowserVisualMode(t *testing.T) {
	tw := newTestWiki(t)
	const name = "WMO-loket/Handboek"
	if res, err := tw.put(name, handboek, "", "Anna"); err != nil || res.code != 201 {
		t.Fatalf("create the page: %+v %v", res, err)
	}
	rev0 := tw.revision(name)
	browserCtx := startChromium(t, 3*time.Minute)
	b := newBrowserTab(t, browserCtx, "Anna")
	b.open(tw.srv.URL + "/-/edit/" + name)
	evalJS[bool](b, `(window.wwCSP = [], document.addEventListener('securitypolicyviolation', e => wwCSP.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber)), true)`)

	if got := evalJS[string](b, `document.querySelector('.ww-mode').innerText`); !strings.Contains(got, "Tekst") || !strings.Contains(got, "Visueel") {
		t.Fatalf("the switch says %q", got)
	}
	toVisual := func() {
		t.Helper()
		b.do(chromedp.Click(chromedp.CSS(".ww-mode-visual")))
		b.waitFor(`document.querySelector('form.editor').dataset.mode === 'visual' && !!document.querySelector('.ww-visual .toastui-editor-ww-container .ProseMirror')`, "the visual editor")
		if evalJS[string](b, `document.querySelector('.ww-mode-visual').getAttribute('aria-pressed')`) != "true" {
			t.Error("the Visual button is not pressed in visual mode")
		}
		if !evalJS[bool](b, `document.querySelector('.ww-toolbar').hidden`) {
			t.Error("the Markdown toolbar shows in visual mode")
		}
	}
	toText := func() {
		t.Helper()
		b.do(chromedp.Click(chromedp.CSS(".ww-mode-text")))
		b.waitFor(`document.querySelector('form.editor').dataset.mode === 'text' && !document.getElementById('wwText').hidden`, "text mode")
		if evalJS[bool](b, `document.querySelector('.ww-toolbar').hidden`) {
			t.Error("the Markdown toolbar is hidden in text mode")
		}
	}

	// a) Round trips through the real switch.
	pages := []string{
		handboek,
		"Alleen een regel zonder einde",
		"## Kop\n\n1) eerste\n2) tweede\n\n> Een citaat\n> over twee regels\n\n***\n\nTitel\n=====\n\n    ingesprongen code\n\n```go\nfmt.Println(\"hoi\")\n\n```\n",
		"\n\nBegint met lege regels, eindigt met meer.\n\n\n",
	}
	for i, page := range pages {
		b.set("wwText", page)
		toVisual()
		toText()
		if got := evalJS[string](b, `document.getElementById('wwText').value`); got != page {
			t.Errorf("page %d after visual and back:\n%q\nwant\n%q", i, got, page)
		}
	}

	// b) The merge over Toast UI's own serialisation: each edit of the
	// re-serialised text must come back as the same edit of the original.
	cases := []struct{ page, rtFrom, rtTo, from, to string }{
		{handboek, "Teksten nalopen", "Teksten laten nalopen", "- [x] Teksten nalopen", "- [x] Teksten laten nalopen"},
		{handboek, "over twee regels", "over drie regels", "over twee regels", "over drie regels"},
		{handboek, "voor de achtergrond", "voor het verhaal", "[[Nog niet|de planning]] voor de achtergrond", "[[Nog niet|de planning]] voor het verhaal"},
		{handboek, "| Gesprek | consulent | 6 weken |", "| Gesprek | consulent | 4 weken |", "| Gesprek | consulent | 6 weken |", "| Gesprek | consulent | 4 weken |"},
		{handboek, "* Keukentafelgesprek plannen\n", "* Keukentafelgesprek plannen\n* Besluit\n", "* Keukentafelgesprek plannen\n", "* Keukentafelgesprek plannen\n* Besluit\n"},
		{handboek, "# Handboek WMO-loket", "# Handboek Wmo-loket", "# Handboek WMO-loket", "# Handboek Wmo-loket"},
		{"- een\n- twee\n\nSlot.\n", "* twee", "* twee\n* drie", "- twee", "- twee\n- drie"},
	}
	for _, c := range cases {
		got := evalJS[string](b, fmt.Sprintf(`(() => {
			const el = document.createElement('div');
			document.body.appendChild(el);
			const ed = new toastui.Editor({el, initialEditType: 'wysiwyg', usageStatistics: false, initialValue: %s});
			const rt = ed.getMarkdown();
			ed.destroy(); el.remove();
			if (!rt.includes(%s)) return 'Toast UI wrote no ' + %s + ' in ' + rt;
			return wikiwerkVisualMerge.mergeMarkdown(%s, rt, rt.replace(%s, %s));
		})()`, jsString(c.page), jsString(c.rtFrom), jsString(c.rtFrom), jsString(c.page), jsString(c.rtFrom), jsString(c.rtTo)))
		if want := strings.Replace(c.page, c.from, c.to, 1); got != want {
			t.Errorf("merging %q → %q:\n%q\nwant\n%q", c.rtFrom, c.rtTo, got, want)
		}
	}

	// c) One word changed by typing in the visual editor, then saved.
	b.set("wwText", handboek)
	toVisual()
	// Double-click the word, as a person selects it, and type over it.
	xy := evalJS[[]float64](b, `(() => {
		const pm = document.querySelector('.ww-visual .toastui-editor-ww-container .ProseMirror');
		const walker = document.createTreeWalker(pm, NodeFilter.SHOW_TEXT);
		while (walker.nextNode()) {
			const n = walker.currentNode, i = n.data.indexOf('consulent');
			if (i >= 0) {
				const r = document.createRange();
				r.setStart(n, i); r.setEnd(n, i + 'consulent'.length);
				n.parentElement.scrollIntoView({block: 'center'});
				const box = r.getBoundingClientRect();
				return [box.x + box.width / 2, box.y + box.height / 2];
			}
		}
		return [];
	})()`)
	if len(xy) != 2 {
		t.Fatal("the word is not in the visual editor")
	}
	b.do(chromedp.MouseClickXY(xy[0], xy[1]), chromedp.MouseClickXY(xy[0], xy[1], chromedp.ClickCount(2)))
	b.waitFor(`getSelection().toString() === 'consulent'`, "the word selected")
	b.do(chromedp.KeyEvent("adviseur"))
	b.waitFor(`document.querySelector('.ww-visual .toastui-editor-ww-container .ProseMirror').textContent.includes('adviseur')`, "the typed word")
	b.save(`location.search === '?saved'`)
	rev1 := tw.revision(name)
	if rev1 == rev0 {
		t.Fatal("saving made no revision")
	}
	_, before := tw.get("/-/raw/" + name + "?rev=" + rev0)
	_, after := tw.get("/-/raw/" + name + "?rev=" + rev1)
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(bl) != len(al) {
		t.Fatalf("the save changed the number of lines from %d to %d:\n%s", len(bl), len(al), after)
	}
	var changed []string
	for i := range bl {
		if bl[i] != al[i] {
			changed = append(changed, fmt.Sprintf("-%s\n+%s", bl[i], al[i]))
		}
	}
	if len(changed) != 1 || !strings.Contains(changed[0], "+| Gesprek | adviseur | 6 weken |") {
		t.Errorf("the save changed %d lines, want the one line:\n%s", len(changed), strings.Join(changed, "\n"))
	}

	// d) No CSP violation in all of that.
	b.open(tw.srv.URL + "/-/edit/" + name)
	evalJS[bool](b, `(window.wwCSP = [], document.addEventListener('securitypolicyviolation', e => wwCSP.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber)), true)`)
	toVisual()
	b.do(chromedp.Click(chromedp.CSS(".ww-visual .toastui-editor-ww-container .ProseMirror")))
	b.do(chromedp.KeyEvent("Nieuwe tekst "))
	toText()
	if v := evalJS[[]string](b, `wwCSP`); len(v) != 0 {
		t.Errorf("CSP violations in visual mode: %q", v)
	}
}

// TestBrowserVisualWarns checks that a page with content the visual mode
// cannot keep (raw HTML, footnotes) warns first and offers text mode.
func TestBrowserVisualWarns(t *testing.T) {
	tw := newTestWiki(t)
	browserCtx := startChromium(t, 2*time.Minute)
	b := newBrowserTab(t, browserCtx, "Anna")
	b.open(tw.srv.URL + "/-/edit/Home")
	b.set("wwText", "Tekst met een voetnoot[^1].\n\n[^1]: De noot.\n\n<div>html</div>\n")
	b.do(chromedp.Click(chromedp.CSS(".ww-mode-visual")))
	b.waitFor(`!!document.querySelector('.ww-mode-risk')`, "the warning")
	got := evalJS[string](b, `document.querySelector('.ww-mode-risk').innerText`)
	for _, want := range []string{"voetnoten", "HTML-code", "In tekstmodus blijven", "Toch visueel bewerken"} {
		if !strings.Contains(got, want) {
			t.Errorf("the warning lacks %q: %s", want, got)
		}
	}
	if evalJS[string](b, `document.querySelector('form.editor').dataset.mode || 'text'`) != "text" {
		t.Error("the warning switched already")
	}
	b.do(chromedp.Click(chromedp.CSS(".ww-mode-go")))
	b.waitFor(`document.querySelector('form.editor').dataset.mode === 'visual'`, "visual mode after 'edit visually anyway'")
}

// TestBrowserPasteFromWord pastes a Word clipboard (list paragraphs, a
// table, bold and italic, Word's styles and conditional comments) into
// the text mode: the textarea gets clean Markdown.
func TestBrowserPasteFromWord(t *testing.T) {
	tw := newTestWiki(t)
	html, err := os.ReadFile("testdata/word-list-table.html")
	if err != nil {
		t.Fatal(err)
	}
	browserCtx := startChromium(t, 2*time.Minute)
	b := newBrowserTab(t, browserCtx, "Anna")
	b.open(tw.srv.URL + "/-/edit/Home")
	b.waitFor(`!!window.TurndownService && !!window.turndownPluginGfm`, "turndown")
	b.set("wwText", "Voor\n\n")
	paste := func(html, plain string) bool {
		return evalJS[bool](b, fmt.Sprintf(`(() => {
			const a = document.getElementById('wwText');
			a.focus();
			a.setSelectionRange(a.value.length, a.value.length);
			const dt = new DataTransfer();
			if (%s) dt.setData('text/html', %s);
			dt.setData('text/plain', %s);
			const ev = new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true});
			a.dispatchEvent(ev);
			return ev.defaultPrevented;
		})()`, jsString(html), jsString(html), jsString(plain)))
	}
	if !paste(string(html), "Aanvraag beoordelen") {
		t.Fatal("the paste of Word's HTML was left to the browser")
	}
	want := "Voor\n\n" + `## Aanvraag beoordelen

Het loket controleert de aanvraag op **volledigheid** en *termijnen*.

- Identiteit van de aanvrager
  - paspoort of ID-kaart
- Het **keukentafelgesprek**

| **Stap** | **Termijn** |
| --- | --- |
| Melding | 6 weken |`
	if got := evalJS[string](b, `document.getElementById('wwText').value`); got != want {
		t.Errorf("after pasting from Word the textarea holds\n%s\nwant\n%s", got, want)
	}
	// Ctrl+Z takes the paste back in one step.
	evalJS[bool](b, `document.execCommand('undo')`)
	if got := evalJS[string](b, `document.getElementById('wwText').value`); got != "Voor\n\n" {
		t.Errorf("undo after the paste leaves %q", got)
	}
	// An Excel range: no header cells, the first row becomes the header.
	b.set("wwText", "")
	excel := `<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><body><!--StartFragment--><table border=0 cellpadding=0 cellspacing=0 width=200 style='border-collapse:collapse'><col width=100 span=2><tr height=20><td height=20 class=xl65 width=100>Gemeente</td><td class=xl65 width=100>Aanvragen</td></tr><tr height=20><td height=20>Utrecht</td><td align=right>412</td></tr></table><!--EndFragment--></body></html>`
	paste(excel, "Gemeente\tAanvragen\nUtrecht\t412")
	if got, want := evalJS[string](b, `document.getElementById('wwText').value`), "| Gemeente | Aanvragen |\n| --- | --- |\n| Utrecht | 412 |"; got != want {
		t.Errorf("after pasting from Excel the textarea holds %q, want %q", got, want)
	}
	// Plain text is left to the browser.
	if paste("", "gewoon tekst") {
		t.Error("a plain-text paste was taken over")
	}
}

// TestBrowserPastedHTMLImageBecomesUpload: an image inside pasted HTML
// (as a data: URL, which is how Word and web pages put a picture on the
// clipboard) opens the upload dialog; once described and uploaded, the
// text holds the converted HTML and a link to the stored file.
func TestBrowserPastedHTMLImageBecomesUpload(t *testing.T) {
	tw := newTestWiki(t)
	browserCtx := startChromium(t, 2*time.Minute)
	b := newBrowserTab(t, browserCtx, "Anna")
	b.open(tw.srv.URL + "/-/edit/WMO-loket/Ontwerp")
	b.waitFor(`!!window.TurndownService && !!window.wikiwerkEditor`, "turndown and the editor")
	b.set("wwText", "")
	png := base64.StdEncoding.EncodeToString(testPNG(t))
	html := `<html><body><!--StartFragment--><p class=MsoNormal>Zie het <b>schema</b>:</p><p><img width=40 height=30 src="data:image/png;base64,` + png + `"></p><!--EndFragment--></body></html>`
	evalJS[bool](b, fmt.Sprintf(`(() => {
		const a = document.getElementById('wwText');
		a.focus();
		const dt = new DataTransfer();
		dt.setData('text/html', %s);
		dt.setData('text/plain', 'Zie het schema:');
		a.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
		return true;
	})()`, jsString(html)))
	b.waitFor(`!!document.querySelector('dialog.ww-upload-dialog[open] input.ww-alt')`, "the upload dialog for the pasted picture")
	b.do(chromedp.SendKeys(`dialog.ww-upload-dialog[open] input.ww-alt`, "Schema van de aanvraag"))
	b.do(chromedp.Click(chromedp.CSS(`dialog.ww-upload-dialog[open] button[type=submit]`)))
	b.waitFor(`!document.querySelector('dialog[open]') && document.getElementById('wwText').value.includes('![Schema van de aanvraag]')`, "the pasted picture's upload and link")
	text := evalJS[string](b, `document.getElementById('wwText').value`)
	if !strings.Contains(text, "Zie het **schema**:") || !strings.Contains(text, "![Schema van de aanvraag](Ontwerp/plaatje-") || strings.Contains(text, "data:") {
		t.Fatalf("after pasting HTML with a picture the text is %q", text)
	}
	// The file is stored in the page's folder.
	i := strings.Index(text, "(Ontwerp/")
	name := text[i+len("(Ontwerp/") : i+strings.IndexByte(text[i:], ')')]
	if code, body := tw.get("/-/files/WMO-loket/Ontwerp/" + name); code != 200 || body != string(testPNG(t)) {
		t.Errorf("the uploaded picture %s: %d (%d bytes)", name, code, len(body))
	}
}
