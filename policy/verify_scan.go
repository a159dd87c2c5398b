package policy

import "errors"

// errScanFallback: the scan met what it leaves to the parser (a
// target_type with escapes, which ClassifyTarget must read unescaped). The
// body is valid JSON; verifyParsed decides.
var errScanFallback = errors.New("policy: body left to the parser")

// verdict is what checking one object, or a whole body, found — in the
// order verifyParsed finds it: malformed, else the first violation.
type verdict struct {
	bad   bool   // ErrMalformedBody
	field string // the field of a violation; "" when none
	id    int64
	set   Set
}

var malformed = verdict{bad: true}

func (v verdict) failed() bool { return v.bad || v.field != "" }

func (v verdict) err() error {
	switch {
	case v.bad:
		return ErrMalformedBody
	case v.field != "":
		return &Violation{Field: v.field, ID: v.id, Set: v.set}
	}
	return nil
}

// idField is what a scan saw of one checked member: how often it came and,
// last time, whether it was an integer and which; and whether a variant of
// its name came (scan_fold.go).
type idField struct {
	n       int
	id      int64
	isInt   bool
	variant bool
}

func (f *idField) set(id int64, isInt bool) { f.n++; f.id, f.isInt = id, isInt }

// see records a member seek found: the checked one, or a variant.
func (f *idField) see(id int64, isInt, variant bool) {
	if variant {
		f.variant = true
		return
	}
	f.set(id, isInt)
}

// ok reports the member once, an integer, and no variant of its name:
// what intField accepts.
func (f *idField) ok() bool { return f.n == 1 && f.isInt && !f.variant }

// bodyScan checks a body in one pass over it (the scanner) for the shapes
// Nodes, NodesTarget, Object, ObjectTarget, Items and Wrapped, with the
// verdicts of verifyParsed, the reference: the whole body is validated
// before any verdict, a checked member must come exactly once (a
// partner's decoder keeps the last of two, the parser the first) and no
// variant of its name in its object (scan_fold.go), names are compared
// unescaped, ids are integers, and the first failing object in document
// order decides, after the envelope's own checks.
type bodyScan struct {
	scanner
	c      Check
	scope  *Scope
	owners *Owners
	parent int64
	// The names of c: its field, its parent (the field when none) and its
	// wrapper.
	field, parentField, wrap key
	name                     [maxNameLen]byte
	// fallback: the body holds what the scan leaves to the parser.
	fallback bool
}

// scan returns what verifyParsed would for a body of a scanned shape, or
// errScanFallback.
func (v *Verifier) scan(body []byte, c Check, s *Scope, parent int64) error {
	b := bodyScan{scanner: scanner{b: body, i: skipWS(body, 0)}, c: c, scope: s, owners: v.owners, parent: parent}
	b.field, b.wrap = keyOf(c.Field), keyOf(c.Wrap)
	if b.parentField = b.field; c.Parent != "" {
		b.parentField = keyOf(c.Parent)
	}
	var res verdict
	var ok bool
	switch {
	case c.Shape == Nodes || c.Shape == NodesTarget:
		res, ok = b.page()
	case c.Shape == Items:
		res, ok = b.list(true)
	case c.Shape == Wrapped:
		res, ok = b.wrapped(true)
	case c.Shape == ObjectTarget && c.Wrap != "":
		res, ok = b.wrapped(false)
	default: // Object, ObjectTarget
		res, ok = b.item()
	}
	switch {
	case !ok || !b.end():
		return ErrMalformedBody
	case b.fallback:
		return errScanFallback
	}
	return res.err()
}

// page reads a paginated envelope: edges[].node are the checked objects,
// and a list of set members cannot count more than the set holds (see
// checkPage).
func (b *bodyScan) page() (verdict, bool) {
	if !b.enter('{') {
		return malformed, b.skip()
	}
	var edges, info int
	var isArray, isObject, variant bool
	var count idField
	var first verdict
	for start := true; ; start = false {
		name, isVariant, end, ok := b.seek(start, &keyEdges, &keyPageInfo, &b.name)
		switch {
		case !ok:
			return verdict{}, false
		case end:
			if variant || edges != 1 || !isArray || info != 1 || !isObject || !count.ok() {
				return malformed, true
			}
			if b.c.Shape == Nodes && b.c.Field == "id" && count.id > int64(len(b.scope.Set(b.c.Set))) {
				return verdict{field: "page_info.count", id: count.id, set: b.c.Set}, true
			}
			return first, true
		case isVariant:
			variant = true
			ok = b.skip()
		case string(name) == "edges":
			edges++
			if isArray = b.peek() == '['; isArray {
				first, ok = b.list(false)
			} else {
				ok = b.skip()
			}
		default: // page_info
			info++
			if isObject = b.peek() == '{'; isObject {
				count, ok = b.pageInfo()
			} else {
				ok = b.skip()
			}
		}
		if !ok {
			return verdict{}, false
		}
	}
}

// pageInfo reads the envelope's page_info object for its count.
func (b *bodyScan) pageInfo() (idField, bool) {
	var count idField
	b.enter('{')
	for start := true; ; start = false {
		_, variant, end, ok := b.seek(start, &keyCount, &keyCount, &b.name)
		if !ok || end {
			return count, ok
		}
		id, isInt, ok := b.intValue()
		if !ok {
			return count, false
		}
		count.see(id, isInt, variant)
	}
}

// edge reads one element of edges: an object whose one node member is
// the checked object.
func (b *bodyScan) edge() (verdict, bool) {
	if !b.enter('{') {
		return malformed, b.skip()
	}
	nodes := 0
	var res verdict
	var variant bool
	for start := true; ; start = false {
		_, isVariant, end, ok := b.seek(start, &keyNode, &keyNode, &b.name)
		switch {
		case !ok:
			return verdict{}, false
		case end && (nodes != 1 || variant):
			return malformed, true
		case end:
			return res, true
		case isVariant:
			variant, ok = true, b.skip()
		default:
			nodes++
			res, ok = b.item()
		}
		if !ok {
			return verdict{}, false
		}
	}
}

// list reads an array of checked objects, or of edges, and returns the
// first failing element's verdict.
func (b *bodyScan) list(items bool) (verdict, bool) {
	if !b.enter('[') {
		return malformed, b.skip()
	}
	var first, res verdict
	for start := true; ; start = false {
		end, ok := b.element(start)
		if !ok || end {
			return first, ok
		}
		if items {
			res, ok = b.item()
		} else {
			res, ok = b.edge()
		}
		if !ok {
			return verdict{}, false
		}
		if !first.failed() {
			first = res
		}
	}
}

// wrapped reads {<Wrap>: ...}: a list of checked objects, or one.
func (b *bodyScan) wrapped(list bool) (verdict, bool) {
	if !b.enter('{') {
		return malformed, b.skip()
	}
	n := 0
	var res verdict
	var variant bool
	for start := true; ; start = false {
		_, isVariant, end, ok := b.seek(start, &b.wrap, &b.wrap, &b.name)
		switch {
		case !ok:
			return verdict{}, false
		case end && (n != 1 || variant):
			return malformed, true
		case end:
			return res, true
		case isVariant:
			variant, ok = true, b.skip()
		case list:
			n++
			res, ok = b.list(true)
		default:
			n++
			res, ok = b.item()
		}
		if !ok {
			return verdict{}, false
		}
	}
}

// item reads one checked object (checkOne).
func (b *bodyScan) item() (verdict, bool) {
	if b.peek() != '{' {
		return malformed, b.skip()
	}
	if b.c.Shape == NodesTarget || b.c.Shape == ObjectTarget {
		return b.target()
	}
	b.enter('{')
	var field, parent idField
	for start := true; ; start = false {
		name, variant, end, ok := b.seek(start, &b.field, &b.parentField, &b.name)
		if !ok {
			return verdict{}, false
		}
		if end {
			return b.judge(&field, &parent), true
		}
		id, isInt, ok := b.intValue()
		if !ok {
			return verdict{}, false
		}
		if string(name) == b.c.Field {
			field.see(id, isInt, variant)
		}
		if b.c.Parent != "" && string(name) == b.c.Parent { // may be the same member
			parent.see(id, isInt, variant)
		}
	}
}

// judge decides an object from its checked members as checkOne does.
func (b *bodyScan) judge(field, parent *idField) verdict {
	switch {
	case !field.ok():
		return malformed
	case !b.scope.Has(b.c.Set, field.id):
		return verdict{field: b.c.Field, id: field.id, set: b.c.Set}
	case b.c.Parent == "":
		return verdict{}
	case !parent.ok():
		return malformed
	case parent.id != b.parent:
		return verdict{field: b.c.Parent, id: parent.id, set: b.c.Set}
	}
	return verdict{}
}

// target reads a request object: (target_type, target_id) must be a target
// in scope (checkTarget).
func (b *bodyScan) target() (verdict, bool) {
	b.enter('{')
	var id idField
	var typ []byte
	types := 0
	var isString, escaped, variant bool
	for start := true; ; start = false {
		name, isVariant, end, ok := b.seek(start, &keyTargetID, &keyTargetType, &b.name)
		switch {
		case !ok:
			return verdict{}, false
		case end && variant:
			return malformed, true
		case end:
			return b.judgeTarget(&id, typ, types == 1 && isString, escaped), true
		case isVariant:
			variant, ok = true, b.skip()
		case string(name) == "target_id":
			var n int64
			var isInt bool
			n, isInt, ok = b.intValue()
			id.set(n, isInt)
		default: // target_type
			types++
			typ, isString, escaped, ok = b.stringValue()
		}
		if !ok {
			return verdict{}, false
		}
	}
}

// judgeTarget decides a request object as checkTarget does. A target_type
// with escapes is left to the parser, which unescapes it.
func (b *bodyScan) judgeTarget(id *idField, typ []byte, typeOK, escaped bool) verdict {
	switch {
	case !id.ok() || !typeOK:
		return malformed
	case escaped:
		b.fallback = true
		return verdict{}
	case !TargetInScope(b.scope, ClassifyTarget(typ), id.id, b.owners):
		return verdict{field: "target_id", id: id.id}
	}
	return verdict{}
}
