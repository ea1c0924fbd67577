package wiki_test

import (
	"errors"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

const sectionPage = "---\ntitle: T\n## niet in front matter\n---\n" +
	"Inleiding\n\n# Titel\n\n## Doel\n\nDelen.\n\n```\n## geen kop\n```\n\n### Sub\n\nDiep.\n\nSetext\n------\n\nNa setext.\n\n## Slot\nEinde\n"

func TestSections(t *testing.T) {
	secs := wiki.Sections(sectionPage)
	want := []struct {
		level int
		title string
	}{{1, "Titel"}, {2, "Doel"}, {3, "Sub"}, {2, "Setext"}, {2, "Slot"}}
	if len(secs) != len(want) {
		t.Fatalf("sections = %+v", secs)
	}
	for i, w := range want {
		if secs[i].Level != w.level || secs[i].Title != w.title {
			t.Errorf("section %d = %+v, want %+v", i+1, secs[i], w)
		}
	}
	_, doel, err := wiki.SectionText(sectionPage, 2)
	if err != nil || doel != "## Doel\n\nDelen.\n\n```\n## geen kop\n```\n\n### Sub\n\nDiep.\n\n" {
		t.Fatalf("section 2 = %q, %v", doel, err)
	}
	_, slot, _ := wiki.SectionText(sectionPage, 5)
	if slot != "## Slot\nEinde\n" {
		t.Fatalf("section 5 = %q", slot)
	}
	if _, _, err := wiki.SectionText(sectionPage, 6); !errors.Is(err, wiki.ErrNotFound) {
		t.Fatalf("section 6: %v", err)
	}
}

func TestReplaceSection(t *testing.T) {
	got, err := wiki.ReplaceSection(sectionPage, 3, "### Sub\n\nAnders") // no newline: people trim
	if err != nil {
		t.Fatal(err)
	}
	want := "---\ntitle: T\n## niet in front matter\n---\n" +
		"Inleiding\n\n# Titel\n\n## Doel\n\nDelen.\n\n```\n## geen kop\n```\n\n### Sub\n\nAnders\n\nSetext\n------\n\nNa setext.\n\n## Slot\nEinde\n"
	if got != want {
		t.Fatalf("replaced:\n got %q\nwant %q", got, want)
	}
	_, text, _ := wiki.SectionText(sectionPage, 4)
	if same, _ := wiki.ReplaceSection(sectionPage, 4, text); same != sectionPage {
		t.Fatal("putting a section back unchanged changed the page")
	}
}
