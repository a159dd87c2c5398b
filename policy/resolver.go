package policy

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// SnapshotStore shares entity snapshots between replicas (package registry
// implements it in Redis). Load returns nil data when there is none, and the
// store's current version; Store keeps data only if that version is still
// current, so a snapshot fetched before an invalidation is never shared
// after it.
type SnapshotStore interface {
	LoadSnapshot(ctx context.Context, entity int64) (data []byte, version string, err error)
	StoreSnapshot(ctx context.Context, entity int64, data []byte, ttl time.Duration, version string) error
}

// ResolverOptions configure a Resolver. Zero values mean the documented
// defaults.
type ResolverOptions struct {
	// MaxAge bounds a snapshot's age; older ones are rebuilt before use.
	// Default 60s.
	MaxAge time.Duration
	// CacheSize bounds entity snapshots and entity-set scopes kept in process, in
	// entries each. Default 10000.
	CacheSize int
	// Store shares snapshots between replicas; nil keeps them in process.
	Store SnapshotStore
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// Resolver turns a key's entities into its Scope, from snapshots cached in
// process, shared through the store, and read from the upstream. Safe for
// concurrent use.
type Resolver struct {
	up    Upstream
	opts  ResolverOptions
	rules []Rule
	snaps *lru.Cache[int64, *cachedSnapshot]
	sets  *lru.Cache[uint64, *setScope] // by setHash of the entities
	seed  maphash.Seed
	group singleflight.Group
	epoch atomic.Uint64 // bumped by every invalidation
}

type cachedSnapshot struct {
	snap  *entitySnapshot
	stale atomic.Bool // set by an invalidation
}

// setScope is the Scope of one entity set, shared by every key bound to
// exactly those entities: a hundred thousand keys over a few sets hold a
// few scopes.
type setScope struct {
	entities []int64
	snaps    []*cachedSnapshot
	scope    *Scope
}

// NewResolver returns a resolver reading through up. rules are the policy
// table, whose Inject filters each Scope prepares.
func NewResolver(up Upstream, rules []Rule, opts ResolverOptions) (*Resolver, error) {
	if opts.MaxAge <= 0 {
		opts.MaxAge = 60 * time.Second
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	snaps, err := lru.New[int64, *cachedSnapshot](opts.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("policy: snapshot cache: %w", err)
	}
	sets, err := lru.New[uint64, *setScope](opts.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("policy: scope cache: %w", err)
	}
	return &Resolver{up: up, opts: opts, rules: rules, snaps: snaps, sets: sets, seed: maphash.MakeSeed()}, nil
}

// Scope returns the scope of a key bound to entities; keys bound to the
// same entities (in the same order, as the registry keeps them) share it.
// A cached scope is used while every snapshot under it is younger than
// MaxAge and not invalidated. It allocates nothing on a hit.
func (r *Resolver) Scope(ctx context.Context, entities []int64) (*Scope, error) {
	now := r.opts.Now()
	h := r.setHash(entities)
	if ss, ok := r.sets.Get(h); ok && slices.Equal(ss.entities, entities) && r.current(ss, now) {
		return ss.scope, nil
	}
	v, err, _ := r.group.Do("set\x00"+strconv.FormatUint(h, 16), func() (any, error) { return r.build(ctx, h, entities) })
	if err != nil {
		return nil, err
	}
	if ss := v.(*setScope); slices.Equal(ss.entities, entities) {
		return ss.scope, nil
	}
	// Another set with the same hash was being built: build this one.
	ss, err := r.build(ctx, h, entities)
	if err != nil {
		return nil, err
	}
	return ss.scope, nil
}

// setHash identifies an entity set in the scope cache (equality is checked
// on a hit).
func (r *Resolver) setHash(entities []int64) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	var b [8]byte
	for _, e := range entities {
		binary.LittleEndian.PutUint64(b[:], uint64(e))
		_, _ = h.Write(b[:])
	}
	return h.Sum64()
}

// current reports whether every snapshot of ss may still serve, and starts
// a background refresh of those past three quarters of MaxAge, so busy keys
// rarely wait for a rebuild.
func (r *Resolver) current(ss *setScope, now time.Time) bool {
	for _, cs := range ss.snaps {
		age := now.Sub(cs.snap.Fetched)
		if cs.stale.Load() || age >= r.opts.MaxAge {
			return false
		}
		if age >= r.opts.MaxAge*3/4 {
			r.refreshSoon(cs.snap.Entity)
		}
	}
	return true
}

func (r *Resolver) refreshSoon(entity int64) {
	key := "refresh\x00" + strconv.FormatInt(entity, 10)
	go func() {
		_, _, _ = r.group.Do(key, func() (any, error) {
			ctx, cancel := context.WithTimeout(context.Background(), r.opts.MaxAge/4)
			defer cancel()
			_, err := r.fetch(ctx, entity, r.sharedVersion(ctx, entity))
			if err != nil {
				r.opts.Logger.Warn("scope refresh failed", "entity", entity, "err", err)
			}
			return nil, err
		})
	}()
}

func (r *Resolver) build(ctx context.Context, h uint64, entities []int64) (*setScope, error) {
	epoch := r.epoch.Load()
	ss := &setScope{entities: slices.Clone(entities)}
	var acc, usr, grp, wl []int64
	built := r.opts.Now()
	for _, e := range entities {
		cs, err := r.snapshot(ctx, e)
		if err != nil {
			return nil, err
		}
		s := cs.snap
		ss.snaps = append(ss.snaps, cs)
		acc, usr = append(acc, s.Accounts...), append(usr, s.Users...)
		grp, wl = append(grp, s.Groups...), append(wl, s.Whitelists...)
		if s.Fetched.Before(built) {
			built = s.Fetched
		}
	}
	ss.scope = NewScope(append([]int64(nil), entities...), acc, usr, grp, wl, built)
	ss.scope.prepareFilters(r.rules)
	if r.epoch.Load() == epoch { // no invalidation raced the build
		r.sets.Add(h, ss)
	}
	return ss, nil
}

// snapshot returns a usable snapshot of entity: in process, else from the
// store, else from the upstream.
func (r *Resolver) snapshot(ctx context.Context, entity int64) (*cachedSnapshot, error) {
	now := r.opts.Now()
	if cs, ok := r.snaps.Get(entity); ok && !cs.stale.Load() && now.Sub(cs.snap.Fetched) < r.opts.MaxAge {
		return cs, nil
	}
	cs, version := r.loadShared(ctx, entity, now)
	if cs != nil {
		return cs, nil
	}
	v, err, _ := r.group.Do("entity\x00"+strconv.FormatInt(entity, 10), func() (any, error) {
		return r.fetch(ctx, entity, version)
	})
	if err != nil {
		return nil, err
	}
	return v.(*cachedSnapshot), nil
}

// loadShared returns the shared snapshot when one is usable, and the
// store's version either way ("" without a store or on a store error).
func (r *Resolver) loadShared(ctx context.Context, entity int64, now time.Time) (*cachedSnapshot, string) {
	if r.opts.Store == nil {
		return nil, ""
	}
	data, version, err := r.opts.Store.LoadSnapshot(ctx, entity)
	if err != nil || data == nil {
		return nil, version // the upstream remains the source of truth
	}
	var s entitySnapshot
	if json.Unmarshal(data, &s) != nil || s.Entity != entity || now.Sub(s.Fetched) >= r.opts.MaxAge {
		return nil, version
	}
	cs := &cachedSnapshot{snap: &s}
	r.snaps.Add(entity, cs)
	return cs, version
}

// sharedVersion is the store's current version ("" without a store).
func (r *Resolver) sharedVersion(ctx context.Context, entity int64) string {
	if r.opts.Store == nil {
		return ""
	}
	_, version, _ := r.opts.Store.LoadSnapshot(ctx, entity)
	return version
}

// fetch reads entity from the upstream and publishes the snapshot under
// the store version seen before the read.
func (r *Resolver) fetch(ctx context.Context, entity int64, version string) (*cachedSnapshot, error) {
	epoch := r.epoch.Load()
	s, err := fetchSnapshot(ctx, r.up, entity, r.opts.Now())
	if err != nil {
		return nil, fmt.Errorf("policy: resolve entity %d: %w", entity, err)
	}
	cs := &cachedSnapshot{snap: s}
	if r.epoch.Load() != epoch {
		return cs, nil // serve this request, but an invalidation raced: don't cache
	}
	if prev, ok := r.snaps.Peek(entity); ok {
		prev.stale.Store(true) // key scopes built on it rebuild
	}
	r.snaps.Add(entity, cs)
	if r.opts.Store != nil && version != "" {
		if data, err := json.Marshal(s); err == nil {
			if err := r.opts.Store.StoreSnapshot(ctx, entity, data, r.opts.MaxAge, version); err != nil {
				r.opts.Logger.Warn("scope snapshot not shared", "entity", entity, "err", err)
			}
		}
	}
	return cs, nil
}

// InvalidateEntity drops entity's snapshot, so every key bound to it
// rebuilds its scope on its next request. The caller also deletes the
// shared copy (see registry).
func (r *Resolver) InvalidateEntity(entity int64) {
	r.epoch.Add(1)
	if cs, ok := r.snaps.Peek(entity); ok {
		cs.stale.Store(true)
	}
	r.snaps.Remove(entity)
}

// InvalidateAll drops every snapshot: an account, group or whitelist edit
// can change any entity's governance sets.
func (r *Resolver) InvalidateAll() {
	r.epoch.Add(1)
	for _, e := range r.snaps.Keys() {
		if cs, ok := r.snaps.Peek(e); ok {
			cs.stale.Store(true)
		}
	}
	r.snaps.Purge()
}
