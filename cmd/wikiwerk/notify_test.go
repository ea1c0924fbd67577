package main

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/internal/smtptest"
	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/notify"
	"github.com/wikiwerk/wikiwerk/storage/accounts"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// mailBase is the -base-url of the notification tests: links in mail
// start with it, and the test follows them on the real address.
const mailBase = "https://wiki.gemeente.example"

// startWithMail runs Main in this process with mail to smtpAddr (and
// the extra flags) until the test ends.
func startWithMail(t *testing.T, data, smtpAddr string, extra ...string) string {
	t.Helper()
	pr, pw := io.Pipe()
	m := NewMain(pw)
	args := append([]string{"-addr", "127.0.0.1:0", "-data", data, "-memory-limit", "0",
		"-smtp-addr", smtpAddr, "-smtp-tls", "none", "-mail-from", "Wiki <wiki@gemeente.example>", "-base-url", mailBase}, extra...)
	if err := m.ParseFlags(args, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx)
		pw.Close()
	}()
	found := make(chan string, 1)
	logsDone := make(chan struct{})
	var logs strings.Builder
	go func() {
		defer close(logsDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := runningRe.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var u string
	select {
	case u = <-found:
	case err := <-done:
		cancel()
		<-logsDone
		t.Fatalf("the server stopped before listening: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		<-logsDone
	})
	return u
}

// person is a signed-in browser.
type person struct {
	t      *testing.T
	base   string
	client *http.Client
	token  string
}

func signInAs(t *testing.T, base, name string) *person {
	t.Helper()
	client, code := signIn(t, base, name, name+"s wachtwoord is lang")
	if code != http.StatusSeeOther {
		t.Fatalf("%s signs in: %d", name, code)
	}
	p := &person{t: t, base: base, client: client}
	p.token = p.csrf("/Home")
	return p
}

// csrf reads the CSRF token of a page.
func (p *person) csrf(path string) string {
	p.t.Helper()
	_, body := p.get(path)
	m := regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`).FindStringSubmatch(body)
	if m == nil {
		p.t.Fatalf("no CSRF token on %s", path)
	}
	return html.UnescapeString(m[1])
}

func (p *person) get(path string) (int, string) {
	p.t.Helper()
	resp, err := p.client.Get(p.base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *person) post(path string, form url.Values) (int, string) {
	p.t.Helper()
	form.Set("csrf_token", p.token)
	resp, err := p.client.PostForm(p.base+path, form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// revision is the page's current revision, "" when it does not exist.
func (p *person) revision(page string) string {
	p.t.Helper()
	code, body := p.get("/-/api/pages/" + (&url.URL{Path: page}).EscapedPath())
	if code == http.StatusNotFound {
		return ""
	}
	var out struct{ Revision string }
	if err := json.Unmarshal([]byte(body), &out); err != nil || code != 200 {
		p.t.Fatalf("page %s: %d %s", page, code, body)
	}
	return out.Revision
}

// edit saves a page through the web editor.
func (p *person) edit(page, content, summary string) {
	p.t.Helper()
	code, body := p.post("/-/edit/"+(&url.URL{Path: page}).EscapedPath(),
		url.Values{"content": {content}, "base": {p.revision(page)}, "message": {summary}})
	if code != http.StatusSeeOther {
		p.t.Fatalf("edit %s: %d\n%s", page, code, body)
	}
}

// TestNotificationMail runs the server with mail to a real SMTP server:
// anna follows a page; a web edit by bob and a git push by someone else
// each deliver one mail with the changed lines and a link to that
// difference, and so does a merge pushed through git; her own edit sends nothing; a mention mails the person
// mentioned; the unsubscribe link (page and button, and the one-click
// POST of mail programs) stops the mail.
func TestNotificationMail(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	smtp := smtptest.Start(t, "")
	data := t.TempDir()
	store, err := accounts.OpenWith(accounts.PathIn(data), accounts.Options{Hash: accounts.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []wiki.User{
		{Name: "anna", DisplayName: "Anna de Vries", Email: "anna@gemeente.example", Role: wiki.RoleEditor},
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
	srv := startWithMail(t, data, smtp.Addr)
	anna, bob, carol := signInAs(t, srv, "anna"), signInAs(t, srv, "bob"), signInAs(t, srv, "carol")
	next := func() *smtptest.Mail { t.Helper(); return smtp.Next(t, 30*time.Second) }
	// marker: a change only carol hears of, expected as the next mail,
	// so that no other mail came before it.
	carol.post("/-/watch/Marker", url.Values{"action": {"follow"}})
	markers := 0
	marker := func(what string) {
		t.Helper()
		markers++
		bob.edit("Marker", "Marker "+what+"\n", "Marker")
		if m := next(); m.To != "carol@gemeente.example" || !strings.Contains(m.Text, "Marker "+what) {
			t.Fatalf("%s: the next mail went to %s: %s\n%s", what, m.To, m.Subject, m.Text)
		}
	}

	code, _ := anna.post("/-/watch/Beleid/Wmo", url.Values{"action": {"follow"}, "mode": {"immediately"}, "next": {"/Beleid/Wmo"}})
	if code != http.StatusSeeOther {
		t.Fatalf("follow: %d", code)
	}
	bob.edit("Beleid/Wmo", "# Wmo\n\nDe termijn is zes weken.\nMeer tekst.\n", "Eerste versie")
	if m := next(); m.To != "anna@gemeente.example" || m.Subject != "Beleid/Wmo aangemaakt door Bob Bakker" {
		t.Fatalf("mail to %s: %q", m.To, m.Subject)
	}
	from := anna.revision("Beleid/Wmo")
	bob.edit("Beleid/Wmo", "# Wmo\n\nDe termijn is acht weken.\nMeer tekst.\n", "Termijn verlengd")
	to := anna.revision("Beleid/Wmo")
	m := next()
	if m.To != "anna@gemeente.example" || m.Subject != "Beleid/Wmo gewijzigd door Bob Bakker" {
		t.Fatalf("mail to %s: %q", m.To, m.Subject)
	}
	for _, want := range []string{"-De termijn is zes weken.\n", "+De termijn is acht weken.\n", "Termijn verlengd",
		mailBase + "/-/diff/Beleid/Wmo?from=" + from + "&to=" + to} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the mail lacks %q:\n%s", want, m.Text)
		}
	}
	// The link in the mail shows exactly that difference.
	if code, body := anna.get(strings.TrimPrefix(regexp.MustCompile(regexp.QuoteMeta(mailBase)+`/-/diff/\S+`).FindString(m.Text), mailBase)); code != 200 || !strings.Contains(body, "acht") {
		t.Errorf("the diff link: %d", code)
	}
	marker("after the web edit")

	// A push through git, by bob's token, authored by Greet.
	work := t.TempDir()
	remote, _ := url.Parse(srv + "/wiki.git")
	remote.User = url.UserPassword("bob", bobToken)
	if out, err := gitAs(t, work, "clone", remote.String(), "wiki"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	clone := filepath.Join(work, "wiki")
	if err := os.WriteFile(filepath.Join(clone, "Beleid", "Wmo.md"), []byte("# Wmo\n\nDe termijn is acht weken.\nMeer tekst.\nUit git erbij.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, clone, "commit", "-am", "Regel uit git")
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	m = next()
	if m.To != "anna@gemeente.example" || m.Subject != "Beleid/Wmo gewijzigd door Greet Git" ||
		!strings.Contains(m.Text, "+Uit git erbij.\n") || !strings.Contains(m.Text, "Regel uit git") ||
		!strings.Contains(m.Text, mailBase+"/-/diff/Beleid/Wmo?from="+to+"&to=") {
		t.Fatalf("mail for the push to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	marker("after the push")

	// A merge pushed through git: a side branch changes the followed
	// page while main changes another; the branch's commit is told
	// once, and the merge itself, which adds nothing of its own, not.
	if out, err := gitAs(t, clone, "pull", "--ff-only"); err != nil {
		t.Fatalf("pull: %v\n%s", err, out)
	}
	gitAs(t, clone, "checkout", "-b", "zijtak")
	os.WriteFile(filepath.Join(clone, "Beleid", "Wmo.md"), []byte("# Wmo\n\nDe termijn is acht weken.\nMeer tekst.\nUit git erbij.\nUit de zijtak.\n"), 0o644)
	gitAs(t, clone, "commit", "-am", "Zijtak")
	gitAs(t, clone, "checkout", "main")
	os.WriteFile(filepath.Join(clone, "Ander werk.md"), []byte("Iets anders.\n"), 0o644)
	gitAs(t, clone, "add", ".")
	gitAs(t, clone, "commit", "-m", "Ander werk")
	if out, err := gitAs(t, clone, "merge", "--no-ff", "-m", "Merge zijtak", "zijtak"); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	if out, err := gitAs(t, clone, "push", "origin", "main"); err != nil {
		t.Fatalf("push the merge: %v\n%s", err, out)
	}
	if m := next(); m.To != "anna@gemeente.example" || !strings.Contains(m.Text, "+Uit de zijtak.\n") || !strings.Contains(m.Text, "Samenvatting: Zijtak") {
		t.Fatalf("mail for the merge to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	marker("after the merge")

	// Anna's own edit mails nobody.
	anna.edit("Beleid/Wmo", "# Wmo\n\nAnna schrijft zelf.\n", "Zelf")
	marker("after anna's own edit")

	// A mention mails the person named, who follows nothing.
	anna.edit("Overleg", "Vraag aan @carol: klopt dit?\n", "Vraag")
	if m := next(); m.To != "carol@gemeente.example" || m.Subject != "Anna de Vries noemde je op Overleg" {
		t.Fatalf("mention: mail to %s: %q", m.To, m.Subject)
	}

	// The unsubscribe link of a mail: its page, then its button,
	// without signing in.
	bob.edit("Beleid/Wmo", "# Wmo\n\nBob weer.\n", "Bob weer")
	m = next()
	link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	path := strings.TrimPrefix(link, mailBase)
	if path == link || !strings.Contains(m.Text, link) {
		t.Fatalf("unsubscribe link %q", link)
	}
	resp, err := http.Get(srv + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Beleid/Wmo") || !strings.Contains(string(body), `<button type="submit">Stop deze mail</button>`) {
		t.Fatalf("unsubscribe page: %d\n%s", resp.StatusCode, body)
	}
	tok := html.UnescapeString(regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(string(body))[1])
	resp, err = http.PostForm(srv+"/-/unsubscribe", url.Values{"t": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "je volgt Beleid/Wmo niet meer") {
		t.Fatalf("unsubscribe: %d\n%s", resp.StatusCode, body)
	}
	bob.edit("Beleid/Wmo", "# Wmo\n\nNa afmelden.\n", "Na afmelden")
	marker("after unsubscribing")

	// Following again, and the one-click POST a mail program makes
	// (RFC 8058): no cookie, no CSRF token.
	anna.post("/-/watch/Beleid/", url.Values{"action": {"follow"}})
	bob.edit("Beleid/Wmo", "# Wmo\n\nIn de map.\n", "Via de map")
	m = next()
	if m.To != "anna@gemeente.example" || !strings.Contains(m.Text, "de map Beleid/") {
		t.Fatalf("folder follow: mail to %s:\n%s", m.To, m.Text)
	}
	link = strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	resp, err = http.Post(srv+strings.TrimPrefix(link, mailBase), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %d", resp.StatusCode)
	}
	bob.edit("Beleid/Wmo", "# Wmo\n\nNa de one-click.\n", "Na one-click")
	marker("after one-click unsubscribe")

	// A link that was tampered with is refused, in Dutch.
	resp, err = http.Get(srv + "/-/unsubscribe?t=" + url.QueryEscape(tok+"x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Deze afmeldlink klopt niet") {
		t.Errorf("tampered link: %d\n%s", resp.StatusCode, body)
	}
	// An expired link, signed with the key the server derives from
	// DATA/csrf.key, is refused with 410 and changes nothing, in the
	// reader's language.
	anna.post("/-/watch/Beleid/Wmo", url.Values{"action": {"follow"}})
	serverKey, err := os.ReadFile(filepath.Join(data, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := mail.SignUnsubscribe(notify.UnsubscribeKey(serverKey), mail.Unsubscribe{Recipient: "anna@gemeente.example",
		Topic: notify.Topic{Kind: notify.TopicFollow, User: "anna", Target: "Beleid/Wmo"}.String(), Expires: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"nl", "en"} {
		req, _ := http.NewRequest("POST", srv+"/-/unsubscribe?t="+url.QueryEscape(expired), strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := map[string]string{"nl": "Deze afmeldlink is verlopen", "en": "This unsubscribe link has expired"}[lang]
		if resp.StatusCode != http.StatusGone || !strings.Contains(string(body), want) {
			t.Errorf("expired link (%s): %d\n%s", lang, resp.StatusCode, body)
		}
	}
	if _, body := anna.get("/-/api/watch"); !strings.Contains(body, `"Beleid/Wmo"`) {
		t.Errorf("an expired link stopped the follow: %s", body)
	}
}
