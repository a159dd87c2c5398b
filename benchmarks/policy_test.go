package benchmarks

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"reportgate/benchmarks/origin"
	"reportgate/internal/spec"
	"reportgate/policy"
)

func router(b testing.TB) *policy.Router {
	b.Helper()
	d, err := spec.Load()
	if err != nil {
		b.Fatal(err)
	}
	rt, err := policy.NewRouter(policy.Table(), d.Routes)
	if err != nil {
		b.Fatal(err)
	}
	return rt
}

func BenchmarkRouterMatch(b *testing.B) {
	rt := router(b)
	for _, p := range []string{"/accounts", "/transactions/123456/history", "/cardano/accounts/12/stakes/uid-1/rewards"} {
		b.Run(p, func(b *testing.B) {
			path := []byte(p)
			var ps policy.PathParams
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rt.Match(path, &ps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkQueryParse(b *testing.B) {
	rt := router(b)
	var ps policy.PathParams
	ep, _ := rt.Match([]byte("/transactions"), &ps)
	_, qs := ep.Rule([]byte("GET"))
	raw := []byte("account=3&account=4&type=SEND&status=SUBMITTED&page=2&page_size=50")
	var q policy.Query
	b.ReportAllocs()
	for b.Loop() {
		if err := qs.Parse(raw, &q); err != nil {
			b.Fatal(err)
		}
	}
}

// node renders an object of about 190 bytes with the fields every shape
// checks (an account's, a user's, a request's).
func node(i int) string {
	return fmt.Sprintf(`{"id":%d,"account_id":%d,"parent_id":10,"name":"account %d","currency":"bitcoin","status":"ACTIVE",`+
		`"balance":"123456789","target_type":"ACCOUNT","target_id":%d,"created_on":"2026-01-01T00:00:00Z"}`, 10+i%4, 10+i%4, i, 10+i%4)
}

// list renders n objects as the shape puts them: a paginated envelope
// (Nodes, NodesTarget), an array (Items) or a wrapped array (Wrapped).
func list(shape policy.Shape, size int) []byte {
	var sb strings.Builder
	for i := 0; sb.Len() < size-64; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		if shape == policy.Items || shape == policy.Wrapped {
			sb.WriteString(node(i))
		} else {
			fmt.Fprintf(&sb, `{"cursor":%d,"node":%s}`, i, node(i))
		}
	}
	switch shape {
	case policy.Items:
		return []byte("[" + sb.String() + "]")
	case policy.Wrapped:
		return []byte(`{"users":[` + sb.String() + `]}`)
	}
	return []byte(`{"edges":[` + sb.String() + `],"page_info":{"count":4,"has_next_page":true}}`)
}

// BenchmarkVerify measures the tripwire per shape and body size. Compare
// revisions with benchstat (RESULTS.md).
func BenchmarkVerify(b *testing.B) {
	owners, _ := policy.NewOwners(nil, 16)
	v := policy.NewVerifier(nil, owners)
	s := policy.NewScope([]int64{1}, []int64{10, 11, 12, 13}, []int64{10, 11, 12, 13}, nil, nil, time.Now())
	o := origin.New()
	request := `{"id":6000,"type":"CREATE_TRANSACTION","status":"PENDING_APPROVAL","target_type":"ACCOUNT","target_id":10,` +
		`"created_by":101,"created_on":"2025-03-01T09:40:00Z","expires_at":"2025-03-08T09:40:00Z","current_step":0}`
	type bench struct {
		name  string
		body  []byte
		check policy.Check
	}
	var benches []bench
	for _, size := range []int{1 << 10, 16 << 10, 64 << 10} {
		kb := fmt.Sprintf("%dKB", size>>10)
		benches = append(benches,
			bench{"Nodes/" + kb, list(policy.Nodes, size), policy.Check{Shape: policy.Nodes, Field: "account_id", Set: policy.Accounts}},
			bench{"NodesTarget/" + kb, list(policy.NodesTarget, size), policy.Check{Shape: policy.NodesTarget}},
			bench{"Items/" + kb, list(policy.Items, size), policy.Check{Shape: policy.Items, Field: "parent_id", Set: policy.Accounts, Parent: "parent_id"}},
			bench{"Wrapped/" + kb, list(policy.Wrapped, size), policy.Check{Shape: policy.Wrapped, Wrap: "users", Field: "id", Set: policy.Users}})
	}
	// The load harness's bodies: its /accounts page and a transaction; a
	// request and its governance status.
	benches = append(benches,
		bench{"Nodes/origin-accounts-page", o.Body(origin.ListPath), policy.Check{Shape: policy.Nodes, Field: "id", Set: policy.Accounts}},
		bench{"Object/origin-transaction", o.Body(origin.TransactionPath), policy.Check{Shape: policy.Object, Field: "account_id", Set: policy.Accounts}},
		bench{"Object/origin-account", o.Body(origin.AccountPath), policy.Check{Shape: policy.Object, Field: "id", Set: policy.Accounts}},
		bench{"ObjectTarget/request", []byte(request), policy.Check{Shape: policy.ObjectTarget}},
		bench{"ObjectTarget/governance-status", []byte(`{"request":` + request + `,"governance_steps":[{"step":0,"quorum":2,"approvals":[101,102]}]}`),
			policy.Check{Shape: policy.ObjectTarget, Wrap: "request"}})
	for _, c := range benches {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(context.Background(), c.body, c.check, s, 10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
