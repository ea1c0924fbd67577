package blameindex

import (
	"encoding/binary"
	"errors"
	"strings"
)

// An attribution gives every line of one version of a page the number of
// the revision that gave the line its text (numbers are the index's own,
// see revTable). It is derived from the attributions of the versions the
// revision started from, the way git blame passes blame to parents: a line
// that a parent has too (in a line diff) keeps the parent's owner; the
// others are the revision's own.

// splitLines splits a text into lines exactly as wiki.Blame does: CRLF
// counts as LF and a final line end does not start another line. The
// index's owner lists must line up with wiki.Blame's lines.
func splitLines(s string) []string {
	s = strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// interner numbers distinct lines, so that line diffs compare integers.
// One interner serves every version a diff may compare.
type interner struct {
	ids     map[string]uint32
	indents []int16 // by id: lineIndent of the line
}

func newInterner() *interner { return &interner{ids: map[string]uint32{}} }

func (in *interner) lines(text []byte) []uint32 {
	parts := splitLines(string(text))
	out := make([]uint32, len(parts))
	for i, l := range parts {
		id, ok := in.ids[l]
		if !ok {
			id = uint32(len(in.indents))
			in.ids[l] = id
			in.indents = append(in.indents, int16(lineIndent(l)))
		}
		out[i] = id
	}
	return out
}

func (in *interner) indent(id uint32) int { return int(in.indents[id]) }

// parentVersion is one version a revision started from.
type parentVersion struct {
	lines  []uint32
	owners []uint32
}

// derive returns the owners of lines, a version made by revision self from
// parents (first parent first). As in git blame, each parent in turn takes
// the lines it shares with the new version that no earlier parent took;
// what is left is self's.
func derive(in *interner, lines []uint32, parents []parentVersion, self uint32, budget *int) []uint32 {
	owners := make([]uint32, len(lines))
	open := len(lines)
	for _, p := range parents {
		if open == 0 {
			break
		}
		m := matchLines(p.lines, lines, in.indent, budget)
		for j, i := range m {
			if i >= 0 && owners[j] == 0 {
				owners[j] = p.owners[i]
				open--
			}
		}
	}
	for j := range owners {
		if owners[j] == 0 {
			owners[j] = self
		}
	}
	return owners
}

// An encoded attribution is what the index stores per version:
//
//	uvarint producer   the revision that made this version
//	uvarint lines      the number of lines
//	runs of            consecutive lines with the same owner:
//	  uvarint owner
//	  uvarint length
//
// Pages are edited a few lines at a time, so a version of a few hundred
// lines is typically a few dozen runs: tens of bytes.

func encodeAttribution(producer uint32, owners []uint32) []byte {
	buf := make([]byte, 0, 16+4*len(owners)/8)
	buf = binary.AppendUvarint(buf, uint64(producer))
	buf = binary.AppendUvarint(buf, uint64(len(owners)))
	for i := 0; i < len(owners); {
		j := i + 1
		for j < len(owners) && owners[j] == owners[i] {
			j++
		}
		buf = binary.AppendUvarint(buf, uint64(owners[i]))
		buf = binary.AppendUvarint(buf, uint64(j-i))
		i = j
	}
	return buf
}

var errCorrupt = errors.New("blame index: corrupt attribution")

func decodeAttribution(b []byte) (producer uint32, owners []uint32, err error) {
	p, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, errCorrupt
	}
	b = b[n:]
	count, n := binary.Uvarint(b)
	if n <= 0 || count > 1<<24 {
		return 0, nil, errCorrupt
	}
	b = b[n:]
	owners = make([]uint32, 0, count)
	for len(b) > 0 {
		o, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, nil, errCorrupt
		}
		b = b[n:]
		run, n := binary.Uvarint(b)
		if n <= 0 || run > count-uint64(len(owners)) {
			return 0, nil, errCorrupt
		}
		b = b[n:]
		for ; run > 0; run-- {
			owners = append(owners, uint32(o))
		}
	}
	if uint64(len(owners)) != count {
		return 0, nil, errCorrupt
	}
	return uint32(p), owners, nil
}
