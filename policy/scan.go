package policy

import "github.com/valyala/fastjson"

// maxDepth bounds nesting as the reference parser does: fastjson refuses a
// value inside 300 containers (a value inside n containers is at depth n+1).
const maxDepth = fastjson.MaxDepth

// maxNameLen bounds the member names the verifier compares: every name it
// checks, and every variant of one that a decoder folding case would match
// (scan_fold.go), is at most that long (a test holds the table to it), so
// a longer name is none of them and need not be unescaped in full.
const maxNameLen = 32

// noName stands for a member name that can be neither a name the verifier
// checks nor a variant of one (scan_fold.go): a surrogate escape (no rune
// beyond the Basic Multilingual Plane, nor a lone surrogate, folds to
// ASCII), or longer than maxNameLen unescaped. No checked name holds a
// backslash.
var noName = []byte{'\\'}

// scanner reads a JSON text in one pass and validates all of it as
// fastjson.Validate and encoding/json do — RFC 8259's grammar; like them it
// does not refuse invalid UTF-8 — with fastjson's depth bound. Its user
// reads the few members it checks in place and skips the rest; nothing
// allocates. A method that returns ok=false found a syntax error: the text
// is malformed and the scanner is not used further.
//
// The functions under it take and return an index into the text, -1 for
// a syntax error, so that the hot loops keep it in a register.
//
// It is hand-written, small and fuzzed (FuzzScanAgainstParser): of the
// libraries at hand, encoding/json/jsontext validates strictly but no
// faster than fastjson parses, gjson.Valid only validates (a second pass
// would still read the ids), and segmentio's tokenizer does not check the
// grammar between tokens.
type scanner struct {
	b     []byte
	i     int
	depth int // containers open at i
}

// peek returns the byte at i, or 0 at the end (0 is nowhere valid).
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// end reports whether only whitespace follows the root value: a second
// value appended to the one checked would reach the partner unchecked.
func (s *scanner) end() bool {
	return skipWS(s.b, s.i) == len(s.b)
}

// enter reads the opening brace or bracket c of the value at i.
func (s *scanner) enter(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	s.depth++
	return true
}

// seek reads the members of the object being read up to the next one
// named a or a2, or a variant of either (scan_fold.go), and returns its
// name with i at its value — for a variant, variant is set and name is
// the name it stands for —; end reports the object's closing brace
// instead. first says no member was read yet. A name with escapes is
// unescaped into buf: "\u0069d" is "id" to every decoder. The other
// members are skipped in the same loop: a call per member would cost more
// than reading it.
func (s *scanner) seek(first bool, a, a2 *key, buf *[maxNameLen]byte) (name []byte, variant, end, ok bool) {
	b, i := s.b, s.i
	lens := a.lens | a2.lens
	for ; ; first = false {
		if i = skipWS(b, i); i >= len(b) {
			return nil, false, false, false
		}
		switch c := b[i]; {
		case c == '}':
			s.i, s.depth = i+1, s.depth-1
			return nil, false, true, true
		case c == ',' && !first:
			i = skipWS(b, i+1)
		case !first:
			return nil, false, false, false
		}
		if i >= len(b) || b[i] != '"' || s.depth >= maxDepth {
			return nil, false, false, false
		}
		j, escaped := strEnd(b, i)
		if j < 0 {
			return nil, false, false, false
		}
		name = b[i+1 : j-1]
		if j = skipWS(b, j); j >= len(b) || b[j] != ':' {
			return nil, false, false, false
		}
		if i = skipWS(b, j+1); escaped {
			name = unescapeName(name, buf)
		}
		if n := uint(len(name)); n < 64 && lens>>n&1 != 0 {
			if string(name) == a.name || string(name) == a2.name {
				s.i = i
				return name, false, false, true
			}
			if found, ok := variantOf(name, a, a2, buf); ok {
				s.i = i
				return found, true, false, true
			}
		}
		if i >= len(b) {
			return nil, false, false, false
		}
		switch c := b[i]; {
		case c == '"':
			j, _ = strEnd(b, i)
		case c == '{' || c == '[':
			if s.i = i; !s.skipNested() {
				return nil, false, false, false
			}
			j = s.i
		case c-'1' < 9:
			if j = intEnd(b, i); j < 0 {
				j = numEnd(b, i)
			}
		case c == 't' || c == 'f' || c == 'n':
			j = literalEnd(b, i, c)
		default:
			j = numEnd(b, i)
		}
		if i = j; i < 0 {
			return nil, false, false, false
		}
	}
}

// element moves to the next element of the array being read (whitespace
// skipped), or past its closing bracket (end).
func (s *scanner) element(first bool) (end, ok bool) {
	b := s.b
	i := skipWS(b, s.i)
	if i >= len(b) {
		return false, false
	}
	switch b[i] {
	case ']':
		s.i = i + 1
		s.depth--
		return true, true
	case ',':
		if first {
			return false, false
		}
		i = skipWS(b, i+1)
	default:
		if !first {
			return false, false
		}
	}
	s.i = i
	return false, s.depth < maxDepth
}

// intValue reads the value at i; isInt reports an integer as fastjson's
// Int64 reads one — no fraction or exponent, within int64 — and n its
// value.
func (s *scanner) intValue() (n int64, isInt, ok bool) {
	start := s.i
	if !s.skip() {
		return 0, false, false
	}
	n, isInt = jsonInt(s.b[start:s.i])
	return n, isInt, true
}

// stringValue reads the value at i; isString reports a string, raw its
// content.
func (s *scanner) stringValue() (raw []byte, isString, escaped, ok bool) {
	if s.peek() != '"' {
		return nil, false, false, s.skip()
	}
	start := s.i + 1
	end, escaped := strEnd(s.b, s.i)
	if end < 0 {
		return nil, false, false, false
	}
	s.i = end
	return s.b[start : end-1], true, escaped, true
}

// skip reads the value at i without looking into it.
func (s *scanner) skip() bool {
	var i int
	switch c := s.peek(); c {
	case '{', '[':
		return s.skipNested()
	case '"':
		i, _ = strEnd(s.b, s.i)
	case 't', 'f', 'n':
		i = literalEnd(s.b, s.i, c)
	default:
		i = numEnd(s.b, s.i)
	}
	s.i = i
	return i >= 0
}

// skipNested reads the object or array at i. It keeps its own stack of
// open containers, a bit per level (set for an object), rather than
// recursing.
func (s *scanner) skipNested() bool {
	var objects [maxDepth/64 + 1]uint64
	b, i, depth := s.b, s.i, s.depth
	base := depth
	name := false   // a member name comes next
	object := false // the innermost open container is an object
	for {
		// A value, or a member name, starts at i.
		if depth >= maxDepth || i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			if i, _ = strEnd(b, i); i < 0 {
				return false
			}
			if name {
				if i = skipWS(b, i); i >= len(b) || b[i] != ':' {
					return false
				}
				i = skipWS(b, i+1)
				name = false
				continue
			}
		case name:
			return false
		case c == '{' || c == '[':
			bit := uint64(1) << (depth & 63)
			objects[depth>>6] &^= bit
			if c == '{' {
				objects[depth>>6] |= bit
			}
			depth++
			if i = skipWS(b, i+1); i < len(b) && b[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				i++
				depth--
				break
			}
			object = c == '{'
			name = object
			continue
		case c == 't' || c == 'f' || c == 'n':
			i = literalEnd(b, i, c)
		case c-'1' < 9:
			j := intEnd(b, i)
			if j < 0 {
				j = numEnd(b, i)
			}
			i = j
		default:
			i = numEnd(b, i)
		}
		if i < 0 {
			return false
		}
		// After a value: close the containers it ends, up to the next value.
		for {
			if depth == base {
				s.i, s.depth = i, depth
				return true
			}
			if i = skipWS(b, i); i >= len(b) {
				return false
			}
			c := b[i]
			if c == ',' {
				i = skipWS(b, i+1)
				name = object
				break
			}
			if object && c != '}' || !object && c != ']' {
				return false
			}
			i++
			depth--
			if top := depth - 1; depth > base {
				object = objects[top>>6]&(1<<(top&63)) != 0
			}
		}
	}
}

// validJSON reports whether body is one JSON value, as the scanner reads it.
func validJSON(body []byte) bool {
	s := scanner{b: body}
	s.i = skipWS(body, 0)
	return s.skip() && s.end()
}
