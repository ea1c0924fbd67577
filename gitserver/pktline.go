package gitserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// pkt-line framing (git's Documentation/gitprotocol-common.txt): four hex
// digits giving the length including themselves, then the payload; "0000"
// is a flush packet that ends a section.

const (
	maxPktLen   = 65520
	maxPktData  = maxPktLen - 4
	bandData    = 1
	bandMessage = 2
	bandError   = 3
)

// pktReader reads pkt-lines. It reads no further than the packets it
// returns, so what follows them (a pushed pack) can be read from r after.
type pktReader struct {
	r   *bufio.Reader
	buf [maxPktLen]byte
}

func newPktReader(r io.Reader) *pktReader {
	return &pktReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// errFlush is returned by next when it reads a flush packet.
var errFlush = errors.New("flush packet")

// next returns the next packet's payload, without a trailing newline.
// It returns errFlush for a flush packet and io.EOF at a clean end.
func (p *pktReader) next() (string, error) {
	var head [4]byte
	if _, err := io.ReadFull(p.r, head[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return "", errors.New("truncated pkt-line")
		}
		return "", err
	}
	n, err := strconv.ParseUint(string(head[:]), 16, 16)
	if err != nil {
		return "", fmt.Errorf("bad pkt-line length %q", head[:])
	}
	switch {
	case n == 0:
		return "", errFlush
	case n < 4:
		// 0001 and 0002 are protocol v2's delimiter and response-end.
		return "", fmt.Errorf("unexpected pkt-line %q (protocol v2 is answered with v0)", head[:])
	}
	data := p.buf[:n-4]
	if _, err := io.ReadFull(p.r, data); err != nil {
		return "", errors.New("truncated pkt-line")
	}
	if len(data) > 0 && data[len(data)-1] == '\n' {
		data = data[:len(data)-1]
	}
	return string(data), nil
}

// pktWriter writes pkt-lines, keeping the first error.
type pktWriter struct {
	w   io.Writer
	err error
}

func (p *pktWriter) line(format string, args ...any) {
	p.write([]byte(fmt.Sprintf(format, args...)))
}

func (p *pktWriter) write(data []byte) {
	if p.err != nil {
		return
	}
	if len(data) > maxPktData {
		p.err = fmt.Errorf("pkt-line of %d bytes is too long", len(data))
		return
	}
	if _, p.err = fmt.Fprintf(p.w, "%04x", len(data)+4); p.err == nil {
		_, p.err = p.w.Write(data)
	}
}

func (p *pktWriter) flush() {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, "0000")
	}
}

// sideband writes one band of a side-band stream, in packets of at most
// max bytes (1000 for side-band, 65520 for side-band-64k).
type sideband struct {
	p    *pktWriter
	band byte
	max  int
}

func (s *sideband) Write(b []byte) (int, error) {
	written := 0
	chunk := make([]byte, 0, min(len(b), s.max-4)+1)
	for len(b) > 0 && s.p.err == nil {
		n := min(len(b), s.max-5)
		chunk = append(chunk[:0], s.band)
		chunk = append(chunk, b[:n]...)
		s.p.write(chunk)
		b = b[n:]
		written += n
	}
	return written, s.p.err
}
