package contract

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"reportgate/internal/ledgersim"
)

// Recorder checks the exchanges of one test and, when the test ends, fails
// it with every distinct violation (counted, with an example target) and
// logs the operations exercised. It is safe for concurrent use, so a
// simulator's Observe and a test's client may feed it at once.
type Recorder struct {
	tb testing.TB
	v  *Validator

	mu       sync.Mutex
	seen     map[Seen]int
	failures map[string]*failure
	order    []string // failure keys, first seen first
}

// Seen is one (hop, operation, status) the recorder checked; Operation is
// "" for requests that named no operation.
type Seen struct {
	Hop       Hop
	Operation string
	Status    int
}

type failure struct {
	example string
	count   int
}

// maxReported bounds the violations one test prints.
const maxReported = 40

// NewRecorder returns a recorder that reports to tb when tb's test ends.
func NewRecorder(tb testing.TB, v *Validator) *Recorder {
	r := &Recorder{tb: tb, v: v, seen: map[Seen]int{}, failures: map[string]*failure{}}
	tb.Cleanup(r.report)
	return r
}

// Check validates x and records it. A violating answer is a failure on
// either hop; a violating request is one on the upstream hop only, where
// the gateway (or the test) chose what to send. On the partner hop a test
// may send what the spec refuses on purpose, and the answer must then be
// an error: Check sees to that.
func (r *Recorder) Check(x Exchange) Result {
	res := r.v.Check(x)
	r.note(x, res)
	if x.Hop == Upstream {
		r.fail(x, res.Operation, res.Request)
	}
	r.fail(x, res.Operation, res.Response)
	return res
}

// CheckAllowed is Check for a request the caller sends as one the spec
// allows: a violation of the request fails on the partner hop too, so a
// test cannot send a request the spec refuses without saying so
// (CheckRefused), and the gateway's answer to it is judged as an answer
// to the request the test meant.
func (r *Recorder) CheckAllowed(x Exchange) Result {
	res := r.v.Check(x)
	r.note(x, res)
	r.fail(x, res.Operation, res.Request)
	r.fail(x, res.Operation, res.Response)
	return res
}

// CheckRefused is Check for a request the caller sends knowing the spec
// refuses it (a bad parameter, an unknown path): it fails if the spec
// allows the request after all, or if the answer breaks the contract.
func (r *Recorder) CheckRefused(x Exchange) Result {
	res := r.v.Check(x)
	r.note(x, res)
	if res.Request == nil {
		r.fail(x, res.Operation, errAllowed)
	}
	r.fail(x, res.Operation, res.Response)
	return res
}

// Observe checks one exchange the simulator served, as the upstream hop:
// set ledgersim.Config.Observe to it.
func (r *Recorder) Observe(x ledgersim.Exchange) {
	r.Check(Exchange{Hop: Upstream, Method: x.Method, Target: x.RequestURI, RequestHeader: x.RequestHeader,
		RequestBody: x.RequestBody, Status: x.Status, ResponseHeader: x.ResponseHeader, ResponseBody: x.ResponseBody})
}

// Seen returns what was checked so far, with how many times.
func (r *Recorder) Seen() map[Seen]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[Seen]int, len(r.seen))
	for k, n := range r.seen {
		out[k] = n
	}
	return out
}

// Failures returns the distinct violations so far, first seen first, each
// with its count and an example.
func (r *Recorder) Failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.order))
	for _, k := range r.order {
		f := r.failures[k]
		out = append(out, fmt.Sprintf("%s\n    %d×, first: %s", k, f.count, f.example))
	}
	return out
}

func (r *Recorder) note(x Exchange, res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[Seen{x.Hop, res.Operation, x.Status}]++
}

var errAllowed = &Violation{"request", []string{"the spec allows it, but the test sends it as one the spec refuses"}}

// fail records each problem of err (nil: none). Problems are grouped with
// array indexes blotted out, so one defect in every item of a list counts
// as one violation; the example keeps the first target and indexes.
func (r *Recorder) fail(x Exchange, op string, err error) {
	if err == nil {
		return
	}
	if op == "" {
		op = "(no operation)"
	}
	problems := []string{err.Error()}
	var v *Violation
	if errors.As(err, &v) {
		problems = prefix(v.Side+": ", v.Problems)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range problems {
		key := fmt.Sprintf("%s hop, %s: %s", x.Hop, op, indexes.ReplaceAllString(p, "/*"))
		f := r.failures[key]
		if f == nil {
			f = &failure{example: fmt.Sprintf("%s %s: %s", x.Method, x.Target, p)}
			r.failures[key] = f
			r.order = append(r.order, key)
		}
		f.count++
	}
}

// indexes are the array positions in JSON pointers.
var indexes = regexp.MustCompile(`/[0-9]+\b`)

// report fails the test with the violations and logs the operations.
func (r *Recorder) report() {
	r.tb.Helper()
	if failures := r.Failures(); len(failures) > 0 {
		more := ""
		if len(failures) > maxReported {
			more = fmt.Sprintf("\n… and %d more", len(failures)-maxReported)
			failures = failures[:maxReported]
		}
		r.tb.Errorf("contract: %d distinct violations of the Ledger API spec:\n%s%s",
			len(r.order), strings.Join(failures, "\n"), more)
	}
	r.tb.Logf("contract: exchanges checked, by operation:\n%s", FormatSeen(r.Seen()))
}

// FormatSeen renders seen as one line per hop and operation with its
// statuses and counts.
func FormatSeen(seen map[Seen]int) string {
	type row struct {
		hop Hop
		op  string
	}
	statuses := map[row][]string{}
	for k, n := range seen {
		rw := row{k.Hop, k.Operation}
		statuses[rw] = append(statuses[rw], fmt.Sprintf("%d×%d", k.Status, n))
	}
	rows := make([]row, 0, len(statuses))
	for rw := range statuses {
		rows = append(rows, rw)
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(strings.Compare(a.op, b.op), cmp.Compare(a.hop, b.hop)) })
	var b strings.Builder
	for _, rw := range rows {
		slices.Sort(statuses[rw])
		op := rw.op
		if op == "" {
			op = "(no operation)"
		}
		fmt.Fprintf(&b, "  %-8s %-62s %s\n", rw.hop, op, strings.Join(statuses[rw], " "))
	}
	return b.String()
}
