package benchmarks

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"reportgate/keycache"
	"reportgate/registry"
)

// rssBytes reads VmRSS from /proc/self/status (0 where there is none).
func rssBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// heapBytes is the live heap (runtime/metrics), after a full collection.
func heapBytes() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// fillKeyCache fills a KeyCache of the gateway's default size (100,000)
// through its own miss path, with principals shaped like the registry's:
// a 28-character key id, two entities, a generation.
func fillKeyCache(tb testing.TB, n int) *keycache.KeyCache {
	tb.Helper()
	lookup := func(_ context.Context, hash [32]byte) (keycache.Principal, bool, error) {
		id := fmt.Sprintf("key_%x%012d", hash[:6], binary.LittleEndian.Uint64(hash[6:14])%1e12)
		return keycache.Principal{ID: id, Active: true, Entities: []int64{1, int64(hash[0])}, Generation: 3}, true, nil
	}
	c, err := keycache.NewKeyCache(lookup, keycache.CacheOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	c.SetSubscribed(true)
	key := make([]byte, 0, registry.KeyLen)
	for i := 0; i < n; i++ {
		key = fmt.Appendf(key[:0], "%s%049d", registry.KeyPrefix, i) // distinct; the cache only hashes it
		if _, err := c.Authenticate(context.Background(), key, time.Now()); err != nil {
			tb.Fatal(err)
		}
	}
	if got := c.Stats().Entries; got != n {
		tb.Fatalf("cache holds %d keys, want %d", got, n)
	}
	return c
}

// BenchmarkKeyCacheMemory fills a 100,000-key cache and reports the live
// heap it holds (B/key), and the process's RSS before and after. Run it
// alone and once for the RSS figures: -run '^$' -bench KeyCacheMemory
// -benchtime 1x (later iterations reuse memory the first one freed).
func BenchmarkKeyCacheMemory(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		rss0, heap0 := rssBytes(), heapBytes()
		c := fillKeyCache(b, n)
		heap1, rss1 := heapBytes(), rssBytes()
		runtime.KeepAlive(c)
		b.ReportMetric(float64(heap1-heap0)/n, "heap-B/key")
		b.ReportMetric(float64(heap1-heap0)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(rss0)/(1<<20), "RSS-before-MiB")
		b.ReportMetric(float64(rss1)/(1<<20), "RSS-after-MiB")
	}
}
