//go:build !race

package proxy

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"reportgate/upstream"
)

// TestServeFromCacheAllocatesNothing: with the response cache on, a
// cached answer is copied into the partner's (pooled) response and
// verified without allocating.
func TestServeFromCacheAllocatesNothing(t *testing.T) {
	f := newFixtureWith(t, nil, upstream.SharedOptions{CacheTTL: time.Hour})
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			f.warm(t, r.target, fasthttp.StatusOK)
			s := f.stepper(f.request(r.target))
			before := f.origin.Stats().Requests
			status := 0
			allocs := testing.AllocsPerRun(1000, func() { status = s.serve() })
			if status != fasthttp.StatusOK {
				t.Fatalf("status %d: %s", status, s.ctx.Response.Body())
			}
			if n := f.origin.Stats().Requests - before; n != 0 {
				t.Fatalf("%d requests reached the origin: not served from the cache", n)
			}
			if allocs != 0 {
				t.Errorf("GET %s from the cache: %v allocations per request, want 0", r.target, allocs)
			}
		})
	}
}
