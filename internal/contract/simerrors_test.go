package contract_test

import (
	"net/http"
	"sync"
	"testing"

	"reportgate/internal/contract"
	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
)

// TestSimulatorErrorsAreErrors validates the simulator's answers no
// operation documents: the injected 5xx faults and 401 without
// credentials (TestSimulatorFollowsSpec sends the POSTs it answers 501).
// Each must be the spec's Error.
func TestSimulatorErrorsAreErrors(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	sim := simtest.Start(t, ledgersim.DefaultConfig())
	c := &simClient{t: t, url: sim.URL(), rec: contract.NewRecorder(t, v)}

	anon := *c
	anon.anonymous = true
	anon.refused(http.MethodGet, "/accounts", http.StatusUnauthorized)

	if err := sim.SetFaults(ledgersim.Faults{ErrorRate: 1}); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for range 30 {
		x := c.get("/accounts", http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable)
		seen[x.Status] = true
	}
	if len(seen) < 2 {
		t.Errorf("faults answered only %v in 30 requests, want several 5xx", seen)
	}
}

// TestObserveFeedsRecorder is the wiring a test of the gateway uses:
// ledgersim.Config.Observe set to a recorder's Observe sees every answer
// the simulator serves, with the bytes the client got.
func TestObserveFeedsRecorder(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	rec := contract.NewRecorder(t, v)
	var (
		mu       sync.Mutex
		observed []ledgersim.Exchange
	)
	cfg := ledgersim.DefaultConfig()
	cfg.Observe = func(x ledgersim.Exchange) {
		mu.Lock()
		observed = append(observed, x)
		mu.Unlock()
		rec.Observe(x)
	}
	sim := simtest.Start(t, cfg)
	c := &simClient{t: t, url: sim.URL(), rec: contract.NewRecorder(t, v)}
	got := c.get("/accounts/1", http.StatusOK)
	c.get("/transactions?page_size=3", http.StatusOK)
	c.get("/users/100000", http.StatusNotFound)
	mu.Lock() // Observe ran before each answer was sent
	defer mu.Unlock()
	if len(observed) != 3 {
		t.Fatalf("observed %d exchanges, want 3", len(observed))
	}
	if o := observed[0]; o.RequestURI != "/accounts/1" || o.Status != 200 || string(o.ResponseBody) != string(got.ResponseBody) {
		t.Errorf("observed %s %d %q, want /accounts/1 200 and the body the client read", o.RequestURI, o.Status, o.ResponseBody)
	}
	seen := rec.Seen()
	for _, s := range []contract.Seen{
		{Hop: contract.Upstream, Operation: "GET /accounts/{account_id}", Status: 200},
		{Hop: contract.Upstream, Operation: "GET /transactions", Status: 200},
		{Hop: contract.Upstream, Operation: "GET /users/{user_id}", Status: 404},
	} {
		if seen[s] != 1 {
			t.Errorf("recorder saw %+v %d times, want 1", s, seen[s])
		}
	}
}
