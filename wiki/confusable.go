package wiki

import (
	"strings"
	"unicode"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"
)

// skeletonPasses bounds the map-and-fold loop of Skeleton. Every single
// character settles within three passes (TestSkeletonSettles); the rest is
// headroom.
const skeletonPasses = 8

// Skeleton returns the key under which names that a reader could take for
// one another compare equal, so that a store can refuse a new page whose
// name only looks like an existing one: "Hоme" with a Cyrillic о, "H0me"
// with a zero, "HOME" and "Home" all have the skeleton "horne".
//
// It is the confusable skeleton of Unicode UTS #39 (section 4), with
// letter case ignored:
//
//  1. decompose the text with NFKD, so that compatibility forms such as
//     full-width "Ｈｏｍｅ", the ligature "ﬁ" or mathematical "𝐇" become
//     the plain letters they stand for (this also makes composed and
//     decomposed "Café" equal);
//  2. drop the default-ignorable characters (format characters, variation
//     selectors and the like), which do not show; ParseName refuses most
//     of them anyway;
//  3. replace every character by its prototype from the UTS #39 table
//     confusables.txt (version 13.0.0, via github.com/mtibben/confusables):
//     Cyrillic "о" becomes "o", "0" becomes "O", "1", "I" and "|" become
//     "l", "m" becomes "rn";
//  4. case-fold the result as Name.Fold does, and repeat from 1 until
//     nothing changes, so that the lower-case letters folding produced are
//     mapped in turn.
//
// Mapping before folding matters: many capitals look like another letter
// only as capitals (Cyrillic "Н" looks like "H", its lower case "н" does
// not look like "h"; capital "I" looks like "l", "i" does not), so
// "WМО-loket" with Cyrillic М and О and "WMO-Ioket" with a capital I both
// get the skeleton of "WMO-loket". Two names therefore have the same
// skeleton when they look alike up to letter case. The price of ignoring
// case is that a capital I, a digit 1 or a bar reads as l, and so as L:
// "ISO" and "LSO" or "Blok 1" and "Blok L" have the same skeleton.
//
// The whole UTS #39 table is used, including the mappings that join two
// letters, such as "rn" for "m": "rnicrosoft" is a classic disguise, the
// Dutch words it makes collide (stem and stern, modem and modern) are rare
// page names and hard to tell apart in small print, and a refusal only
// asks the author of the second page to choose another name. Accents do
// count: "Cafe" and "Café" differ, as do "Financiele" and "Financiële".
//
// Conversely, case twins almost always share a skeleton, but not where a
// capital looks like a different letter than its lower case does: "Ill"
// becomes "lll", "ill" stays "ill". Name.Fold catches those, and
// ConfusableWith checks both.
//
// A skeleton is a comparison key, not a name: never show it. It depends
// only on its argument and is the same on every run of a given build, but
// a newer confusables table or Unicode version in golang.org/x/text may
// change it. So do not persist skeletons: compute them from the page names
// when loading a snapshot. An upgrade can then at most make two existing
// pages confusable with each other, which a store must tolerate by
// refusing only new names.
func Skeleton(s string) string {
	key, _ := skeleton(s)
	return key
}

// skeleton is Skeleton, also reporting how many passes changed the text.
func skeleton(s string) (key string, passes int) {
	for passes < skeletonPasses {
		next := norm.NFKD.String(s)
		next = strings.Map(dropIgnorable, next)
		next = confusables.Skeleton(next)
		next = foldCase(next)
		if next == s {
			break
		}
		s = next
		passes++
	}
	return s, passes
}

// dropIgnorable is a strings.Map function that removes the characters
// UTS #39 ignores when comparing (Default_Ignorable_Code_Point, here a
// slight superset: all format characters, variation selectors and the
// other default ignorables).
func dropIgnorable(r rune) rune {
	if unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) {
		return -1
	}
	return r
}

// Skeleton returns Skeleton(n.String()).
func (n Name) Skeleton() string { return Skeleton(string(n)) }

// ConfusableWith reports whether a reader could take a for b: the names
// differ only in letter case (Fold) or look alike (Skeleton). A name is
// confusable with itself. A store refuses a new page whose name is
// confusable with an existing page's; it does so with maps from Fold and
// from Skeleton to the page, of which this is the one-pair form.
func ConfusableWith(a, b Name) bool {
	return a.Fold() == b.Fold() || a.Skeleton() == b.Skeleton()
}
