package keycache

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"reportgate/ratelimit"
	"reportgate/registry"
)

// Errors of KeyCache.Authenticate, each mapped to one answer by the proxy.
var (
	// ErrUnknownKey: no key has this hash (401).
	ErrUnknownKey = errors.New("keycache: unknown key")
	// ErrKeyInactive: the key exists but is not ACTIVE (403).
	ErrKeyInactive = errors.New("keycache: key is not active")
	// ErrRegistryDown: Redis cannot be reached and the key is not cached as
	// ACTIVE within the outage grace (503). Fail closed.
	ErrRegistryDown = errors.New("keycache: registry unreachable")
	// ErrNotCached: Cached cannot decide without asking Redis.
	ErrNotCached = errors.New("keycache: key not cached")
)

// Principal is what the proxy needs of an authenticated key. It is
// immutable once cached; a change replaces it.
type Principal struct {
	ID         string
	Active     bool
	Entities   []int64
	Generation uint64
	Hash       [32]byte
	// RateLimit is the key's own limit; the zero value is the gateway's
	// default (see ratelimit.Limiter).
	RateLimit ratelimit.Limit
	// ClientCert is the client certificate the key is bound to; the zero
	// value binds none. The proxy refuses a bound key over a connection
	// whose client did not present that certificate.
	ClientCert registry.CertFingerprint
}

// LookupFunc reads a key by the SHA-256 of its secret: found is false for a
// key that does not exist; err is set only when the registry could not be
// asked (an outage), never for "not found".
type LookupFunc func(ctx context.Context, hash [32]byte) (p Principal, found bool, err error)

// CacheOptions configure a KeyCache. Zero values mean the documented
// defaults.
type CacheOptions struct {
	// Size bounds cached keys, in entries. Default 100000.
	Size int
	// NegativeTTL is how long a well-formed unknown key is remembered as
	// unknown. 0 disables the negative cache.
	NegativeTTL time.Duration
	// OutageGrace is how long cached ACTIVE keys keep serving while the
	// registry is unreachable, counted from the last time it answered (a
	// lookup, or the background probe that calls Reached). 0 refuses every
	// key during an outage.
	OutageGrace time.Duration
	// Now is the clock. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

type cached struct {
	p     Principal
	used  atomic.Int64 // unix nanos of the last successful authentication
	count atomic.Int64 // successful authentications since the last TakeUsed
}

// KeyCache authenticates reporting keys: an in-process LRU in front of the
// registry, with coalesced misses, a negative cache, invalidation by event,
// and an explicit outage mode. Safe for concurrent use.
//
// Trust: entries are trusted only while the invalidation subscription is
// live (SetSubscribed). While it is not, every lookup goes to Redis, and the
// cache is only the outage fallback.
type KeyCache struct {
	lookup LookupFunc
	opts   CacheOptions
	keys   *lru.Cache[[32]byte, *cached]
	neg    *lru.Cache[[32]byte, time.Time] // hash → expiry
	group  singleflight.Group

	// epoch is bumped by every invalidation; a lookup that raced one does
	// not insert its (possibly stale) result.
	epoch atomic.Uint64
	// subscribed is true while the invalidation subscription is live.
	subscribed atomic.Bool
	// redis is whether the registry answers, and since when it does not
	// (outage.go).
	redis reachability
	// insert orders a lookup's insertion against Invalidate: a record read
	// before a change is never inserted after the change's eviction.
	insert sync.Mutex

	hits, misses, negHits, evictions atomic.Uint64
}

// NewKeyCache returns a cache reading through lookup.
func NewKeyCache(lookup LookupFunc, opts CacheOptions) (*KeyCache, error) {
	if opts.Size == 0 {
		opts.Size = 100_000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	keys, err := lru.New[[32]byte, *cached](opts.Size)
	if err != nil {
		return nil, fmt.Errorf("keycache: %w", err)
	}
	neg, err := lru.New[[32]byte, time.Time](max(opts.Size/10, 1024))
	if err != nil {
		return nil, fmt.Errorf("keycache: negative cache: %w", err)
	}
	c := &KeyCache{lookup: lookup, opts: opts, keys: keys, neg: neg}
	c.redis.start(opts.Now())
	return c, nil
}

// Authenticate returns the principal of a well-formed key (the caller has
// checked the format offline) for a request that arrived at now (the
// caller has read the clock already: a cache hit reads it no more). It
// allocates nothing on a cache hit.
func (c *KeyCache) Authenticate(ctx context.Context, key []byte, now time.Time) (*Principal, error) {
	hash := sha256.Sum256(key)
	if p, err := c.cached(hash, now); err != ErrNotCached {
		return p, err
	}
	c.misses.Add(1)
	return c.miss(ctx, hash, now)
}

// Cached is Authenticate without Redis: it answers from the cache alone, or
// ErrNotCached when only Redis could. The proxy calls it first for clients
// whose failed authentications are throttled, so that their keys never
// reach Redis while cached keys keep working. It allocates nothing.
func (c *KeyCache) Cached(key []byte, now time.Time) (*Principal, error) {
	return c.cached(sha256.Sum256(key), now)
}

func (c *KeyCache) cached(hash [32]byte, now time.Time) (*Principal, error) {
	if !c.subscribed.Load() {
		return nil, ErrNotCached // nothing cached is trusted
	}
	if e, ok := c.keys.Get(hash); ok {
		c.hits.Add(1)
		return c.use(e, hash, now)
	}
	if exp, ok := c.neg.Get(hash); ok && now.Before(exp) {
		c.negHits.Add(1)
		return nil, ErrUnknownKey
	}
	return nil, ErrNotCached
}

func (c *KeyCache) decide(e *cached, hash [32]byte) (*Principal, error) {
	// The map lookup already matched the hash; compare again in constant
	// time so no path depends on a variable-time comparison of secrets.
	if subtle.ConstantTimeCompare(e.p.Hash[:], hash[:]) != 1 {
		return nil, ErrUnknownKey
	}
	if !e.p.Active {
		return &e.p, ErrKeyInactive
	}
	return &e.p, nil
}

func (c *KeyCache) miss(ctx context.Context, hash [32]byte, now time.Time) (*Principal, error) {
	if c.redis.down.Load() {
		return c.fallback(hash, now) // only the probe asks Redis meanwhile
	}
	v, err, _ := c.group.Do(string(hash[:]), func() (any, error) {
		return c.fetch(ctx, hash)
	})
	if errors.Is(err, ErrRegistryDown) {
		return c.fallback(hash, now)
	}
	if err != nil {
		return nil, err
	}
	return c.use(v.(*cached), hash, now)
}

// use is decide plus the last-used time of a key that authenticated.
func (c *KeyCache) use(e *cached, hash [32]byte, now time.Time) (*Principal, error) {
	p, err := c.decide(e, hash)
	if err == nil {
		e.used.Store(now.UnixNano())
		e.count.Add(1)
	}
	return p, err
}

// fetch asks the registry, retrying once when an invalidation raced it, and
// caches the answer when none did.
func (c *KeyCache) fetch(ctx context.Context, hash [32]byte) (*cached, error) {
	for attempt := 0; ; attempt++ {
		epoch := c.epoch.Load()
		p, found, err := c.ask(ctx, hash)
		now := c.opts.Now()
		if err != nil {
			c.redis.set(false, now)
			c.opts.Logger.Warn("key lookup failed", "err", err)
			return nil, ErrRegistryDown
		}
		c.redis.answered(now)
		if c.epoch.Load() != epoch && attempt == 0 {
			continue
		}
		var e *cached
		if found {
			p.Hash = hash
			e = &cached{p: p}
		}
		c.remember(hash, e, epoch, now)
		if !found {
			return nil, ErrUnknownKey
		}
		return e, nil
	}
}

// remember caches what a lookup read (e, or nil for an unknown key),
// unless an invalidation came after epoch: then the record may predate the
// change, and the next request reads again.
func (c *KeyCache) remember(hash [32]byte, e *cached, epoch uint64, now time.Time) {
	c.insert.Lock()
	defer c.insert.Unlock()
	if c.epoch.Load() != epoch {
		return
	}
	if e == nil {
		if c.opts.NegativeTTL > 0 {
			c.neg.Add(hash, now.Add(c.opts.NegativeTTL))
		}
		return
	}
	c.neg.Remove(hash)
	if c.keys.Add(hash, e) {
		c.evictions.Add(1)
	}
}

// TakeUsed returns the use of each key since the previous call (its
// requests and the time of the last), for Registry.RecordUsage, and starts
// counting again. Called every few seconds, off the request path, which
// only adds to two atomics per request. The counts of a key evicted from the
// cache before the call are lost (the cache holds every key in use unless it
// is too small for them).
func (c *KeyCache) TakeUsed() map[string]registry.UsageDelta {
	out := map[string]registry.UsageDelta{}
	for _, e := range c.keys.Values() {
		if n := e.count.Swap(0); n > 0 {
			d := out[e.p.ID] // a key re-inserted after an invalidation may appear twice
			d.Count += n
			if at := time.Unix(0, e.used.Load()); at.After(d.Last) {
				d.Last = at
			}
			out[e.p.ID] = d
		}
	}
	return out
}

// Invalidate forgets one key (by the hash of its secret) unless the cached
// record is already at generation or newer (a late event of a change the
// cache has seen must not evict it), forgets it as unknown, and makes
// lookups in flight retry.
//
// Once it returns, no request reads the key from before the change: a
// lookup in flight neither inserts what it read nor shares it with requests
// that arrive later (they read again). The admin API calls it on the
// replica that made a change, before answering; every replica calls it on
// the change's event.
func (c *KeyCache) Invalidate(hash [32]byte, generation uint64) {
	c.insert.Lock()
	c.epoch.Add(1)
	if e, ok := c.keys.Peek(hash); !ok || e.p.Generation < generation {
		c.keys.Remove(hash)
	}
	c.neg.Remove(hash)
	c.insert.Unlock()
	c.group.Forget(string(hash[:]))
}

// Purge forgets every key.
func (c *KeyCache) Purge() {
	c.insert.Lock()
	defer c.insert.Unlock()
	c.epoch.Add(1)
	c.keys.Purge()
	c.neg.Purge()
}

// SetSubscribed records whether the invalidation subscription is live.
// Going live purges the cache first: events missed while down cannot be
// replayed, so nothing cached before is trusted again.
func (c *KeyCache) SetSubscribed(live bool) {
	if live {
		c.Purge()
		c.Reached(true) // the subscription's proof is a probe Redis answered
	} else {
		c.epoch.Add(1)
	}
	c.subscribed.Store(live)
}

// Subscribed reports whether the invalidation subscription is live.
func (c *KeyCache) Subscribed() bool { return c.subscribed.Load() }

// CacheStats are counters since start.
type CacheStats struct {
	Hits, Misses, NegativeHits, Evictions uint64
	Entries                               int
}

// Stats returns the counters.
func (c *KeyCache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), NegativeHits: c.negHits.Load(),
		Evictions: c.evictions.Load(), Entries: c.keys.Len()}
}

// errUnsubscribed is Ready's answer while the subscription is down.
var errUnsubscribed = errors.New("down: no proof that key changes are heard (caches purged); every key is read from Redis meanwhile")

// Ready is the readiness check of the invalidation subscription: nil while
// it is live.
func (c *KeyCache) Ready(context.Context) error {
	if !c.subscribed.Load() {
		return errUnsubscribed
	}
	return nil
}
