package gitserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/wikiwerk/wikiwerk/storage"
)

// receiveRequest is a push: ref updates and the capabilities the client
// chose; the pack follows in the body.
type receiveRequest struct {
	updates []storage.RefUpdate
	caps    map[string]bool
}

// maxCommands bounds the command list; a wiki push has one.
const maxCommands = 1000

func parseReceiveRequest(pr *pktReader) (*receiveRequest, error) {
	req := &receiveRequest{caps: map[string]bool{}}
	for {
		line, err := pr.next()
		if err == errFlush || err == io.EOF {
			return req, nil
		}
		if err != nil {
			return nil, err
		}
		if len(req.updates) >= maxCommands {
			return nil, errors.New("too many ref updates")
		}
		if strings.HasPrefix(line, "shallow ") {
			return nil, errors.New("pushing from a shallow clone is not supported; clone the wiki without --depth")
		}
		cmd, caps, _ := strings.Cut(line, "\x00")
		for _, c := range strings.Fields(caps) {
			req.caps[c] = true
		}
		f := strings.Fields(cmd)
		if len(f) != 3 {
			return nil, fmt.Errorf("bad push command %q", cmd)
		}
		old, err := parseHash(f[0])
		if err != nil {
			return nil, err
		}
		new, err := parseHash(f[1])
		if err != nil {
			return nil, err
		}
		req.updates = append(req.updates, storage.RefUpdate{Name: plumbing.ReferenceName(f[2]), Old: old, New: new})
	}
}

func (h *Handler) handleReceivePack(w http.ResponseWriter, r *http.Request) error {
	if err := h.allow(r, Write); err != nil {
		return err
	}
	body, err := requestBody(r, 0)
	if err != nil {
		return err
	}
	pr := newPktReader(&deadlineReader{r: body, rc: http.NewResponseController(w)})
	req, err := parseReceiveRequest(pr)
	if err != nil {
		return httpError(http.StatusBadRequest, "%v", err)
	}
	if len(req.updates) == 0 {
		return nil
	}
	// The pack follows the commands; pr has buffered its beginning.
	lim := h.limits
	if h.mayChange != nil {
		lim.MayChange = func(paths []string) error { return h.mayChange(r, paths) }
	}
	if h.proposals != nil {
		lim.Proposals = h.proposals(r)
	}
	res := h.repo.ReceivePack(r.Context(), req.updates, pr.r, lim)
	h.observePush(res)
	for i, err := range res.Refs {
		var rej *storage.PushRejection
		if err != nil && !errors.As(err, &rej) {
			h.log.ErrorContext(r.Context(), "git push", "ref", req.updates[i].Name, "err", err)
		}
	}

	w.Header().Set("Content-Type", "application/x-git-receive-pack-result")
	noCache(w.Header())
	bw := bufio.NewWriter(newDeadlineWriter(w))
	defer bw.Flush()
	out := &pktWriter{w: bw}
	var status, messages io.Writer = bw, io.Discard
	if req.caps["side-band-64k"] {
		status = &sideband{p: out, band: bandData, max: maxPktLen}
		messages = &sideband{p: out, band: bandMessage, max: maxPktLen}
	}
	writeMessages(messages, req, res)
	if req.caps["report-status"] {
		writeReport(&pktWriter{w: status}, req, res)
	}
	if status != io.Writer(bw) {
		out.flush()
	}
	if out.err != nil {
		return errResponseStarted
	}
	return nil
}

// writeMessages explains the outcome to the person pushing; git prints
// these lines prefixed with "remote: ".
func writeMessages(w io.Writer, req *receiveRequest, res storage.PushResult) {
	if res.UnpackErr != nil {
		fmt.Fprintf(w, "error: the wiki could not read your push: %v\n", res.UnpackErr)
		return
	}
	for i, err := range res.Refs {
		u := req.updates[i]
		var rej *storage.PushRejection
		switch {
		case errors.As(err, &rej):
			fmt.Fprintf(w, "\nerror: the wiki refused your push to %s (%s):\n", u.Name.Short(), rej.Reason)
			for _, line := range strings.Split(rej.Message, "\n") {
				fmt.Fprintf(w, "  %s\n", line)
			}
			fmt.Fprintf(w, "Nothing was changed in the wiki.\n\n")
		case err != nil:
			fmt.Fprintf(w, "error: the wiki could not update %s because of a problem on the server; nothing was changed.\n", u.Name.Short())
		case res.Proposal != "":
			writeProposalMessage(w, u.Name, res)
		case !req.caps["quiet"]:
			fmt.Fprintf(w, "wikiwerk: %s updated with %d new commit(s); the wiki shows them now.\n", u.Name.Short(), res.Commits)
		}
	}
}

// writeReport writes git's report-status: the unpack result, then ok or ng
// with a short reason for each ref.
func writeReport(p *pktWriter, req *receiveRequest, res storage.PushResult) {
	if res.UnpackErr != nil {
		p.line("unpack %s\n", oneLine(res.UnpackErr.Error()))
	} else {
		p.line("unpack ok\n")
	}
	for i, err := range res.Refs {
		name := req.updates[i].Name
		var rej *storage.PushRejection
		switch {
		case errors.As(err, &rej):
			p.line("ng %s %s\n", name, oneLine(rej.Reason))
		case err != nil:
			p.line("ng %s internal server error\n", name)
		case res.UnpackErr != nil:
			p.line("ng %s unpacker error\n", name)
		default:
			p.line("ok %s\n", name)
		}
	}
	p.flush()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
