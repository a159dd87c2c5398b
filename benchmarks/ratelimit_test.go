package benchmarks

import (
	"context"
	"testing"
	"time"

	"reportgate/keycache"
	"reportgate/ratelimit"
	"reportgate/registry"
)

// grantAll is a rate source that grants every lease at once: the benchmarks
// measure the limiter's in-process cost on the hot path, where a lease is in
// hand. (Refills run in the background; with a real Redis they cost one
// script call per lease, see docs/rate-limits.md.)
type grantAll struct{ refuse bool }

func (g grantAll) TakeRate(_ context.Context, _ string, _ ratelimit.Limit, n int) (ratelimit.Grant, error) {
	if g.refuse {
		return ratelimit.Grant{RetryAfter: time.Hour}, nil
	}
	return ratelimit.Grant{Granted: n}, nil
}

func (grantAll) Ping(context.Context) error { return nil }

func benchLimiter(b *testing.B, src ratelimit.Source) *ratelimit.Limiter {
	b.Helper()
	l, err := ratelimit.NewLimiter(src, ratelimit.LimiterOptions{
		Default:     ratelimit.Limit{Count: ratelimit.MaxCount, Per: time.Second, Burst: ratelimit.MaxBurst},
		MaxInFlight: 1 << 20,
	})
	if err != nil {
		b.Fatal(err)
	}
	l.Start()
	b.Cleanup(l.Close)
	return l
}

// benchKeyCache is a key cache holding one ACTIVE key, as after its first
// request.
func benchKeyCache(b *testing.B) (*keycache.KeyCache, []byte) {
	b.Helper()
	secret, err := registry.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	lookup := func(context.Context, [32]byte) (keycache.Principal, bool, error) {
		return keycache.Principal{ID: "key_019ca9450a00Au4xmGbosFGs", Active: true, Entities: []int64{1}, Generation: 1}, true, nil
	}
	c, err := keycache.NewKeyCache(lookup, keycache.CacheOptions{})
	if err != nil {
		b.Fatal(err)
	}
	c.SetSubscribed(true)
	key := []byte(secret)
	if _, err := c.Authenticate(context.Background(), key, time.Now()); err != nil {
		b.Fatal(err)
	}
	return c, key
}

// BenchmarkRateLimit is the proxy's steps 2 and 3 on a cache hit: the key's
// authentication alone (no limiter, as with proxy.Deps.Limiter nil), then
// with the rate-limit check and its release, then the check alone, admitted
// and refused, sequential and from every CPU on one key. The clock is read
// once outside the loop: the proxy passes Admit the arrival time it reads
// for every request anyway.
func BenchmarkRateLimit(b *testing.B) {
	ctx := context.Background()
	now := time.Now()
	b.Run("unlimited/authenticate", func(b *testing.B) {
		c, key := benchKeyCache(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Authenticate(ctx, key, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("limited/authenticate+admit", func(b *testing.B) {
		c, key := benchKeyCache(b)
		l := benchLimiter(b, grantAll{})
		b.ReportAllocs()
		for b.Loop() {
			p, err := c.Authenticate(ctx, key, now)
			if err != nil {
				b.Fatal(err)
			}
			a := l.Admit(p.ID, p.RateLimit, now)
			if a.Verdict != ratelimit.Admitted {
				b.Fatal(a.Verdict)
			}
			a.Release()
		}
	})
	for _, tt := range []struct {
		name string
		src  grantAll
		want ratelimit.Verdict
	}{
		{"admit", grantAll{}, ratelimit.Admitted},
		{"refused", grantAll{refuse: true}, ratelimit.OverRate},
	} {
		p := &keycache.Principal{ID: "key_019ca9450a00Au4xmGbosFGs", Active: true}
		b.Run(tt.name, func(b *testing.B) {
			l := benchLimiter(b, tt.src)
			l.Admit(p.ID, p.RateLimit, now).Release() // the key's state exists from its first request
			b.ReportAllocs()
			for b.Loop() {
				a := l.Admit(p.ID, p.RateLimit, now)
				if a.Verdict != tt.want {
					b.Fatal(a.Verdict)
				}
				a.Release()
			}
		})
		b.Run(tt.name+"/parallel", func(b *testing.B) {
			l := benchLimiter(b, tt.src)
			l.Admit(p.ID, p.RateLimit, now).Release()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l.Admit(p.ID, p.RateLimit, now).Release()
				}
			})
		})
	}
}
