package policy

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// The scanner's token readers. Each takes the text and an index and returns
// the index after what it read, or -1 for a syntax error.

// skipWS returns the index of the first byte at or after i that is not
// one of JSON's four whitespace characters.
func skipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// strEnd reads the string whose opening quote is at i: it returns the
// index after the closing quote and whether an escape came before it. Most
// strings end within 16 bytes: it tests those at once, then eight bytes at
// a time (stopMask) while eight are left.
func strEnd(b []byte, i int) (end int, escaped bool) {
	if i++; i+16 <= len(b) {
		w := b[i : i+16]
		x, x2 := binary.LittleEndian.Uint64(w[:8]), binary.LittleEndian.Uint64(w[8:])
		m, q, k := stopMask(x), quoteMask(x), i
		if m == 0 {
			m, q, k = stopMask(x2), quoteMask(x2), i+8
		}
		switch {
		case m == 0:
			i += 16
		case q&(m&-m) != 0: // the first stop byte is the closing quote
			return k + bits.TrailingZeros64(m)>>3 + 1, false
		default:
			i = k + bits.TrailingZeros64(m)>>3
		}
	}
	for {
		if i+8 <= len(b) {
			m := stopMask(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		} else {
			for i < len(b) && !strStop[b[i]] {
				i++
			}
			if i >= len(b) {
				return -1, false
			}
		}
		switch b[i] {
		case '"':
			return i + 1, escaped
		case '\\':
			n := escapeLen(b[i+1:])
			if n == 0 {
				return -1, false
			}
			escaped = true
			i += 1 + n
		default: // a raw control character
			return -1, false
		}
	}
}

// strStop marks the bytes that end a run of plain string content: the
// closing quote, an escape, and the control characters JSON forbids raw
// (stopMask finds them eight at a time).
var strStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stopMask sets the high bit of the bytes of x that are a quote, a
// backslash or below 0x20, the lowest one exactly: a byte test
// ((x - ones*n) &^ x & highs) can borrow into the bytes above a hit, never
// below it, so the lowest bit set is the first byte that strStop marks.
// Flipping bit 1 of every byte turns the quote (0x22) into 0x20 and keeps
// the control characters below it, so one test below 0x21 finds both.
func stopMask(x uint64) uint64 {
	c := x ^ (ones * 0x02)
	e := x ^ (ones * '\\')
	return ((c-ones*0x21)&^c | (e-ones)&^e) & highs
}

// quoteMask sets the high bit of the quotes in x, the lowest one exactly
// (see stopMask).
func quoteMask(x uint64) uint64 {
	q := x ^ (ones * '"')
	return (q - ones) &^ q & highs
}

// escapeLen returns the length of the escape after a backslash at the
// start of b, or 0 when it is not one of JSON's.
func escapeLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		if len(b) >= 5 && hexVal(b[1]) >= 0 && hexVal(b[2]) >= 0 && hexVal(b[3]) >= 0 && hexVal(b[4]) >= 0 {
			return 5
		}
	}
	return 0
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unescapeName returns the name the valid raw content of a string spells,
// written into buf, or noName when it can be neither a name the verifier
// checks nor a variant of one: longer than buf, or with a surrogate escape
// (which decoders read differently). An escape beyond ASCII is written in
// UTF-8, as decoders read it: "\u017f" is "ſ", a variant of "s".
func unescapeName(raw []byte, buf *[maxNameLen]byte) []byte {
	n := 0
	for j := 0; j < len(raw); {
		c := raw[j]
		j++
		if c == '\\' {
			switch c, j = raw[j], j+1; c {
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'u':
				r := rune(hexVal(raw[j])<<12 | hexVal(raw[j+1])<<8 | hexVal(raw[j+2])<<4 | hexVal(raw[j+3]))
				j += 4
				if r < utf8.RuneSelf {
					c = byte(r)
					break
				}
				if utf16.IsSurrogate(r) || n+utf8.RuneLen(r) > len(buf) {
					return noName
				}
				n += utf8.EncodeRune(buf[n:], r)
				continue
			}
		}
		if n == len(buf) {
			return noName
		}
		buf[n] = c
		n++
	}
	return buf[:n]
}

// literalEnd reads the literal (true, false or null) starting with c at
// i and returns the index after it.
func literalEnd(b []byte, i int, c byte) int {
	word := "null"
	switch c {
	case 't':
		word = "true"
	case 'f':
		word = "false"
	}
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}

// numEnd reads the number at i: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && b[i]-'0' < 10 {
		i++
	}
	if i == start || i-start > 1 && b[start] == '0' {
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i = digitsEnd(b, i+1); i < 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		i = digitsEnd(b, i)
	}
	return i
}

// intEnd is numEnd's fast path, small enough to inline: the index after
// the positive integer at i (its first digit checked), or -1 when a
// fraction or an exponent follows.
func intEnd(b []byte, i int) int {
	i++
	for i < len(b) && b[i]-'0' < 10 {
		i++
	}
	if i < len(b) && (b[i] == '.' || b[i]|0x20 == 'e') {
		return -1
	}
	return i
}

// digitsEnd returns the index after the digits at i, or -1 when there are
// none.
func digitsEnd(b []byte, i int) int {
	start := i
	for i < len(b) && b[i]-'0' < 10 {
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// jsonInt reads a valid JSON value as fastjson's Int64 does: an integer
// (-?[0-9]+, a number without fraction or exponent) within int64.
func jsonInt(v []byte) (n int64, isInt bool) {
	digits := v
	if len(v) > 0 && v[0] == '-' {
		digits = v[1:]
	}
	if len(digits) == 0 || len(digits) > 19 { // 19 digits fit in a uint64
		return 0, false
	}
	var u uint64
	for _, c := range digits {
		if c-'0' >= 10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	neg := len(digits) < len(v)
	if u > math.MaxInt64 && !(neg && u == 1<<63) {
		return 0, false
	}
	if n = int64(u); neg {
		n = -n // -(1<<63) wraps to itself: math.MinInt64
	}
	return n, true
}
