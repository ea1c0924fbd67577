package wiki_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone database, whatever the machine has

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestCommitMessagesInTheWikisLanguage: what the wiki writes into git
// itself — the message of a save without a summary, of a rename, delete,
// revert and restore, and the name of an anonymous author — is in the
// wiki's language, and old versions are named by date and author (in the
// wiki's time zone), with the short id for git users.
func TestCommitMessagesInTheWikisLanguage(t *testing.T) {
	amsterdam, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang                                                   string
		created, updated, section, renamed, deleted, anonymous string
		revertFormat, moved                                    string
	}{
		{"nl", "Pagina Loket aangemaakt", "Loket bijgewerkt", "Loket bijgewerkt: sectie Aanvraag", "Loket hernoemd naar Balie",
			"Balie verwijderd", "Anoniem", "Loket teruggezet naar de versie van %s door Anna (%s)", "Deze pagina is verplaatst naar [[Balie]]."},
		{"en", "Create Loket", "Update Loket", "Update Loket: section Aanvraag", "Rename Loket to Balie",
			"Delete Balie", "Anonymous", "Revert Loket to the version of %s by Anna (%s)", "This page has moved to [[Balie]]."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ctx := context.Background()
			repo, err := storage.Init(filepath.Join(t.TempDir(), "content.git"), storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			w := wiki.New(repo, wiki.Options{Lang: tc.lang, Location: amsterdam})
			message := func(rev string) string {
				t.Helper()
				r, err := w.Revision(ctx, rev)
				if err != nil {
					t.Fatal(err)
				}
				return r.Message
			}
			v1, err := w.Save(ctx, wiki.Save{Name: "Loket", Content: []byte("# Loket\n\n## Aanvraag\n\neen\n")})
			if err != nil {
				t.Fatal(err)
			}
			if got := message(v1.Revision); got != tc.created {
				t.Errorf("create: %q, want %q", got, tc.created)
			}
			p, _ := w.Page(ctx, "Loket", "")
			if p.Revision.Author.Name != tc.anonymous {
				t.Errorf("anonymous author %q, want %q", p.Revision.Author.Name, tc.anonymous)
			}
			v2, err := w.Save(ctx, wiki.Save{Name: "Loket", Content: []byte("# Loket\n\n## Aanvraag\n\ntwee\n"), Base: v1.Revision, Author: wiki.Author{Name: "Anna"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := message(v2.Revision); got != tc.section {
				t.Errorf("update of a section: %q, want %q", got, tc.section)
			}
			v3, err := w.Save(ctx, wiki.Save{Name: "Loket", Content: []byte("voor de kop\n# Loket\n\n## Aanvraag\n\ntwee\n"), Base: v2.Revision, Author: wiki.Author{Name: "Anna"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := message(v3.Revision); got != tc.updated {
				t.Errorf("update: %q, want %q", got, tc.updated)
			}
			old, err := w.Revision(ctx, v2.Revision)
			if err != nil {
				t.Fatal(err)
			}
			rv, err := w.Revert(ctx, wiki.RevertRequest{Name: "Loket", To: v2.Revision, Base: v3.Revision, Author: wiki.Author{Name: "Bram"}})
			if err != nil {
				t.Fatal(err)
			}
			when := old.Time.In(amsterdam)
			month := map[string][]string{
				"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
				"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
			}[tc.lang][when.Month()-1]
			date := fmt.Sprintf("%d %s %d, %s", when.Day(), month, when.Year(), when.Format("15:04"))
			if got, want := message(rv.Revision), fmt.Sprintf(tc.revertFormat, date, v2.Revision[:8]); got != want {
				t.Errorf("revert: %q, want %q", got, want)
			}
			rn, err := w.Rename(ctx, wiki.Rename{From: "Loket", To: "Balie", Base: rv.Revision, Author: wiki.Author{Name: "Anna"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := message(rn.Revision); got != tc.renamed {
				t.Errorf("rename: %q, want %q", got, tc.renamed)
			}
			if stub, err := w.Page(ctx, "Loket", ""); err != nil || !strings.Contains(string(stub.Content), tc.moved) {
				t.Errorf("the stub at the old name: %q %v, want %q", stub.Content, err, tc.moved)
			}
			del, err := w.Delete(ctx, wiki.DeleteRequest{Name: "Balie", Base: rn.Revision, Author: wiki.Author{Name: "Anna"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := message(del); got != tc.deleted {
				t.Errorf("delete: %q, want %q", got, tc.deleted)
			}
		})
	}
}
