package main

// This file turns the generator's commits into the stream that
// `git fast-import` reads; see git-fast-import(1) for the format.

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
)

// fileOp is one line of a fast-import commit: a page written with a blob
// mark, or deleted when mark is 0.
type fileOp struct {
	path string
	mark int
}

// commitSpec is one fast-import commit command.
type commitSpec struct {
	ref   string
	mark  int
	who   author
	when  int64
	msg   string
	from  int // mark of the first parent, 0: continue the branch
	merge int // mark of the second parent, 0: none
	ops   []fileOp
}

// pendingBlob is a page version waiting to be streamed.
type pendingBlob struct {
	page, mark int
	data       []byte
}

// writeCommit queues c in fast-import's syntax behind the blobs it uses.
func (g *generator) writeCommit(c commitSpec) {
	g.stats.Commits++
	if c.mark == 0 {
		c.mark = g.mark()
	}
	w := &g.commits
	sig := fmt.Sprintf("%s <%s> %d +0100\n", c.who.Name, c.who.Email, c.when)
	fmt.Fprintf(w, "commit %s\nmark :%d\nauthor %scommitter %sdata %d\n%s\n", c.ref, c.mark, sig, sig, len(c.msg)+1, c.msg)
	if c.from != 0 {
		fmt.Fprintf(w, "from :%d\n", c.from)
	}
	if c.merge != 0 {
		fmt.Fprintf(w, "merge :%d\n", c.merge)
	}
	for _, op := range c.ops {
		// A path is the rest of the line for M and D, so spaces need no
		// quoting; the generated names never start with a quote or hold LF.
		if op.mark == 0 {
			fmt.Fprintf(w, "D %s\n", op.path)
		} else {
			fmt.Fprintf(w, "M 100644 :%d %s\n", op.mark, op.path)
		}
	}
	w.WriteByte('\n')
}

// chunk is a run of commits with the page versions they introduce.
type chunk struct {
	blobs   []pendingBlob
	commits []byte
}

// takeChunk hands over what has been generated since the last call.
func (g *generator) takeChunk() chunk {
	c := chunk{blobs: g.blobs, commits: bytes.Clone(g.commits.Bytes())}
	g.blobs, g.pendingBytes = nil, 0
	g.commits.Reset()
	return c
}

// writeChunks streams each chunk's blobs, then the commits that use them.
// After a write error it keeps draining chunks so that the generator
// never blocks, and reports the first error.
//
// fast-import deltas each blob only against the blob written just before
// it, so blobs go out grouped by page: every version then deltas against
// the previous version of the same page and the pack stays about as small
// as `git gc` would make it. Written in commit order, 100k commits of
// full-text blobs would make a pack of gigabytes.
func writeChunks(w *bufio.Writer, chunks <-chan chunk) error {
	var err error
	for c := range chunks {
		if err != nil {
			continue
		}
		slices.SortStableFunc(c.blobs, func(a, b pendingBlob) int { return a.page - b.page })
		for _, b := range c.blobs {
			if _, err = fmt.Fprintf(w, "blob\nmark :%d\ndata %d\n", b.mark, len(b.data)); err != nil {
				break
			}
			if _, err = w.Write(b.data); err != nil {
				break
			}
		}
		if err == nil {
			_, err = w.Write(c.commits)
		}
	}
	if err == nil {
		_, err = w.WriteString("done\n")
	}
	if err == nil {
		err = w.Flush()
	}
	return err
}
