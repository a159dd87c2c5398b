package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Grant is Redis's answer to a lease request.
type Grant struct {
	// Granted is the number of requests granted: all that were asked, or 0.
	Granted int
	// RetryAfter is, when nothing was granted, how long until the whole
	// lease would be.
	RetryAfter time.Duration
}

// ErrUnavailable: Redis could not be asked. The Limiter then follows its
// OutageMode.
var ErrUnavailable = errors.New("ratelimit: redis unavailable")

// Budget is the per-key budget shared by every replica: a GCRA bucket per
// key in Redis. Safe for concurrent use.
type Budget struct {
	client redis.UniversalClient
	prefix string
	rate   *redis_rate.Limiter
}

// NewBudget returns the budgets kept on client under prefix, which must
// carry the workspace's hash tag (registry.Registry.Prefix) so a key's
// bucket lives in the workspace's slot on Cluster.
func NewBudget(client redis.UniversalClient, prefix string) *Budget {
	return &Budget{client: client, prefix: prefix, rate: redis_rate.NewLimiter(client)}
}

// TakeRate takes n requests at once from key id's budget, shared by every
// replica: a GCRA bucket in Redis (github.com/go-redis/redis_rate, one Lua
// script on Redis's own clock, so replicas' clocks do not matter). It grants
// all n or none; n must not exceed l.Burst or it is never granted. Errors are
// ErrUnavailable: the caller decides how to fail (see Limiter).
func (b *Budget) TakeRate(ctx context.Context, keyID string, l Limit, n int) (Grant, error) {
	if l.Count < 1 || l.Burst < 1 || n < 1 {
		return Grant{}, invalidf("take rate: limit %v, n %d", l, n)
	}
	// AllowN, not AllowAtMost: the latter charges the fractional token it
	// cannot grant, which under load biases the admitted rate low.
	res, err := b.rate.AllowN(ctx, b.rateKey(keyID), redis_rate.Limit{Rate: l.Count, Period: l.Per, Burst: l.Burst}, n)
	if err != nil {
		return Grant{}, fmt.Errorf("%w: take rate: %w", ErrUnavailable, err)
	}
	if res.Allowed > 0 {
		return Grant{Granted: res.Allowed}, nil
	}
	if res.RetryAfter <= 0 {
		return Grant{}, fmt.Errorf("%w: take rate: nothing granted and no retry time", ErrUnavailable)
	}
	return Grant{RetryAfter: res.RetryAfter}, nil
}

// rateKey is the bucket's name without redis_rate's "rate:" prefix; the full
// key "rate:rg:{<workspace>}:rl:<key id>" keeps the workspace's hash tag.
func (b *Budget) rateKey(keyID string) string { return b.prefix + "rl:" + keyID }

// Ping checks that Redis answers.
func (b *Budget) Ping(ctx context.Context) error {
	if err := b.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: ping: %w", ErrUnavailable, err)
	}
	return nil
}
