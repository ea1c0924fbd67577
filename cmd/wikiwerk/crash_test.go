package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ack is a write the server acknowledged: it must survive anything.
type ack struct {
	page, revision, content string
	// merged saves were merged with a change made meanwhile (a rename's
	// redirect, say): the stored text is the merge, which must hold the
	// line this save added.
	merged bool
	line   string
}

// apiPut saves a page through the API; it reports the acknowledged
// revision, or "" when the save was not acknowledged (refused, or the
// server died before answering).
func apiPut(client *http.Client, base, page, content, rev, author string) (string, bool, int) {
	body, _ := json.Marshal(map[string]any{
		"content": content, "base": rev, "message": "crash test",
		"author": map[string]string{"name": author, "email": strings.ToLower(author) + "@example.nl"},
	})
	req, _ := http.NewRequest(http.MethodPut, base+"/-/api/pages/"+page, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", false, 0
	}
	defer resp.Body.Close()
	var out struct {
		Revision string
		Merged   bool
	}
	if resp.StatusCode != 200 && resp.StatusCode != 201 {
		return "", false, resp.StatusCode
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		// The status came but not the body: not acknowledged.
		return "", false, 0
	}
	return out.Revision, out.Merged, resp.StatusCode
}

type apiPage struct {
	Content, Revision string
}

func apiGet(t *testing.T, base, page, rev string) (apiPage, int) {
	t.Helper()
	u := base + "/-/api/pages/" + page
	if rev != "" {
		u += "?rev=" + rev
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p apiPage
	json.NewDecoder(resp.Body).Decode(&p)
	return p, resp.StatusCode
}

// TestKillDuringWrites: about 20 writers save while the server is killed
// with SIGKILL at random moments, round after round, with a git push and
// a rename in flight too. After every restart: the server starts, it did
// not seed itself again, every acknowledged save is in the history with
// its text, recent changes and history list every acknowledged revision,
// and git fsck --strict is clean.
func TestKillDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the binary many times")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	args := []string{"serve", "-addr", "127.0.0.1:0", "-data", data, "-anonymous-edits=true"}
	rng := rand.New(rand.NewPCG(1, 2))
	const writers, rounds = 20, 6
	var (
		mu      sync.Mutex
		acked   []ack
		pushed  []string // commit ids of acknowledged pushes
		renamed []string // pages acknowledged as renamed to
	)
	latest := map[string]ack{}
	clone := filepath.Join(t.TempDir(), "clone")
	for round := range rounds {
		srv := start(t, bin, args...)
		verify(t, srv.url, data, acked, latest, pushed, renamed)
		if round == 0 {
			git(t, "", "clone", "-q", srv.url+"/wiki.git", clone)
			git(t, clone, "config", "user.name", "Git Gebruiker")
			git(t, clone, "config", "user.email", "git@example.nl")
		}
		client := &http.Client{Timeout: 20 * time.Second}
		mu.Lock()
		before := len(acked)
		mu.Unlock()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var pause sync.RWMutex // held by the pusher in even rounds
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				page := fmt.Sprintf("Crash/Schrijver-%02d", w)
				mu.Lock()
				rev := latest[page].revision
				text := latest[page].content
				mu.Unlock()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					line := fmt.Sprintf("ronde %d regel %d\n", round, i)
					next := text + line
					pause.RLock()
					got, merged, code := apiPut(client, srv.url, page, next, rev, fmt.Sprintf("Schrijver%d", w))
					pause.RUnlock()
					if got == "" {
						if code == 0 {
							return // the server is gone
						}
						// Refused (409 after a lost answer): start over from the page as it is.
						p, _ := getPage(client, srv.url, page)
						rev, text = p.Revision, p.Content
						continue
					}
					rev, text = got, next
					if merged {
						// Continue from the merge, as an editor would.
						p, err := getPage(client, srv.url, page)
						if err != nil {
							return
						}
						rev, text = p.Revision, p.Content
					}
					mu.Lock()
					a := ack{page: page, revision: got, content: next, merged: merged, line: line}
					acked = append(acked, a)
					latest[page] = a
					mu.Unlock()
				}
			}()
		}
		// A rename and a push in flight during the kill.
		pushDone := make(chan struct{})
		renameDelay := time.Duration(rng.IntN(100)) * time.Millisecond
		wg.Add(2)
		go func() {
			defer wg.Done()
			from := fmt.Sprintf("Crash/Schrijver-%02d", round%writers)
			to := fmt.Sprintf("Verhuisd/Ronde-%d", round)
			time.Sleep(renameDelay)
			p, err := getPage(client, srv.url, from)
			if err != nil || p.Revision == "" {
				return
			}
			body, _ := json.Marshal(map[string]string{"to": to, "base": p.Revision})
			resp, err := client.Post(srv.url+"/-/api/pages/"+from+"/rename", "application/json", bytes.NewReader(body))
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode == 200 || resp.StatusCode == 201 {
				mu.Lock()
				renamed = append(renamed, to)
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			f := filepath.Join(clone, "Gepusht", fmt.Sprintf("Ronde-%d.md", round))
			os.MkdirAll(filepath.Dir(f), 0o755)
			os.WriteFile(f, []byte(strings.Repeat(fmt.Sprintf("Gepusht in ronde %d.\n", round), 2000)), 0o644)
			defer close(pushDone)
			gitErr(clone, "remote", "set-url", "origin", srv.url+"/wiki.git")
			gitErr(clone, "add", "-A")
			if _, err := gitErr(clone, "commit", "-qm", fmt.Sprintf("Push ronde %d", round)); err != nil {
				return
			}
			// main moves with every save: pull and try again until the
			// push is a fast-forward (or the server is gone).
			for try := 0; try < 20; try++ {
				if round%2 == 0 {
					// Hold the writers between pull and push, so that
					// this push lands and is then checked after the kill.
					// In the other rounds it races them, and the kill may
					// land in the middle of it.
					pause.Lock()
				}
				out, err := gitErr(clone, "pull", "-q", "--rebase", "origin", "main")
				if err == nil {
					out, err = gitErr(clone, "push", "-q", "origin", "HEAD:main")
				}
				if round%2 == 0 {
					pause.Unlock()
				}
				if err != nil && strings.Contains(out, "rebase") {
					t.Logf("round %d: pull: %v %s", round, err, out)
					gitErr(clone, "rebase", "--abort")
					return
				}
				if err == nil {
					id, _ := gitErr(clone, "rev-parse", "HEAD")
					mu.Lock()
					pushed = append(pushed, strings.TrimSpace(id))
					mu.Unlock()
					return
				}
			}
		}()
		if round%2 == 0 {
			// Let the push finish in these rounds, so that acknowledged
			// pushes are checked too; in the others the kill may land
			// in the middle of one.
			select {
			case <-pushDone:
			case <-time.After(20 * time.Second):
			}
		}
		// Kill once the round has made progress, not after a fixed time:
		// on a loaded machine saves are slower, and the kill must still
		// land among acknowledged writes. Then a random moment more.
		waitForAcks(t, &mu, &acked, before+writers, 3*time.Minute)
		time.Sleep(time.Duration(rng.IntN(900)) * time.Millisecond)
		srv.cmd.Process.Kill() // SIGKILL: no shutdown, no deferred saves
		<-srv.done
		close(stop)
		wg.Wait()
		mu.Lock()
		t.Logf("round %d: %d saves acknowledged so far, %d pushes, %d renames", round, len(acked), len(pushed), len(renamed))
		mu.Unlock()
	}
	srv := start(t, bin, args...)
	verify(t, srv.url, data, acked, latest, pushed, renamed)
	srv.stop(t)
	if len(acked) < rounds*writers {
		t.Fatalf("only %d saves were acknowledged: the test did not load the server", len(acked))
	}
}

// waitForAcks waits until at least n saves are acknowledged, or fails
// the test when the server makes no such progress within limit (it
// answers nothing at all).
func waitForAcks(t *testing.T, mu *sync.Mutex, acked *[]ack, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		mu.Lock()
		have := len(*acked)
		mu.Unlock()
		if have >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d saves acknowledged after %v: the server makes no progress", have, n, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func getPage(client *http.Client, base, page string) (apiPage, error) {
	resp, err := client.Get(base + "/-/api/pages/" + page)
	if err != nil {
		return apiPage{}, err
	}
	defer resp.Body.Close()
	var p apiPage
	err = json.NewDecoder(resp.Body).Decode(&p)
	return p, err
}

func gitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// verify checks every promise after a restart.
func verify(t *testing.T, base, data string, acked []ack, latest map[string]ack, pushed, renamed []string) {
	t.Helper()
	repo := filepath.Join(data, "content.git")
	if n := strings.Count(git(t, repo, "log", "--format=%s", "main"), "Startpagina's van de wiki"); n != 1 {
		t.Fatalf("the seed commit is in the history %d times: the wiki seeded itself again", n)
	}
	// Every acknowledged revision is in main's history.
	all := map[string]bool{}
	for _, id := range strings.Fields(git(t, repo, "rev-list", "main")) {
		all[id] = true
	}
	for _, a := range acked {
		if !all[a.revision] {
			t.Fatalf("acknowledged save %s of %s is not in the history", a.revision, a.page)
		}
	}
	for _, id := range pushed {
		if !all[id] {
			t.Fatalf("acknowledged push %s is not in the history", id)
		}
	}
	// Each acknowledged text is readable at its revision, and the latest
	// history of each page starts at its latest acknowledged save or later.
	seen := map[string]bool{}
	for i := len(acked) - 1; i >= 0 && len(seen) < 200; i-- {
		a := acked[i]
		p, code := apiGet(t, base, a.page, a.revision)
		if code == 404 {
			continue // renamed away since; its content lives on under the new name
		}
		if a.merged && code == 200 && strings.Contains(p.Content, a.line) {
			seen[a.revision] = true
			continue
		}
		if code != 200 || p.Content != a.content {
			t.Fatalf("page %s at %s: %d, %q, want %q", a.page, a.revision, code, p.Content, a.content)
		}
		seen[a.revision] = true
	}
	for page, a := range latest {
		resp, err := http.Get(base + "/-/api/pages/" + page + "/history?limit=500")
		if err != nil {
			t.Fatal(err)
		}
		var h struct{ Revisions []struct{ Revision string } }
		json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		found := false
		for _, r := range h.Revisions {
			found = found || r.Revision == a.revision
		}
		if !found && resp.StatusCode == 200 && len(h.Revisions) > 0 {
			t.Fatalf("history of %s does not list the acknowledged %s", page, a.revision)
		}
	}
	// Recent changes list the newest acknowledged revisions.
	resp, err := http.Get(base + "/-/api/recent?limit=500")
	if err != nil {
		t.Fatal(err)
	}
	var rc struct{ Changes []struct{ Revision string } }
	json.NewDecoder(resp.Body).Decode(&rc)
	resp.Body.Close()
	inRecent := map[string]bool{}
	for _, c := range rc.Changes {
		inRecent[c.Revision] = true
	}
	for i := len(acked) - 1; i >= 0 && i >= len(acked)-100; i-- {
		if !inRecent[acked[i].revision] {
			t.Fatalf("recent changes do not list the acknowledged %s", acked[i].revision)
		}
	}
	for _, to := range renamed {
		if _, code := apiGet(t, base, to, ""); code != 200 {
			t.Fatalf("acknowledged rename to %s: page answers %d", to, code)
		}
	}
	git(t, repo, "fsck", "--strict", "--no-dangling")
}
