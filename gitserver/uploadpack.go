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

const agent = "agent=wikiwerk"

// uploadCaps are the capabilities offered for fetch. multi_ack_detailed
// and no-done are what make stateless (HTTP) negotiation work: the server
// says which haves are common and when it is ready, and may send the pack
// without waiting for one more round with "done". shallow is not offered,
// so git refuses --depth itself with a clear message.
const uploadCaps = "multi_ack_detailed no-done side-band-64k side-band thin-pack ofs-delta no-progress " + agent

// receiveCaps are the capabilities offered for push. delete-refs is not
// offered: the wiki's branch cannot be deleted.
const receiveCaps = "report-status side-band-64k quiet ofs-delta " + agent

func (h *Handler) handleInfoRefs(w http.ResponseWriter, r *http.Request) error {
	service := r.URL.Query().Get("service")
	access := Read
	switch service {
	case "git-upload-pack":
	case "git-receive-pack":
		access = Write
	default:
		return httpError(http.StatusForbidden, "this wiki serves git over smart HTTP only; use git 1.6.6 or newer")
	}
	if err := h.allow(r, access); err != nil {
		return err
	}
	branch, head, err := h.repo.Branch()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
	noCache(w.Header())
	bw := bufio.NewWriter(w)
	p := &pktWriter{w: bw}
	p.line("# service=%s\n", service)
	p.flush()
	// A Git-Protocol: version=2 header is ignored on purpose: answering
	// in version 0 is how a server declines version 2, and the client
	// carries on in version 0.
	switch {
	case head.IsZero():
		caps := receiveCaps
		if access == Read {
			caps = uploadCaps
		}
		p.line("%s capabilities^{}\x00%s\n", plumbing.ZeroHash, caps)
	case access == Read:
		p.line("%s HEAD\x00%s symref=HEAD:%s\n", head, uploadCaps, branch)
		p.line("%s %s\n", head, branch)
	default:
		p.line("%s %s\x00%s\n", head, branch, receiveCaps)
	}
	if !head.IsZero() {
		h.advertiseSideRefs(p)
	}
	p.flush()
	if p.err == nil {
		p.err = bw.Flush()
	}
	return p.err
}

// uploadRequest is one stateless-RPC request of a fetch: the wants, and
// the haves of this round.
type uploadRequest struct {
	wants []plumbing.Hash
	caps  map[string]bool
	haves []plumbing.Hash
	// done ends the negotiation: the client wants its pack now.
	done bool
}

// parseUploadRequest reads a request. Shallow and filtered fetches were not
// offered; a client that asks anyway gets an error it shows to the user.
func parseUploadRequest(body io.Reader) (*uploadRequest, error) {
	pr := newPktReader(body)
	req := &uploadRequest{caps: map[string]bool{}}
	for {
		line, err := pr.next()
		if err == errFlush || err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		word, arg, _ := strings.Cut(line, " ")
		switch word {
		case "want":
			id, caps, _ := strings.Cut(arg, " ")
			h, err := parseHash(id)
			if err != nil {
				return nil, err
			}
			req.wants = append(req.wants, h)
			for _, c := range strings.Fields(caps) {
				req.caps[c] = true
			}
		case "shallow", "deepen", "deepen-since", "deepen-not":
			return nil, errShallow
		case "filter":
			return nil, errors.New("partial clones (--filter) are not supported by this wiki")
		default:
			return nil, fmt.Errorf("unexpected %q in the wants", word)
		}
	}
	for {
		line, err := pr.next()
		if err == errFlush || err == io.EOF {
			return req, nil
		}
		if err != nil {
			return nil, err
		}
		if line == "done" {
			req.done = true
			return req, nil
		}
		id, ok := strings.CutPrefix(line, "have ")
		if !ok {
			return nil, fmt.Errorf("expected a have line, got %q", line)
		}
		h, err := parseHash(id)
		if err != nil {
			return nil, err
		}
		req.haves = append(req.haves, h)
	}
}

var errShallow = errors.New("shallow clones (--depth) are not supported by this wiki; clone without --depth")

func parseHash(s string) (plumbing.Hash, error) {
	if len(s) != 40 {
		return plumbing.ZeroHash, fmt.Errorf("bad object id %q", s)
	}
	h := plumbing.NewHash(s)
	if h.String() != strings.ToLower(s) {
		return plumbing.ZeroHash, fmt.Errorf("bad object id %q", s)
	}
	return h, nil
}

func (h *Handler) handleUploadPack(w http.ResponseWriter, r *http.Request) error {
	if err := h.allow(r, Read); err != nil {
		return err
	}
	body, err := requestBody(r, h.maxReq)
	if err != nil {
		return err
	}
	req, err := parseUploadRequest(body)
	w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
	noCache(w.Header())
	bw := bufio.NewWriterSize(newDeadlineWriter(w), 64<<10)
	defer bw.Flush()
	p := &pktWriter{w: bw}
	if err != nil {
		// In-band, so that git shows it: "remote error: ...".
		p.line("ERR %v\n", err)
		return nil
	}
	if len(req.wants) == 0 {
		return nil
	}
	answers, err := h.repo.Negotiate(req.wants, req.haves)
	if errors.Is(err, storage.ErrNotOurRef) {
		p.line("ERR upload-pack: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	common, send := negotiate(p, req, answers)
	if p.err != nil {
		return errResponseStarted
	}
	if !send {
		return nil
	}
	return h.sendPack(r, bw, p, req, common)
}

// negotiate writes the ACK and NAK lines for one round, the way git's
// upload-pack does in stateless RPC mode, and reports the common haves and
// whether the pack is to follow in this response.
func negotiate(p *pktWriter, req *uploadRequest, answers []storage.HaveAnswer) ([]plumbing.Hash, bool) {
	detailed := req.caps["multi_ack_detailed"]
	multiAck := detailed || req.caps["multi_ack"]
	noDone := detailed && req.caps["no-done"]
	var common []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	var last plumbing.Hash
	gotCommon, gotOther, sentReady := false, false, false
	ready := false
	for i, hv := range req.haves {
		a := answers[i]
		ready = a.Ready
		if !a.Common {
			gotOther = true
			if multiAck && a.Ready && len(common) > 0 {
				if detailed {
					sentReady = true
					p.line("ACK %s ready\n", hv)
				} else {
					p.line("ACK %s continue\n", hv)
				}
			}
			continue
		}
		gotCommon = true
		last = hv
		if !seen[hv] {
			seen[hv] = true
			common = append(common, hv)
		}
		switch {
		case detailed:
			p.line("ACK %s common\n", hv)
		case multiAck:
			p.line("ACK %s continue\n", hv)
		case len(common) == 1:
			p.line("ACK %s\n", hv)
		}
	}
	if req.done {
		if len(common) > 0 {
			if multiAck {
				p.line("ACK %s\n", last)
			}
		} else {
			p.line("NAK\n")
		}
		return common, true
	}
	// The round ended with a flush.
	if detailed && gotCommon && !gotOther && ready {
		sentReady = true
		p.line("ACK %s ready\n", last)
	}
	if len(common) == 0 || multiAck {
		p.line("NAK\n")
	}
	if noDone && sentReady {
		p.line("ACK %s\n", last)
		return common, true
	}
	return common, false
}

// sendPack prepares the pack and streams it, multiplexed with progress
// messages when the client asked for side-band.
func (h *Handler) sendPack(r *http.Request, bw *bufio.Writer, p *pktWriter, req *uploadRequest, common []plumbing.Hash) error {
	var data, progress, fatal io.Writer = bw, io.Discard, io.Discard
	switch {
	case req.caps["side-band-64k"]:
		data = &sideband{p: p, band: bandData, max: maxPktLen}
		fatal = &sideband{p: p, band: bandError, max: maxPktLen}
		if !req.caps["no-progress"] {
			progress = &sideband{p: p, band: bandMessage, max: maxPktLen}
		}
	case req.caps["side-band"]:
		data = &sideband{p: p, band: bandData, max: 1000}
		fatal = &sideband{p: p, band: bandError, max: 1000}
		if !req.caps["no-progress"] {
			progress = &sideband{p: p, band: bandMessage, max: 1000}
		}
	}
	pack, err := h.repo.PreparePack(r.Context(), storage.FetchRequest{
		Wants:    req.wants,
		Haves:    common,
		OfsDelta: req.caps["ofs-delta"],
		ThinPack: req.caps["thin-pack"],
	})
	if err != nil {
		h.log.Error("git fetch: prepare pack", "err", err)
		fmt.Fprintf(fatal, "error preparing the pack: %v\n", err)
		return errResponseStarted
	}
	defer pack.Close()
	st := pack.Stats()
	fmt.Fprintf(progress, "Enumerating objects: %d, done.\n", st.Objects)
	fmt.Fprintf(progress, "Total %d (delta %d), reused %d\n", st.Objects, st.Deltas, st.Reused)
	if err := bw.Flush(); err != nil {
		return errResponseStarted
	}
	// The pack is written in many small pieces; gather them into full
	// packets, or the side-band framing would wrap each one.
	full := bufio.NewWriterSize(data, maxPktData-1)
	_, err = pack.WriteTo(full)
	if err == nil {
		err = full.Flush()
	}
	if err != nil {
		if r.Context().Err() == nil {
			h.log.Error("git fetch: write pack", "err", err)
			fmt.Fprintf(fatal, "error writing the pack: %v\n", err)
		}
		return errResponseStarted
	}
	if data != bw {
		p.flush()
	}
	return nil
}
