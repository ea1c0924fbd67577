package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestExactJSONInput: unpaired surrogate escapes and data after the JSON
// object are refused with 400, and nothing is written; a real pair and
// trailing white space are fine.
func TestExactJSONInput(t *testing.T) {
	tw := newTestWiki(t)
	head := tw.head()
	for _, body := range []string{
		`{"content":"a\ud800b"}`,
		`{"content":"\udc00"}`,
		`{"content":"\udc00\ud800"}`,
		`{"content":"x\ud83d"}`,
		`{"content":"x"} {"content":"y"}`,
		`{"content":"x"}garbage`,
		`{"content":"ok","message":"weg\u0000ermee"}`,
		`{"content":"ok","message":"\u001b[31mrood"}`,
		`{"content":"ok","author":{"name":"Eva\u0000","email":"e@example.nl"}}`,
	} {
		code, resp, _ := tw.do("PUT", "/-/api/pages/Exact", "application/json", body)
		if code != 400 || !strings.Contains(resp, "error") {
			t.Errorf("PUT %s: %d %s, want 400", body, code, resp)
		}
	}
	if tw.head() != head {
		t.Fatal("a refused body changed the wiki")
	}
	code, resp, _ := tw.do("PUT", "/-/api/pages/Exact", "application/json", `{"content":"smile \ud83d\ude00 \\ud800 is text"}`+"\n\t ")
	if code != 201 {
		t.Fatalf("a surrogate pair, an escaped backslash and trailing white space: %d %s", code, resp)
	}
	if _, raw := tw.get("/-/raw/Exact"); raw != "smile 😀 \\ud800 is text" {
		t.Fatalf("stored %q", raw)
	}
}

// TestFormSummaryControlCharacters: a NUL or escape sequence in a form's
// summary is refused with a message, and the text stays in the form.
func TestFormSummaryControlCharacters(t *testing.T) {
	tw := newTestWiki(t)
	head := tw.head()
	code, body, _ := tw.postForm("/-/edit/Formulier", url.Values{"content": {"Mijn tekst\n"}, "message": {"weg\x00ermee"}, "base": {""}})
	if code != 400 || !strings.Contains(body, "Mijn tekst") {
		t.Fatalf("form save with a NUL in the summary: %d", code)
	}
	if tw.head() != head {
		t.Fatal("the refused save changed the wiki")
	}
}
