package e2e_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"reportgate/internal/contract"
)

// The contract test (issue 17) runs inside every end-to-end test: each
// world's recorder sees every exchange its simulator answers (the upstream
// hop: every request the gateway sends) and every answer its replicas give
// a partner (the partner hop), and fails the world's test when one breaks
// the Ledger API's public spec (docs/contract.md).

// contractValidator is built once per test binary: it is read-only and
// safe for concurrent use, and building one costs a second under -race.
var contractValidator = sync.OnceValues(contract.New)

// partnerHops maps a replica's proxy address to its world's recorder, so
// the helpers that talk to a replica by address (raw, send, fire) check
// what it answers without every call site passing the world. A replica
// registers when it starts and leaves when its test ends; a test-binary
// global because those helpers take only an address.
var partnerHops sync.Map // proxy address → *contract.Recorder

// newRecorder returns the world's recorder, reporting when t ends. Its
// coverage goes to the run's (see coverage_test.go) first.
func newRecorder(t *testing.T) *contract.Recorder {
	t.Helper()
	v, err := contractValidator()
	if err != nil {
		t.Fatal(err)
	}
	rec := contract.NewRecorder(t, v)
	t.Cleanup(func() { runCoverage.add(t.Name(), rec.Seen()) })
	return rec
}

// register makes addr's answers checked by rec until t ends.
func register(t *testing.T, addr string, rec *contract.Recorder) {
	partnerHops.Store(addr, rec)
	t.Cleanup(func() { partnerHops.CompareAndDelete(addr, rec) })
}

// specView is what a test knows of a request it sends a replica.
type specView int

const (
	// specAllows: the spec allows the request; a violation of it is the
	// test's mistake and fails the test like a violating answer.
	specAllows specView = iota
	// specRefuses: the test sends a request the spec refuses (the
	// adversarial table, refusals), or that the contract's strict reading
	// of it does (an undeclared parameter, a body on a GET); the answer must
	// be an error in the spec's Error shape, and the request must indeed be
	// refused.
	specRefuses
	// specSilent: the request is broken below what the spec describes
	// (framing, Host): net/http may read it either way, so the test does not
	// say; the answer is still validated as the answer to what it reads.
	specSilent
)

// checkPartner validates one answer of the replica at addr on the partner
// hop. A replica no world registered fails the test: no answer goes
// unchecked.
func checkPartner(t *testing.T, addr string, view specView, x contract.Exchange) {
	t.Helper()
	r, ok := partnerHops.Load(addr)
	if !ok {
		t.Fatalf("contract: no recorder for the replica at %s: start it with world.gateway", addr)
	}
	rec := r.(*contract.Recorder)
	switch view {
	case specRefuses:
		rec.CheckRefused(x)
	case specSilent:
		rec.Check(x)
	default:
		rec.CheckAllowed(x)
	}
}

// checkRaw validates the answer read back to a request written byte for
// byte.
func checkRaw(t *testing.T, addr, request string, view specView, a answer) {
	t.Helper()
	checkPartner(t, addr, view, contract.FromRaw(contract.Partner, request, a.status, a.header, a.body))
}

// readAnswer reads one answer from br, the reply to a request written
// byte for byte, and validates it; for connections the test holds open
// itself.
func readAnswer(t *testing.T, br *bufio.Reader, addr, request string, view specView) (answer, error) {
	t.Helper()
	method, _, _ := strings.Cut(request, " ")
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: body}
	checkRaw(t, addr, request, view, a)
	return a, nil
}

// checkBytes validates what a replica wrote to a connection before closing
// it, when it wrote anything: an answer to a request the test cut short
// or the server could not read.
func checkBytes(t *testing.T, addr, request string, view specView, written []byte) {
	t.Helper()
	if len(written) == 0 {
		return
	}
	if _, err := readAnswer(t, bufio.NewReader(bytes.NewReader(written)), addr, request, view); err != nil {
		t.Errorf("contract: the replica wrote %q, not an HTTP answer: %v", firstLine(written), err)
	}
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}
