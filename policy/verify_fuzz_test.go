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
// reads a body: whenever Verify passes a body, encoding/json (which keeps
// the last of duplicate keys and unescapes them) must see only in-scope
// ids where the check looked. A parser differential — duplicate or escaped
// keys, number spellings, nesting — is a leak.
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
		for _, obj := range checkedObjects(t, root, c) {
			if c.Shape == ObjectTarget {
				typ, _ := obj["target_type"].(string)
				id := decodedInt(t, obj["target_id"], body)
				if !TargetInScope(s, ClassifyTarget([]byte(typ)), id, owners) {
					t.Fatalf("Verify passed %s, but a decoder reads target %s %d", body, typ, id)
				}
				continue
			}
			if id := decodedInt(t, obj[c.Field], body); !s.Has(c.Set, id) {
				t.Fatalf("Verify passed %s, but a decoder reads %s %d", body, c.Field, id)
			}
			if c.Parent != "" {
				if p := decodedInt(t, obj[c.Parent], body); p != 10 {
					t.Fatalf("Verify passed %s, but a decoder reads %s %d", body, c.Parent, p)
				}
			}
		}
	})
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
	}
}

var fuzzChecks = []Check{
	nodes("id", Accounts),
	of(nodes("account_id", Accounts), "parent"),
	object("account_id", Accounts),
	of(items("parent_id", Accounts), "parent_id"),
	wrapped("users", "id", Users),
	{Shape: ObjectTarget, Wrap: "request"},
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
