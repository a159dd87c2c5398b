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

// page renders an /accounts-like page of about size bytes.
func page(size int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"edges":[`)
	for i := 0; sb.Len() < size-64; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"cursor":%d,"node":{"id":%d,"account_id":%d,"name":"account %d","currency":"bitcoin","status":"ACTIVE","balance":"123456789","created_on":"2026-01-01T00:00:00Z"}}`, i, 10+i%4, 10+i%4, i)
	}
	sb.WriteString(`],"page_info":{"count":1000,"has_next_page":true}}`)
	return []byte(sb.String())
}

func BenchmarkVerify(b *testing.B) {
	owners, _ := policy.NewOwners(nil, 16)
	v := policy.NewVerifier(nil, owners)
	s := policy.NewScope([]int64{1}, []int64{10, 11, 12, 13}, nil, nil, nil, time.Now())
	for _, size := range []int{1 << 10, 64 << 10} {
		body := page(size)
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			check := policy.Check{Shape: policy.Nodes, Field: "account_id", Set: policy.Accounts}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(context.Background(), body, check, s, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The load harness's bodies: its /accounts page and a transaction.
	o := origin.New()
	for _, c := range []struct {
		name  string
		body  []byte
		check policy.Check
	}{
		{"origin-accounts-page", o.Body(origin.ListPath), policy.Check{Shape: policy.Nodes, Field: "id", Set: policy.Accounts}},
		{"origin-transaction", o.Body(origin.TransactionPath), policy.Check{Shape: policy.Object, Field: "account_id", Set: policy.Accounts}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(context.Background(), c.body, c.check, s, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
