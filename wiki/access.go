package wiki

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Access rules live here, in the domain: every write of the Wiki service
// is decided from the acting user and the pages it changes, whichever
// adapter (web form, API, git push, importer) asked for it. The adapters
// check too, to answer with a helpful page before doing any work, but a
// write they forget to check is still refused here.

// mayChange refuses the write when the policy does not let actor change
// every one of the pages. Without a policy (a Wiki used on its own, in
// tests) everything is allowed.
func (w *Wiki) mayChange(actor *User, names ...Name) error {
	if w.policy == nil {
		return nil
	}
	for _, n := range names {
		if !w.policy.CanEdit(actor, n) {
			who := "anonymous visitors"
			if actor != nil {
				who = actor.Name
			}
			return fmt.Errorf("%w: %s may not change %s", ErrForbidden, who, n)
		}
		if w.policy.NeedsReview(actor, n) {
			who := "anonymous visitors"
			if actor != nil {
				who = actor.Name
			}
			return reviewRefusal(who, n)
		}
	}
	return nil
}

// AuthorizeChange decides whether actor may make a change that alters the
// files at paths (repository paths: "Beleid/Visie.md", "Beleid/logo.png"),
// as a push does: a page by its own rule, any other file by the rule of the
// folder it is in, so that a protected folder is protected from git too.
// For a push, paths must be every file whose content differs between the
// current main and the pushed tip, so that no shape of history can hide a
// change.
func (w *Wiki) AuthorizeChange(actor *User, paths []string) error {
	names := make([]Name, 0, len(paths))
	for _, p := range paths {
		if n, ok := ParsePath(p); ok {
			names = append(names, n)
		} else {
			names = append(names, Name(strings.TrimSuffix(p, "/")))
		}
	}
	if len(names) == 0 {
		names = append(names, "")
	}
	return w.mayChange(actor, names...)
}

// CheckText refuses text that would be stored in a commit header or
// message but does not belong there: invalid UTF-8, NUL and other control
// characters besides newline and tab (git fsck rejects a NUL, and terminal
// escape sequences would show up in everyone's `git log`), and the
// invisible characters that reorder text. field names it in the error.
func CheckText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: the %s is not valid UTF-8", ErrInvalidInput, field)
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Errorf("%w: the %s contains the control character U+%04X; remove it", ErrInvalidInput, field, r)
		case isBidiControl(r):
			return fmt.Errorf("%w: the %s contains U+%04X, an invisible character that reorders text; remove it", ErrInvalidInput, field, r)
		}
	}
	return nil
}

func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// checkAuthorText is CheckText for an author: a name and an e-mail
// address are one line each.
func checkAuthorText(a Author) error {
	if err := CheckText("author name", a.Name); err != nil {
		return err
	}
	if strings.ContainsAny(a.Name, "\n\t") {
		return fmt.Errorf("%w: the author name must be one line", ErrInvalidInput)
	}
	if err := CheckText("author e-mail", a.Email); err != nil {
		return err
	}
	if strings.IndexFunc(a.Email, unicode.IsSpace) >= 0 {
		return fmt.Errorf("%w: the author e-mail may not contain spaces", ErrInvalidInput)
	}
	return nil
}

// checkWrite runs the checks every write shares: the summary and the
// author as text, and the policy for the pages.
func (w *Wiki) checkWrite(actor *User, author Author, message string, names ...Name) error {
	if err := CheckText("summary", message); err != nil {
		return err
	}
	if err := checkAuthorText(author); err != nil {
		return err
	}
	return w.mayChange(actor, names...)
}
