package keycache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The outage mode (issue 16, items 1 and 5). Whether Redis answers is
// learnt from the background probe (registry.Watch publishes one every
// 250 ms, and between attempts to subscribe: Reached) and from lookups.
// The first failure marks Redis down: from then on misses are answered at
// once by the outage rules — a cached ACTIVE key serves for OutageGrace
// after Redis last answered, any other key is refused — and lookups in
// flight are abandoned, so that no partner request waits on dials and
// go-redis's retries that will fail; only the probe asks Redis, and its
// first answer ends the outage mode. The grace counts from the last
// answer of any kind, so a replica that only served cache hits for hours
// still has its whole grace when Redis stops answering. Whether the
// subscription is live says nothing of this: it is also lost on failovers
// and missed messages, with Redis answering. A KeyCache that no probe feeds
// (Reached never called) stays down after its first failed lookup, until
// SetSubscribed(true).

// reachability is what the cache knows of whether Redis answers. Safe for
// concurrent use.
type reachability struct {
	last atomic.Int64 // unix nanos of the last answer
	down atomic.Bool

	mu sync.Mutex
	// up ends when Redis is marked down: lookups in flight end with it.
	up     context.Context
	upStop context.CancelFunc
}

func (r *reachability) start(now time.Time) {
	r.last.Store(now.UnixNano())
	r.up, r.upStop = context.WithCancel(context.Background())
}

// answered records an answer of a lookup (the outage mode, if set, stays
// until the probe's answer: a lookup in flight may end after it began).
func (r *reachability) answered(now time.Time) { r.last.Store(now.UnixNano()) }

// set records whether Redis answered.
func (r *reachability) set(ok bool, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.last.Store(now.UnixNano())
		if r.down.Swap(false) {
			r.up, r.upStop = context.WithCancel(context.Background())
		}
		return
	}
	if !r.down.Swap(true) {
		r.upStop()
	}
}

// bound returns ctx ended also when Redis is marked down.
func (r *reachability) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	r.mu.Lock()
	up := r.up
	r.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(up, cancel)
	return ctx, func() { stop(); cancel() }
}

// ask is one registry lookup, abandoned if Redis is marked down meanwhile.
func (c *KeyCache) ask(ctx context.Context, hash [32]byte) (Principal, bool, error) {
	ctx, done := c.redis.bound(ctx)
	defer done()
	return c.lookup(ctx, hash)
}

// Reached records whether Redis answered the background probe
// (registry.EventHandler.Reached): an answer is a contact the grace counts
// from and ends the outage mode; a failure starts it.
func (c *KeyCache) Reached(ok bool) { c.redis.set(ok, c.opts.Now()) }

// fallback serves a cached ACTIVE key while the registry is unreachable,
// for at most OutageGrace since it last answered. Unknown keys are
// refused: an outage must never look like "not found".
func (c *KeyCache) fallback(hash [32]byte, now time.Time) (*Principal, error) {
	e, ok := c.keys.Peek(hash)
	if !ok || !e.p.Active {
		return nil, ErrRegistryDown
	}
	if now.UnixNano()-c.redis.last.Load() > int64(c.opts.OutageGrace) {
		return nil, ErrRegistryDown
	}
	return c.use(e, hash, now)
}
