package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// proposeByEditor has anna save Beleid/Visie in the editor: in a review
// folder her save becomes a proposal. It returns the proposal's id.
func proposeByEditor(t *testing.T, aw *authWiki, anna *browser, content, message string) string {
	t.Helper()
	code, body, _ := anna.get("/-/edit/Beleid/Visie")
	if code != http.StatusOK {
		t.Fatalf("edit form: %d", code)
	}
	if !strings.Contains(body, "worden eerst beoordeeld") || !strings.Contains(body, `value="propose"`) || strings.Contains(body, `value="save"`) {
		t.Fatalf("the editor does not say the save becomes a proposal:\n%s", body)
	}
	head := aw.head()
	code, _, hdr := anna.post("/-/edit/Beleid/Visie", url.Values{"content": {content}, "base": {aw.revision("Beleid/Visie")}, "message": {message}, "action": {"propose"}})
	m := proposalLink.FindStringSubmatch(hdr.Get("Location"))
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("propose: %d %q", code, hdr.Get("Location"))
	}
	if aw.head() != head {
		t.Fatal("a proposal moved main")
	}
	return m[1]
}

// TestProposalReviewAndPublish: anna proposes (HTML), dirk asks for
// changes (HTML), anna updates (HTML editor), dirk approves (API) and
// publishes (HTML). Anna's commits keep her as author, the merge names
// proposer and approver, and the page history shows both.
func TestProposalReviewAndPublish(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	anna, dirk := aw.signedIn("anna"), aw.signedIn("dirk")
	before := aw.head()
	id := proposeByEditor(t, aw, anna, "# Visie\n\nEen\n\nTwee, aangevuld\n\nDrie\n", "Twee aangevuld")

	code, body, _ := dirk.get("/-/proposals/" + id)
	if code != http.StatusOK || !strings.Contains(body, "aangevuld") || !strings.Contains(body, `value="approve"`) {
		t.Fatalf("dirk sees no proposal to review: %d\n%s", code, body)
	}
	for _, view := range []string{"split", "rendered"} {
		if code, body, _ := dirk.get("/-/proposals/" + id + "?view=" + view); code != http.StatusOK || !strings.Contains(body, "aangevuld") {
			t.Fatalf("view %s: %d", view, code)
		}
	}
	code, _, hdr := dirk.post("/-/proposals/"+id+"/review", url.Values{"verdict": {"changes"}, "comment": {"Graag ook drie"}})
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "done=changes") {
		t.Fatalf("request changes: %d %s", code, hdr.Get("Location"))
	}
	if p := anna.proposalOf(id); p.Status != "changes-requested" || len(p.Reviews) != 1 || p.Reviews[0].Comment != "Graag ook drie" {
		t.Fatalf("after the request: %+v", p)
	}

	// Anna changes her proposal in the editor.
	code, body, _ = anna.get("/-/edit/Beleid/Visie?proposal=" + id)
	if code != http.StatusOK || !strings.Contains(body, "Twee, aangevuld") || !strings.Contains(body, `name="proposal" value="`+id+`"`) {
		t.Fatalf("anna's proposal in the editor: %d\n%s", code, body)
	}
	code, _, hdr = anna.post("/-/edit/Beleid/Visie", url.Values{"content": {"# Visie\n\nEen\n\nTwee, aangevuld\n\nDrie, ook\n"}, "proposal": {id}, "message": {"Drie ook"}, "action": {"propose"}})
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "done=updated") {
		t.Fatalf("update: %d %s", code, hdr.Get("Location"))
	}
	if p := anna.proposalOf(id); p.Status != "open" || !strings.Contains(p.Diff, "+Drie, ook") {
		t.Fatalf("after the update: %+v", p)
	}
	// Bram only reads: he sees the proposal but may not review it.
	bram := aw.signedIn("bram")
	if code, body, _ := bram.get("/-/proposals/" + id); code != http.StatusOK || strings.Contains(body, `value="approve"`) {
		t.Fatalf("bram: %d, review form shown: %v", code, strings.Contains(body, `value="approve"`))
	}
	if code, _, _ := bram.api("POST", "/-/api/proposals/"+id+"/review", `{"verdict":"approve"}`); code != http.StatusForbidden {
		t.Fatalf("bram approved: %d", code)
	}
	code, body, _ = dirk.api("POST", "/-/api/proposals/"+id+"/review", `{"verdict":"approve","comment":"Akkoord"}`)
	if code != http.StatusOK || !strings.Contains(body, `"status":"approved"`) {
		t.Fatalf("approve: %d %s", code, body)
	}
	if aw.head() != before {
		t.Fatal("an approval moved main")
	}
	code, _, hdr = dirk.post("/-/proposals/"+id+"/publish", url.Values{})
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "done=published") {
		t.Fatalf("publish: %d %s", code, hdr.Get("Location"))
	}
	if got := aw.pageText("Beleid/Visie"); got != "# Visie\n\nEen\n\nTwee, aangevuld\n\nDrie, ook\n" {
		t.Fatalf("published text: %q", got)
	}
	p := anna.proposalOf(id)
	if p.Status != "merged" || p.Merged != aw.head() {
		t.Fatalf("after publishing: %+v (head %s)", p, aw.head())
	}
	merge, err := aw.repo.Revision(context.Background(), aw.head())
	if err != nil {
		t.Fatal(err)
	}
	if merge.Parent != before || merge.Author.Name != "Dirk Bakker" ||
		!strings.Contains(merge.Message, "Proposed-by: Anna de Vries <anna@example.nl>") || !strings.Contains(merge.Message, "Approved-by: Dirk Bakker <dirk@example.nl>") {
		t.Fatalf("merge commit: %+v", merge)
	}
	hist, err := aw.repo.History(context.Background(), "Beleid/Visie", wiki.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var authors []string
	for _, h := range hist {
		authors = append(authors, h.Author.Name)
	}
	if len(hist) != 4 || authors[0] != "Dirk Bakker" || authors[1] != "Anna de Vries" || authors[2] != "Anna de Vries" {
		t.Fatalf("history of the page: %v", authors)
	}
	if code, body, _ := anna.get("/-/history/Beleid/Visie"); code != http.StatusOK || !strings.Contains(body, "Publish proposal "+id) {
		t.Fatalf("history page: %d", code)
	}
	aw.fsck()
}

// TestSaveInReviewFolderBecomesProposal: the API's PUT by a non-reviewer
// answers 202 with the proposal, and main stays; a reviewer's PUT saves.
func TestSaveInReviewFolderBecomesProposal(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	anna, dirk := aw.signedIn("anna"), aw.signedIn("dirk")
	head := aw.head()
	code, body, _ := anna.api("PUT", "/-/api/pages/Beleid/Visie", jsonBody(map[string]any{"content": "Nieuwe visie\n", "base": aw.revision("Beleid/Visie")}))
	if code != http.StatusAccepted || !strings.Contains(body, `"proposal":{"id":"`) {
		t.Fatalf("PUT by anna: %d %s", code, body)
	}
	if aw.head() != head || aw.pageText("Beleid/Visie") == "Nieuwe visie\n" {
		t.Fatal("anna's save changed main")
	}
	// The look-alike of the folder is reviewed too.
	if code, body, _ := anna.api("PUT", "/-/api/pages/beleid/Nieuw", jsonBody(map[string]any{"content": "x\n"})); code != http.StatusAccepted {
		t.Fatalf("PUT of a case twin: %d %s", code, body)
	}
	// Outside the folder anna saves as always.
	if code, _, _ := anna.api("PUT", "/-/api/pages/WMO-loket/Ontwerp", jsonBody(map[string]any{"content": "Anders\n", "base": aw.revision("WMO-loket/Ontwerp")})); code != http.StatusOK {
		t.Fatalf("PUT outside the folder: %d", code)
	}
	if code, body, _ := dirk.api("PUT", "/-/api/pages/Beleid/Visie", jsonBody(map[string]any{"content": "Dirks visie\n", "base": aw.revision("Beleid/Visie")})); code != http.StatusOK {
		t.Fatalf("PUT by the reviewer: %d %s", code, body)
	}
	if aw.pageText("Beleid/Visie") != "Dirks visie\n" {
		t.Fatal("the reviewer's save did not reach main")
	}
	// Deleting is refused to anna: it cannot be proposed.
	if code, _, _ := anna.api("DELETE", "/-/api/pages/Beleid/Visie?base="+aw.revision("Beleid/Visie"), ""); code != http.StatusForbidden {
		t.Fatalf("anna deleted in a review folder: %d", code)
	}
	var list struct {
		Proposals []proposalView `json:"proposals"`
	}
	code, body, _ = anna.api("GET", "/-/api/proposals?status=open", "")
	if code != http.StatusOK || jsonInto(t, body, &list) != 2 {
		t.Fatalf("open proposals: %d %s", code, body)
	}
	if code, body, _ := anna.get("/-/proposals?status=open&page=Beleid&author=anna"); code != http.StatusOK || strings.Count(body, `<td><a href="/-/proposals/`) != 2 {
		t.Fatalf("list filtered to Beleid: %d\n%s", code, body)
	}
}

// TestSelfApprovalRefused: dirk, a reviewer, proposes a change himself;
// he may not approve it (403), carla may.
func TestSelfApprovalRefused(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	dirk, carla := aw.signedIn("dirk"), aw.signedIn("carla")
	code, body, _ := dirk.api("POST", "/-/api/proposals", jsonBody(map[string]any{"page": "Beleid/Visie", "content": "Dirk stelt voor\n", "base": aw.revision("Beleid/Visie"), "message": "Voorstel van Dirk"}))
	if code != http.StatusCreated {
		t.Fatalf("propose: %d %s", code, body)
	}
	var p proposalView
	jsonInto(t, body, &p)
	if p.Status != "open" || p.Branch != "refs/heads/voorstel/"+p.ID {
		t.Fatalf("new proposal: %+v", p)
	}
	code, body, _ = dirk.api("POST", "/-/api/proposals/"+p.ID+"/review", `{"verdict":"approve"}`)
	if code != http.StatusForbidden || !strings.Contains(body, "own proposal") {
		t.Fatalf("self-approval: %d %s", code, body)
	}
	if _, body, _ := dirk.get("/-/proposals/" + p.ID); strings.Contains(body, `value="approve"`) {
		t.Fatal("dirk is offered to approve his own proposal")
	}
	if code, body, _ := dirk.api("POST", "/-/api/proposals/"+p.ID+"/merge", "{}"); code != http.StatusBadRequest {
		t.Fatalf("publishing without approval: %d %s", code, body)
	}
	// The proposal's discussion, rendered safely.
	if code, _, hdr := carla.post("/-/proposals/"+p.ID+"/comment", url.Values{"text": {"Waarom **nu**? <script>alert(1)</script>"}}); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "commented") {
		t.Fatalf("comment on the proposal: %d", code)
	}
	if code, body, _ := dirk.api("POST", "/-/api/proposals/"+p.ID+"/comments", `{"text":"Omdat het moet."}`); code != http.StatusCreated || strings.Count(body, `"html":`) != 2 {
		t.Fatalf("comment through the API: %d %s", code, body)
	}
	if _, body, _ := dirk.get("/-/proposals/" + p.ID); !strings.Contains(body, "Waarom <strong>nu</strong>?") || strings.Contains(body, "<script>alert") || !strings.Contains(body, "Omdat het moet.") {
		t.Fatalf("the proposal's discussion:\n%s", body)
	}
	if code, _, _ := carla.api("POST", "/-/api/proposals/"+p.ID+"/review", `{"verdict":"approve"}`); code != http.StatusOK {
		t.Fatalf("carla approves: %d", code)
	}
	code, body, _ = dirk.api("POST", "/-/api/proposals/"+p.ID+"/merge", "{}")
	if code != http.StatusOK || !strings.Contains(body, `"revision":"`+aw.head()+`"`) {
		t.Fatalf("merge: %d %s", code, body)
	}
	if aw.pageText("Beleid/Visie") != "Dirk stelt voor\n" {
		t.Fatal("not published")
	}
}

// TestWithdrawAndRejectLeaveMain: neither touches main.
func TestWithdrawAndRejectLeaveMain(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	anna, dirk := aw.signedIn("anna"), aw.signedIn("dirk")
	head, text := aw.head(), aw.pageText("Beleid/Visie")
	one := proposeByEditor(t, aw, anna, "Eerste voorstel\n", "een")
	// A form that says "save" (an old tab, a script) proposes all the same.
	code, _, hdr := anna.post("/-/edit/Beleid/Visie", url.Values{"content": {"Tweede voorstel\n"}, "base": {aw.revision("Beleid/Visie")}, "message": {"twee"}, "action": {"save"}})
	m := proposalLink.FindStringSubmatch(hdr.Get("Location"))
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("save in a review folder: %d %q", code, hdr.Get("Location"))
	}
	two := m[1]
	if code, _, hdr := anna.post("/-/proposals/"+one+"/withdraw", url.Values{}); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "withdrawn") {
		t.Fatalf("withdraw: %d", code)
	}
	if code, _, _ := dirk.post("/-/proposals/"+two+"/withdraw", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("dirk withdrew anna's proposal: %d", code)
	}
	if code, _, _ := dirk.post("/-/proposals/"+two+"/review", url.Values{"verdict": {"reject"}, "comment": {"Nee"}}); code != http.StatusSeeOther {
		t.Fatalf("reject: %d", code)
	}
	if p := anna.proposalOf(one); p.Status != "withdrawn" {
		t.Fatalf("one: %s", p.Status)
	}
	if p := anna.proposalOf(two); p.Status != "rejected" {
		t.Fatalf("two: %s", p.Status)
	}
	if code, _, _ := dirk.api("POST", "/-/api/proposals/"+two+"/review", `{"verdict":"approve"}`); code != http.StatusBadRequest {
		t.Fatalf("approving a rejected proposal: %d", code)
	}
	if aw.head() != head || aw.pageText("Beleid/Visie") != text {
		t.Fatal("withdrawing or rejecting changed main")
	}
	aw.fsck()
}

// TestProposalConflictResolvedThenPublished: main changes the same line
// after the proposal; publishing shows the conflict, dirk resolves it
// hunk by hunk and then publishes.
func TestProposalConflictResolvedThenPublished(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	anna, dirk := aw.signedIn("anna"), aw.signedIn("dirk")
	id := proposeByEditor(t, aw, anna, "# Visie\n\nEen\n\nTwee van Anna\n\nDrie\n", "Anna")
	// Dirk saves on main, the same line and another one.
	if code, _, _ := dirk.api("PUT", "/-/api/pages/Beleid/Visie", jsonBody(map[string]any{"content": "# Visie\n\nEen van Dirk\n\nTwee van Dirk\n\nDrie\n", "base": aw.revision("Beleid/Visie")})); code != http.StatusOK {
		t.Fatalf("dirk's save: %d", code)
	}
	if code, _, _ := dirk.api("POST", "/-/api/proposals/"+id+"/review", `{"verdict":"approve"}`); code != http.StatusOK {
		t.Fatalf("approve: %d", code)
	}
	head := aw.head()
	code, body, _ := dirk.api("POST", "/-/api/proposals/"+id+"/merge", "{}")
	if code != http.StatusConflict || !strings.Contains(body, `"conflicts":[{`) {
		t.Fatalf("API merge of a conflict: %d %s", code, body)
	}
	code, body, _ = dirk.post("/-/proposals/"+id+"/publish", url.Values{})
	if code != http.StatusConflict || !strings.Contains(body, `action="/-/proposals/`+id+`/resolve"`) || !strings.Contains(body, "Twee van Dirk") {
		t.Fatalf("publish with a conflict: %d\n%s", code, body)
	}
	if aw.head() != head {
		t.Fatal("a conflicting publish moved main")
	}
	form := resolveForm(t, body)
	code, _, hdr := dirk.post("/-/proposals/"+id+"/resolve", form)
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "resolved") {
		t.Fatalf("resolve: %d %s", code, hdr.Get("Location"))
	}
	if code, _, _ := dirk.post("/-/proposals/"+id+"/publish", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("publish after resolving: %d", code)
	}
	if got := aw.pageText("Beleid/Visie"); got != "# Visie\n\nEen van Dirk\n\nTwee van Anna\n\nDrie\n" {
		t.Fatalf("published: %q", got)
	}
	aw.fsck()
}

// resolveForm fills in the resolution form of a page as a browser would
// with the default choices (the proposal's side of each conflict).
func resolveForm(t *testing.T, body string) url.Values {
	t.Helper()
	doc := parseHTML(t, body)
	for _, f := range find(doc, "form") {
		if !strings.HasSuffix(attr(f, "action"), "/resolve") {
			continue
		}
		form := url.Values{}
		for _, in := range find(f, "input") {
			switch attr(in, "type") {
			case "radio":
				if _, checked := attrOK(in, "checked"); checked {
					form.Set(attr(in, "name"), attr(in, "value"))
				}
			default:
				if attr(in, "name") != "csrf_token" {
					form.Set(attr(in, "name"), attr(in, "value"))
				}
			}
		}
		for _, ta := range find(f, "textarea") {
			form.Set(attr(ta, "name"), strings.TrimPrefix(text(ta), "\n"))
		}
		return form
	}
	t.Fatal("no resolution form")
	return nil
}

// TestPublishRefusesCaseTwin: a proposed new page whose case twin was
// created on main meanwhile is not published (409), as a save of it
// would not be.
func TestPublishRefusesCaseTwin(t *testing.T) {
	aw := newReviewWiki(t, reviewPolicy())
	anna, dirk := aw.signedIn("anna"), aw.signedIn("dirk")
	code, body, _ := anna.api("POST", "/-/api/proposals", jsonBody(map[string]any{"page": "Beleid/Nieuw", "content": "Nieuw\n"}))
	if code != http.StatusCreated {
		t.Fatalf("propose: %d %s", code, body)
	}
	var p proposalView
	jsonInto(t, body, &p)
	if code, _, _ := dirk.api("PUT", "/-/api/pages/Beleid/NIEUW", jsonBody(map[string]any{"content": "Ander\n"})); code != http.StatusCreated {
		t.Fatalf("dirk's page: %d", code)
	}
	dirk.api("POST", "/-/api/proposals/"+p.ID+"/review", `{"verdict":"approve"}`)
	head := aw.head()
	if code, body, _ := dirk.api("POST", "/-/api/proposals/"+p.ID+"/merge", "{}"); code != http.StatusConflict || !strings.Contains(body, "letter case") {
		t.Fatalf("publishing a case twin: %d %s", code, body)
	}
	if aw.head() != head {
		t.Fatal("main moved")
	}
}
