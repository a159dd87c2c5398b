package registry

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
)

// watch runs e.reg.Watch with a recorder until the test ends, and waits for
// the subscription to be proven.
func watch(t *testing.T, reg *Registry) *recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rec := newRecorder()
	done := make(chan struct{})
	go func() { reg.Watch(ctx, rec); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	rec.until(t, "the subscription proven", func() bool { return len(rec.live) == 1 && rec.live[0] })
	return rec
}

// TestEventsFormAChain: every message on the channel names the one before
// it, whoever published it (key events, scope events, probes).
func TestEventsFormAChain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	sub := e.client.Subscribe(ctx, e.reg.EventsChannel())
	t.Cleanup(func() { sub.Close() })
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	k, _ := e.activeKey("k", 1)
	must(e.reg.Suspend(ctx, e.id(1), k.ID))(t)
	if err := e.reg.InvalidateScope(ctx, []int64{3}, false); err != nil {
		t.Fatal(err)
	}
	prev := ""
	for i := 0; i < 4; i++ { // approve, reveal, suspend, scope
		m, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var l link
		if err := json.Unmarshal([]byte(m.Payload), &l); err != nil || l.MID == "" {
			t.Fatalf("message %d %q has no chain link (%v)", i, m.Payload, err)
		}
		if i > 0 && l.Prev != prev {
			t.Fatalf("message %d names %q before it, want %q", i, l.Prev, prev)
		}
		prev = l.MID
	}
}

// TestWatchMissedMessage: a message whose predecessor is not the last one
// heard means one was missed: the subscription counts as lost (caches
// purged) and is proven again on a new connection.
func TestWatchMissedMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 0)
	rec := watch(t, e.reg)
	forged := `{"mid":"1.1","prev":"0.0","type":"scope","all":true}`
	if err := e.client.Publish(context.Background(), e.reg.EventsChannel(), forged).Err(); err != nil {
		t.Fatal(err)
	}
	rec.until(t, "loss and recovery", func() bool {
		return len(rec.live) == 3 && !rec.live[1] && rec.live[2]
	})
	for _, ev := range rec.events {
		if ev.All {
			t.Fatalf("the message after a gap was delivered: %+v", ev)
		}
	}
}

// TestWatchPartition: a connection that stays open but carries nothing (a
// partition) is declared lost within ProofWindow and a probe period, and
// proven again once the network heals. Before, a silent connection was
// trusted until two 2 s read timeouts had passed.
func TestWatchPartition(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	proxy := redistest.StartProxy(t, srv.Addr())
	client := redis.NewClient(&redis.Options{Addr: proxy.Addr(), DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	reg, err := New(client, "acme", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := watch(t, reg)
	proxy.Cut()
	cut := time.Now()
	rec.until(t, "loss", func() bool { return len(rec.live) == 2 })
	took := time.Since(cut)
	t.Logf("partition noticed after %v", took.Round(time.Millisecond))
	if limit := ProofWindow + ProbeEvery + 250*time.Millisecond; took > limit {
		t.Errorf("partition noticed after %v, want at most %v", took, limit)
	}
	proxy.Heal()
	rec.until(t, "recovery", func() bool { return len(rec.live) >= 3 && rec.live[len(rec.live)-1] })
}
