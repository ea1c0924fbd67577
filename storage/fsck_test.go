package storage

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// rawObject is an object as a hostile client may write it.
type rawObject struct {
	t    plumbing.ObjectType
	data []byte
}

func (o rawObject) hash() plumbing.Hash { return plumbing.ComputeHash(o.t, o.data) }

func blobObject(s string) rawObject { return rawObject{plumbing.BlobObject, []byte(s)} }

// treeObject builds a tree from mode, name, id triples, in the order
// given.
func treeObject(entries ...string) rawObject {
	var b bytes.Buffer
	for i := 0; i+2 < len(entries); i += 3 {
		fmt.Fprintf(&b, "%s %s\x00", entries[i], entries[i+1])
		h := plumbing.NewHash(entries[i+2])
		b.Write(h[:])
	}
	return rawObject{plumbing.TreeObject, b.Bytes()}
}

// writeLoose writes o into the bare repository dir as a loose object, as
// git hash-object --literally -w does.
func writeLoose(t *testing.T, dir string, o rawObject) {
	t.Helper()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	fmt.Fprintf(zw, "%s %d\x00", o.t, len(o.data))
	zw.Write(o.data)
	zw.Close()
	h := o.hash().String()
	p := filepath.Join(dir, "objects", h[:2], h[2:])
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, z.Bytes(), 0o444); err != nil {
		t.Fatal(err)
	}
}

// gitFsck runs git fsck --strict in dir and returns whether it found the
// repository clean, and what it said.
func gitFsck(t *testing.T, dir string) (bool, string) {
	t.Helper()
	cmd := exec.Command("git", "fsck", "--strict", "--no-dangling", "--no-progress")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_CONFIG_GLOBAL="+filepath.Join(dir, "no-config"))
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return err == nil, string(out)
}

// TestFsckMatchesGit judges each case with fsckObject and with the git
// CLI (git fsck --strict on the same objects, written as they are): the
// verdicts must agree, except where the wiki is stricter than git (wiki:
// true), where git must accept what the wiki refuses (some of these git
// reports as a warning: bad file modes, a symbolic link .gitattributes).
// Where both refuse, git must name the same problem, unless it could not
// even parse the object.
func TestFsckMatchesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	blob := blobObject("tekst\n")
	B := blob.hash().String()
	tree := treeObject("100644", "Home.md", B)
	T := tree.hash().String()
	commitOf := func(headers string) rawObject {
		return rawObject{plumbing.CommitObject, []byte(headers)}
	}
	base := commitOf("tree " + T + "\nauthor Pia <pia@example.nl> 1700000000 +0100\ncommitter Pia <pia@example.nl> 1700000000 +0100\n\nBasis\n")
	C := base.hash().String()
	badURL := blobObject("[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch${IFS}/tmp/pwned\n")
	goodURL := blobObject("[submodule \"x\"]\n\tpath = x\n\turl = https://example.org/x.git\n")
	BAD, GOOD := badURL.hash().String(), goodURL.hash().String()
	ident := "Pia <pia@example.nl> 1700000000 +0100"
	commit := func(author string) rawObject {
		return commitOf("tree " + T + "\nparent " + C + "\nauthor " + author + "\ncommitter " + ident + "\n\nbericht\n")
	}
	tag := func(s string) rawObject { return rawObject{plumbing.TagObject, []byte(s)} }
	tagHead := "object " + C + "\ntype commit\ntag v1\n"

	cases := []struct {
		name string
		obj  rawObject
		// more are objects the case needs besides the common ones.
		more []rawObject
		// refuse is the wiki's verdict; wiki marks a refusal git does
		// not make.
		refuse, wiki bool
		// gitID is the problem git names when it is not the wiki's: the
		// wiki refuses every name git would read submodules from, git
		// the submodule's URL.
		gitID string
	}{
		// Trees.
		{name: "good tree", obj: tree},
		{name: "name of 255 bytes", obj: treeObject("100644", strings.Repeat("a", 251)+".png", B)},
		{name: "name of 256 bytes", obj: treeObject("100644", strings.Repeat("a", 252)+".png", B), refuse: true, wiki: true},
		{name: "executable", obj: treeObject("100755", "run.sh", B)},
		{name: "zero-padded folder mode", obj: treeObject("040000", "map", T), refuse: true},
		{name: "zero-padded file mode", obj: treeObject("0100644", "a.md", B), refuse: true},
		{name: "group-writable mode", obj: treeObject("100664", "a.md", B), refuse: true, wiki: true},
		{name: "mode 100600", obj: treeObject("100600", "a.md", B), refuse: true, wiki: true},
		{name: "symbolic link", obj: treeObject("120000", "Link.md", B), refuse: true, wiki: true},
		{name: "submodule", obj: treeObject("160000", "sub", C), refuse: true, wiki: true},
		{name: "not sorted", obj: treeObject("100644", "b.md", B, "100644", "a.md", B), refuse: true},
		{name: "folder sorts as name/", obj: treeObject("100644", "a.c", B, "40000", "a", T)},
		{name: "folder sorted as a file", obj: treeObject("40000", "a", T, "100644", "a.c", B), refuse: true},
		{name: "duplicate", obj: treeObject("100644", "a.md", B, "100644", "a.md", B), refuse: true},
		{name: "file and folder of one name", obj: treeObject("100644", "a", B, "100644", "a.c", B, "40000", "a", T), refuse: true},
		{name: "empty name", obj: treeObject("100644", "", B), refuse: true},
		{name: "slash in name", obj: treeObject("100644", "a/b.md", B), refuse: true},
		{name: "dot", obj: treeObject("40000", ".", T), refuse: true},
		{name: "dot dot", obj: treeObject("40000", "..", T), refuse: true},
		{name: "null id", obj: treeObject("100644", "a.md", strings.Repeat("0", 40)), refuse: true},
		{name: ".git", obj: treeObject("40000", ".git", T), refuse: true},
		{name: ".GIT", obj: treeObject("40000", ".GIT", T), refuse: true},
		{name: ".git.", obj: treeObject("40000", ".git.", T), refuse: true},
		{name: ".git with trailing space", obj: treeObject("40000", ".git ", T), refuse: true},
		{name: "git~1", obj: treeObject("40000", "git~1", T), refuse: true},
		{name: "GIT~1 file", obj: treeObject("100644", "GIT~1", B), refuse: true},
		{name: "git~1 dots", obj: treeObject("40000", "git~1..", T), refuse: true},
		{name: "git~2", obj: treeObject("40000", "git~2", T), refuse: false},
		{name: ".git alternate stream", obj: treeObject("40000", ".git::$INDEX_ALLOCATION", T), refuse: true},
		{name: "HFS .git with ZWNJ first", obj: treeObject("40000", "\u200c.git", T), refuse: true},
		{name: "HFS .git with ZWJ inside", obj: treeObject("40000", ".g\u200dit", T), refuse: true},
		{name: "HFS .GIT with BOM after", obj: treeObject("40000", ".GIT\ufeff", T), refuse: true},
		{name: "backslash .git", obj: treeObject("100644", `x\.git`, B), refuse: true},
		{name: "backslash git~1", obj: treeObject("100644", `x\git~1\y`, B), refuse: true},
		{name: ".gitmodules, harmless", obj: treeObject("100644", ".gitmodules", GOOD), more: []rawObject{goodURL}, refuse: true, wiki: true},
		{name: ".gitmodules, --upload-pack url", obj: treeObject("100644", ".gitmodules", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: "GITMOD~1, --upload-pack url", obj: treeObject("100644", "GITMOD~1", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: "GITMOD~1, harmless", obj: treeObject("100644", "GITMOD~1", GOOD), more: []rawObject{goodURL}, refuse: true, wiki: true},
		{name: "gitmod~4 dots, --upload-pack url", obj: treeObject("100644", "gitmod~4..", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: "gi7eba~1, --upload-pack url", obj: treeObject("100644", "gi7eba~1", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: "gi7eba~9, --upload-pack url", obj: treeObject("100644", "gi7eba~9", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: ".GITMODULES, --upload-pack url", obj: treeObject("100644", ".GITMODULES", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: ".gitmodules space, --upload-pack url", obj: treeObject("100644", ".gitmodules ", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: ".gitmodules dots, --upload-pack url", obj: treeObject("100644", ".gitmodules..", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: "HFS .gitmodules, --upload-pack url", obj: treeObject("100644", "\u200c.gitmodules", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: "HFS .gitmod\u200eules, --upload-pack url", obj: treeObject("100644", ".gitmod\u200eules", BAD), more: []rawObject{badURL}, refuse: true, gitID: "gitmodulesUrl"},
		{name: ".gitmodules symbolic link", obj: treeObject("120000", ".gitmodules", B), refuse: true},
		{name: "GITMOD~1 symbolic link", obj: treeObject("120000", "GITMOD~1", B), refuse: true},
		{name: ".gitattributes symbolic link", obj: treeObject("120000", ".gitattributes", B), refuse: true, wiki: true},
		{name: "GITATT~1", obj: treeObject("100644", "GITATT~1", B), refuse: true, wiki: true},
		{name: ".gitignore symbolic link", obj: treeObject("120000", ".gitignore", B), refuse: true, wiki: true},
		{name: "MAILMA~1", obj: treeObject("100644", "MAILMA~1", B), refuse: true, wiki: true},
		{name: "hidden file", obj: treeObject("100644", ".hidden", B), refuse: true, wiki: true},
		{name: "Windows character", obj: treeObject("100644", "Bad:Name.md", B), refuse: true, wiki: true},
		{name: "control character", obj: treeObject("100644", "a\x01b.md", B), refuse: true, wiki: true},
		{name: "not NFC", obj: treeObject("100644", "cafe\u0301.md", B), refuse: true, wiki: true},
		{name: "not UTF-8", obj: treeObject("100644", "caf\xe9.md", B), refuse: true, wiki: true},
		{name: "case collision", obj: treeObject("100644", "A.png", B, "100644", "a.png", B), refuse: true, wiki: true},
		{name: "folder and file differ in case", obj: treeObject("40000", "Foo", T, "100644", "foo", B), refuse: true, wiki: true},
		{name: "folder and page differ in case", obj: treeObject("40000", "Foo", T, "100644", "foo.md", B)},
		{name: "Unicode case collision", obj: treeObject("100644", "STRASSE.md", B, "100644", "straße.md", B), refuse: true, wiki: true},

		// Commits.
		{name: "good commit", obj: commit(ident)},
		{name: "root commit, no message", obj: commitOf("tree " + T + "\nauthor " + ident + "\ncommitter " + ident + "\n")},
		{name: "NUL in author name", obj: commit("Pia\x00Pusher <pia@example.nl> 1700000000 +0100"), refuse: true},
		{name: "NUL in message", obj: commitOf("tree " + T + "\nauthor " + ident + "\ncommitter " + ident + "\n\nbericht\x00verborgen\n"), refuse: true},
		{name: "no tree", obj: commitOf("author " + ident + "\ncommitter " + ident + "\n\nx\n"), refuse: true},
		{name: "short tree id", obj: commitOf("tree " + T[:39] + "\nauthor " + ident + "\ncommitter " + ident + "\n\nx\n"), refuse: true},
		{name: "upper-case tree id", obj: commitOf("tree " + strings.ToUpper(T) + "\nauthor " + ident + "\ncommitter " + ident + "\n\nx\n"), refuse: true, wiki: true},
		{name: "bad parent id", obj: commitOf("tree " + T + "\nparent xyz\nauthor " + ident + "\ncommitter " + ident + "\n\nx\n"), refuse: true},
		{name: "no author", obj: commitOf("tree " + T + "\ncommitter " + ident + "\n\nx\n"), refuse: true},
		{name: "two authors", obj: commitOf("tree " + T + "\nauthor " + ident + "\nauthor " + ident + "\ncommitter " + ident + "\n\nx\n"), refuse: true},
		{name: "no committer", obj: commitOf("tree " + T + "\nauthor " + ident + "\n\nx\n"), refuse: true},
		{name: "two committers", obj: commitOf("tree " + T + "\nauthor " + ident + "\ncommitter " + ident + "\ncommitter Eve <e@x> 1 +0000\n\nx\n"), refuse: true, wiki: true},
		{name: "tree line twice", obj: commitOf("tree " + T + "\ntree " + T + "\nauthor " + ident + "\ncommitter " + ident + "\n\nx\n"), refuse: true},
		{name: "unterminated header", obj: commitOf("tree " + T + "\nauthor " + ident + "\ncommitter " + ident), refuse: true},
		{name: "signed", obj: commitOf("tree " + T + "\nauthor " + ident + "\ncommitter " + ident + "\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\nencoding UTF-8\n\nx\n")},
		{name: "no e-mail", obj: commit("Pia 1700000000 +0100"), refuse: true},
		{name: "bad e-mail", obj: commit("Pia <pia@example.nl 1700000000 +0100"), refuse: true},
		{name: "> in name", obj: commit("Pia> <pia@example.nl> 1700000000 +0100"), refuse: true},
		{name: "no space before e-mail", obj: commit("Pia<pia@example.nl> 1700000000 +0100"), refuse: true},
		{name: "no name before e-mail", obj: commit("<pia@example.nl> 1700000000 +0100"), refuse: true},
		{name: "empty name", obj: commit(" <pia@example.nl> 1700000000 +0100"), refuse: true, wiki: true},
		{name: "no date", obj: commit("Pia <pia@example.nl>"), refuse: true},
		{name: "date 0", obj: commit("Pia <pia@example.nl> 0 +0000")},
		{name: "zero-padded date", obj: commit("Pia <pia@example.nl> 01700000000 +0100"), refuse: true},
		{name: "letters for a date", obj: commit("Pia <pia@example.nl> gisteren +0100"), refuse: true},
		{name: "date with a sign", obj: commit("Pia <pia@example.nl> +1700000000 +0100"), refuse: true, wiki: true},
		{name: "date past int64", obj: commit("Pia <pia@example.nl> 99999999999999999999 +0100"), refuse: true},
		{name: "short time zone", obj: commit("Pia <pia@example.nl> 1700000000 +01"), refuse: true},
		{name: "time zone without sign", obj: commit("Pia <pia@example.nl> 1700000000 0100"), refuse: true},
		{name: "long time zone", obj: commit("Pia <pia@example.nl> 1700000000 +01000"), refuse: true},
		{name: "time zone then space", obj: commit("Pia <pia@example.nl> 1700000000 +0100 "), refuse: true},
		{name: "odd but valid time zone", obj: commit("Pia <pia@example.nl> 1700000000 +9999")},

		// Tags.
		{name: "good tag", obj: tag(tagHead + "tagger " + ident + "\n\nVersie 1\n")},
		{name: "tag without tagger", obj: tag(tagHead + "\nVersie 1\n")},
		{name: "tag with a bad name", obj: tag("object " + C + "\ntype commit\ntag a..b\ntagger " + ident + "\n\nx\n")},
		{name: "tag without object", obj: tag("type commit\ntag v1\ntagger " + ident + "\n\nx\n"), refuse: true},
		{name: "tag with a bad object id", obj: tag("object " + C[:20] + "\ntype commit\ntag v1\ntagger " + ident + "\n\nx\n"), refuse: true},
		{name: "tag without type", obj: tag("object " + C + "\ntag v1\ntagger " + ident + "\n\nx\n"), refuse: true},
		{name: "tag with a bad type", obj: tag("object " + C + "\ntype blobby\ntag v1\ntagger " + ident + "\n\nx\n"), refuse: true},
		{name: "tag without tag line", obj: tag("object " + C + "\ntype commit\ntagger " + ident + "\n\nx\n"), refuse: true},
		{name: "tag with NUL in tagger", obj: tag(tagHead + "tagger Pia\x00 <p@x> 1 +0000\n\nx\n"), refuse: true},
		{name: "tagger with bad time zone", obj: tag(tagHead + "tagger Pia <pia@example.nl> 1700000000 +1\n\nx\n"), refuse: true},
		{name: "tag with an extra header", obj: tag(tagHead + "tagger " + ident + "\nextra x\n\nx\n")},
	}
	work := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(work, fmt.Sprint(i))
			if out, err := exec.Command("git", "init", "-q", "--bare", dir).CombinedOutput(); err != nil {
				t.Fatalf("git init: %v\n%s", err, out)
			}
			for _, o := range append([]rawObject{blob, tree, base, c.obj}, c.more...) {
				writeLoose(t, dir, o)
			}
			p := fsckObject(c.obj.t, c.obj.data)
			gitOK, said := gitFsck(t, dir)
			switch {
			case (p != nil) != c.refuse:
				t.Errorf("wiki: %v, want refused = %v", p, c.refuse)
			case c.wiki && !gitOK:
				t.Errorf("marked as the wiki's own rule, but git refuses it too:\n%s", said)
			case !c.wiki && gitOK == c.refuse:
				t.Errorf("wiki: %v; git fsck --strict clean = %v:\n%s", p, gitOK, said)
			case c.gitID != "" && !strings.Contains(said, c.gitID):
				t.Errorf("git does not say %s:\n%s", c.gitID, said)
			case p != nil && !c.wiki && c.gitID == "" && !strings.Contains(said, "could not be parsed") && !strings.Contains(said, p.ID):
				t.Errorf("wiki says %v, git says:\n%s", p, said)
			}
			if p != nil {
				t.Logf("refused: %v", p)
			}
		})
	}
}
