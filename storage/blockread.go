package storage

import (
	"fmt"
	"io"

	"github.com/go-git/go-billy/v5"
)

// blockReader reads a pack file through a small cache of large blocks. A
// fetch reads tens of thousands of small entries, mostly in file order;
// reading them one system call each costs more than inflating them.
// A blockReader is used by one goroutine at a time.
type blockReader struct {
	f      billy.File
	size   int64
	blocks map[int64][]byte
	// fifo holds the cached block numbers, oldest first.
	fifo []int64
}

const (
	blockSize   = 256 << 10
	blocksKept  = 16
	directReads = 2 * blockSize
)

func (b *blockReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= b.size {
		return 0, io.EOF
	}
	if len(p) >= directReads {
		return b.f.ReadAt(p, off)
	}
	n := 0
	for n < len(p) && off < b.size {
		blk, err := b.block(off / blockSize)
		if err != nil {
			return n, err
		}
		c := copy(p[n:], blk[off%blockSize:])
		n += c
		off += int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (b *blockReader) block(i int64) ([]byte, error) {
	if blk, ok := b.blocks[i]; ok {
		return blk, nil
	}
	var buf []byte
	if len(b.fifo) >= blocksKept {
		oldest := b.fifo[0]
		buf = b.blocks[oldest][:0]
		delete(b.blocks, oldest)
		b.fifo = b.fifo[1:]
	}
	n := min(blockSize, b.size-i*blockSize)
	if int64(cap(buf)) < n {
		buf = make([]byte, blockSize)
	}
	buf = buf[:n]
	if _, err := b.f.ReadAt(buf, i*blockSize); err != nil && err != io.EOF {
		return nil, err
	}
	b.blocks[i] = buf
	b.fifo = append(b.fifo, i)
	return buf, nil
}

// packFiles are the pack files a Pack reads, opened once.
type packFiles map[*packFile]*blockReader

func (pf packFiles) open(r *Repo, p *packFile) (*blockReader, error) {
	if b, ok := pf[p]; ok {
		return b, nil
	}
	f, err := r.st.Filesystem().Open(packPath(p.hash))
	if err != nil {
		return nil, fmt.Errorf("open pack %s: %w", p.hash, err)
	}
	b := &blockReader{f: f, size: p.dataEnd + 20, blocks: map[int64][]byte{}}
	pf[p] = b
	return b, nil
}

func (pf packFiles) close() {
	for p, b := range pf {
		b.f.Close()
		delete(pf, p)
	}
}
