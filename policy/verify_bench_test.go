package policy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchNode is a node of about 300 bytes, like the upstream's accounts:
// strings, nulls, a nested array of objects, numbers.
func benchNode(i int) string {
	return fmt.Sprintf(`{"id":%d,"account_id":%d,"parent_id":10,"name":"account %d","index":%d,"currency":"bitcoin",`+
		`"status":"ACTIVE","parent":10,"address":"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4","contract_address":null,`+
		`"balance":"152000000","governance_rules":[{"id":10,"rules":[{"type":"MULTI_AUTHORIZATIONS","data":[{"group":7,"quorum":1}]}]}],`+
		`"labels":[],"created_on":"2026-01-01T00:00:00Z","target_type":"ACCOUNT","target_id":%d}`, 10+i%2, 10+i%2, i, i, 10+i%2)
}

// benchBodies renders a body of each scanned shape of about size bytes.
func benchBodies(size int) map[string][]byte {
	n := max(1, size/len(benchNode(0)))
	nodes := make([]string, n)
	edges := make([]string, n)
	for i := range n {
		nodes[i] = benchNode(i)
		edges[i] = fmt.Sprintf(`{"cursor":%d,"node":%s}`, i, nodes[i])
	}
	list := strings.Join(nodes, ",")
	// One object of the same size: its members padded with labels.
	object := benchNode(0)
	object = object[:len(object)-1] + `,"notes":[` + strings.Repeat(`{"title":"t","content":"a note of some length"},`, max(0, (size-len(object))/48)) + `{}]}`
	return map[string][]byte{
		"Nodes":        []byte(`{"edges":[` + strings.Join(edges, ",") + `],"page_info":{"count":2,"has_next_page":false}}`),
		"Items":        []byte(`[` + list + `]`),
		"Wrapped":      []byte(`{"users":[` + list + `]}`),
		"Object":       []byte(object),
		"ObjectTarget": []byte(`{"request":` + object + `,"governance_steps":[]}`),
	}
}

var benchChecks = []struct {
	name  string
	body  string // key of benchBodies
	check Check
}{
	{"Nodes", "Nodes", nodes("id", Accounts)},
	{"NodesParent", "Nodes", of(nodes("account_id", Accounts), "parent")},
	{"NodesTarget", "Nodes", Check{Shape: NodesTarget}},
	{"Items", "Items", of(items("parent_id", Accounts), "parent_id")},
	{"Wrapped", "Wrapped", wrapped("users", "id", Accounts)},
	{"Object", "Object", object("account_id", Accounts)},
	{"ObjectTarget", "ObjectTarget", Check{Shape: ObjectTarget, Wrap: "request"}},
}

// BenchmarkVerifyShapes compares the scan (Verify) with the parser it
// replaced (verifyParsed, without the validation Verify adds to it) per
// shape and body size. Compare them with benchstat -col /impl.
func BenchmarkVerifyShapes(b *testing.B) {
	owners, err := NewOwners(nil, 16)
	if err != nil {
		b.Fatal(err)
	}
	v := NewVerifier(nil, owners)
	s := NewScope([]int64{1}, []int64{10, 11}, []int64{100}, []int64{7}, []int64{50}, time.Now())
	for _, size := range []int{1 << 10, 16 << 10, 64 << 10} {
		bodies := benchBodies(size)
		for _, c := range benchChecks {
			body := bodies[c.body]
			for _, impl := range []struct {
				name   string
				verify func(context.Context, []byte, Check, *Scope, int64) error
			}{{"parse", v.verifyParsed}, {"scan", v.Verify}} {
				name := fmt.Sprintf("shape=%s/size=%dKB/impl=%s", c.name, size>>10, impl.name)
				b.Run(name, func(b *testing.B) {
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					for b.Loop() {
						if err := impl.verify(context.Background(), body, c.check, s, 10); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
