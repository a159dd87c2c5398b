package e2e_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/contract"
	"reportgate/internal/ledgersim"
)

// TestUpstreamFailuresAreErrors: whatever goes wrong upstream — it answers
// 5xx, it is too slow, it is gone — the partner gets an error status in
// the spec's Error shape (the statuses the spec does not document must
// carry it; the world's recorder checks every answer), on every strategy:
// a path route, an injected list, an owner lookup. Which 5xx answers which
// failure is the reliability work's (issue 17, item 3); this test holds
// the shape.
func TestUpstreamFailuresAreErrors(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	up := newFailingUpstream(t, w)
	g := w.gateway(func(c *config.Config) {
		c.UpstreamURL = up.srv.URL
		c.UpstreamTimeout = 300 * time.Millisecond
	}, nil)
	d := w.sim.Dataset()
	_, secret := w.key(1)
	o := scopeOf(d, 1)
	var tx int64 = -1
	for _, x := range d.Transactions {
		if o.accounts[int64(x.AccountID)] {
			tx = int64(x.ID)
		}
	}
	targets := []string{sprintf("/accounts/%d", keys(o.accounts)[0]), "/transactions?page_size=1", sprintf("/transactions/%d", tx)}
	if a := get(t, g, secret, "/entities"); a.status != http.StatusOK { // the scope is resolved before the failures
		t.Fatalf("before the failures: %d %s", a.status, a.body)
	}
	wantErrors := func(failure string) {
		t.Helper()
		for _, target := range targets {
			if a := get(t, g, secret, target); a.status < 500 {
				t.Errorf("%s: %s: %d %s, want an error of the upstream's", failure, target, a.status, a.body)
			} else {
				t.Logf("%s: %s: %d", failure, target, a.status)
			}
		}
	}
	for _, status := range []int64{500, 503} {
		up.fail.Store(status)
		wantErrors(sprintf("upstream %d", status))
	}
	up.fail.Store(0)
	must(t, w.sim.SetFaults(ledgersim.Faults{Latency: 2 * time.Second}))
	wantErrors("slower than the upstream timeout")
	must(t, w.sim.SetFaults(ledgersim.Faults{}))
	up.srv.Close()
	wantErrors("upstream gone")
}

// failingUpstream stands before the world's simulator and, while fail is
// set, answers every request with that status and an Error itself: the
// simulator's own faults draw the status at random, and the statuses the
// suite validates must be the same at every run (docs/contract.md's table).
type failingUpstream struct {
	srv  *httptest.Server
	fail atomic.Int64
}

func newFailingUpstream(t *testing.T, w *world) *failingUpstream {
	t.Helper()
	sim, err := url.Parse(w.sim.URL())
	must(t, err)
	forward := httputil.NewSingleHostReverseProxy(sim)
	forward.ErrorLog = log.New(io.Discard, "", 0) // the requests the gateway gives up on
	up := &failingUpstream{}
	up.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		status := int(up.fail.Load())
		if status == 0 {
			forward.ServeHTTP(rw, req) // the simulator validates the exchange
			return
		}
		body := []byte(sprintf(`{"message":"injected failure","name":"Failure","status_code":%d}`, status))
		rw.Header().Set("Content-Type", "application/json")
		w.rec.Check(contract.FromHTTP(contract.Upstream, req, nil, &http.Response{StatusCode: status, Header: rw.Header().Clone()}, body))
		rw.WriteHeader(status)
		_, _ = rw.Write(body)
	}))
	t.Cleanup(up.srv.Close)
	return up
}
