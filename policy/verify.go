package policy

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"
)

// ErrMalformedBody: a 200 body is not the JSON its operation returns. It is
// never passed on: what cannot be checked is not forwarded.
var ErrMalformedBody = errors.New("policy: upstream body does not have the expected shape")

// Violation is an object in a body that the key's scope does not cover.
type Violation struct {
	Field string
	ID    int64
	Set   Set
}

func (v *Violation) Error() string {
	return fmt.Sprintf("policy: %s %d is outside the key's %s", v.Field, v.ID, v.Set)
}

// Verifier checks upstream bodies against a scope (DESIGN §3 step 7). It
// keeps parsers in a pool and is safe for concurrent use; a steady state
// allocates nothing.
type Verifier struct {
	parsers fastjson.ParserPool
	owners  *Owners
}

// NewVerifier returns a verifier that resolves transaction targets through
// owners (cache only: ownership must be resolved before the body is checked).
func NewVerifier(owners *Owners) *Verifier { return &Verifier{owners: owners} }

// Verify returns nil when every scope-bearing object of body is in scope,
// a *Violation naming the first that is not, or ErrMalformedBody.
func (v *Verifier) Verify(body []byte, c Check, s *Scope) error {
	if c.Shape == NoCheck {
		return nil
	}
	p := v.parsers.Get()
	defer v.parsers.Put(p)
	root, err := p.ParseBytes(body)
	if err != nil {
		return ErrMalformedBody
	}
	switch c.Shape {
	case Nodes, NodesTarget:
		edges, err := arrayAt(root, "edges")
		if err != nil || root.Get("page_info") == nil {
			return ErrMalformedBody
		}
		for _, e := range edges {
			if err := v.checkOne(e.Get("node"), c, s); err != nil {
				return err
			}
		}
		return nil
	case Items:
		arr, err := root.Array()
		if err != nil {
			return ErrMalformedBody
		}
		return v.checkAll(arr, c, s)
	case Wrapped:
		arr, err := arrayAt(root, c.Wrap)
		if err != nil {
			return ErrMalformedBody
		}
		return v.checkAll(arr, c, s)
	case ObjectTarget:
		if c.Wrap != "" {
			root = root.Get(c.Wrap)
		}
		return v.checkOne(root, c, s)
	default:
		return v.checkOne(root, c, s)
	}
}

func (v *Verifier) checkAll(arr []*fastjson.Value, c Check, s *Scope) error {
	for _, item := range arr {
		if err := v.checkOne(item, c, s); err != nil {
			return err
		}
	}
	return nil
}

func (v *Verifier) checkOne(obj *fastjson.Value, c Check, s *Scope) error {
	if obj == nil || obj.Type() != fastjson.TypeObject {
		return ErrMalformedBody
	}
	if c.Shape == NodesTarget || c.Shape == ObjectTarget {
		return v.checkTarget(obj, s)
	}
	id, err := intField(obj, c.Field)
	if err != nil {
		return err
	}
	if !s.Has(c.Set, id) {
		return &Violation{Field: c.Field, ID: id, Set: c.Set}
	}
	return nil
}

func (v *Verifier) checkTarget(obj *fastjson.Value, s *Scope) error {
	id, err := intField(obj, "target_id")
	if err != nil {
		return err
	}
	tt := obj.Get("target_type")
	if tt == nil || tt.Type() != fastjson.TypeString {
		return ErrMalformedBody
	}
	typ, _ := tt.StringBytes()
	if !TargetInScope(s, ClassifyTarget(typ), id, v.owners) {
		return &Violation{Field: "target_id", ID: id}
	}
	return nil
}

// TargetInScope decides a request target from the scope and the owners
// already known; an unknown transaction owner is out of scope (fail closed).
func TargetInScope(s *Scope, kind TargetKind, id int64, owners *Owners) bool {
	switch kind {
	case TargetAccount:
		return s.Accounts.Has(id)
	case TargetUser:
		return s.Users.Has(id)
	case TargetTransaction:
		acct, ok := owners.Cached(TransactionOwner, id)
		return ok && s.Accounts.Has(acct)
	}
	return false
}

func arrayAt(obj *fastjson.Value, key string) ([]*fastjson.Value, error) {
	v := obj.Get(key)
	if v == nil {
		return nil, ErrMalformedBody
	}
	return v.Array()
}

func intField(obj *fastjson.Value, field string) (int64, error) {
	f := obj.Get(field)
	if f == nil || f.Type() != fastjson.TypeNumber {
		return 0, ErrMalformedBody
	}
	id, err := f.Int64()
	if err != nil {
		return 0, ErrMalformedBody
	}
	return id, nil
}
