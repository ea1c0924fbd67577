package storage

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// TestMakeDelta checks that deltas apply back to their target, for edits
// at the start, middle and end, and for large and unrelated inputs.
func TestMakeDelta(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		return b
	}
	big := random(200 << 10)
	edit := func(b []byte, at, del int, ins []byte) []byte {
		out := append([]byte{}, b[:at]...)
		out = append(out, ins...)
		return append(out, b[at+del:]...)
	}
	cases := []struct {
		name         string
		base, target []byte
	}{
		{"to empty", []byte("hello"), nil},
		{"same", big, big},
		{"middle", big, edit(big, 100<<10, 20, random(20))},
		{"start", big, edit(big, 0, 5, random(300))},
		{"end", big, edit(big, len(big)-10, 10, nil)},
		{"unrelated", random(1000), random(1500)},
		{"repeat", bytes.Repeat([]byte("ab"), 100), bytes.Repeat([]byte("ab"), 101)},
	}
	for _, c := range cases {
		d := makeDelta(c.base, c.target)
		got, err := packfile.PatchDelta(c.base, d)
		if err != nil {
			t.Errorf("%s: patch: %v", c.name, err)
			continue
		}
		if !bytes.Equal(got, c.target) {
			t.Errorf("%s: delta does not rebuild the target", c.name)
		}
	}
	if d := makeDelta(big, edit(big, 100<<10, 20, random(20))); len(d) > 40 {
		t.Errorf("one 20-byte change in 200 KiB makes a delta of %d bytes", len(d))
	}
}
