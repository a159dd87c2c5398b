//go:build !race

// The race detector allocates on its own; these tests pin the hot path's
// allocations without it.

package proxy

import (
	"context"
	"io"
	"testing"

	"github.com/valyala/fasthttp"

	tel "reportgate/internal/telemetry"
	"reportgate/registry"
)

// TestCacheHitAllocatesNothing pins the cache-hit path (package doc: "no
// step may allocate on a cache hit"): reject → authenticate → authorise →
// rewrite, for each strategy the load harness drives.
func TestCacheHitAllocatesNothing(t *testing.T) {
	f := newFixture(t, nil)
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			f.warm(t, r.target, fasthttp.StatusOK)
			s := f.stepper(f.request(r.target))
			var err error
			allocs := testing.AllocsPerRun(1000, func() {
				if e := s.untilForward(); e != nil {
					err = e
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if allocs != 0 {
				t.Errorf("GET %s: %v allocations per request up to the upstream call, want 0", r.target, allocs)
			}
		})
	}
}

// TestServeAllocatesNothing extends the pin to the whole handler, access
// log included: the upstream exchange (over an in-memory connection) and
// the verification of the body. The origin's allocations would count too;
// it makes none.
func TestServeAllocatesNothing(t *testing.T) {
	providers, err := tel.New(context.Background(), "reportgate-test", "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = providers.Close(context.Background()) })
	// As served: the metrics recorded, a rate limit checked, the access
	// log written (by hand, as serve does with the json log format).
	f := newFixture(t, func(o *Options) {
		o.Meter = providers.Meter
		o.DisableAccessLog, o.AccessLog = false, io.Discard
	})
	f.p.deps.Limiter = newTestLimiter(t)
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			f.warm(t, r.target, fasthttp.StatusOK)
			s := f.stepper(f.request(r.target))
			status := 0
			allocs := testing.AllocsPerRun(1000, func() { status = s.serve() })
			if status != fasthttp.StatusOK {
				t.Fatalf("status %d: %s", status, s.ctx.Response.Body())
			}
			if allocs != 0 {
				t.Errorf("GET %s: %v allocations per request, want 0", r.target, allocs)
			}
		})
	}
}

// TestRefusalAllocatesNothing: a refused key or an out-of-scope id costs no
// allocation either, so a flood of them cannot make the gateway collect
// garbage.
func TestRefusalAllocatesNothing(t *testing.T) {
	f := newFixture(t, nil)
	unknown, err := registry.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, target, key string
		want              int
	}{
		{"unknown key (negative cache)", routes[0].target, unknown, fasthttp.StatusUnauthorized},
		{"malformed key", routes[0].target, "lrk_not-a-key", fasthttp.StatusUnauthorized},
		{"no key", routes[0].target, "", fasthttp.StatusUnauthorized},
		{"account out of scope", "/accounts/999", "", fasthttp.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := c.key
			if c.want == fasthttp.StatusNotFound {
				key = f.secret
			}
			req := f.requestWithKey(c.target, key)
			if key == "" {
				req.Header.Del("X-Ledger-Reporting-API-Key")
			}
			s := f.stepper(req)
			s.serve() // fills the negative cache, resolves the scope
			status := 0
			allocs := testing.AllocsPerRun(1000, func() { status = s.serve() })
			if status != c.want {
				t.Fatalf("status %d: %s, want %d", status, s.ctx.Response.Body(), c.want)
			}
			if allocs != 0 {
				t.Errorf("%v allocations per refusal, want 0", allocs)
			}
		})
	}
}
