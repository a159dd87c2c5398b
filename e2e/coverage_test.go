package e2e_test

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"reportgate/internal/contract"
)

var update = flag.Bool("update", false, "rewrite the gateway's columns of docs/contract.md's operation table")

const docPath = "../docs/contract.md"

// The gateway's columns of docs/contract.md's operation table: what the
// suite's recorders validated, by operation and status.
const (
	colProperty = "Gateway answers validated, `TestNothingLeaks` (statuses)"
	colSuite    = "Gateway answers validated, rest of `e2e` (statuses)"
	colUpstream = "Gateway requests upstream validated (statuses answered)"
)

// coverage gathers what every world's recorder checked during the run.
type coverage struct {
	mu   sync.Mutex
	seen map[string]map[string]map[int]bool // column → operation → statuses
}

var runCoverage = &coverage{seen: map[string]map[string]map[int]bool{}}

// add records one test's exchanges: the partner hop in the property
// test's column or the suite's, the upstream hop in its own.
func (c *coverage) add(test string, seen map[contract.Seen]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	partner := colSuite
	if strings.HasPrefix(test, "TestNothingLeaks/") || test == "TestNothingLeaks" {
		partner = colProperty
	}
	for s := range seen {
		if s.Operation == "" {
			continue // refused before naming an operation: no row
		}
		col := colUpstream
		if s.Hop == contract.Partner {
			col = partner
		}
		if c.seen[col] == nil {
			c.seen[col] = map[string]map[int]bool{}
		}
		if c.seen[col][s.Operation] == nil {
			c.seen[col][s.Operation] = map[int]bool{}
		}
		c.seen[col][s.Operation][s.Status] = true
	}
}

func (c *coverage) cell(col, op string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var statuses []string
	for s := range c.seen[col][op] {
		statuses = append(statuses, fmt.Sprint(s))
	}
	if len(statuses) == 0 {
		return "—"
	}
	slices.Sort(statuses)
	return strings.Join(statuses, ", ")
}

// TestMain runs the suite, then checks the gateway's columns of the
// operation table against what it validated — only after a whole run that
// passed, since a partial one validates less.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && wholeRun() {
		if err := checkCoverageTable(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// wholeRun says whether every test of the suite ran at full size.
func wholeRun() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}

// checkCoverageTable compares the gateway's columns with the run's
// coverage, or rewrites them with -update.
func checkCoverageTable() error {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		return err
	}
	old, err := contract.ReadOpsTable(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", docPath, err)
	}
	rows := map[string]bool{}
	for i := range old.Rows {
		rows[old.Operation(i)] = true
	}
	for col, ops := range runCoverage.seen {
		for op := range ops {
			if !rows[op] {
				return fmt.Errorf("%s: %s (%s) has no row: run go test ./internal/contract -run TestSimulatorFollowsSpec -update", docPath, op, col)
			}
		}
	}
	want := old.WithOperations(operations(old))
	for _, col := range []string{colProperty, colSuite, colUpstream} {
		want.SetColumn(col, func(op string) string { return runCoverage.cell(col, op) })
	}
	if want.Render() == old.Render() {
		return nil
	}
	if !*update {
		return fmt.Errorf("%s: the gateway's columns of the operation table are stale: run go test ./e2e -update\n%s",
			docPath, rowDiff(old, want))
	}
	text, err := contract.ReplaceOpsTable(string(raw), want)
	if err != nil {
		return err
	}
	return os.WriteFile(docPath, []byte(text), 0o644)
}

func operations(t contract.OpsTable) []string {
	out := make([]string, len(t.Rows))
	for i := range t.Rows {
		out[i] = t.Operation(i)
	}
	return out
}

// rowDiff lists the rows of want that differ from old's.
func rowDiff(old, want contract.OpsTable) string {
	var b strings.Builder
	for i := range want.Rows {
		if i >= len(old.Rows) || !slices.Equal(old.Rows[i], want.Rows[i]) {
			fmt.Fprintf(&b, "  table: %s\n  run:   %s\n", rowOf(old, i), strings.Join(want.Rows[i], " | "))
		}
	}
	return b.String()
}

func rowOf(t contract.OpsTable, i int) string {
	if i >= len(t.Rows) {
		return "(none)"
	}
	return strings.Join(t.Rows[i], " | ")
}
