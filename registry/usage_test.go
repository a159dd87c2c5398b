package registry

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestUsageCountsLast24Hours(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	a, _ := e.activeKey("a", 1)
	b, _ := e.activeKey("b", 2)
	start := e.clock.Now()
	// Two replicas flush a's use in the same hour; b is used once, 2 h later.
	must(0, e.reg.RecordUsage(ctx, map[string]UsageDelta{a.ID: {Count: 5, Last: start}}))(t)
	must(0, e.reg.RecordUsage(ctx, map[string]UsageDelta{a.ID: {Count: 7, Last: start.Add(time.Minute)}}))(t)
	// A late batch of an older flush does not move last-used back.
	must(0, e.reg.RecordUsage(ctx, map[string]UsageDelta{a.ID: {Count: 1, Last: start.Add(-time.Hour)}}))(t)
	e.clock.Advance(2 * time.Hour)
	must(0, e.reg.RecordUsage(ctx, map[string]UsageDelta{b.ID: {Count: 1, Last: e.clock.Now()}}))(t)

	u := must(e.reg.Usage(ctx, []string{a.ID, b.ID}))(t)
	if got := u[a.ID]; got.Requests24h != 13 || !got.LastUsed.Equal(start.Add(time.Minute)) {
		t.Fatalf("a: %+v, want 13 requests, last used %v", got, start.Add(time.Minute))
	}
	if got := u[b.ID]; got.Requests24h != 1 {
		t.Fatalf("b: %+v, want 1 request", got)
	}
	// 22 h later, at the same time of day, a's hours (the day before's noon
	// and the hour before it) have left the window; b's, 22 h ago, has not.
	e.clock.Advance(22 * time.Hour)
	u = must(e.reg.Usage(ctx, []string{a.ID, b.ID}))(t)
	if got := u[a.ID]; got.Requests24h != 0 || got.LastUsed.IsZero() {
		t.Fatalf("a, a day later: %+v, want 0 requests and its last use kept", got)
	}
	if got := u[b.ID]; got.Requests24h != 1 {
		t.Fatalf("b, 22 h after its use: %+v, want 1 request", got)
	}
}

func TestUsageBucketsExpire(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	now := e.clock.Now()
	must(0, e.reg.RecordUsage(ctx, map[string]UsageDelta{k.ID: {Count: 3, Last: now}}))(t)
	bucket := e.reg.key("usage:" + strconv.FormatInt(unixHour(now), 10))
	ttl := must(e.client.PTTL(ctx, bucket).Result())(t)
	// Kept until an hour after the last window that reads it: 24-25 h.
	if ttl < 24*time.Hour || ttl > 25*time.Hour {
		t.Fatalf("bucket TTL = %v, want within [24h, 25h]", ttl)
	}
}

func TestUsageSkipsUnknownAndRefusesMalformed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	ghost := "key_000000000000AAAAAAAAAAAA"
	now := e.clock.Now()
	must(0, e.reg.RecordUsage(ctx, map[string]UsageDelta{ghost: {Count: 1, Last: now}, k.ID: {Count: 2, Last: now}}))(t)
	if n := must(e.client.Exists(ctx, e.reg.key("key:"+ghost)).Result())(t); n != 0 {
		t.Fatal("usage of an unknown key created its record")
	}
	u := must(e.reg.Usage(ctx, []string{ghost, k.ID}))(t)
	if u[ghost] != (Usage{}) || u[k.ID].Requests24h != 2 {
		t.Fatalf("usage = %+v, want nothing for the unknown key and 2 for %s", u, k.ID)
	}
	for name, batch := range map[string]map[string]UsageDelta{
		"malformed id":   {"key_{x}": {Count: 1, Last: now}},
		"negative count": {k.ID: {Count: -1, Last: now}},
		"no time":        {k.ID: {Count: 1}},
	} {
		if err := e.reg.RecordUsage(ctx, batch); !errorsIsInvalid(err) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := e.reg.Usage(ctx, []string{"key_{x}"}); !errorsIsInvalid(err) {
		t.Errorf("Usage of a malformed id: err = %v, want ErrInvalid", err)
	}
}

func TestUsageOutage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 2)
	ctx := context.Background()
	k, _ := e.activeKey("k", 1)
	e.srv.Stop()
	wantErr(t, "record during an outage", e.reg.RecordUsage(ctx, map[string]UsageDelta{k.ID: {Count: 1, Last: e.clock.Now()}}), ErrUnavailable)
	_, err := e.reg.Usage(ctx, []string{k.ID})
	wantErr(t, "read during an outage", err, ErrUnavailable)
}
