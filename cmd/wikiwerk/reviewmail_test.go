package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/internal/smtptest"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// api sends a JSON API request with the session cookie and the CSRF
// header, as the editor's script does.
func (p *person) api(method, path, body string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", p.token)
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReviewNotificationMail runs the server with -review and mail to a
// real SMTP server: a save by a non-reviewer in the review folder
// through the API becomes a proposal and mails the folder's reviewer
// (not the proposer); the reviewer's approval and publication on the web
// mail the proposer (not the reviewer); a comment in a page's discussion
// mails its follower and the person it mentions, not the commenter; the
// unsubscribe link of a review mail stops review mail, and the watchlist
// switches it on again; a proposal pushed to refs/for/main mails the
// reviewer too.
func TestReviewNotificationMail(t *testing.T) {
	smtp := smtptest.Start(t, "")
	data := t.TempDir()
	store, err := accounts.OpenWith(accounts.PathIn(data), accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []wiki.User{
		{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@gemeente.example", Role: wiki.RoleEditor},
		{Name: "rita", DisplayName: "Rita Rood", Email: "rita@gemeente.example", Role: wiki.RoleEditor, Groups: []string{"beleidsteam"}},
		{Name: "bob", DisplayName: "Bob Bakker", Email: "bob@gemeente.example", Role: wiki.RoleEditor},
		{Name: "carol", DisplayName: "Carol", Email: "carol@gemeente.example", Role: wiki.RoleEditor},
	} {
		if _, err := store.Create(context.Background(), u, u.Name+"s wachtwoord is lang"); err != nil {
			t.Fatal(err)
		}
	}
	bobToken, _, err := store.NewToken(context.Background(), "bob", "git")
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	srv := startWithMail(t, data, smtp.Addr, "-review", "Beleid=beleidsteam")
	anna, rita, bob, carol := signInAs(t, srv, "anna"), signInAs(t, srv, "rita"), signInAs(t, srv, "bob"), signInAs(t, srv, "carol")
	next := func() *smtptest.Mail { t.Helper(); return smtp.Next(t, 30*time.Second) }
	carol.post("/-/watch/Marker", url.Values{"action": {"follow"}})
	marker := func(what string) {
		t.Helper()
		bob.edit("Marker", "Marker "+what+"\n", "Marker")
		if m := next(); m.To != "carol@gemeente.example" || !strings.Contains(m.Text, "Marker "+what) {
			t.Fatalf("%s: the next mail went to %s: %s\n%s", what, m.To, m.Subject, m.Text)
		}
	}
	// The reviewer writes the page directly.
	rita.edit("Beleid/Wmo", "# Wmo\n\nDe termijn is zes weken.\n", "Eerste versie")
	marker("after rita's save")

	propose := func(text string) string {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"content": text, "base": anna.revision("Beleid/Wmo"), "message": "Termijn verlengd"})
		code, out := anna.api("PUT", "/-/api/pages/Beleid/Wmo", string(body))
		var res struct {
			Proposal struct{ ID string } `json:"proposal"`
		}
		if code != http.StatusAccepted || json.Unmarshal([]byte(out), &res) != nil || res.Proposal.ID == "" {
			t.Fatalf("anna's save in the review folder: %d %s", code, out)
		}
		return res.Proposal.ID
	}
	id := propose("# Wmo\n\nDe termijn is acht weken.\n")
	m := next()
	link := mailBase + "/-/proposals/" + id
	if m.To != "rita@gemeente.example" || m.Subject != "Voorstel voor Beleid/Wmo van Anna de Vries: graag je beoordeling" ||
		!strings.Contains(m.Text, "Samenvatting: Termijn verlengd") || !strings.Contains(m.Text, link) {
		t.Fatalf("the proposal's mail to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	if code, body := rita.get(strings.TrimPrefix(link, mailBase)); code != 200 || !strings.Contains(body, "Termijn verlengd") {
		t.Errorf("the link to the proposal: %d", code)
	}
	marker("after the proposal")

	// Rita approves with a comment and publishes: anna hears of both.
	if code, body := rita.post("/-/proposals/"+id+"/review", url.Values{"verdict": {"approve"}, "comment": {"Akkoord <zo>."}}); code != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", code, body)
	}
	if m := next(); m.To != "anna@gemeente.example" || m.Subject != "Je voorstel voor Beleid/Wmo is goedgekeurd door Rita Rood" ||
		!strings.Contains(m.Text, "Akkoord <zo>.") || !strings.Contains(m.HTML, "Akkoord &lt;zo&gt;.") {
		t.Fatalf("the approval's mail to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	if code, body := rita.post("/-/proposals/"+id+"/publish", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("publish: %d\n%s", code, body)
	}
	if m := next(); m.To != "anna@gemeente.example" || m.Subject != "Je voorstel voor Beleid/Wmo is gepubliceerd door Rita Rood" {
		t.Fatalf("the publication's mail to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	marker("after the publication")

	// A comment in the page's discussion: carol follows the page, anna
	// is mentioned, bob writes it.
	carol.post("/-/watch/Beleid/Wmo", url.Values{"action": {"follow"}})
	if code, body := bob.post("/-/talk/Beleid/Wmo", url.Values{"text": {"Goed zo, @anna. <script>alert(1)</script>"}}); code != http.StatusSeeOther {
		t.Fatalf("comment: %d\n%s", code, body)
	}
	got := map[string]*smtptest.Mail{}
	for range 2 {
		m := next()
		got[m.To] = m
	}
	if m := got["carol@gemeente.example"]; m == nil || m.Subject != "Nieuwe opmerking in het overleg over Beleid/Wmo van Bob Bakker" ||
		!strings.Contains(m.Text, mailBase+"/-/talk/Beleid/Wmo#c-") || strings.Contains(m.HTML, "<script>") {
		t.Fatalf("the follower's mail: %+v", m)
	}
	if m := got["anna@gemeente.example"]; m == nil || m.Subject != "Bob Bakker noemde je op Beleid/Wmo" {
		t.Fatalf("the mention's mail: %+v", m)
	}
	marker("after the comment")

	// Rita stops review mail with the one-click link of a review mail.
	id = propose("# Wmo\n\nDe termijn is negen weken.\n")
	m = next()
	lu := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	if m.To != "rita@gemeente.example" || !strings.HasPrefix(lu, mailBase+"/-/unsubscribe?t=") {
		t.Fatalf("mail to %s, List-Unsubscribe %q", m.To, lu)
	}
	resp, err := http.Get(srv + strings.TrimPrefix(lu, mailBase))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "geen mail meer over voorstellen en beoordelingen als je hieronder bevestigt") {
		t.Fatalf("the unsubscribe page of review mail: %d\n%s", resp.StatusCode, body)
	}
	resp, err = http.Post(srv+strings.TrimPrefix(lu, mailBase), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %d", resp.StatusCode)
	}
	if code, body := anna.post("/-/proposals/"+id+"/withdraw", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("withdraw: %d\n%s", code, body)
	}
	propose("# Wmo\n\nDe termijn is tien weken.\n")
	marker("after rita stopped review mail")

	// On her watchlist she switches it on again.
	if _, body := rita.get("/-/watchlist"); !strings.Contains(body, `value="revmail-on"`) {
		t.Fatalf("the watchlist offers no switch to turn review mail on:\n%s", body)
	}
	if code, _ := rita.post("/-/watch/rita", url.Values{"action": {"revmail-on"}}); code != http.StatusSeeOther {
		t.Fatalf("review mail on: %d", code)
	}
	body2, _ := json.Marshal(map[string]string{"content": "# Wmo\n\nElf weken.\n", "message": "Elf"})
	if code, out := anna.api("POST", "/-/api/proposals", strings.Replace(string(body2), "{", `{"page":"Beleid/Wmo","base":"`+anna.revision("Beleid/Wmo")+`",`, 1)); code != http.StatusCreated {
		t.Fatalf("propose through the API: %d %s", code, out)
	}
	if m := next(); m.To != "rita@gemeente.example" {
		t.Fatalf("with review mail on again: mail to %s: %q", m.To, m.Subject)
	}

	// A proposal pushed with git, to refs/for/main, mails the reviewer
	// as one from the web does.
	if _, err := exec.LookPath("git"); err != nil {
		t.Log("git is not installed: the push is not tried")
		return
	}
	work := t.TempDir()
	remote, _ := url.Parse(srv + "/wiki.git")
	remote.User = url.UserPassword("bob", bobToken)
	if out, err := gitAs(t, work, "clone", remote.String(), "wiki"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "wiki")
	if err := os.WriteFile(filepath.Join(clone, "Beleid", "Wmo.md"), []byte("# Wmo\n\nUit git.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, clone, "commit", "-am", "Voorstel uit git")
	if out, err := gitAs(t, clone, "push", "origin", "HEAD:refs/for/main"); err != nil {
		t.Fatalf("push to refs/for/main: %v\n%s", err, out)
	}
	if m := next(); m.To != "rita@gemeente.example" || !strings.HasPrefix(m.Subject, "Voorstel voor Beleid/Wmo van ") || !strings.Contains(m.Text, "Voorstel uit git") {
		t.Fatalf("the pushed proposal: mail to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	marker("after the pushed proposal")
}
