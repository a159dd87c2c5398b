package registry

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
	"reportgate/internal/testkit"
)

// replica is another gateway replica's registry on e's Redis, named name,
// watching until stop is called (or the test ends).
func (e *env) replica(t *testing.T, name string, grace time.Duration) (*Registry, *recorder, func()) {
	t.Helper()
	reg, err := New(e.client, "acme", Options{Quorum: e.reg.Quorum(), Replica: name, OutageGrace: grace})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec := newRecorder()
	done := make(chan struct{})
	go func() { reg.Watch(ctx, rec); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	rec.until(t, name+" subscribed", func() bool { return len(rec.live) > 0 && rec.live[len(rec.live)-1] })
	return reg, rec, stop
}

// TestReplicasAcknowledgeKeyChanges: every watching replica acknowledges
// the key events it handled; any replica can tell which live replicas
// applied a change; a replica that stops cleanly leaves the live set.
func TestReplicasAcknowledgeKeyChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	a, _, _ := e.replica(t, "gw-a", time.Minute)
	b, _, stopB := e.replica(t, "gw-b", time.Minute)
	ctx := context.Background()
	live := func() []string { return must(a.LiveReplicas(ctx))(t) }
	testkit.WaitFor(t, 10*time.Second, "both replicas live", func() bool { return slices.Equal(live(), []string{"gw-a", "gw-b"}) })

	k, _ := e.activeKey("k", 1)
	k = must(a.Suspend(ctx, e.id(1), k.ID))(t)
	a.AppliedHere(k)
	got := must(a.WaitApplied(ctx, k.ID, k.Generation, 5*time.Second))(t)
	if !got.All() || !slices.Equal(got.Confirmed, []string{"gw-a", "gw-b"}) {
		t.Fatalf("applied %+v, want both replicas", got)
	}
	// The other replica heard the same acknowledgements.
	if got := must(b.WaitApplied(ctx, k.ID, k.Generation, 0))(t); !got.All() {
		t.Errorf("as b heard it: %+v, want both", got)
	}
	// A later generation is not confirmed by an earlier acknowledgement.
	if got := must(a.WaitApplied(ctx, k.ID, k.Generation+1, 0))(t); got.All() || len(got.Missing) != 2 {
		t.Errorf("generation %d: %+v, want neither", k.Generation+1, got)
	}

	stopB()
	if got := live(); !slices.Equal(got, []string{"gw-a"}) {
		t.Errorf("after b stopped: live %v, want gw-a alone", got)
	}
}

// TestLiveForOutageGrace: a replica counts as live for its outage grace and
// ProofWindow after its last probe (by Redis's clock): as long as it might
// be serving keys it cached, cut off from Redis.
func TestLiveForOutageGrace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 0)
	e.replica(t, "gw-a", 10*time.Minute)
	ctx := context.Background()
	testkit.WaitFor(t, 10*time.Second, "gw-a in the live set", func() bool {
		return e.client.ZScore(ctx, e.reg.Prefix()+"replicas", "gw-a").Err() == nil
	})
	until := time.UnixMilli(int64(e.client.ZScore(ctx, e.reg.Prefix()+"replicas", "gw-a").Val()))
	if left := time.Until(until); left < 10*time.Minute || left > 10*time.Minute+ProofWindow+time.Second {
		t.Errorf("gw-a counts as live for %v more, want 10m plus ProofWindow", left)
	}
	// An entry past its time is not live (a replica that crashed).
	if err := e.client.ZAdd(ctx, e.reg.Prefix()+"replicas", redis.Z{Score: float64(time.Now().Add(-time.Second).UnixMilli()), Member: "gw-gone"}).Err(); err != nil {
		t.Fatal(err)
	}
	if got := must(e.reg.LiveReplicas(ctx))(t); slices.Contains(got, "gw-gone") {
		t.Errorf("live %v holds a replica whose time has passed", got)
	}
}

// TestWatchReportsReach: Watch tells its handler whether Redis answers its
// probes, also while the subscription is down, and within ProofWindow of
// a partition although go-redis would wait for its own read timeout.
func TestWatchReportsReach(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	proxy := redistest.StartProxy(t, srv.Addr())
	client := redis.NewClient(&redis.Options{Addr: proxy.Addr()}) // go-redis's default timeouts: 3 s reads
	t.Cleanup(func() { client.Close() })
	reg, err := New(client, "acme", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := watch(t, reg)
	rec.until(t, "a probe answered", func() bool { return slices.Contains(rec.reached, true) })
	proxy.Cut()
	cut := time.Now()
	rec.until(t, "a probe unanswered", func() bool { return rec.reached[len(rec.reached)-1] == false })
	if took := time.Since(cut); took > ProofWindow+ProbeEvery+250*time.Millisecond {
		t.Errorf("Redis reported unanswering after %v, want within ProofWindow and a probe period", took)
	}
	proxy.Heal()
	rec.until(t, "answered again", func() bool { return rec.reached[len(rec.reached)-1] })
}
