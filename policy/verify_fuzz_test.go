package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzVerifyAgainstDecoder checks the tripwire against the way a partner
// reads a body: whenever Verify passes a body, encoding/json — into maps,
// where it keeps the last of duplicate keys and unescapes them, and into
// structs, where it also matches names regardless of case (scan_fold.go)
// — must see only in-scope ids where the check looked. A parser
// differential — duplicate, escaped or case-folded keys, number
// spellings, nesting — is a leak.
func FuzzVerifyAgainstDecoder(f *testing.F) {
	for _, seed := range decoderSeeds() {
		for shape := range uint8(len(fuzzChecks)) {
			f.Add([]byte(seed), shape)
		}
	}
	s := NewScope([]int64{1}, []int64{10, 11}, []int64{100}, []int64{7}, []int64{50}, time.Unix(1, 0))
	owners, err := NewOwners(nil, 16)
	if err != nil {
		f.Fatal(err)
	}
	v := NewVerifier(nil, owners)
	f.Fuzz(func(t *testing.T, body []byte, shape uint8) {
		c := fuzzChecks[int(shape)%len(fuzzChecks)]
		if v.Verify(context.Background(), body, c, s, 10) != nil {
			return
		}
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		var root any
		if d.Decode(&root) != nil {
			return // a partner cannot read it either
		}
		for _, read := range []partnerRead{mapRead(t, root, c), structRead(t, body, c)} {
			checkRead(t, body, c, s, owners, read)
		}
	})
}

// checkRead fails t when a decoder read, where c looked, what c refuses.
func checkRead(t *testing.T, body []byte, c Check, s *Scope, owners *Owners, read partnerRead) {
	t.Helper()
	if c.Shape == Nodes && c.Field == "id" {
		if n := decodedInt(t, read.count, body); n > int64(len(s.Set(c.Set))) {
			t.Fatalf("Verify passed %s, but a %s decoder reads a count of %d", body, read.into, n)
		}
	}
	for _, obj := range read.objects {
		if c.Shape == ObjectTarget {
			typ, _ := obj["target_type"].(string)
			id := decodedInt(t, obj["target_id"], body)
			if !TargetInScope(s, ClassifyTarget([]byte(typ)), id, owners) {
				t.Fatalf("Verify passed %s, but a %s decoder reads target %s %d", body, read.into, typ, id)
			}
			continue
		}
		if id := decodedInt(t, obj[c.Field], body); !s.Has(c.Set, id) {
			t.Fatalf("Verify passed %s, but a %s decoder reads %s %d", body, read.into, c.Field, id)
		}
		if c.Parent != "" {
			if p := decodedInt(t, obj[c.Parent], body); p != 10 {
				t.Fatalf("Verify passed %s, but a %s decoder reads %s %d", body, read.into, c.Parent, p)
			}
		}
	}
}

// decoderSeeds are bodies that tried the parser differentials once.
func decoderSeeds() []string {
	page := func(nodes string) string {
		return `{"edges":[` + nodes + `],"page_info":{"count":1,"has_next_page":false}}`
	}
	return []string{
		page(`{"cursor":0,"node":{"id":10,"account_id":11,"parent":10}}`),
		page(`{"cursor":0,"node":{"id":10,"id":12}}`),
		page(`{"cursor":0,"node":{"id":10,"\u0069d":12}}`),
		page(`{"cursor":0,"node":{"id":10},"node":{"id":12}}`),
		`{"edges":[],"edges":[{"cursor":0,"node":{"id":12}}],"page_info":{"count":1,"has_next_page":false}}`,
		page(`{"cursor":0,"node":{"id":1e1}}`), page(`{"cursor":0,"node":{"id":10.0}}`), page(`{"cursor":0,"node":{"id":-0}}`),
		page(`{"cursor":0,"node":{"id":10,"ID":12}}`), page(`{"cursor":0,"node":{"id":"10"}}`),
		`[{"parent_id":10},{"parent_id":11}]`, `[{"parent_id":10,"parent_id":13}]`,
		`{"users":[{"id":100},{"id":101}]}`, `{"users":[{"id":100}],"users":[{"id":101}]}`,
		`{"id":1,"account_id":10}`, `{"id":1,"account_id":10,"account_id":12}`,
		`{"request":{"target_type":"USER","target_id":100},"governance_steps":[]}`,
		`{"request":{"target_type":"USER","target_id":100},"request":{"target_type":"ACCOUNT","target_id":99}}`,
		`{"request":{"target_type":"USER","target_type":"ACCOUNT","target_id":100}}`,
		// Variants of checked names under case folding (scan_fold.go).
		page(`{"cursor":0,"node":{"Id":12,"id":10}}`), page(`{"cursor":0,"node":{"iD":12}}`),
		page(`{"cursor":0,"node":{"id":10,"\u0049D":12}}`), page(`{"cursor":0,"node":{"id":10},"NODE":{"id":12}}`),
		page(`{"cursor":0,"node":{"id":10,"account_id":10,"parent":10,"PARENT":11,"Account_Id":12}}`),
		`{"edges":[],"page_info":{"count":1,"COUNT":9}}`, `{"edges":[],"page_info":{"count":1},"PAGE_INFO":{"count":9}}`,
		`{"edges":[],"edge` + longS + `":[{"cursor":0,"node":{"id":12}}],"page_info":{"count":1}}`,
		`{"id":1,"account_id":10,"ACCOUNT_ID":12}`, `[{"parent_id":10,"Parent_Id":13}]`,
		`{"users":[{"id":100}],"u\u017fers":[{"id":101}]}`, `{"u` + longS + `ers":[{"id":101}],"users":[{"id":100}]}`,
		`{"request":{"target_type":"USER","target_id":100},"Request":{"target_type":"ACCOUNT","target_id":99}}`,
		`{"request":{"target_type":"USER","target_id":100,"TARGET_ID":99,"Target_Type":"ACCOUNT"}}`,
		`{"key_id":10,"` + kelvin + `ey_id":12}`, `{"\u212aey_id":12,"key_id":10}`, `{"key_id":10,"KEY_ID":12}`,
	}
}

// fuzzChecks are the checks FuzzVerifyAgainstDecoder draws from. key_id is
// no name the table checks: it stands for one with a k, which the Kelvin
// sign folds to.
var fuzzChecks = []Check{
	nodes("id", Accounts),
	of(nodes("account_id", Accounts), "parent"),
	object("account_id", Accounts),
	of(items("parent_id", Accounts), "parent_id"),
	wrapped("users", "id", Users),
	{Shape: ObjectTarget, Wrap: "request"},
	object("key_id", Accounts),
}

// partnerRead is what a partner's decoder reads of a body where a check
// looks: the checked objects' members, and a page's count.
type partnerRead struct {
	into    string // "map" or "struct"
	objects []map[string]any
	count   any
}

// mapRead is what a decoder into maps reads of the body decoded as root.
func mapRead(t *testing.T, root any, c Check) partnerRead {
	t.Helper()
	read := partnerRead{into: "map", objects: checkedObjects(t, root, c)}
	if c.Shape == Nodes {
		info, _ := root.(map[string]any)["page_info"].(map[string]any)
		read.count = info["count"]
	}
	return read
}

// checkedObjects returns, as a decoder sees the body, the objects whose
// fields c checks.
func checkedObjects(t *testing.T, root any, c Check) []map[string]any {
	t.Helper()
	asObj := func(x any) map[string]any {
		m, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("Verify passed a body where a decoder finds %T instead of an object", x)
		}
		return m
	}
	asArr := func(x any) []any {
		a, ok := x.([]any)
		if !ok {
			t.Fatalf("Verify passed a body where a decoder finds %T instead of an array", x)
		}
		return a
	}
	var out []map[string]any
	switch c.Shape {
	case Nodes:
		for _, e := range asArr(asObj(root)["edges"]) {
			out = append(out, asObj(asObj(e)["node"]))
		}
	case Items:
		for _, x := range asArr(root) {
			out = append(out, asObj(x))
		}
	case Wrapped:
		for _, x := range asArr(asObj(root)[c.Wrap]) {
			out = append(out, asObj(x))
		}
	case ObjectTarget:
		out = append(out, asObj(asObj(root)[c.Wrap]))
	default:
		out = append(out, asObj(root))
	}
	return out
}

func decodedInt(t *testing.T, x any, body []byte) int64 {
	t.Helper()
	n, ok := x.(json.Number)
	if !ok {
		t.Fatalf("Verify passed %s, but a decoder reads %v (%T) where an id was checked", body, x, x)
	}
	id, err := n.Int64()
	if err != nil || strings.ContainsAny(n.String(), ".eE") {
		t.Fatalf("Verify passed %s, but a decoder reads the id %s", body, n)
	}
	return id
}

// partnerObject is a checked object as a partner's Go client declares it.
type partnerObject struct {
	ID         any `json:"id"`
	AccountID  any `json:"account_id"`
	Parent     any `json:"parent"`
	ParentID   any `json:"parent_id"`
	KeyID      any `json:"key_id"`
	TargetID   any `json:"target_id"`
	TargetType any `json:"target_type"`
}

func (p *partnerObject) members() map[string]any {
	return map[string]any{"id": p.ID, "account_id": p.AccountID, "parent": p.Parent, "parent_id": p.ParentID,
		"key_id": p.KeyID, "target_id": p.TargetID, "target_type": p.TargetType}
}

// structRead is what a decoder into structs reads of body: it matches
// a member to a field's tag regardless of case and keeps the last it
// matched.
func structRead(t *testing.T, body []byte, c Check) partnerRead {
	t.Helper()
	decode := func(into any) {
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(into); err != nil {
			t.Fatalf("Verify passed %s, which decodes into maps but not into structs: %v", body, err)
		}
	}
	read := partnerRead{into: "struct"}
	var objects []partnerObject
	switch {
	case c.Shape == Nodes:
		var page struct {
			Edges []struct {
				Node partnerObject `json:"node"`
			} `json:"edges"`
			PageInfo struct {
				Count any `json:"count"`
			} `json:"page_info"`
		}
		decode(&page)
		for _, e := range page.Edges {
			objects = append(objects, e.Node)
		}
		read.count = page.PageInfo.Count
	case c.Shape == Items:
		decode(&objects)
	case c.Shape == Wrapped && c.Wrap == "users":
		var w struct {
			Users []partnerObject `json:"users"`
		}
		decode(&w)
		objects = w.Users
	case c.Shape == ObjectTarget && c.Wrap == "request":
		var w struct {
			Request partnerObject `json:"request"`
		}
		decode(&w)
		objects = append(objects, w.Request)
	case c.Shape == Object:
		var o partnerObject
		decode(&o)
		objects = append(objects, o)
	default:
		t.Fatalf("no struct for check %+v", c)
	}
	for _, o := range objects {
		read.objects = append(read.objects, o.members())
	}
	return read
}
