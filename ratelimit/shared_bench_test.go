package ratelimit

import (
	"context"
	"math"
	"testing"
	"time"
)

// grantAll grants every lease: the benchmark measures Admit's in-process
// cost with a lease in hand (refills run in the background; with Redis
// they cost one script call per lease).
type grantAll struct{}

func (grantAll) TakeRate(_ context.Context, _ string, _ Limit, n int) (Grant, error) {
	return Grant{Granted: n}, nil
}
func (grantAll) Ping(context.Context) error { return nil }

// BenchmarkSharedAdmit is what the operator's budget adds to an upstream
// request it admits: uncontended (the whole budget's bucket only) and
// contended (the key's share bucket too), with the key's counts kept for
// the exchange. An upstream exchange costs tens of microseconds at least;
// cached and coalesced answers never ask.
func BenchmarkSharedAdmit(b *testing.B) {
	limit := Limit{Count: MaxCount, Per: time.Second, Burst: MaxBurst}
	s, err := NewShared(nil, "rg:{bench}:", SharedOptions{Limit: limit})
	if err != nil {
		b.Fatal(err)
	}
	s.lim, err = NewLimiter(grantAll{}, LimiterOptions{Default: limit, LeaseSpan: 20 * time.Millisecond, MaxInFlight: math.MaxInt32})
	if err != nil {
		b.Fatal(err)
	}
	s.lim.Start()
	b.Cleanup(s.lim.Close)
	now := time.Now()
	const key = "key_019ca9450a00Au4xmGbosFGs"
	for _, c := range []struct {
		name  string
		share *shareState
	}{
		{"uncontended", nil},
		{"contended", &shareState{limit: Limit{Count: MaxCount, Per: time.Second, Burst: MaxBurst}, contended: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s.share.Store(c.share)
			if err := s.Admit(key, now); err != nil { // the key's state exists
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Admit(key, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
