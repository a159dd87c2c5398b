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
// is bounded by timeout (DefaultLookupTimeout when 0): an unreachable Redis
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
		k, err := store.KeyByHash(ctx, hash)
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
