package registry

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitRedis waits, with a deadline, until the client reaches the server again.
func (e *env) waitRedis() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.client.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			e.t.Fatal("redis did not come back within 10s")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

func TestRedisDownIsUnavailableNeverNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	k, secret := e.activeKey("k", 1)
	_, req := must2(e.reg.FileEdit(context.Background(), e.id(0), k.ID, Edit{Name: "x"}))(t)
	e.srv.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	calls := map[string]func() error{
		"KeyByHash":    func() error { _, err := e.reg.KeyByHash(ctx, KeyHash([]byte(secret))); return err },
		"Key":          func() error { _, err := e.reg.Key(ctx, k.ID); return err },
		"ListKeys":     func() error { _, err := e.reg.ListKeys(ctx, "", 0); return err },
		"Request":      func() error { _, err := e.reg.Request(ctx, req.ID); return err },
		"ListRequests": func() error { _, err := e.reg.ListRequests(ctx, "", "", 0); return err },
		"Approve":      func() error { _, _, err := e.reg.Approve(ctx, e.id(1), req.ID); return err },
		"FileCreate":   func() error { _, _, err := e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}); return err },
		"Reveal":       func() error { _, _, err := e.reg.Reveal(ctx, e.id(0), k.ID); return err },
		"Suspend":      func() error { _, err := e.reg.Suspend(ctx, e.id(0), k.ID); return err },
		"AdminByToken": func() error { _, err := e.reg.AdminByToken(ctx, e.tokens[0]); return err },
		"CreateAdmin":  func() error { _, _, err := e.reg.CreateAdmin(ctx, "x"); return err },
		"ListAdmins":   func() error { _, err := e.reg.ListAdmins(ctx); return err },
		"Audit":        func() error { _, err := e.reg.Audit(ctx, "", 0); return err },
		"VerifyAudit":  func() error { _, err := e.reg.VerifyAudit(ctx); return err },
		"ExpireDue":    func() error { _, err := e.reg.ExpireDue(ctx); return err },
		"RecordUsage":  func() error { return e.reg.RecordUsage(ctx, map[string]UsageDelta{k.ID: {Count: 1, Last: time.Now()}}) },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotFound) {
			t.Errorf("%s with Redis down: %v, want ErrUnavailable only", name, err)
		}
	}
}

// A restart between two steps of the workflow: the refused step leaves
// nothing behind, and the workflow resumes where it stood.
func TestRestartMidWorkflowLeavesNoPartialState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	k, req := must2(e.reg.FileCreate(ctx, e.id(0), "k", []int64{1}))(t)
	must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	head := must(e.reg.VerifyAudit(ctx))(t)
	// Persistence is off in the test server; an explicit SAVE lets the
	// restart bring the data back, as a production Redis with persistence.
	if err := e.client.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	e.srv.Stop()
	_, _, err := e.reg.Approve(ctx, e.id(2), req.ID)
	wantErr(t, "approval with Redis down", err, ErrUnavailable)
	_, _, err = e.reg.FileCreate(ctx, e.id(0), "other", []int64{1})
	wantErr(t, "filing with Redis down", err, ErrUnavailable)

	e.srv.Restart()
	e.waitRedis()
	got := must(e.reg.Key(ctx, k.ID))(t)
	req = must(e.reg.Request(ctx, req.ID))(t)
	if got.Status != StatusPendingApproval || got.Generation != 1 || req.Status != RequestPending || len(req.Approvals) != 1 {
		t.Fatalf("after restart: key %+v, request %+v", got, req)
	}
	if v := must(e.reg.VerifyAudit(ctx))(t); !v.OK || v.HeadSeq != head.HeadSeq || v.HeadHash != head.HeadHash {
		t.Fatalf("audit after restart %+v, want the head from before the outage %+v", v, head)
	}
	// The script cache was lost with the restart: go-redis falls back to EVAL.
	_, got = must2(e.reg.Approve(ctx, e.id(2), req.ID))(t)
	if got.Status != StatusPendingSecret {
		t.Fatalf("after the resumed approval: %s", got.Status)
	}
	must2(e.reg.Reveal(ctx, e.id(0), k.ID))(t)
}

// Without persistence a restart loses everything: that must read as "not
// found", not as an outage, once Redis answers again.
func TestRestartWithoutDataIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	k, secret := e.activeKey("k", 1)
	e.srv.Restart()
	e.waitRedis()
	ctx := context.Background()
	_, err := e.reg.KeyByHash(ctx, KeyHash([]byte(secret)))
	wantErr(t, "KeyByHash after data loss", err, ErrNotFound)
	_, err = e.reg.Key(ctx, k.ID)
	wantErr(t, "Key after data loss", err, ErrNotFound)
	_, err = e.reg.AdminByToken(ctx, e.tokens[0])
	wantErr(t, "AdminByToken after data loss", err, ErrNotFound)
}

func TestKeyByHashIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	_, secret := e.activeKey("k", 1)
	ctx := context.Background()
	must(e.reg.KeyByHash(ctx, KeyHash([]byte(secret))))(t) // loads the script
	counter := &commandCounter{}
	e.client.AddHook(counter)
	must(e.reg.KeyByHash(ctx, KeyHash([]byte(secret))))(t)
	_, err := e.reg.KeyByHash(ctx, KeyHash([]byte("lrk_unknown")))
	wantErr(t, "unknown hash", err, ErrNotFound)
	if n := counter.n.Load(); n != 2 {
		t.Fatalf("two lookups sent %d commands, want 2", n)
	}
}
