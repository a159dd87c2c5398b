// Package gcra is the generic cell rate algorithm on one int64 of state, for
// the gateway's in-process limits (failed authentications per address, the
// per-key fallback while Redis is unreachable). The cross-replica per-key
// limit uses the same algorithm in Redis (registry).
//
// A limit admits one event every Interval on average and up to Burst at
// once. The state is the theoretical arrival time (TAT) in unix
// nanoseconds; zero is a full bucket. Nothing here locks: callers serialise
// access to a state.
package gcra

import "time"

// Limit is a rate: one event per Interval, Burst at once (Burst ≥ 1).
type Limit struct {
	Interval time.Duration
	Burst    int
}

// tolerance is how far ahead of now the TAT may run: (Burst-1)·Interval.
func (l Limit) tolerance() int64 { return int64(l.Burst-1) * int64(l.Interval) }

// Allow admits one event at now (unix nanoseconds) and advances *tat, or
// refuses it and returns how long until one would be admitted.
func Allow(tat *int64, now int64, l Limit) (ok bool, retry time.Duration) {
	t := max(*tat, now)
	if wait := t - l.tolerance() - now; wait > 0 {
		return false, time.Duration(wait)
	}
	*tat = t + int64(l.Interval)
	return true, 0
}

// Peek is Allow without the advance: whether an event would be admitted.
func Peek(tat int64, now int64, l Limit) (ok bool, retry time.Duration) {
	t := max(tat, now)
	if wait := t - l.tolerance() - now; wait > 0 {
		return false, time.Duration(wait)
	}
	return true, 0
}
