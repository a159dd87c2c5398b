package admin

import (
	"context"
	"testing"
	"time"

	"reportgate/registry"
)

// TestKeysShowUsage: GET /v1/keys and GET /v1/keys/{id} carry what the
// replicas flushed (RecordUsage): last used and requests in the last 24 h.
func TestKeysShowUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 2)
	ctx := context.Background()
	alice := f.clients[0]
	used := must(alice.CreateKey(ctx, "used", []int64{1}))(t)
	idle := must(alice.CreateKey(ctx, "idle", []int64{2}))(t)
	last := time.Now().UTC().Truncate(time.Millisecond)
	if err := f.reg.RecordUsage(ctx, map[string]registry.UsageDelta{used.Key.ID: {Count: 42, Last: last}}); err != nil {
		t.Fatal(err)
	}
	list := must(alice.ListKeys(ctx, "", 0))(t)
	got := map[string]Key{}
	for _, k := range list.Keys {
		got[k.ID] = k
	}
	if k := got[used.Key.ID]; k.Requests24h != 42 || !k.LastUsedAt.Equal(last) {
		t.Errorf("list, used key: requests_24h %d, last_used_at %v; want 42, %v", k.Requests24h, k.LastUsedAt, last)
	}
	if k := got[idle.Key.ID]; k.Requests24h != 0 || !k.LastUsedAt.IsZero() {
		t.Errorf("list, idle key: requests_24h %d, last_used_at %v; want 0 and none", k.Requests24h, k.LastUsedAt)
	}
	one := must(alice.Key(ctx, used.Key.ID))(t)
	if one.Requests24h != 42 || !one.LastUsedAt.Equal(last) {
		t.Errorf("show: requests_24h %d, last_used_at %v; want 42, %v", one.Requests24h, one.LastUsedAt, last)
	}
}
