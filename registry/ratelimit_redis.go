package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// RateGrant is Redis's answer to a lease request.
type RateGrant struct {
	// Granted is the number of requests granted: all that were asked, or 0.
	Granted int
	// RetryAfter is, when nothing was granted, how long until the whole
	// lease would be.
	RetryAfter time.Duration
}

// TakeRate takes n requests at once from key id's budget, shared by every
// replica: a GCRA bucket in Redis (github.com/go-redis/redis_rate, one Lua
// script on Redis's own clock, so replicas' clocks do not matter). It grants
// all n or none; n must not exceed l.Burst or it is never granted. Errors are
// ErrUnavailable: the caller decides how to fail (see Limiter).
func (r *Registry) TakeRate(ctx context.Context, keyID string, l RateLimit, n int) (RateGrant, error) {
	if l.Count < 1 || l.Burst < 1 || n < 1 {
		return RateGrant{}, invalidf("take rate: limit %v, n %d", l, n)
	}
	// AllowN, not AllowAtMost: the latter charges the fractional token it
	// cannot grant, which under load biases the admitted rate low.
	res, err := r.rate.AllowN(ctx, r.rateKey(keyID), redis_rate.Limit{Rate: l.Count, Period: l.Per, Burst: l.Burst}, n)
	if err != nil {
		return RateGrant{}, classify(err, "take rate")
	}
	if res.Allowed > 0 {
		return RateGrant{Granted: res.Allowed}, nil
	}
	if res.RetryAfter <= 0 {
		return RateGrant{}, fmt.Errorf("%w: take rate: nothing granted and no retry time", ErrUnavailable)
	}
	return RateGrant{RetryAfter: res.RetryAfter}, nil
}

// rateKey is the bucket's name without redis_rate's "rate:" prefix; the full
// key "rate:rg:{<workspace>}:rl:<key id>" keeps the workspace's hash tag.
func (r *Registry) rateKey(keyID string) string { return r.key("rl:" + keyID) }

// Ping checks that Redis answers.
func (r *Registry) Ping(ctx context.Context) error {
	return classify(r.client.Ping(ctx).Err(), "ping")
}
