package gitserver

import (
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// Proposals over git: the refs beside main (proposal branches voorstel/*
// and the wiki's records wikiwerk/*) are advertised to fetch and push, so
// that a clone holds them and a push to an existing proposal names its
// current commit. Pushes to refs/for/main and voorstel/* are handed to
// storage with Config.Proposals (see storage/pushproposal.go).

// sideRefLister is implemented by repositories with refs beside main;
// *storage.Repo is one.
type sideRefLister interface {
	SideRefs() ([]storage.SideRef, error)
}

var _ sideRefLister = (*storage.Repo)(nil)

// advertiseSideRefs adds the refs beside main to a ref advertisement.
func (h *Handler) advertiseSideRefs(p *pktWriter) {
	l, ok := h.repo.(sideRefLister)
	if !ok {
		return
	}
	refs, err := l.SideRefs()
	if err != nil {
		h.log.Error("git: list proposal refs", "err", err)
		return
	}
	for _, r := range refs {
		p.line("%s %s\n", r.Hash, r.Name)
	}
}

// writeProposalMessage tells the pusher where their proposal is.
func writeProposalMessage(w io.Writer, pushed plumbing.ReferenceName, res storage.PushResult) {
	id := strings.TrimPrefix(res.Proposal, wiki.ProposalRefPrefix)
	branch := strings.TrimPrefix(res.Proposal, "refs/heads/")
	if pushed.String() == wiki.ProposeRef {
		fmt.Fprintf(w, "\nwikiwerk: your %d commit(s) are proposal %s, on the branch %s; main is unchanged.\n", res.Commits, id, branch)
	} else {
		fmt.Fprintf(w, "\nwikiwerk: proposal %s (branch %s) now has %d new commit(s); main is unchanged.\n", id, branch, res.Commits)
	}
	fmt.Fprintf(w, "It is published once a reviewer approves it: see /-/proposals/%s on the wiki.\n", id)
	fmt.Fprintf(w, "To add to it later: git push origin HEAD:%s\n\n", branch)
}
