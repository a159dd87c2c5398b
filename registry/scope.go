package registry

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Scope snapshots (what an entity covers, built by package policy from the
// upstream) are shared by replicas under P scope:<version>:<entity>. Any
// invalidation bumps P scope:version, which orphans every shared snapshot at
// once; in-process caches drop only the entities the event names.

func (r *Registry) scopeVersionKey() string { return r.key("scope:version") }

func (r *Registry) snapshotKey(version string, entity int64) string {
	return r.key("scope:" + version + ":" + strconv.FormatInt(entity, 10))
}

// LoadSnapshot returns the shared snapshot of entity (nil if none) and the
// current version (two reads; only on a scope-cache miss).
func (r *Registry) LoadSnapshot(ctx context.Context, entity int64) ([]byte, string, error) {
	version, err := r.client.Get(ctx, r.scopeVersionKey()).Result()
	if errors.Is(err, redis.Nil) {
		version, err = "0", nil
	}
	if err != nil {
		return nil, "", classify(err, "scope version")
	}
	data, err := r.client.Get(ctx, r.snapshotKey(version, entity)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, version, nil
	}
	if err != nil {
		return nil, version, classify(err, "scope snapshot")
	}
	return data, version, nil
}

// StoreSnapshot shares a snapshot read under version, unless an
// invalidation happened since.
func (r *Registry) StoreSnapshot(ctx context.Context, entity int64, data []byte, ttl time.Duration, version string) error {
	keys := []string{r.scopeVersionKey(), r.snapshotKey(version, entity)}
	err := r.scripts.scopeStore.Run(ctx, r.client, keys, version, data, ttl.Milliseconds()).Err()
	if err != nil {
		return classify(err, "store scope snapshot")
	}
	return nil
}

// InvalidateScope announces that the named entities' coverage changed (all
// of them when all is true): every replica drops them, and no shared
// snapshot read before now is used again.
func (r *Registry) InvalidateScope(ctx context.Context, entities []int64, all bool) error {
	ev, err := json.Marshal(Event{Type: EventScope, Entities: entities, All: all})
	if err != nil {
		return err
	}
	err = r.scripts.scopeInvalidate.Run(ctx, r.client, []string{r.scopeVersionKey()}, r.prefix, ev).Err()
	if err != nil {
		return classify(err, "invalidate scope")
	}
	return nil
}
