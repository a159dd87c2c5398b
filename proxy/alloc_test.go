//go:build !race

// The race detector allocates on its own; these tests pin the hot path's
// allocations without it.

package proxy

import (
	"testing"

	"github.com/valyala/fasthttp"
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

// TestServeAllocatesNothing extends the pin to the whole handler without
// the access log: the upstream exchange (over an in-memory connection) and
// the verification of the body. The origin's allocations would count too;
// it makes none.
func TestServeAllocatesNothing(t *testing.T) {
	f := newFixture(t, nil)
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
