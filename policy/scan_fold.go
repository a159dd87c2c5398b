package policy

import "unicode/utf8"

// A partner's decoder may match member names regardless of case:
// encoding/json, decoding into a struct, reads "ID", "Id" and "iD" as the
// field tagged "id", folds as Unicode's simple folding does — U+017F (long
// s) is "s", U+212A (the Kelvin sign) is "k" (encoding/json/fold.go) —
// and keeps the last of the members it matched. A checked object holding
// such a variant of a checked name, beside the name or instead of it, may
// be read from the member the verifier did not check: it is malformed
// (docs/guarantees.md §3). Of Unicode's simple folds only those two join a
// rune beyond ASCII to an ASCII letter (TestOnlyTwoRunesFoldToASCII).
//
// The scan tests a name only when its length allows a variant of a name it
// looks for (key.lens): most names are skipped after one bit test.

// The two runes beyond ASCII that fold to an ASCII letter, in UTF-8.
const (
	longS  = "\u017f" // LATIN SMALL LETTER LONG S: "s"
	kelvin = "\u212a" // KELVIN SIGN: "k"
)

// key is a member name the scan looks for: ASCII, and no variant of it is
// longer than maxNameLen bytes (TestCheckedNamesFit).
type key struct {
	name string
	// lens has bit n set when a variant of name (name included) may be n
	// bytes long: from len(name), every byte spelled with one byte, up to
	// every 's' spelled longS (two) and every 'k' kelvin (three). Testing
	// it is what skipping a member costs.
	lens uint64
	// first is the first byte of name in lower case, 0 when it is empty: a
	// variant begins with it in either case, or with a byte beyond ASCII.
	first byte
}

func keyOf(name string) key {
	longest := len(name)
	for i := range len(name) {
		switch lowerASCII(name[i]) {
		case 's':
			longest += len(longS) - 1
		case 'k':
			longest += len(kelvin) - 1
		}
	}
	k := key{name: name, lens: 1<<(longest+1) - 1<<len(name)}
	if name != "" {
		k.first = lowerASCII(name[0])
	}
	return k
}

// The names of the envelopes and of request targets.
var (
	keyEdges      = keyOf("edges")
	keyPageInfo   = keyOf("page_info")
	keyCount      = keyOf("count")
	keyNode       = keyOf("node")
	keyTargetID   = keyOf("target_id")
	keyTargetType = keyOf("target_type")
)

// variantOf reports whether name, which is neither a nor a2, is a variant
// of either, and returns the name it stands for, written into buf. Most
// names it sees begin differently from both.
func variantOf(name []byte, a, a2 *key, buf *[maxNameLen]byte) ([]byte, bool) {
	if len(name) == 0 {
		return nil, false
	}
	if c := lowerASCII(name[0]); c < utf8.RuneSelf && c != a.first && c != a2.first {
		return nil, false
	}
	switch {
	case foldEqual(name, a.name):
		return buf[:copy(buf[:], a.name)], true
	case foldEqual(name, a2.name):
		return buf[:copy(buf[:], a2.name)], true
	}
	return nil, false
}

// foldEqual reports whether name is the ASCII string a under Unicode simple
// case folding, as strings.EqualFold(string(name), a) does.
func foldEqual(name []byte, a string) bool {
	j := 0
	for i := range len(a) {
		if j >= len(name) {
			return false
		}
		switch want := lowerASCII(a[i]); {
		case lowerASCII(name[j]) == want: // a byte beyond ASCII is never want
			j++
		case want == 's' && hasAt(name, j, longS):
			j += len(longS)
		case want == 'k' && hasAt(name, j, kelvin):
			j += len(kelvin)
		default:
			return false
		}
	}
	return j == len(name)
}

func lowerASCII(c byte) byte {
	if c-'A' < 26 {
		return c + 'a' - 'A'
	}
	return c
}

func hasAt(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}
