package policy

import "strconv"

// DefaultPageSize is the upstream's page_size when none is given.
const DefaultPageSize = 20

// Bound is a query parameter whose values name objects of a scope set. A
// caller's value outside the set is dropped; a Bound parameter left with no
// value makes the answer an empty page, without the upstream. It keeps a
// filter from asking the upstream about objects the key may not see:
// /users?account=X would otherwise tell which of the key's users govern an
// account X outside its scope.
type Bound struct {
	Param string
	Set   Set
}

// Inject writes to dst the query an Inject rule sends upstream: the
// caller's other pairs as received and in order, then the rule's scope
// filter — the caller's values that are in the scope, or the whole scope
// when the caller gave none. empty is true when no value is left (or the
// scope set is empty): the answer is an empty page and the upstream is not
// called.
func (qs *QuerySpec) Inject(dst []byte, q *Query, s *Scope) (out []byte, empty bool) {
	out, empty = qs.appendBounded(dst, q, s, false)
	if empty || qs.filter < 0 {
		return out, empty
	}
	set := s.Set(qs.filterSet)
	given := q.Filter()
	if len(given) == 0 {
		if len(set) == 0 {
			return out, true
		}
		if len(out) > 0 {
			out = append(out, '&')
		}
		return append(out, s.Filter(qs.filterSet, qs.filterName)...), false
	}
	kept := 0
	for _, id := range given {
		if set.Has(id) {
			out = appendIntPair(out, qs.filterName, id)
			kept++
		}
	}
	return out, kept == 0
}

// ListFilters writes to dst the filters a ScopedList reads the upstream
// with: the caller's pairs but page and page_size, Bound parameters kept to
// their in-scope values. It returns the page (default 1) and page size
// (default DefaultPageSize) asked for; empty as for Inject.
func (qs *QuerySpec) ListFilters(dst []byte, q *Query, s *Scope) (out []byte, page, size int64, empty bool) {
	page, size = 1, DefaultPageSize
	for _, p := range q.Pairs() {
		switch qs.params[p.param].name {
		case "page":
			page = p.Int
		case "page_size":
			size = p.Int
		}
	}
	out, empty = qs.appendBounded(dst, q, s, true)
	return out, page, size, empty
}

// appendBounded appends the caller's pairs but the inject filter (and page
// and page_size when paging is false), dropping Bound values out of scope.
func (qs *QuerySpec) appendBounded(dst []byte, q *Query, s *Scope, noPaging bool) ([]byte, bool) {
	var given, kept uint64 // bitsets of Bound parameters (compileQuery caps params at 64)
	for _, p := range q.Pairs() {
		name := qs.params[p.param].name
		switch {
		case p.param == qs.filter:
			continue
		case noPaging && (name == "page" || name == "page_size"):
			continue
		}
		if set, ok := qs.bound(p.param); ok {
			given |= 1 << p.param
			if !s.Has(set, p.Int) {
				continue
			}
			kept |= 1 << p.param
		}
		dst = appendPair(dst, p.Key, p.Value)
	}
	return dst, given != kept
}

func (qs *QuerySpec) bound(param int) (Set, bool) {
	for _, b := range qs.bounds {
		if b.param == param {
			return b.set, true
		}
	}
	return NoSet, false
}

func appendIntPair(b []byte, k string, v int64) []byte {
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = append(b, k...)
	b = append(b, '=')
	return strconv.AppendInt(b, v, 10)
}

func appendPair(b, k, v []byte) []byte {
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = append(b, k...)
	b = append(b, '=')
	return append(b, v...)
}
