package ratelimit

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
	"reportgate/internal/testkit"
)

func TestFairShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		capacity  float64
		demands   []float64
		share     float64
		contended bool
	}{
		{"no demand: the whole budget", 30, nil, 30, false},
		{"one greedy key, two modest: the modest keep what they ask", 30, []float64{100, 5, 5}, 20, true},
		{"two greedy keys split the rest", 30, []float64{1, 100, 100}, 14.5, true},
		{"all greedy: equal parts", 30, []float64{40, 40, 40}, 10, true},
		{"demand fits: a spike may take what is left", 30, []float64{5, 5}, 25, false},
		{"demand fits exactly", 30, []float64{10, 10, 10}, 10, false},
		{"nothing to share", 0, []float64{1}, 0, true},
	}
	for _, tt := range tests {
		share, contended := FairShare(tt.capacity, tt.demands)
		if math.Abs(share-tt.share) > 1e-9 || contended != tt.contended {
			t.Errorf("%s: FairShare(%v, %v) = %v, %v; want %v, %v", tt.name, tt.capacity, tt.demands, share, contended, tt.share, tt.contended)
		}
	}
}

func TestShareLimit(t *testing.T) {
	t.Parallel()
	budget := Limit{Count: 30, Per: time.Second, Burst: 10}
	for _, tt := range []struct {
		share float64
		want  Limit
	}{
		{20, Limit{Count: 1200, Per: time.Minute, Burst: 7}},
		{0.001, Limit{Count: 1, Per: time.Minute, Burst: 2}},         // at least one a minute, leases of 1
		{1e5, Limit{Count: 100_000, Per: time.Second, Burst: 33334}}, // over MaxCount a minute: per second
		{1e9, Limit{Count: MaxCount, Per: time.Second, Burst: MaxBurst}},
	} {
		if got := shareLimit(tt.share, budget); got != tt.want {
			t.Errorf("shareLimit(%v, %v) = %v, want %v", tt.share, budget, got, tt.want)
		}
	}
}

// newShared starts a budget on a real redis-server (one per test unless
// client is given, so replicas can share it).
func newShared(t *testing.T, client redis.UniversalClient, opts SharedOptions) *Shared {
	t.Helper()
	if client == nil {
		client = redisClient(t)
	}
	s, err := NewShared(client, "rg:{acme}:", opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func redisClient(t *testing.T) redis.UniversalClient {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: redistest.Start(t).Addr()})
	t.Cleanup(func() { client.Close() })
	return client
}

func TestNewSharedRefusesAnIncompleteBudget(t *testing.T) {
	t.Parallel()
	if _, err := NewShared(nil, "p:", SharedOptions{Limit: Limit{Count: 10, Per: time.Second}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no burst: %v, want ErrInvalid", err)
	}
}

// The budget holds across replicas: two replicas asking as fast as they
// can for 2 s send at most burst + rate·T + both replicas' leases.
func TestSharedBudgetHoldsAcrossReplicas(t *testing.T) {
	client := redisClient(t)
	limit := Limit{Count: 50, Per: time.Second, Burst: 10}
	opts := SharedOptions{Limit: limit, MaxWait: time.Nanosecond}
	replicas := []*Shared{newShared(t, client, opts), newShared(t, client, opts)}
	const d = 2 * time.Second
	var mu sync.Mutex
	sent := 0
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 4 {
		wg.Go(func() {
			for time.Since(start) < d {
				if replicas[i%2].Admit("", time.Now()) == nil {
					mu.Lock()
					sent++
					mu.Unlock()
				}
				time.Sleep(100 * time.Microsecond) // a load generator's pace, not a wait for an event
			}
		})
	}
	wg.Wait()
	lease := 1 // 50/s over 20 ms
	if most := limit.Burst + int(limit.Count*int(d/time.Second)) + 2*lease; sent > most || sent < most/2 {
		t.Errorf("sent %d in %v at %v, want at most %d (and not far below)", sent, d, limit, most)
	}
}

// A greedy key and two modest ones under a budget they exceed together:
// once a window has measured them, the modest keys get all they ask and
// the greedy one the rest.
func TestSharedKeepsModestKeysShare(t *testing.T) {
	limit := Limit{Count: 40, Per: time.Second, Burst: 8}
	// No waiting: every request over the share is refused.
	s := newShared(t, nil, SharedOptions{Limit: limit, Window: 500 * time.Millisecond, Poll: 50 * time.Millisecond, MaxWait: time.Nanosecond})
	const d = 3 * time.Second
	start := time.Now()
	type tally struct{ sent, refused, lateRefused int }
	var mu sync.Mutex
	got := map[string]*tally{"key_greedy": {}, "key_a": {}, "key_b": {}}
	count := func(id string, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			got[id].sent++
		case time.Since(start) > 1500*time.Millisecond: // three windows: one measured whole
			got[id].lateRefused++
			fallthrough
		default:
			got[id].refused++
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for time.Since(start) < d {
			count("key_greedy", s.Admit("key_greedy", time.Now()))
			time.Sleep(time.Millisecond) // about 1000/s: a load generator's pace, not a wait for an event
		}
	})
	for _, id := range []string{"key_a", "key_b"} {
		wg.Go(func() {
			for i := 0; time.Since(start) < d; i++ {
				count(id, s.Admit(id, time.Now()))
				time.Sleep(100 * time.Millisecond) // 10/s each
			}
		})
	}
	wg.Wait()
	for _, id := range []string{"key_a", "key_b"} {
		if g := got[id]; g.lateRefused > 0 || g.sent < 20 {
			t.Logf("refusals by reason: %v", s.Refusals())
			t.Errorf("%s: %+v, want every request sent after the first three windows", id, *g)
		}
	}
	g := got["key_greedy"]
	if g.refused == 0 || g.sent > 40*3+8+10 {
		t.Errorf("greedy key: %+v, want refusals and at most the budget", *g)
	}
	share, contended, ok := s.Share()
	if !ok || !contended || share < 12 || share > 20 {
		t.Errorf("share %v, contended %v, known %v: want about 0.9×40 - 2×10 = 16 a second, contended", share, contended, ok)
	}
	if s.Refusals()[FairShareSpent] == 0 {
		t.Errorf("refusals %v: want fair_share refusals", s.Refusals())
	}
}

// An upstream 420 on one replica pauses the others within a poll.
func TestSharedPauseReachesEveryReplica(t *testing.T) {
	t.Parallel()
	client := redisClient(t)
	opts := SharedOptions{Limit: Limit{Count: 1000, Per: time.Second, Burst: 100}, Poll: 50 * time.Millisecond}
	a, b := newShared(t, client, opts), newShared(t, client, opts)
	if err := b.Admit("key_x", time.Now()); err != nil {
		t.Fatalf("before the pause: %v", err)
	}
	a.Pause(3 * time.Second)
	if r, ok := errors.AsType[*Refusal](a.Admit("key_x", time.Now())); !ok || r.Reason != Paused || r.RetryAfter <= 2*time.Second {
		t.Fatalf("on the replica that paused: %v, want paused for about 3s", r)
	}
	took := testkit.Measure(t, 2*time.Second, "the other replica never paused", func() bool {
		r, ok := errors.AsType[*Refusal](b.Admit("key_x", time.Now()))
		return ok && r.Reason == Paused
	})
	t.Logf("the other replica paused after %v", took)
	if left := b.PausedFor(time.Now()); left < time.Second || left > 3*time.Second {
		t.Errorf("the other replica's pause: %v left, want about 3s less the poll", left)
	}
}

// A request refused for less than MaxWait waits and goes; one refused for
// longer is answered at once.
func TestSharedWaitsForShortRefusals(t *testing.T) {
	t.Parallel()
	s := newShared(t, nil, SharedOptions{Limit: Limit{Count: 10, Per: time.Second, Burst: 1}, MaxWait: 350 * time.Millisecond})
	start := time.Now()
	for i := range 3 { // 10/s, one at once: the 2nd and 3rd wait 100 ms each
		if err := s.Admit("", time.Now()); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if took := time.Since(start); took < 150*time.Millisecond || took > 2*time.Second {
		t.Errorf("3 requests at 10/s took %v, want about 200ms of waiting", took)
	}
	// Eight at once: about four fit in 350 ms at 10/s, the others are
	// refused once their wait would pass it.
	var refused atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, ok := errors.AsType[*Refusal](s.Admit("", time.Now())); ok {
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if n := refused.Load(); n < 2 || n > 7 {
		t.Errorf("%d of 8 concurrent requests refused, want some waited for and some refused", n)
	}
	s.Pause(time.Minute)
	start = time.Now()
	if r, ok := errors.AsType[*Refusal](s.Admit("", time.Now())); !ok || r.Reason != Paused || time.Since(start) > 100*time.Millisecond {
		t.Errorf("paused: %v after %v, want a refusal at once", r, time.Since(start))
	}
}

// Pauses are bounded: a Retry-After of a day pauses MaxPause.
func TestSharedPauseIsBounded(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	s := newShared(t, nil, SharedOptions{Limit: Limit{Count: 10, Per: time.Second, Burst: 10}, MaxPause: time.Minute, Now: clk.Now})
	s.Pause(24 * time.Hour)
	if left := s.PausedFor(clk.Now()); left != time.Minute {
		t.Errorf("paused for %v, want MaxPause (1m)", left)
	}
	clk.Advance(time.Minute)
	if err := s.Admit("", clk.Now()); err != nil {
		var r *Refusal
		if errors.As(err, &r) && r.Reason == Paused {
			t.Errorf("still paused after MaxPause: %v", err)
		}
	}
}

// Every replica's counts add up in Redis, where admins read them.
func TestSharedUseAddsUpReplicas(t *testing.T) {
	t.Parallel()
	client := redisClient(t)
	opts := SharedOptions{Limit: Limit{Count: 1000, Per: time.Second, Burst: 100}, Poll: 20 * time.Millisecond}
	a, b := newShared(t, client, opts), newShared(t, client, opts)
	for range 7 {
		noErr(t, a.Admit("key_x", time.Now()))
	}
	for range 5 {
		noErr(t, b.Admit("key_x", time.Now()))
	}
	noErr(t, b.Admit("key_y", time.Now()))
	testkit.WaitFor(t, 5*time.Second, "the counts never reached Redis", func() bool {
		u, err := a.Use(context.Background(), "key_x")
		return err == nil && u.Sent24h == 12
	})
	u, err := a.Use(context.Background(), "key_unknown")
	if err != nil || u != (KeyUse{}) {
		t.Errorf("a key never seen: %+v %v, want nothing", u, err)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
