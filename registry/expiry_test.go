package registry

import (
	"context"
	"testing"
	"time"
)

// The tests move the injected clock; nothing sleeps.

func TestCreationExpiresLazilyOnRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	k, req := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)

	e.clock.Advance(24*time.Hour - time.Millisecond)
	if got := must(e.reg.Request(ctx, req.ID))(t); got.Status != RequestPending {
		t.Fatalf("1 ms before expiry: %s, want PENDING", got.Status)
	}
	e.clock.Advance(time.Millisecond)
	got := must(e.reg.Key(ctx, k.ID))(t)
	if got.Status != StatusAborted || got.PendingRequest != "" || got.Generation != 2 {
		t.Fatalf("key read at expiry: %+v, want ABORTED at generation 2", got)
	}
	req = must(e.reg.Request(ctx, req.ID))(t)
	if req.Status != RequestExpired || req.ClosedBy != "system" || !req.ClosedAt.Equal(e.clock.Now()) {
		t.Fatalf("request after expiry: %+v", req)
	}
	if n := must(e.reg.ExpireDue(ctx))(t); n != 0 {
		t.Fatalf("ExpireDue after lazy expiry expired %d more", n)
	}
	entries := must(e.reg.Audit(ctx, "", MaxPageSize))(t).Items
	if last := entries[len(entries)-1]; last.Action != "request.expire" || last.Actor != "system" || last.RequestID != req.ID {
		t.Fatalf("last audit entry = %+v, want the expiry", last)
	}
}

func TestVoteOnExpiredRequestConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	_, req := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)
	must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	e.clock.Advance(25 * time.Hour)
	_, _, err := e.reg.Approve(ctx, e.id(2), req.ID)
	wantErr(t, "approval after expiry", err, ErrConflict)
	_, _, err = e.reg.Abort(ctx, e.id(0), req.ID)
	wantErr(t, "abort after expiry", err, ErrConflict)
}

func TestExpireDue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)
	}
	e.clock.Advance(time.Hour)
	late := must2(e.reg.FileCreate(ctx, e.id(0), "late", []int64{1}))
	_, lateReq := late(t)
	if n := must(e.reg.ExpireDue(ctx))(t); n != 0 {
		t.Fatalf("ExpireDue before the TTL expired %d", n)
	}
	e.clock.Advance(23 * time.Hour)
	if n := must(e.reg.ExpireDue(ctx))(t); n != 3 {
		t.Fatalf("ExpireDue expired %d, want 3", n)
	}
	pending := must(e.reg.ListRequests(ctx, RequestPending, "", 0))(t)
	if len(pending.Items) != 1 || pending.Items[0].ID != lateReq.ID {
		t.Fatalf("pending after ExpireDue: %+v, want only the late request", pending.Items)
	}
}

func TestRevocationExpiryRestoresStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	k, secret := e.activeKey("k", 1)
	_, req := must2(e.reg.FileRevoke(ctx, e.id(1), k.ID))(t)
	must2(e.reg.Approve(ctx, e.id(2), req.ID))(t)

	e.clock.Advance(24 * time.Hour)
	// The hot path never writes: until something expires the request the key
	// stays suspended, the safe side.
	if got := must(e.reg.KeyByHash(ctx, KeyHash([]byte(secret))))(t); got.Status != StatusSuspended {
		t.Fatalf("KeyByHash before ExpireDue: %s", got.Status)
	}
	if n := must(e.reg.ExpireDue(ctx))(t); n != 1 {
		t.Fatalf("ExpireDue expired %d, want 1", n)
	}
	got := must(e.reg.KeyByHash(ctx, KeyHash([]byte(secret))))(t)
	if got.Status != StatusActive || got.PendingRequest != "" {
		t.Fatalf("after expiry of the revocation: %+v, want ACTIVE restored", got)
	}
	if req = must(e.reg.Request(ctx, req.ID))(t); req.Status != RequestExpired || len(req.Approvals) != 1 {
		t.Fatalf("revocation request after expiry: %+v", req)
	}
}

func TestRunExpirerStopsWithContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	events := e.subscribe()
	k, _ := must2(e.reg.FileCreate(context.Background(), e.id(0), "k", []int64{1}))(t)
	e.clock.Advance(48 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.reg.RunExpirer(ctx, time.Millisecond); close(done) }()
	events.until(t, k.ID, 2) // the expiry's event
	if got := must(e.reg.Key(context.Background(), k.ID))(t); got.Status != StatusAborted {
		t.Fatalf("after RunExpirer: %s, want ABORTED", got.Status)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunExpirer did not return after cancel")
	}
}
