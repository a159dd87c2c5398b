package e2e_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"reportgate/internal/ledgersim"
	"reportgate/internal/testkit"
)

// Regression (issue 16.8): when the shutdown grace ran out, requests still
// waiting on the upstream were cut with no answer (the partner saw a
// closed socket). Now the upstream exchange is aborted near the end of the
// grace and the partner gets a 503 in the Error shape with
// Connection: close, within the grace.
func TestShutdownGraceAnswersInFlight503(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil)
	_, secret := w.key(1)
	get(t, g, secret, "/accounts") // resolve the scope first
	must(t, w.sim.SetFaults(ledgersim.Faults{Latency: time.Minute}))
	w.sim.ResetRequests()
	type result struct {
		resp *http.Response
		body []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, body, err := exchange(g.ProxyAddr(), "GET /transactions?page_size=1 HTTP/1.1\r\nHost: gw\r\n"+
			"X-Ledger-Reporting-API-Key: "+secret+"\r\nX-Ledger-Workspace: acme\r\n\r\n")
		done <- result{resp, body, err}
	}()
	testkit.WaitFor(t, 5*time.Second, "the request never reached the upstream",
		func() bool { return len(w.sim.Requests()) > 0 })
	const grace = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	start := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- g.Shutdown(ctx) }()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the request in flight got no answer")
	}
	took := time.Since(start)
	if err := <-stopped; err == nil {
		t.Error("Shutdown reported no error although the grace ran out")
	}
	if r.err != nil {
		t.Fatalf("the request in flight was cut: %v", r.err)
	}
	if r.resp.StatusCode != http.StatusServiceUnavailable || !r.resp.Close {
		t.Errorf("in flight when the grace ran out: %d, Connection: close %v; want 503 and close",
			r.resp.StatusCode, r.resp.Close)
	}
	testkit.DecodeError(t, r.body, http.StatusServiceUnavailable)
	if took > grace {
		t.Errorf("the 503 came %v after Shutdown began, beyond the %v grace", took, grace)
	}
	if !strings.Contains(w.logs.String(), `"decision":"shutting_down"`) {
		t.Error("the access log has no shutting_down answer")
	}
}

// exchange writes request on a new connection and reads one answer; unlike
// send, it reports a failure instead of failing the test, so it may run
// outside the test's goroutine.
func exchange(addr, request string) (*http.Response, []byte, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}
