package registry

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// dumpRedis returns every key name and every value in the database, whatever
// its type, as one string.
func (e *env) dumpRedis() string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	iter := e.client.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		typ := must(e.client.Type(ctx, key).Result())(e.t)
		fmt.Fprintf(&b, "%s (%s):", key, typ)
		var v any
		var err error
		switch typ {
		case "string":
			v, err = e.client.Get(ctx, key).Result()
		case "hash":
			v, err = e.client.HGetAll(ctx, key).Result()
		case "set":
			v, err = e.client.SMembers(ctx, key).Result()
		case "zset":
			v, err = e.client.ZRangeWithScores(ctx, key, 0, -1).Result()
		case "list":
			v, err = e.client.LRange(ctx, key, 0, -1).Result()
		case "stream":
			v, err = e.client.XRange(ctx, key, "-", "+").Result()
		default:
			e.t.Fatalf("key %s has unexpected type %s", key, typ)
		}
		if err != nil {
			e.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%v\n", v)
	}
	if err := iter.Err(); err != nil {
		e.t.Fatal(err)
	}
	return b.String()
}

// leaks reports the first window of secret (of length n, starting at or
// after from) found in haystack.
func leaks(haystack, secret string, from, n int) (string, bool) {
	for i := from; i+n <= len(secret); i++ {
		if strings.Contains(haystack, secret[i:i+n]) {
			return secret[i : i+n], true
		}
	}
	return "", false
}

func TestNoSecretInRedisOrLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 3)
	ctx := context.Background()
	k, secret := e.activeKey("k", 1, 2)
	must(e.reg.Suspend(ctx, e.id(1), k.ID))(t)
	must(e.reg.Unsuspend(ctx, e.id(2), k.ID))(t)
	_, req := must2(e.reg.FileEdit(ctx, e.id(0), k.ID, Edit{Entities: []int64{5}}))(t)
	e.approveAll(req.ID)
	_, req = must2(e.reg.FileRevoke(ctx, e.id(0), k.ID))(t)
	e.approveAll(req.ID)
	k2, secret2 := e.activeKey("second", 3)
	if err := e.reg.RecordUsage(ctx, map[string]UsageDelta{k2.ID: {Count: 1, Last: e.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	must(e.reg.AdminByToken(ctx, e.tokens[1]))(t)

	stored, logs := e.dumpRedis(), e.logs.String()
	if !strings.Contains(stored, k.ID) || !strings.Contains(logs, k.ID) {
		t.Fatal("the dump or the logs are empty: the test would prove nothing")
	}
	// Keys: the display prefix (12 characters, 8 of them random) is stored
	// and logged on purpose; no 10 characters reaching beyond it may appear.
	for _, s := range []string{secret, secret2} {
		for where, text := range map[string]string{"redis": stored, "logs": logs} {
			if w, found := leaks(text, s, DisplayPrefixLen-9, 10); found {
				t.Errorf("%s contains %q from a key", where, w)
			}
		}
	}
	// Admin tokens: nothing of them, beyond their 4-character prefix.
	for _, tok := range e.tokens {
		for where, text := range map[string]string{"redis": stored, "logs": logs} {
			if w, found := leaks(text, tok, 0, 8); found {
				t.Errorf("%s contains %q from an admin token", where, w)
			}
		}
	}
	// The audit log does not even need the keys' hashes.
	audit := fmt.Sprint(must(e.client.XRange(ctx, e.reg.key("audit"), "-", "+").Result())(t))
	for _, s := range []string{secret, secret2} {
		sum := KeyHash([]byte(s))
		if strings.Contains(audit, hex.EncodeToString(sum[:])) {
			t.Error("the audit log contains a key's hash")
		}
	}
}
