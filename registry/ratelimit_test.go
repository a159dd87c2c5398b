package registry

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// A rate-limit override is an edit like any other: filed, shown in the diff,
// applied only by the quorum, and read back by the proxy's lookup.
func TestRateLimitEditGoesThroughQuorum(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	k, secret := e.activeKey("partner", 1)
	if !k.RateLimit.IsZero() {
		t.Fatalf("a new key has limit %v, want the default", k.RateLimit)
	}
	raised := RateOverride{Rate: "50/s", Burst: 100}
	k, req := must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{RateLimit: &raised}))(t)
	if req.Before.RateLimit != "default" || req.After.RateLimit != "50/s" || req.After.RateLimitBurst != 100 ||
		req.After.Name != "partner" {
		t.Fatalf("diff = %+v → %+v", req.Before, req.After)
	}
	if !k.RateLimit.IsZero() {
		t.Fatalf("limit applied on filing: %v", k.RateLimit)
	}
	_, k = must2(e.reg.Approve(ctx, e.id(1), req.ID))(t)
	if !k.RateLimit.IsZero() {
		t.Fatalf("limit applied before the quorum: %v", k.RateLimit)
	}
	_, k = e.approveAll(req.ID)
	if k.RateLimit != raised {
		t.Fatalf("after approval: %v, want %v", k.RateLimit, raised)
	}
	if got := must(e.reg.KeyByHash(ctx, KeyHash([]byte(secret))))(t); got.RateLimit != raised {
		t.Errorf("KeyByHash: %v, want %v", got.RateLimit, raised)
	}

	_, _, err := e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{RateLimit: &raised})
	wantErr(t, "edit to the same limit", err, ErrInvalid)

	// A name-only edit keeps the override.
	_, req = must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{Name: "renamed"}))(t)
	if req.After.RateLimit != "" {
		t.Errorf("a name-only edit shows a rate limit in its diff: %+v", req.After)
	}
	if _, k = e.approveAll(req.ID); k.RateLimit != raised || k.Name != "renamed" {
		t.Fatalf("after a name-only edit: %+v", k)
	}

	// Back to the gateway's default.
	_, req = must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{RateLimit: &RateOverride{}}))(t)
	if req.Before.RateLimit != "50/s" || req.Before.RateLimitBurst != 100 || req.After.RateLimit != "default" {
		t.Fatalf("diff = %+v → %+v", req.Before, req.After)
	}
	if _, k = e.approveAll(req.ID); !k.RateLimit.IsZero() {
		t.Fatalf("after returning to the default: %v", k.RateLimit)
	}
	_, _, err = e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{RateLimit: &RateOverride{}})
	wantErr(t, "edit to the default it already has", err, ErrInvalid)
}

func TestRateLimitEditRejectedOrInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k, _ := e.activeKey("partner", 1)
	raised := RateOverride{Rate: "5/m", Burst: 5}
	_, req := must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{RateLimit: &raised}))(t)
	if _, k = must2(e.reg.Reject(ctx, e.id(1), req.ID))(t); !k.RateLimit.IsZero() {
		t.Fatalf("rejected edit applied: %v", k.RateLimit)
	}
	// The registry stores an override as given (package ratelimit checks
	// it before filing); it refuses only what cannot be stored.
	for name, l := range map[string]RateOverride{
		"no rate":  {Burst: 1},
		"no burst": {Rate: "1/s"},
		"default":  {Rate: "default", Burst: 1},
	} {
		_, _, err := e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{RateLimit: &l})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	_, _, err := e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("empty edit: %v, want ErrInvalid naming the rate limit", err)
	}
}

// The audit entry of an applied override shows the limit in its after state.
func TestRateLimitInAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k, _ := e.activeKey("partner", 1)
	l := RateOverride{Rate: "7/s", Burst: 3}
	_, req := must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{RateLimit: &l}))(t)
	e.approveAll(req.ID)
	page := must(e.reg.Audit(ctx, "", MaxPageSize))(t) // oldest first
	last := page.Items[len(page.Items)-1]
	var after struct {
		Key struct {
			RateLimit      string `json:"rate_limit"`
			RateLimitBurst int    `json:"rate_limit_burst"`
		} `json:"key"`
	}
	if err := json.Unmarshal(last.After, &after); err != nil || after.Key.RateLimit != "7/s" || after.Key.RateLimitBurst != 3 {
		t.Errorf("audit after = %s (%v), want the new limit", last.After, err)
	}
	if v := must(e.reg.VerifyAudit(ctx))(t); !v.OK {
		t.Errorf("chain broken: %+v", v.Broken)
	}
}
