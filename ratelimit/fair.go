package ratelimit

import (
	"math"
	"slices"
	"time"
)

// FairShare is the max-min fair share of capacity (requests per second)
// among keys asking for demands (requests per second): the keys asking
// less than the share get all they ask, and the others split what is left
// equally, so no key can take from one asking less (water-filling).
//
// contended reports whether the demands exceed the capacity. When they do
// not, the share is what is left plus the largest demand: every key still
// gets all it asks, but one key's sudden spike cannot take what the others
// are using before the next window measures it. Without demands the share
// is the whole capacity.
func FairShare(capacity float64, demands []float64) (share float64, contended bool) {
	if len(demands) == 0 {
		return capacity, false
	}
	d := slices.Clone(demands)
	slices.Sort(d)
	left := capacity
	for i, x := range d {
		fair := left / float64(len(d)-i)
		if x > fair {
			return max(fair, 0), true
		}
		left -= x
	}
	return left + d[len(d)-1], false
}

// shareLimit is a key's fair share as a Limit the Limiter enforces: the
// share per minute (the finer of the two periods) while that fits
// MaxCount, per second beyond; and a burst that is the same part of the
// budget's burst as the share is of its rate, at least 2 so that a lease
// holds at least one request.
func shareLimit(share float64, budget Limit) Limit {
	rate := float64(budget.Count) / budget.Per.Seconds()
	burst := min(max(int(math.Ceil(float64(budget.Burst)*share/rate)), 2), MaxBurst)
	if perMinute := math.Floor(share * 60); perMinute <= MaxCount {
		return Limit{Count: max(int(perMinute), 1), Per: time.Minute, Burst: burst}
	}
	return Limit{Count: int(math.Min(math.Floor(share), MaxCount)), Per: time.Second, Burst: burst}
}
