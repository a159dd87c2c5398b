package admin

import (
	"context"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// A key's rate limit is set, shown and returned to the default through the
// same quorum edit as its name.
func TestRateLimitEdit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2, 3)
	ctx := context.Background()
	alice, bob, carol := f.clients[0], f.clients[1], f.clients[2]
	filed := must(alice.CreateKey(ctx, "Auditor", []int64{1}))(t)
	kid := filed.Key.ID
	must(bob.Decide(ctx, filed.Request.ID, "approve"))(t)
	must(carol.Decide(ctx, filed.Request.ID, "approve"))(t)
	must(alice.Reveal(ctx, kid))(t)

	edit := must(bob.Edit(ctx, kid, KeyEdit{RateLimit: ptr("50/s"), RateLimitBurst: ptr(80)}))(t)
	d := edit.Request.Diff
	if d.Before.RateLimit != "default" || d.After.RateLimit != "50/s" || d.After.RateLimitBurst != 80 {
		t.Fatalf("diff: %+v", d)
	}
	if edit.Key.RateLimit != "" {
		t.Fatalf("applied on filing: %+v", edit.Key)
	}
	must(alice.Decide(ctx, edit.Request.ID, "approve"))(t)
	k := must(carol.Decide(ctx, edit.Request.ID, "approve"))(t).Key
	if k.RateLimit != "50/s" || k.RateLimitBurst != 80 {
		t.Fatalf("after approval: %+v", k)
	}
	if k := must(alice.Key(ctx, kid))(t); k.RateLimit != "50/s" || k.RateLimitBurst != 80 {
		t.Fatalf("GET after approval: %+v", k)
	}

	// A burst left out is one period's worth.
	edit = must(bob.Edit(ctx, kid, KeyEdit{RateLimit: ptr("600/m")}))(t)
	if a := edit.Request.Diff.After; a.RateLimit != "600/m" || a.RateLimitBurst != 600 {
		t.Fatalf("diff without a burst: %+v", a)
	}
	must(bob.Decide(ctx, edit.Request.ID, "abort"))(t)

	edit = must(bob.Edit(ctx, kid, KeyEdit{RateLimit: ptr("default")}))(t)
	if d := edit.Request.Diff; d.Before.RateLimit != "50/s" || d.Before.RateLimitBurst != 80 || d.After.RateLimit != "default" {
		t.Fatalf("diff back to the default: %+v", d)
	}
	must(alice.Decide(ctx, edit.Request.ID, "approve"))(t)
	if k := must(carol.Decide(ctx, edit.Request.ID, "approve"))(t).Key; k.RateLimit != "" || k.RateLimitBurst != 0 {
		t.Fatalf("back to the default: %+v", k)
	}
}

func TestRateLimitEditRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2)
	ctx := context.Background()
	filed := must(f.clients[0].CreateKey(ctx, "k", []int64{1}))(t)
	must(f.clients[1].Decide(ctx, filed.Request.ID, "approve"))(t)
	path, tok := "/v1/keys/"+filed.Key.ID, f.tokens[0]
	tests := []struct{ name, body, msg string }{
		{"no unit", `{"rate_limit":"10"}`, "write N/s or N/m"},
		{"hourly", `{"rate_limit":"10/h"}`, "write N/s or N/m"},
		{"zero", `{"rate_limit":"0/s"}`, "between 1 and"},
		{"burst alone", `{"rate_limit_burst":5}`, "give it with a rate_limit"},
		{"burst with the default", `{"rate_limit":"default","rate_limit_burst":5}`, "gateway's burst"},
		{"zero burst", `{"rate_limit":"1/s","rate_limit_burst":0}`, "at least 1"},
		{"burst too big", `{"rate_limit":"1/s","rate_limit_burst":2000000}`, "burst"},
		{"number", `{"rate_limit":10}`, `field "rate_limit"`},
		{"same as now", `{"rate_limit":"default"}`, "changes nothing"},
	}
	for _, tt := range tests {
		status, _, body := f.call("PATCH", path, tok, tt.body)
		f.wantError(tt.name, status, body, 400, tt.msg)
	}
}
