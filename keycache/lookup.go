package keycache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"reportgate/ratelimit"
	"reportgate/registry"
)

// KeyStore is what a lookup needs of the registry (*registry.Registry).
type KeyStore interface {
	KeyByHash(ctx context.Context, hash [32]byte) (registry.Key, error)
}

var _ KeyStore = (*registry.Registry)(nil)

// DefaultLookupTimeout bounds one registry lookup on a cache miss.
const DefaultLookupTimeout = 500 * time.Millisecond

// RegistryLookup is the LookupFunc over the registry: "not found" is an
// answer, anything else an outage. A partner waits on it, so each lookup
// is bounded by timeout (DefaultLookupTimeout when 0), and ends when ctx
// does (the cache ends it when Redis is marked down): an unreachable Redis
// must fail fast and fall back to the outage grace, not hold the request
// for go-redis's retries. A stored rate limit that does not parse is an
// error too: the key is not served on a limit nobody can read.
func RegistryLookup(store KeyStore, timeout time.Duration) LookupFunc {
	if timeout <= 0 {
		timeout = DefaultLookupTimeout
	}
	return func(ctx context.Context, hash [32]byte) (Principal, bool, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		k, err := keyByHash(ctx, store, hash)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			return Principal{}, false, nil
		case err != nil:
			return Principal{}, false, err
		}
		p := Principal{ID: k.ID, Active: k.Status == registry.StatusActive, Entities: k.Entities,
			Generation: k.Generation, ClientCert: k.ClientCert}
		if !k.RateLimit.IsZero() {
			if p.RateLimit, err = ratelimit.NewLimit(k.RateLimit.Rate, k.RateLimit.Burst); err != nil {
				return Principal{}, false, fmt.Errorf("keycache: key %s: stored rate limit: %w", k.ID, err)
			}
		}
		return p, true, nil
	}
}

// keyByHash is store.KeyByHash ended by ctx. go-redis ends a blocked read
// at its own ReadTimeout (3 s by default, then retries), not at a context's
// deadline or cancellation (unless the client sets ContextTimeoutEnabled):
// the read goes on in its own goroutine, which ends with go-redis's
// timeout, while the request leaves at ctx's end.
func keyByHash(ctx context.Context, store KeyStore, hash [32]byte) (registry.Key, error) {
	type answer struct {
		k   registry.Key
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		k, err := store.KeyByHash(ctx, hash)
		ch <- answer{k, err}
	}()
	select {
	case a := <-ch:
		return a.k, a.err
	case <-ctx.Done():
		return registry.Key{}, fmt.Errorf("keycache: lookup abandoned: %w", context.Cause(ctx))
	}
}
