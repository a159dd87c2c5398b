package registry

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// TestEmbeddedRedis runs the workflow on miniredis, the demo's embedded
// Redis, whose Lua lacks LuaBitOp: sha256.lua's arithmetic stand-in must
// produce the same chain Go verifies with crypto/sha256.
func TestEmbeddedRedis(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	// miniredis runs sha256.lua in pure Lua arithmetic: slow under -race on
	// a loaded machine. The demo uses the same generous timeout, and no
	// retries (a retried script would run twice).
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), ReadTimeout: time.Minute, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	reg, err := New(c, "demo", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for _, n := range []string{"a", "b", "c"} {
		a, _, err := reg.CreateAdmin(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	_, req, err := reg.FileCreate(ctx, ids[0], "k", []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[1:] {
		if _, _, err := reg.Approve(ctx, id, req.ID); err != nil {
			t.Fatal(err)
		}
	}
	k, secret, err := reg.Reveal(ctx, ids[0], req.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := reg.KeyByHash(ctx, KeyHash([]byte(secret))); err != nil || got.Status != StatusActive {
		t.Fatalf("KeyByHash = %+v, %v", got, err)
	}
	if _, err := reg.Suspend(ctx, ids[1], k.ID); err != nil {
		t.Fatal(err)
	}
	v, err := reg.VerifyAudit(ctx)
	if err != nil || !v.OK || v.Checked < 7 {
		t.Fatalf("VerifyAudit = %+v, %v; want a verified chain", v, err)
	}
}
