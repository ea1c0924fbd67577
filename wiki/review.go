package wiki

import (
	"fmt"
	"strings"
)

// Review folders (the "vier-ogenprincipe"): in a folder of Policy.Review a
// change is published only after someone else looked at it. A save there
// by someone who is not one of the folder's reviewers becomes a proposal,
// and a git push to main that touches the folder is refused with the way
// to propose it instead. The rules are matched like protected folders
// (case-folded, and by confusable skeleton), so a look-alike name does not
// slip past review.

// ErrReviewRequired wraps ErrForbidden: the change must be proposed.
var ErrReviewRequired = fmt.Errorf("%w: this change needs review", ErrForbidden)

// reviewRules returns the review rules that cover n.
func (p Policy) reviewRules(n Name) []Protected {
	var out []Protected
	for _, rule := range p.Review {
		if n != "" && rule.Covers(n) {
			out = append(out, rule)
		}
	}
	return out
}

// Reviewed reports whether changes of n are reviewed before publication.
func (p Policy) Reviewed(n Name) bool { return len(p.reviewRules(n)) > 0 }

// CanReview reports whether u may review (approve, request changes,
// reject, publish) a proposed change of page n: an admin, or someone who
// may edit n and, when a review folder covers n, belongs to one of the
// groups of every rule that covers it. Outside review folders anyone who
// may edit the page reviews.
func (p Policy) CanReview(u *User, n Name) bool {
	if u == nil || u.Disabled || !p.CanRead(u) {
		return false
	}
	if u.Role.AtLeast(RoleAdmin) {
		return true
	}
	if !p.CanEdit(u, n) {
		return false
	}
	for _, rule := range p.reviewRules(n) {
		member := false
		for _, g := range rule.Groups {
			if u.InGroup(g) {
				member = true
			}
		}
		if !member {
			return false
		}
	}
	return true
}

// NeedsReview reports whether a change of n by u must be proposed rather
// than saved: n is in a review folder and u is not one of its reviewers.
func (p Policy) NeedsReview(u *User, n Name) bool {
	return p.Reviewed(n) && !p.CanReview(u, n)
}

// CanPropose reports whether u may propose a change of n: whoever may
// edit it, and in a review folder anyone with an account who may read.
func (p Policy) CanPropose(u *User, n Name) bool {
	if p.CanEdit(u, n) {
		return true
	}
	return u != nil && !u.Disabled && p.CanRead(u) && p.Reviewed(n)
}

// Reviewers describes who reviews n, for people: the groups of the
// review folders that cover it ("" when only admins do, or no folder
// does).
func (p Policy) Reviewers(n Name) []string {
	var out []string
	for _, rule := range p.reviewRules(n) {
		out = append(out, rule.Groups...)
	}
	return out
}

// reviewRefusal is the error for a direct change of a review folder.
func reviewRefusal(who string, n Name) error {
	return fmt.Errorf("%w: %s may not change %s directly: changes there are reviewed before they are published.\n"+
		"Propose the change instead: on the wiki with \"Propose\" in the editor, or with git:\n"+
		"  git push origin HEAD:%s\n"+
		"or push to a branch of your own, e.g. git push origin HEAD:voorstel/%s",
		ErrReviewRequired, who, n, strings.TrimPrefix(ProposeRef, ""), proposalSlug(string(n)))
}

// proposalSlug makes a branch-name suggestion from a page name.
func proposalSlug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 30 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		out = "mijn-wijziging"
	}
	return out
}
