package storage

import "github.com/go-git/go-git/v5/plumbing/format/packfile"

// makeDelta returns a git delta that turns base into target: the shorter
// of go-git's general delta and one that keeps the common prefix and
// suffix. The second is what an edit usually is (one tree entry replaced,
// a paragraph rewritten), and go-git's block-based search, which matches in
// 16-byte blocks, often spends two or three times as many bytes on it.
func makeDelta(base, target []byte) []byte {
	if len(base) == 0 {
		// Git never uses an empty base; go-git refuses one.
		return nil
	}
	general := packfile.DiffDelta(base, target)
	if d := prefixSuffixDelta(base, target); len(d) < len(general) {
		return d
	}
	return general
}

// prefixSuffixDelta copies the common prefix and suffix of base and target
// and inserts what lies between.
func prefixSuffixDelta(base, target []byte) []byte {
	pre := 0
	for pre < len(base) && pre < len(target) && base[pre] == target[pre] {
		pre++
	}
	suf := 0
	for suf < len(base)-pre && suf < len(target)-pre && base[len(base)-1-suf] == target[len(target)-1-suf] {
		suf++
	}
	d := appendDeltaSize(nil, len(base))
	d = appendDeltaSize(d, len(target))
	d = appendCopy(d, 0, pre)
	for mid := target[pre : len(target)-suf]; len(mid) > 0; {
		n := min(len(mid), 0x7f)
		d = append(d, byte(n))
		d = append(d, mid[:n]...)
		mid = mid[n:]
	}
	return appendCopy(d, len(base)-suf, suf)
}

func appendDeltaSize(d []byte, n int) []byte {
	for n >= 0x80 {
		d = append(d, byte(n)|0x80)
		n >>= 7
	}
	return append(d, byte(n))
}

// appendCopy appends copy instructions for base[off:off+n], in pieces of
// at most 0xffffff bytes, the most three size bytes can say.
func appendCopy(d []byte, off, n int) []byte {
	for n > 0 {
		size := min(n, 0xffffff)
		op := byte(0x80)
		var args []byte
		for i := 0; i < 4; i++ {
			if b := byte(off >> (8 * i)); b != 0 {
				op |= 1 << i
				args = append(args, b)
			}
		}
		for i := 0; i < 3; i++ {
			if b := byte(size >> (8 * i)); b != 0 {
				op |= 1 << (4 + i)
				args = append(args, b)
			}
		}
		d = append(d, op)
		d = append(d, args...)
		off += size
		n -= size
	}
	return d
}
