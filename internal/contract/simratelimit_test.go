package contract_test

import (
	"testing"

	"reportgate/internal/contract"
	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
)

// TestSimulatorRateLimitIsAnError: the simulator's 420 (its API user's
// limit) is the spec's Error, like every status an operation does not
// document.
func TestSimulatorRateLimitIsAnError(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	cfg := ledgersim.DefaultConfig()
	cfg.RateLimit, cfg.RatePer = 2, 60e9 // a minute: the window cannot end during the test
	sim := simtest.Start(t, cfg)
	c := &simClient{t: t, url: sim.URL(), rec: contract.NewRecorder(t, v)}
	c.get("/accounts/1", 200)
	c.get("/transactions?page_size=3", 200)
	x := c.get("/accounts/1", 420)
	if x.ResponseHeader.Get("Retry-After") == "" || x.ResponseHeader.Get("X-RateLimit-Reset") == "" {
		t.Errorf("a 420 without Retry-After or X-RateLimit-Reset: %v", x.ResponseHeader)
	}
}
