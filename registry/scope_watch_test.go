package registry

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestScopeSnapshotVersioning(t *testing.T) {
	e := newEnv(t, 2, 0)
	ctx := context.Background()
	data, v0, err := e.reg.LoadSnapshot(ctx, 1)
	if err != nil || data != nil || v0 != "0" {
		t.Fatalf("LoadSnapshot on empty = %q, %q, %v; want nil, \"0\"", data, v0, err)
	}
	if err := e.reg.StoreSnapshot(ctx, 1, []byte(`{"entity":1}`), time.Minute, v0); err != nil {
		t.Fatal(err)
	}
	data, _, _ = e.reg.LoadSnapshot(ctx, 1)
	if string(data) != `{"entity":1}` {
		t.Fatalf("LoadSnapshot = %q, want the stored snapshot", data)
	}
	if err := e.reg.InvalidateScope(ctx, []int64{2}, false); err != nil {
		t.Fatal(err)
	}
	data, v1, _ := e.reg.LoadSnapshot(ctx, 1)
	if data != nil || v1 == v0 {
		t.Fatalf("after an invalidation: %q at version %q, want nothing at a new version", data, v1)
	}
	// A snapshot read under the old version is not shared after the change.
	if err := e.reg.StoreSnapshot(ctx, 1, []byte(`{"entity":1,"old":true}`), time.Minute, v0); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := e.reg.LoadSnapshot(ctx, 1); data != nil {
		t.Fatalf("stale snapshot was stored: %q", data)
	}
}

// recorder is an EventHandler that keeps what it hears.
type recorder struct {
	mu     sync.Mutex
	live   []bool
	events []Event
	// reached are the probes' outcomes (Reached).
	reached []bool
	wake    chan struct{}
}

func newRecorder() *recorder { return &recorder{wake: make(chan struct{}, 100)} }

func (r *recorder) Subscribed(v bool) {
	r.mu.Lock()
	r.live = append(r.live, v)
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) Event(ev Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) Reached(ok bool) {
	r.mu.Lock()
	r.reached = append(r.reached, ok)
	r.mu.Unlock()
	r.poke()
}

// poke wakes until; a wake already pending is as good (Reached is heard
// four times a second, and nobody may be waiting).
func (r *recorder) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// until waits for cond, woken by each callback, with a deadline.
func (r *recorder) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.wake:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestWatchDeliversEventsAndReportsDrops(t *testing.T) {
	e := newEnv(t, 1, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := newRecorder()
	done := make(chan struct{})
	go func() { e.reg.Watch(ctx, rec); close(done) }()
	rec.until(t, "subscription", func() bool { return len(rec.live) == 1 && rec.live[0] })

	k, _ := e.activeKey("k", 1)
	if _, err := e.reg.Suspend(ctx, e.id(1), k.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.reg.InvalidateScope(ctx, []int64{3}, false); err != nil {
		t.Fatal(err)
	}
	rec.until(t, "suspend and scope events", func() bool {
		var suspended, scope bool
		for _, ev := range rec.events {
			suspended = suspended || (ev.Type == EventKey && ev.ID == k.ID && ev.Hash != "")
			scope = scope || (ev.Type == EventScope && len(ev.Entities) == 1 && ev.Entities[0] == 3)
		}
		return suspended && scope
	})

	e.srv.Restart()
	rec.until(t, "drop and recovery", func() bool {
		n := len(rec.live)
		return n >= 3 && !rec.live[n-2] && rec.live[n-1]
	})
	cancel()
	<-done
}
