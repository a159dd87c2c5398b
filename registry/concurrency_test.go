package registry

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
)

// start runs n goroutines released together, and waits for them.
func start(n int, f func(i int)) {
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			f(i)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
}

func TestFiftyConcurrentApprovalsMakeOneTransition(t *testing.T) {
	t.Parallel()
	const voters, quorum = 50, 3
	e := newEnv(t, quorum, voters+1)
	ctx := context.Background()
	events := e.subscribe()
	k, req := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)
	headBefore := must(e.reg.VerifyAudit(ctx))(t).HeadSeq

	errs := make([]error, voters)
	start(voters, func(i int) { _, _, errs[i] = e.reg.Approve(ctx, e.id(i+1), req.ID) })

	var ok, conflicts int
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrConflict):
			conflicts++
		default:
			t.Errorf("voter %d: %v", i, err)
		}
	}
	if ok != quorum || conflicts != voters-quorum {
		t.Fatalf("%d approvals accepted and %d conflicts, want %d and %d", ok, conflicts, quorum, voters-quorum)
	}
	got := must(e.reg.Key(ctx, k.ID))(t)
	req = must(e.reg.Request(ctx, req.ID))(t)
	if got.Status != StatusPendingSecret || got.Generation != 2 || req.Status != RequestApproved || len(req.Approvals) != quorum {
		t.Fatalf("key %+v, request %+v: want PENDING_SECRET at generation 2 with %d approvals", got, req, quorum)
	}
	entries := must(e.reg.Audit(ctx, "", MaxPageSize))(t).Items[headBefore:]
	if len(entries) != quorum {
		t.Fatalf("%d audit entries after filing, want %d approvals", len(entries), quorum)
	}
	closing := 0
	for _, en := range entries {
		var after struct{ Request struct{ Status string } }
		if err := json.Unmarshal(en.After, &after); err != nil || en.Action != "request.approve" {
			t.Fatalf("entry %+v (%v)", en, err)
		}
		if after.Request.Status == string(RequestApproved) {
			closing++
		}
	}
	if closing != 1 {
		t.Fatalf("%d audit entries close the request, want 1", closing)
	}
	if v := must(e.reg.VerifyAudit(ctx))(t); !v.OK {
		t.Fatalf("audit chain broken: %+v", v.Broken)
	}
	if gens := events.until(t, k.ID, 2); len(gens) != 2 {
		t.Fatalf("events carried generations %v, want [1 2]", gens)
	}
}

func TestTwentyConcurrentRevealsYieldOneSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k := e.createKey("k", 1)

	secrets := make([]string, 20)
	errs := make([]error, 20)
	start(20, func(i int) { _, secrets[i], errs[i] = e.reg.Reveal(ctx, e.id(0), k.ID) })

	var winner string
	for i, err := range errs {
		switch {
		case err == nil && winner == "":
			winner = secrets[i]
		case err == nil:
			t.Fatalf("two reveals succeeded")
		case !errors.Is(err, ErrGone):
			t.Fatalf("reveal %d: %v, want ErrGone", i, err)
		}
	}
	if winner == "" {
		t.Fatal("no reveal succeeded")
	}
	got := must(e.reg.KeyByHash(ctx, KeyHash([]byte(winner))))(t)
	if got.ID != k.ID || got.Status != StatusActive || got.Generation != k.Generation+1 {
		t.Fatalf("key after reveals: %+v, want ACTIVE after exactly one bump", got)
	}
}
