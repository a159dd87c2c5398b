package keycache

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestCacheGraceCountsFromLastAnswer reproduces issue 16.1: the grace was
// counted from the last lookup, and cache hits make none, so a replica
// whose keys were all cached refused them all from the first second of an
// outage. It counts from the last time Redis answered (the probe's
// Reached).
func TestCacheGraceCountsFromLastAnswer(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{OutageGrace: time.Minute})
	ctx := context.Background()
	tb.set("k1", Principal{ID: "key1", Active: true})
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil { // the one lookup
		t.Fatal(err)
	}
	for range 8 { // two minutes of cache hits, Redis answering the probe
		clock.Advance(15 * time.Second)
		if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
			t.Fatal(err)
		}
		c.Reached(true)
	}
	tb.setDown(true)
	c.Reached(false)
	c.SetSubscribed(false)
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
		t.Errorf("cached key as the outage starts: %v, want served for the grace", err)
	}
	clock.Advance(59 * time.Second)
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
		t.Errorf("cached key 1 s before the grace ends: %v, want served", err)
	}
	clock.Advance(2 * time.Second)
	if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); !errors.Is(err, ErrRegistryDown) {
		t.Errorf("cached key after the grace: %v, want ErrRegistryDown", err)
	}
}

// TestCacheDownAsksNothing reproduces issue 16.5: while Redis is marked
// down, misses are answered by the outage rules at once, without a lookup
// (which would wait on dials and retries); only the probe's answer ends it.
func TestCacheDownAsksNothing(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{OutageGrace: time.Minute})
	ctx := context.Background()
	tb.set("k1", Principal{ID: "key1", Active: true})
	_, _ = c.Authenticate(ctx, []byte("k1"), clock.Now())
	c.SetSubscribed(false) // nothing cached is trusted: every request is a miss
	tb.setDown(true)
	if _, err := c.Authenticate(ctx, []byte("k2"), clock.Now()); !errors.Is(err, ErrRegistryDown) {
		t.Fatalf("unknown key, first failed lookup: %v, want ErrRegistryDown", err)
	}
	calls := tb.calls.Load()
	for range 10 {
		if _, err := c.Authenticate(ctx, []byte("k1"), clock.Now()); err != nil {
			t.Errorf("cached key while down: %v, want served within the grace", err)
		}
		if _, err := c.Authenticate(ctx, []byte("k2"), clock.Now()); !errors.Is(err, ErrRegistryDown) {
			t.Errorf("unknown key while down: %v, want ErrRegistryDown (fail closed)", err)
		}
	}
	if got := tb.calls.Load() - calls; got != 0 {
		t.Errorf("%d lookups while Redis is marked down, want 0", got)
	}
	c.Reached(false) // a failed probe changes nothing
	tb.setDown(false)
	c.Reached(true)
	tb.set("k2", Principal{ID: "key2", Active: true})
	if _, err := c.Authenticate(ctx, []byte("k2"), clock.Now()); err != nil {
		t.Errorf("after the probe reached Redis: %v, want the registry's answer", err)
	}
}

// TestCacheInvalidateEndsSharedLookup: a request that arrives after
// Invalidate never gets a record read before the change, even one read
// by a lookup still in flight (issue 13.3: the answering replica evicts
// before the admin's 200, and the next request must see the change).
// Before, it joined the coalesced lookup, whose retry had read the record
// before a second change.
func TestCacheInvalidateEndsSharedLookup(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{})
	tb.set("k1", Principal{ID: "key1", Active: true, Generation: 1})
	read := make(chan struct{}, 16) // once released, lookups never block
	release := make(chan struct{})
	c.lookup = func(ctx context.Context, h [32]byte) (Principal, bool, error) {
		p, ok, err := tb.lookup(ctx, h)
		read <- struct{}{}
		<-release
		return p, ok, err
	}
	hash := sha256.Sum256([]byte("k1"))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = c.Authenticate(context.Background(), []byte("k1"), clock.Now()) }()
	<-read // the first lookup read generation 1
	tb.set("k1", Principal{ID: "key1", Active: true, Generation: 2})
	c.Invalidate(hash, 2)
	release <- struct{}{}
	<-read // its retry read generation 2
	tb.set("k1", Principal{ID: "key1", Active: false, Generation: 3})
	c.Invalidate(hash, 3) // suspended: from now on, refused
	got := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(context.Background(), []byte("k1"), clock.Now())
		got <- err
	}()
	select {
	case <-read: // a lookup of its own, as it must
		close(release)
	case err := <-got:
		t.Fatalf("a request after the change was answered from a lookup that read before it: %v", err)
	case <-time.After(10 * time.Second):
		close(release) // it joined the flight: let both finish
	}
	if err := <-got; !errors.Is(err, ErrKeyInactive) {
		t.Fatalf("request after the change: %v, want ErrKeyInactive", err)
	}
	wg.Wait()
	if _, err := c.Authenticate(context.Background(), []byte("k1"), clock.Now()); !errors.Is(err, ErrKeyInactive) {
		t.Errorf("cache after both: %v, want ErrKeyInactive (no stale record inserted)", err)
	}
}

// TestCacheDownEndsLookupsInFlight: requests already waiting on a lookup
// when Redis is marked down get the outage rules at once instead of waiting
// for the lookup's timeout (issue 16.5: 500 ms in the first seconds).
func TestCacheDownEndsLookupsInFlight(t *testing.T) {
	t.Parallel()
	c, tb, clock := newTestCache(t, CacheOptions{OutageGrace: time.Minute})
	tb.set("k1", Principal{ID: "key1", Active: true})
	_, _ = c.Authenticate(context.Background(), []byte("k1"), clock.Now())
	c.SetSubscribed(false)
	started := make(chan struct{}, 1)
	c.lookup = func(ctx context.Context, h [32]byte) (Principal, bool, error) {
		started <- struct{}{}
		<-ctx.Done() // a Redis that does not answer
		return Principal{}, false, ctx.Err()
	}
	got := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(context.Background(), []byte("k1"), clock.Now())
		got <- err
	}()
	<-started
	c.Reached(false)
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("cached key whose lookup was abandoned: %v, want served within the grace", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lookup in flight was not abandoned when Redis was marked down")
	}
}
