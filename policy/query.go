package policy

import (
	"fmt"
	"time"

	"reportgate/internal/spec"
)

// MaxQueryPairs bounds the key=value pairs of one request's query.
const MaxQueryPairs = 128

type valueKind uint8

const (
	kindString valueKind = iota
	kindInt
	kindBool
	kindEnum
	kindDateTime
	kindDate
)

type paramSpec struct {
	name  string
	kind  valueKind
	array bool
	enum  []string
	min   int64
	pin   *Pin // the one value allowed, when pinned
}

// QuerySpec is the compiled query parameters of one operation, with the
// rule's scope-bearing ones.
type QuerySpec struct {
	index  map[string]int
	params []paramSpec
	// filter is the index of the Inject rule's scope filter, or -1; its name
	// and the set whose ids fill it.
	filter     int
	filterName string
	filterSet  Set
	bounds     []compiledBound
}

type compiledBound struct {
	param int
	set   Set
}

func compileQuery(rule *Rule, sr spec.Route) (*QuerySpec, error) {
	qs := &QuerySpec{index: map[string]int{}, filter: -1}
	for _, p := range sr.Params {
		if p.In != "query" {
			continue
		}
		ps := paramSpec{name: p.Name, array: p.Array, min: 0}
		switch {
		case len(p.Enum) > 0:
			ps.kind, ps.enum = kindEnum, p.Enum
		case p.Type == "integer":
			ps.kind = kindInt
			if p.Minimum != nil {
				ps.min = int64(*p.Minimum)
			}
		case p.Type == "boolean":
			ps.kind = kindBool
		case p.Format == "date-time":
			ps.kind = kindDateTime
		case p.Format == "date":
			ps.kind = kindDate
		}
		qs.index[p.Name] = len(qs.params)
		qs.params = append(qs.params, ps)
	}
	if len(qs.params) > 64 {
		return nil, fmt.Errorf("policy: %s %s has more than 64 query parameters", rule.Method, rule.Path)
	}
	if rule.Strategy == Inject {
		i, ok := qs.index[rule.Filter]
		if !ok || !qs.params[i].array || qs.params[i].kind != kindInt {
			return nil, fmt.Errorf("policy: %s %s injects %q, not an integer array parameter of the spec", rule.Method, rule.Path, rule.Filter)
		}
		qs.filter, qs.filterName, qs.filterSet = i, rule.Filter, rule.FilterSet
	}
	for i := range rule.Pins {
		pin := &rule.Pins[i]
		j, ok := qs.index[pin.Param]
		if !ok {
			return nil, fmt.Errorf("policy: %s %s pins %q, not a parameter of the spec", rule.Method, rule.Path, pin.Param)
		}
		qs.params[j].pin = pin
	}
	for _, b := range rule.Bounds {
		i, ok := qs.index[b.Param]
		if !ok || qs.params[i].kind != kindInt || b.Set == NoSet {
			return nil, fmt.Errorf("policy: %s %s bounds %q, not an integer parameter of the spec", rule.Method, rule.Path, b.Param)
		}
		qs.bounds = append(qs.bounds, compiledBound{param: i, set: b.Set})
	}
	return qs, nil
}

// QueryError is a refused query, with the detail a partner needs to fix it.
type QueryError struct {
	Param  string
	Detail string
}

func (e *QueryError) Error() string {
	if e.Param == "" {
		return "invalid query: " + e.Detail
	}
	return fmt.Sprintf("invalid query parameter %q: %s", e.Param, e.Detail)
}

// Pair is one key=value of a query, as received (still percent-encoded).
type Pair struct {
	Key, Value []byte
	param      int   // index into QuerySpec.params
	Int        int64 // the value of an integer parameter
}

// Query is a parsed, checked query. Its slices alias the request.
type Query struct {
	n     int
	pairs [MaxQueryPairs]Pair
	// Filter values of an Inject rule, in order of appearance.
	filterN int
	filter  [MaxQueryPairs]int64
	// PageSize is the page_size given; HasPageSize is false when absent.
	PageSize    int64
	HasPageSize bool
}

// Pairs returns the checked pairs.
func (q *Query) Pairs() []Pair { return q.pairs[:q.n] }

// Filter returns the values of the Inject rule's scope filter.
func (q *Query) Filter() []int64 { return q.filter[:q.filterN] }

// Parse checks raw (the query string without '?') against the operation's
// parameters and fills q. It refuses rather than normalises: an unknown
// parameter, an empty or malformed value, a repeated scalar, a repeated
// value of an array, ';' (some servers split on it), a malformed or control
// percent-escape. It allocates only to build an error.
func (qs *QuerySpec) Parse(raw []byte, q *Query) error {
	q.n, q.filterN, q.PageSize, q.HasPageSize = 0, 0, 0, false
	if len(raw) == 0 {
		return nil
	}
	var seen uint64 // bitset of scalar params seen (compileQuery caps params at 64)
	for len(raw) > 0 {
		i := 0
		for i < len(raw) && raw[i] != '&' {
			i++
		}
		kv := raw[:i]
		if i < len(raw) {
			raw = raw[i+1:]
			if len(raw) == 0 {
				return &QueryError{Detail: "trailing '&'"}
			}
		} else {
			raw = raw[:0]
		}
		if err := qs.parsePair(kv, q, &seen); err != nil {
			return err
		}
	}
	return nil
}

func (qs *QuerySpec) parsePair(kv []byte, q *Query, seen *uint64) error {
	if len(kv) == 0 {
		return &QueryError{Detail: "empty parameter ('&&')"}
	}
	eq := -1
	for j, c := range kv {
		if c == '=' && eq < 0 {
			eq = j
		}
		if !queryByte[c] {
			return &QueryError{Detail: fmt.Sprintf("byte %q is not allowed in a query", c)}
		}
	}
	if eq <= 0 {
		return &QueryError{Param: string(kv), Detail: "has no value"}
	}
	key, val := kv[:eq], kv[eq+1:]
	idx, ok := qs.index[string(key)]
	if !ok {
		return &QueryError{Param: string(key), Detail: "is not a parameter of this operation"}
	}
	if q.n == MaxQueryPairs {
		return &QueryError{Detail: fmt.Sprintf("more than %d parameters", MaxQueryPairs)}
	}
	p := &qs.params[idx]
	if len(val) == 0 {
		return &QueryError{Param: p.name, Detail: "is empty"}
	}
	if !p.array {
		if *seen&(1<<idx) != 0 {
			return &QueryError{Param: p.name, Detail: "is repeated but takes one value"}
		}
		*seen |= 1 << idx
	} else if q.repeats(idx, val) {
		return &QueryError{Param: p.name, Detail: fmt.Sprintf("repeats the value %q", val)}
	}
	n, err := checkValue(p, val)
	if err != nil {
		return err
	}
	if p.pin != nil && string(val) != p.pin.Value {
		return &QueryError{Param: p.name, Detail: p.pin.Reason}
	}
	q.pairs[q.n] = Pair{Key: key, Value: val, param: idx, Int: n}
	q.n++
	if idx == qs.filter {
		q.filter[q.filterN] = n
		q.filterN++
	}
	if p.name == "page_size" {
		q.PageSize, q.HasPageSize = n, true
	}
	return nil
}

func (q *Query) repeats(idx int, val []byte) bool {
	for _, p := range q.pairs[:q.n] {
		if p.param == idx && string(p.Value) == string(val) {
			return true
		}
	}
	return false
}

func checkValue(p *paramSpec, val []byte) (int64, error) {
	bad := func(detail string) (int64, error) {
		return 0, &QueryError{Param: p.name, Detail: detail}
	}
	switch p.kind {
	case kindInt:
		n, ok := parseInt(val)
		if !ok {
			return bad(fmt.Sprintf("%q is not a decimal integer (arrays are repeated keys, not comma lists)", val))
		}
		if n < p.min {
			return bad(fmt.Sprintf("%d is below the minimum %d", n, p.min))
		}
		return n, nil
	case kindBool:
		if string(val) != "true" && string(val) != "false" {
			return bad(fmt.Sprintf("%q is not true or false", val))
		}
	case kindEnum:
		for _, e := range p.enum {
			if e == string(val) {
				return 0, nil
			}
		}
		return bad(fmt.Sprintf("%q is not one of %v", val, p.enum))
	case kindDateTime, kindDate:
		var buf [64]byte
		dec, ok := unescape(buf[:0], val)
		layout := time.RFC3339
		if p.kind == kindDate {
			layout = time.DateOnly
		}
		if !ok || len(dec) == len(buf) {
			return bad("is not a valid date")
		}
		if _, err := time.Parse(layout, string(dec)); err != nil {
			return bad(fmt.Sprintf("%q is not a %s date", dec, layout))
		}
	default:
		if !validEscapes(val) {
			return bad("has a malformed or control percent-escape")
		}
	}
	return 0, nil
}

// parseInt accepts an optional '-' and canonical decimal digits.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	n, ok := parseID(b)
	if neg {
		n = -n
	}
	return n, ok
}

// validEscapes checks every %XX is two hex digits and decodes to neither a
// control byte nor a '%' (double encoding).
func validEscapes(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '%' {
			continue
		}
		if i+2 >= len(b) {
			return false
		}
		c, ok := unhex2(b[i+1], b[i+2])
		if !ok || c < 0x20 || c == 0x7f || c == '%' {
			return false
		}
		i += 2
	}
	return true
}

// unescape appends the percent-decoded b to dst ('+' stays '+': dates carry
// it as an offset sign only when encoded). ok is false on a bad escape.
func unescape(dst, b []byte) ([]byte, bool) {
	if !validEscapes(b) {
		return dst, false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '%' {
			c, _ = unhex2(b[i+1], b[i+2])
			i += 2
		}
		if len(dst) == cap(dst) {
			return dst, true
		}
		dst = append(dst, c)
	}
	return dst, true
}

func unhex2(a, b byte) (byte, bool) {
	x, ok1 := unhex(a)
	y, ok2 := unhex(b)
	return x<<4 | y, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// queryByte is what a query may hold raw: RFC 3986's unreserved set, '%'
// for escapes, '=' and '&' as separators, and the sub-delims that are plain
// data in a value (':' '@' ',' '+' '*' '!' '$' '\” '(' ')' '/' '?').
// ';' is refused: some servers split pairs on it.
var queryByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = pathByte[c]
	}
	for _, c := range "%=&:@,+*!$'()/?" {
		t[c] = true
	}
	return t
}()
