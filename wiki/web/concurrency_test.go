package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

type putResult struct {
	code     int
	revision string
	merged   bool
	current  string // the current text a 409 carried
}

// put saves a page through the API from a goroutine (no t.Fatal there).
func (tw *testWiki) put(name, content, base, author string) (putResult, error) {
	body, _ := json.Marshal(map[string]any{"content": content, "base": base, "author": map[string]string{"name": author}})
	req, err := http.NewRequest("PUT", tw.srv.URL+"/-/api/pages/"+name, strings.NewReader(string(body)))
	if err != nil {
		return putResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return putResult{}, err
	}
	defer resp.Body.Close()
	var out struct {
		Revision string
		Merged   bool
		Error    string
		Current  *struct{ Content, Revision string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return putResult{}, fmt.Errorf("decode answer (%d): %w", resp.StatusCode, err)
	}
	r := putResult{code: resp.StatusCode, revision: out.Revision, merged: out.Merged}
	if out.Current != nil {
		r.current = out.Current.Content
	}
	return r, nil
}

func (tw *testWiki) historyIDs(name string) map[string]bool {
	tw.t.Helper()
	_, body := tw.get("/-/api/pages/" + name + "/history?limit=500")
	var h struct{ Revisions []struct{ Revision string } }
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		tw.t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range h.Revisions {
		ids[r.Revision] = true
	}
	return ids
}

func (tw *testWiki) content(name string) string {
	tw.t.Helper()
	_, body := tw.get("/-/api/pages/" + name)
	var p struct{ Content string }
	json.Unmarshal([]byte(body), &p)
	return p.Content
}

// TestConcurrentWritersLoseNothing: 50 writers edit distinct lines of one
// 60-line page, all from the same base, while 50 more write 50 other
// pages. Every acknowledged save must be in the final text and in the
// history; a refused save must have been told the current text.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	tw := newTestWiki(t)
	const lines, writers = 60, 50
	var page strings.Builder
	for i := range lines {
		fmt.Fprintf(&page, "regel %d: oorspronkelijk\n", i)
	}
	first, err := tw.put("Gedeeld", page.String(), "", "Aanmaker")
	if err != nil || first.code != 201 {
		t.Fatalf("create: %+v %v", first, err)
	}
	base := first.revision

	type outcome struct {
		writer int
		other  bool
		res    putResult
		err    error
	}
	results := make(chan outcome, 2*writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			text := strings.Replace(page.String(), fmt.Sprintf("regel %d: oorspronkelijk\n", w), fmt.Sprintf("regel %d: aangepast door schrijver %d\n", w, w), 1)
			res, err := tw.put("Gedeeld", text, base, fmt.Sprintf("Schrijver %d", w))
			results <- outcome{writer: w, res: res, err: err}
		}()
		go func() {
			defer wg.Done()
			<-start
			res, err := tw.put(fmt.Sprintf("Ander/Pagina %d", w), fmt.Sprintf("tekst van %d\n", w), "", "Ander")
			results <- outcome{writer: w, other: true, res: res, err: err}
		}()
	}
	close(start)
	wg.Wait()
	close(results)

	final := tw.content("Gedeeld")
	history := tw.historyIDs("Gedeeld")
	accepted := 0
	for o := range results {
		if o.err != nil {
			t.Fatalf("writer %d: %v", o.writer, o.err)
		}
		switch {
		case o.other:
			if o.res.code != 201 {
				t.Errorf("writer of other page %d: %d", o.writer, o.res.code)
			}
			if got := tw.content(fmt.Sprintf("Ander/Pagina %d", o.writer)); got != fmt.Sprintf("tekst van %d\n", o.writer) {
				t.Errorf("other page %d holds %q", o.writer, got)
			}
		case o.res.code == 200:
			accepted++
			if want := fmt.Sprintf("regel %d: aangepast door schrijver %d\n", o.writer, o.writer); !strings.Contains(final, want) {
				t.Errorf("acknowledged edit of writer %d is not in the final text", o.writer)
			}
			if !history[o.res.revision] {
				t.Errorf("acknowledged revision %s of writer %d is not in the history", o.res.revision, o.writer)
			}
		case o.res.code == 409:
			if o.res.current == "" {
				t.Errorf("writer %d got 409 without the current text", o.writer)
			}
		default:
			t.Errorf("writer %d: status %d", o.writer, o.res.code)
		}
	}
	// Edits of distinct lines never overlap, so every one of them merges.
	if accepted != writers {
		t.Errorf("%d of %d edits of distinct lines were accepted", accepted, writers)
	}
	if n := strings.Count(final, "\n"); n != lines {
		t.Errorf("final text has %d lines, want %d", n, lines)
	}
	if out, err := exec.Command("git", "-C", tw.dir, "fsck", "--strict", "--no-dangling").CombinedOutput(); err != nil {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
}

// TestConcurrentWritersOnOneLine: writers who change the same line in
// different ways cannot all win. One is accepted; the others get 409 with
// the current text; nothing is silently overwritten.
func TestConcurrentWritersOnOneLine(t *testing.T) {
	tw := newTestWiki(t)
	first, _ := tw.put("Eén regel", "a\nb\nc\n", "", "Aanmaker")
	const writers = 10
	results := make(chan putResult, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			res, err := tw.put("Eén regel", fmt.Sprintf("a\nb door %d\nc\n", w), first.revision, fmt.Sprintf("S%d", w))
			if err != nil {
				t.Error(err)
			}
			results <- res
		})
	}
	wg.Wait()
	close(results)
	final := tw.content("Eén regel")
	won := 0
	for r := range results {
		switch r.code {
		case 200:
			won++
		case 409:
			if r.current != final {
				t.Errorf("409 carried %q, the page is %q", r.current, final)
			}
		default:
			t.Errorf("status %d", r.code)
		}
	}
	if won != 1 {
		t.Errorf("%d writers won, want exactly 1", won)
	}
	if len(tw.historyIDs("Eén regel")) != 2 {
		t.Errorf("history has %d revisions, want 2", len(tw.historyIDs("Eén regel")))
	}
}

// historyLast returns the n-th newest revision of a page (0 = newest).
func (tw *testWiki) historyLast(name string, n int) string {
	tw.t.Helper()
	_, body := tw.get("/-/api/pages/" + name + "/history")
	var h struct{ Revisions []struct{ Revision string } }
	json.Unmarshal([]byte(body), &h)
	if len(h.Revisions) <= n {
		tw.t.Fatalf("%s has %d revisions", name, len(h.Revisions))
	}
	return h.Revisions[n].Revision
}
