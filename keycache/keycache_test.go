package keycache

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reportgate/internal/testkit"
)

// table is an in-memory stand-in for the registry's hash index, with a
// switch to simulate an outage. The registry itself is tested against Redis.
type table struct {
	mu    sync.Mutex
	keys  map[[32]byte]Principal
	down  bool
	calls atomic.Int64
	gate  chan struct{} // when set, lookups wait on it
}

func (tb *table) lookup(ctx context.Context, h [32]byte) (Principal, bool, error) {
	tb.calls.Add(1)
	if tb.gate != nil {
		<-tb.gate
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.down {
		return Principal{}, false, errors.New("dial tcp: connection refused")
	}
	p, ok := tb.keys[h]
	return p, ok, nil
}

func (tb *table) setDown(down bool) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.down = down
}

func (tb *table) set(key string, p Principal) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.keys[sha256.Sum256([]byte(key))] = p
}

func newTestCache(t *testing.T, opts CacheOptions) (*KeyCache, *table, *testkit.Clock) {
	t.Helper()
	clock := testkit.NewClock(time.Unix(1_800_000_000, 0))
	tb := &table{keys: map[[32]byte]Principal{}}
	opts.Now = clock.Now
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := NewKeyCache(tb.lookup, opts)
	if err != nil {
		t.Fatal(err)
	}
	c.SetSubscribed(true)
	return c, tb, clock
}

func TestCacheHitMissAndInactive(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{})
	tb.set("k1", Principal{ID: "key1", Active: true, Entities: []int64{1}})
	tb.set("k2", Principal{ID: "key2", Active: false})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		p, err := c.Authenticate(ctx, []byte("k1"), clock.Now())
		if err != nil || p.ID != "key1" {
			t.Fatalf("Authenticate(k1) = %v, %v", p, err)
		}
	}
	if got := tb.calls.Load(); got != 1 {
		t.Errorf("registry lookups = %d, want 1 (then cache hits)", got)
	}
	if _, err := c.Authenticate(ctx, []byte("k2"), clock.Now()); !errors.Is(err, ErrKeyInactive) {
		t.Errorf("Authenticate(k2) = %v, want ErrKeyInactive", err)
	}
	if _, err := c.Authenticate(ctx, []byte("nope"), clock.Now()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Authenticate(nope) = %v, want ErrUnknownKey", err)
	}
}

func TestCacheNegativeTTL(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{NegativeTTL: 5 * time.Second})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("Authenticate = %v, want ErrUnknownKey", err)
		}
	}
	if got := tb.calls.Load(); got != 1 {
		t.Errorf("lookups = %d, want 1 within the negative TTL", got)
	}
	tb.set("k1", Principal{ID: "key1", Active: true})
	clock.Advance(6 * time.Second)
	if p, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil || p.ID != "key1" {
		t.Errorf("after the negative TTL: %v, %v; want key1", p, err)
	}
}

func TestCacheInvalidate(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{})
	ctx := context.Background()
	tb.set("k1", Principal{ID: "key1", Active: true, Generation: 1})
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
		t.Fatal(err)
	}
	tb.set("k1", Principal{ID: "key1", Active: false, Generation: 2})
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
		t.Fatalf("before the event the cached record serves: %v", err)
	}
	c.Invalidate(sha256.Sum256([]byte("k1")), 1) // a late event of a change already cached
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
		t.Fatalf("a stale event evicted a current record: %v", err)
	}
	c.Invalidate(sha256.Sum256([]byte("k1")), 2)
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); !errors.Is(err, ErrKeyInactive) {
		t.Errorf("after the event: %v, want ErrKeyInactive", err)
	}
}

// A lookup that started before an invalidation must not re-insert the
// record it read (it may predate the change).
func TestCacheRacingInvalidationNotInserted(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{})
	tb.set("k1", Principal{ID: "key1", Active: true})
	tb.gate = make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := c.Authenticate(context.Background(), []byte("k1"), clock.Now())
		done <- err
	}()
	for tb.calls.Load() == 0 {
		time.Sleep(time.Millisecond) // wait for the lookup to be in flight
	}
	c.Invalidate(sha256.Sum256([]byte("k1")), 2)
	tb.gate <- struct{}{} // first attempt returns, raced: retried
	tb.gate <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(tb.gate)
	if got := tb.calls.Load(); got != 2 {
		t.Errorf("lookups = %d, want 2 (one retry after the race)", got)
	}
}

func TestCacheCoalescesMisses(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{})
	tb.set("k1", Principal{ID: "key1", Active: true})
	tb.gate = make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Authenticate(context.Background(), []byte("k1"), clock.Now()); err != nil {
				t.Error(err)
			}
		}()
	}
	for tb.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(tb.gate)
	wg.Wait()
	if got := tb.calls.Load(); got > 2 {
		t.Errorf("lookups = %d for 20 concurrent misses, want them coalesced", got)
	}
}

func TestCacheOutage(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{OutageGrace: time.Minute})
	ctx := context.Background()
	tb.set("k1", Principal{ID: "key1", Active: true})
	tb.set("k2", Principal{ID: "key2", Active: false})
	for _, k := range []string{"k1", "k2"} {
		_, _ = c.Authenticate(ctx, []byte(k), clock.Now())
	}
	tb.mu.Lock()
	tb.down = true
	tb.mu.Unlock()
	c.SetSubscribed(false) // the subscription drops with Redis
	clock.Advance(30 * time.Second)
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
		t.Errorf("cached ACTIVE key within the grace: %v, want served", err)
	}
	if _, err := c.Authenticate(ctx, []byte("k2"), clock.Now()); !errors.Is(err, ErrRegistryDown) {
		t.Errorf("cached inactive key in an outage: %v, want ErrRegistryDown", err)
	}
	if _, err := c.Authenticate(ctx, []byte("k3"), clock.Now()); !errors.Is(err, ErrRegistryDown) {
		t.Errorf("unknown key in an outage: %v, want ErrRegistryDown (never 'unknown')", err)
	}
	clock.Advance(31 * time.Second)
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); !errors.Is(err, ErrRegistryDown) {
		t.Errorf("cached key after the grace: %v, want ErrRegistryDown", err)
	}
	tb.mu.Lock()
	tb.down = false
	tb.mu.Unlock()
	c.SetSubscribed(true)
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

// While the subscription is down, a change is seen on the next request
// because every lookup goes to the registry.
func TestCacheUnsubscribedReadsThrough(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{OutageGrace: time.Minute})
	ctx := context.Background()
	tb.set("k1", Principal{ID: "key1", Active: true})
	_, _ = c.Authenticate(ctx, []byte("k1"), clock.Now())
	c.SetSubscribed(false)
	tb.set("k1", Principal{ID: "key1", Active: false})
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); !errors.Is(err, ErrKeyInactive) {
		t.Errorf("unsubscribed: %v, want the registry's current answer", err)
	}
}

func TestCacheTakeUsed(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{})
	ctx := context.Background()
	tb.set("k1", Principal{ID: "key1", Active: true})
	tb.set("k2", Principal{ID: "key2", Active: true})
	_, _ = c.Authenticate(ctx, []byte("k1"), clock.Now())
	_, _ = c.Authenticate(ctx, []byte("k2"), clock.Now())
	clock.Advance(time.Second)
	_, _ = c.Authenticate(ctx, []byte("k1"), clock.Now())
	used := c.TakeUsed()
	if len(used) != 2 || used["key1"].Count != 2 || !used["key1"].Last.Equal(clock.Now()) || used["key2"].Count != 1 {
		t.Fatalf("TakeUsed() = %v, want key1 twice, last at %v, and key2 once", used, clock.Now())
	}
	clock.Advance(time.Second)
	if used := c.TakeUsed(); len(used) != 0 {
		t.Errorf("TakeUsed() after no use = %v, want empty", used)
	}
	// A refused key (inactive) is not counted as used.
	tb.set("k3", Principal{ID: "key3"})
	_, _ = c.Authenticate(ctx, []byte("k3"), clock.Now())
	if used := c.TakeUsed(); len(used) != 0 {
		t.Errorf("TakeUsed() after an inactive key's request = %v, want empty", used)
	}
}
