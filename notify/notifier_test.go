package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
	"reportgate/internal/seal"
	"reportgate/internal/signature"
	"reportgate/registry"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newQueue is a registry over a real redis-server with an injected clock.
func newQueue(t *testing.T) (*registry.Registry, *testClock) {
	t.Helper()
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { client.Close() })
	clk := &testClock{t: time.Unix(1_800_000_000, 0)}
	reg, err := registry.New(client, "acme", registry.Options{Now: clk.Now, Seal: testKeyring(t)})
	if err != nil {
		t.Fatal(err)
	}
	return reg, clk
}

// testKeyring is a fresh seal key: queued deliveries carry their secret
// sealed.
func testKeyring(t *testing.T) *seal.Keyring {
	t.Helper()
	s, err := seal.Generate("test")
	if err != nil {
		t.Fatal(err)
	}
	k, err := seal.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := seal.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// TestDeliveryRetriesWithGrowingDelays drives the notifier with an injected
// clock: a receiver that fails is retried after 5s, 10s, 20s…, capped at
// 30m, and dead-lettered after the last attempt.
func TestDeliveryRetriesWithGrowingDelays(t *testing.T) {
	reg, clk := newQueue(t)
	var mu sync.Mutex
	var hits []time.Time
	fail := true
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get(signature.Header) == "" {
			t.Error("unsigned delivery")
		}
		hits = append(hits, clk.Now())
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	n := NewNotifier(reg, nil, nil, NotifierOptions{Now: clk.Now, MaxAttempts: 6})
	ctx := context.Background()
	id, _ := reg.NewJobID()
	if err := reg.QueueJobs(ctx, "", []registry.Delivery{{Secret: "s3cret-s3cret-s3", Job: registry.Job{ID: id, URL: recv.URL, Body: `{"id":1}`}}}); err != nil {
		t.Fatal(err)
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(hits) }
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	if _, err := n.Deliver(ctx); err != nil || count() != 1 {
		t.Fatalf("first attempt: hits %d, err %v", count(), err)
	}
	for i, d := range want {
		clk.Advance(d - time.Second)
		if _, err := n.Deliver(ctx); err != nil || count() != i+1 {
			t.Fatalf("retry %d came before its %v delay (hits %d, err %v)", i+1, d, count(), err)
		}
		clk.Advance(time.Second)
		if _, err := n.Deliver(ctx); err != nil || count() != i+2 {
			t.Fatalf("retry %d not made after %v (hits %d, err %v)", i+1, d, count(), err)
		}
	}
	dead, err := reg.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].Attempt != 6 || dead[0].LastErr == "" {
		t.Fatalf("dead letters = %+v, %v; want the job after 6 attempts", dead, err)
	}
	if jobs, _, _ := reg.QueueDepth(ctx); jobs != 0 {
		t.Errorf("a dead-lettered job is still queued")
	}
	if got := n.Backoff(20); got != 30*time.Minute {
		t.Errorf("Backoff(20) = %v, want the 30m cap", got)
	}
}

// TestPartnerDeliveryReachesPublicAddressesOnly: a partner chooses its
// webhook URL, so a partner job is never sent to a loopback (or private)
// address unless the operator allows loopback; the failure is retried like
// any other, and the approver webhook (the operator's) is not restricted.
func TestPartnerDeliveryReachesPublicAddressesOnly(t *testing.T) {
	reg, clk := newQueue(t)
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	ctx := context.Background()
	queue := func(keyID string) {
		t.Helper()
		id, _ := reg.NewJobID()
		if err := reg.QueueJobs(ctx, "", []registry.Delivery{{Secret: "s3cret-s3cret-s3", Job: registry.Job{ID: id, KeyID: keyID, URL: recv.URL, Body: `{"id":1}`}}}); err != nil {
			t.Fatal(err)
		}
	}
	queue("key_partner")
	if _, err := NewNotifier(reg, nil, nil, NotifierOptions{Now: clk.Now}).Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("a partner job reached a loopback receiver (%d hits)", n)
	}
	if jobs, _, _ := reg.QueueDepth(ctx); jobs != 1 {
		t.Fatalf("queued jobs %d, want the refused one kept for a retry", jobs)
	}
	clk.Advance(5 * time.Second)
	if _, err := NewNotifier(reg, nil, nil, NotifierOptions{Now: clk.Now, AllowLoopback: true}).Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("with loopback allowed: %d hits, want 1", n)
	}
	queue("") // the approver webhook
	if _, err := NewNotifier(reg, nil, nil, NotifierOptions{Now: clk.Now}).Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("approver job: %d hits, want 2", n)
	}
}
