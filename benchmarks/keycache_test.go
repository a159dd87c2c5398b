package benchmarks

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/internal/redistest"
	"reportgate/keycache"
	"reportgate/registry"
)

// registryKey starts a real redis-server, files, approves and reveals one
// key bound to entity 1, and returns the registry and the key's secret.
func registryKey(tb testing.TB) (*registry.Registry, string) {
	tb.Helper()
	rs := redistest.Start(tb)
	client := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	tb.Cleanup(func() { client.Close() })
	reg, err := registry.New(client, "acme", registry.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	var admins []registry.Admin
	for _, name := range []string{"alice", "bob", "carol"} {
		a, _, err := reg.CreateAdmin(ctx, name)
		if err != nil {
			tb.Fatal(err)
		}
		admins = append(admins, a)
	}
	_, req, err := reg.FileCreate(ctx, admins[0].ID, "bench", []int64{1})
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range admins[1:] {
		if _, _, err := reg.Approve(ctx, a.ID, req.ID); err != nil {
			tb.Fatal(err)
		}
	}
	_, secret, err := reg.Reveal(ctx, admins[0].ID, req.KeyID)
	if err != nil {
		tb.Fatal(err)
	}
	return reg, secret
}

// BenchmarkKeyFormat is the offline check every request's key passes
// before any lookup: prefix, length, alphabet, CRC-32.
func BenchmarkKeyFormat(b *testing.B) {
	good, err := registry.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	last := "0" // a different last character breaks the checksum
	if good[len(good)-1] == '0' {
		last = "1"
	}
	for _, c := range []struct {
		name, key string
		ok        bool
	}{
		{"well-formed", good, true},
		{"bad-checksum", good[:len(good)-1] + last, false},
		{"wrong-length", good[:20], false},
	} {
		b.Run(c.name, func(b *testing.B) {
			key := []byte(c.key)
			b.ReportAllocs()
			for b.Loop() {
				if registry.CheckKeyFormat(key) != c.ok {
					b.Fatalf("CheckKeyFormat(%q) != %v", key, c.ok)
				}
			}
		})
	}
}

// BenchmarkKeyCache is KeyCache.Authenticate against a real redis-server:
// a hit in the LRU, a well-formed unknown key in the negative cache, and a
// miss that reads the registry (the entry is invalidated before each call,
// as after a change event).
func BenchmarkKeyCache(b *testing.B) {
	reg, secret := registryKey(b)
	cache, err := keycache.NewKeyCache(keycache.RegistryLookup(reg, 0), keycache.CacheOptions{NegativeTTL: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	cache.SetSubscribed(true)
	ctx := context.Background()
	key := []byte(secret)
	unknown, _ := registry.GenerateKey()
	now := time.Now() // the proxy passes the arrival time it read once
	if _, err := cache.Authenticate(ctx, key, now); err != nil {
		b.Fatal(err)
	}
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cache.Authenticate(ctx, key, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := cache.Authenticate(ctx, key, now); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("negative", func(b *testing.B) {
		u := []byte(unknown)
		_, _ = cache.Authenticate(ctx, u, now)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cache.Authenticate(ctx, u, now); !errors.Is(err, keycache.ErrUnknownKey) {
				b.Fatal(err)
			}
		}
	})
	b.Run("miss-redis", func(b *testing.B) {
		hash := registry.KeyHash(key)
		b.ReportAllocs()
		for b.Loop() {
			cache.Invalidate(hash, math.MaxUint64) // newer than any record: always evicts
			if _, err := cache.Authenticate(ctx, key, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
