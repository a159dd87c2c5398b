package contract_test

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"reportgate/internal/contract"
	"reportgate/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the operation table of docs/contract.md")

const (
	docPath = "../../docs/contract.md"
	// The columns this package owns; the e2e suite owns the gateway's.
	colDocumented = "Statuses the spec documents"
	colSimulator  = "Simulator answers validated (statuses)"
)

// coverage gathers the statuses validated per operation across recorders.
type coverage struct {
	mu   sync.Mutex
	seen map[string][]int
}

func (c *coverage) add(seen map[contract.Seen]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string][]int{}
	}
	for s := range seen {
		if s.Operation != "" && !slices.Contains(c.seen[s.Operation], s.Status) {
			c.seen[s.Operation] = append(c.seen[s.Operation], s.Status)
		}
	}
}

// checkTable compares docs/contract.md's table — its rows (every
// operation of both hops) and this package's columns — with the spec and
// what the simulator sweep validated, or rewrites them with -update. The
// other columns are the e2e suite's, kept as they are.
func checkTable(t *testing.T, v *contract.Validator, doc spec.Document, cov *coverage) {
	t.Helper()
	if t.Failed() {
		return // a failed sweep would write a wrong table
	}
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	old, err := contract.ReadOpsTable(text)
	if err != nil {
		t.Fatalf("%s: %v", docPath, err)
	}
	want := old.WithOperations(tableOperations(t, v, doc))
	want.SetColumn(colDocumented, func(op string) string { return documentedOp(t, v, op) })
	want.SetColumn(colSimulator, func(op string) string {
		statuses := slices.Clone(cov.seen[op])
		slices.Sort(statuses)
		return joinInts(statuses)
	})
	if want.Render() == old.Render() {
		return
	}
	if !*update {
		t.Errorf("%s: the operation table is stale: run go test ./internal/contract -run TestSimulatorFollowsSpec -update", docPath)
		return
	}
	text, err = contract.ReplaceOpsTable(text, want)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tableOperations are the rows: every operation of the route list, and
// the partner hop's own (the gateway's DELETE of its configuration), by
// path, then method.
func tableOperations(t *testing.T, v *contract.Validator, doc spec.Document) []string {
	t.Helper()
	var routes []string
	for _, r := range doc.Routes {
		routes = append(routes, r.Method+" "+r.Path)
	}
	ops := v.Operations(contract.Upstream)
	slices.Sort(routes)
	if sorted := slices.Sorted(slices.Values(ops)); !slices.Equal(sorted, routes) {
		t.Fatalf("the spec's operations and internal/spec's route list differ:\n%v\n%v", sorted, routes)
	}
	for _, op := range v.Operations(contract.Partner) {
		if !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
	}
	slices.SortStableFunc(ops, func(a, b string) int {
		ma, pa, _ := strings.Cut(a, " ")
		mb, pb, _ := strings.Cut(b, " ")
		return cmp.Or(strings.Compare(pa, pb), strings.Compare(ma, mb))
	})
	return ops
}

// documentedOp lists the statuses op documents: on the upstream hop, or
// on the partner hop for the gateway's own operation.
func documentedOp(t *testing.T, v *contract.Validator, op string) string {
	t.Helper()
	method, path, _ := strings.Cut(op, " ")
	if statuses, err := v.Documented(contract.Upstream, method, path); err == nil {
		return joinInts(statuses)
	}
	statuses, err := v.Documented(contract.Partner, method, path)
	if err != nil {
		t.Fatal(err)
	}
	return joinInts(statuses) + " (not in the spec: the gateway's own, partner hop only)"
}

func joinInts(xs []int) string {
	if len(xs) == 0 {
		return "—"
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ", ")
}
