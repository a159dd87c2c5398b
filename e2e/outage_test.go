package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/internal/testkit"
	"reportgate/registry"
)

// cheapTarget is answered without the upstream for keys bound to entity 1
// (an empty intersection), so that only authentication is measured.
const cheapTarget = "/accounts?entity=3"

// TestOutageGraceCountsFromRedisLoss reproduces issue 16.1: the grace was
// counted from the last registry lookup, and cache hits make none, so a
// replica whose keys were all cached refused every one of them from the
// first second of an outage. It must count from the last time Redis
// answered (the background probe does every 250 ms).
func TestOutageGraceCountsFromRedisLoss(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	clk := testkit.NewRealClock()
	const grace = time.Minute
	g := w.gateway(func(c *config.Config) { c.OutageGrace = grace }, clk)
	_, secret := w.key(1)
	if a := get(t, g, secret, cheapTarget); a.status != http.StatusOK {
		t.Fatalf("first request (a lookup): %d %s", a.status, a.body)
	}
	// Twice the grace of cache hits only, with Redis answering throughout.
	clk.Advance(2 * grace)
	if a := get(t, g, secret, cheapTarget); a.status != http.StatusOK {
		t.Fatalf("cache hit: %d %s", a.status, a.body)
	}
	waitProbes(t, w, 2) // Redis has answered the replica since the clock moved

	w.redis.Stop()
	testkit.WaitFor(t, 5*time.Second, "the replica never noticed the outage", func() bool { return !g.Live() })
	if a := get(t, g, secret, cheapTarget); a.status != http.StatusOK {
		t.Errorf("cached key at the start of the outage: %d %s, want 200 (the grace starts now)", a.status, a.body)
	}
	clk.Advance(grace - 5*time.Second)
	if a := get(t, g, secret, cheapTarget); a.status != http.StatusOK {
		t.Errorf("cached key 5 s before the grace ends: %d %s, want 200", a.status, a.body)
	}
	clk.Advance(10 * time.Second)
	if a := get(t, g, secret, cheapTarget); a.status != http.StatusServiceUnavailable {
		t.Errorf("cached key after the grace: %d %s, want 503", a.status, a.body)
	}
}

// waitProbes waits until n replica probes have been published on the
// events channel from now on: each is a successful contact with Redis.
func waitProbes(t *testing.T, w *world, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := redis.NewClient(&redis.Options{Addr: w.redis.Addr()})
	defer client.Close()
	sub := client.Subscribe(ctx, w.reg.EventsChannel())
	defer sub.Close()
	for n > 0 {
		m, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatalf("waiting for probes: %v", err)
		}
		var v struct{ Type string }
		if json.Unmarshal([]byte(m.Payload), &v) == nil && v.Type == "probe" {
			n--
		}
	}
}

// TestOutageLatencyOfCachedKeys reproduces issue 16.5: while Redis was
// down, requests of cached keys (no longer trusted without the
// subscription) kept dialling Redis through go-redis's retries, and the
// requests coalesced on those lookups waited with them (p99 120–140 ms,
// 500 ms in the first seconds). While Redis is marked down the outage
// rules answer at once and only the background probe dials. Unknown keys
// stay refused. It uses go-redis's default timeouts and retries, as
// production does, and two faults: Redis killed (connections refused) and
// Redis hung (SIGSTOP: connections open, nothing answers, as in a
// partition).
//
// Judged on the time the gateway spent on each request (its access log;
// what the client sees adds this machine's scheduling, logged only): p99
// of the requests that began from 1.5 s after the fault, once the replica
// has noticed (within ProofWindow and a probe), and the slowest request of
// all, which includes those caught by the fault.
func TestOutageLatencyOfCachedKeys(t *testing.T) {
	for _, fault := range []string{"killed", "hung"} {
		t.Run(fault, func(t *testing.T) {
			w := newWorld(t, ledgersim.DefaultConfig())
			g := w.gateway(func(c *config.Config) { c.RedisURL = w.redis.URL() }, nil)
			secrets := cachedKeys(t, w, g, 8)
			unknown, err := registry.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			at := time.Now()
			if fault == "killed" {
				w.redis.Stop()
			} else {
				w.redis.Pause()
				t.Cleanup(w.redis.Resume) // before the gateway's shutdown
			}
			client, codes := outageLoad(g, secrets, 4*time.Second)
			for code, n := range codes {
				if code != http.StatusOK {
					t.Errorf("%d requests answered %d during the outage, want all 200 (within the grace)", n, code)
				}
			}
			all, steady := handled(t, w, at, at.Add(1500*time.Millisecond))
			if len(steady) < 100 {
				t.Fatalf("%d requests that began from 1.5 s after the fault were answered in 4 s: requests were held", len(steady))
			}
			p50, p99 := latencyPercentiles(steady)
			slow := len(steady) - sort.Search(len(steady), func(i int) bool { return steady[i] > 100*time.Millisecond })
			_, allP99 := latencyPercentiles(all)
			c50, c99 := latencyPercentiles(client)
			t.Logf("Redis %s: %d requests of cached keys in 4 s; in the gateway from 1.5 s on: p50 %v, p99 %v, %d over 100 ms; all: p99 %v, max %v; at the client: p50 %v, p99 %v, max %v",
				fault, len(all), p50, p99, slow, allP99, all[len(all)-1], c50, c99, client[len(client)-1])
			// Generous for a loaded 2-core machine under -race: p50 is
			// tens of µs, p99 a few ms, up to 19 ms with three such tests
			// at once. Before the fix, killed: p99 67–103 ms under -race
			// (50–60 µs without: the dials were a few per second whatever
			// the load) and 14–15 requests over 100 ms; hung, no request
			// begun then was answered within the 4 s.
			if p99 > 50*time.Millisecond {
				t.Errorf("p99 %v in the gateway with Redis %s, want under 50 ms", p99, fault)
			}
			// A loaded machine's hiccups: 3, or 0.5 % of the requests when
			// more (the code before the fix: 14–15 of ~2,750).
			if hiccups := max(3, len(steady)/200); slow > hiccups {
				t.Errorf("%d requests over 100 ms in the gateway once Redis was %s, want none but the machine's hiccups (%d)", slow, fault, hiccups)
			}
			// Before, a hung Redis held requests for go-redis's timeouts
			// and retries (5 s); now until the replica marks it down
			// (about 250 ms after it notices).
			if max := all[len(all)-1]; max > 2*time.Second {
				t.Errorf("a request waited %v in the gateway with Redis %s, want under 2 s", max, fault)
			}
			if a := get(t, g, unknown, cheapTarget); a.status != http.StatusServiceUnavailable {
				t.Errorf("unknown key during the outage: %d %s, want 503 (fail closed)", a.status, a.body)
			}
		})
	}
}

// cachedKeys creates n keys bound to entity 1 and has g cache them.
func cachedKeys(t *testing.T, w *world, g *gateway.Gateway, n int) []string {
	t.Helper()
	var secrets []string
	for range n {
		_, s := w.key(1)
		secrets = append(secrets, s)
	}
	// A lookup that races any key's event is not cached (keycache's epoch):
	// ask until a pass over every key is all cache hits.
	testkit.WaitFor(t, 10*time.Second, "keys not cached", func() bool {
		before := cacheMisses(t, g)
		for _, s := range secrets {
			if a := get(t, g, s, cheapTarget); a.status != http.StatusOK {
				t.Fatalf("warming: %d %s", a.status, a.body)
			}
		}
		return cacheMisses(t, g) == before
	})
	return secrets
}

// cacheMisses reads the key cache's misses from /metrics.
func cacheMisses(t *testing.T, g *gateway.Gateway) string {
	t.Helper()
	resp, err := http.Get("http://" + g.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, `reportgate_key_cache_events_total{kind="miss"`) {
			return line
		}
	}
	t.Fatal("/metrics has no key cache misses")
	return ""
}

// handled returns the gateway's own duration of every request it logged
// from since on (access log, duration_us), and of those that began from
// steadyFrom on.
func handled(t *testing.T, w *world, since, steadyFrom time.Time) (all, steady []time.Duration) {
	t.Helper()
	for _, line := range w.logs.Lines() {
		var v struct {
			Msg      string    `json:"msg"`
			Time     time.Time `json:"time"`
			Duration int64     `json:"duration_us"`
		}
		if json.Unmarshal([]byte(line), &v) != nil || v.Msg != "request" || v.Time.Before(since) {
			continue
		}
		d := time.Duration(v.Duration) * time.Microsecond
		all = append(all, d)
		if !v.Time.Add(-d).Before(steadyFrom) {
			steady = append(steady, d)
		}
	}
	return all, steady
}

// latencyPercentiles sorts lat and returns its p50 and p99.
func latencyPercentiles(lat []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

// outageLoad sends requests from 4 clients for d, each key in turn, and
// returns every latency and the count of each status.
func outageLoad(g *gateway.Gateway, secrets []string, d time.Duration) ([]time.Duration, map[int]int) {
	var mu sync.Mutex
	var lat []time.Duration
	codes := map[int]int{}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for i := c; time.Now().Before(end); i++ {
				start := time.Now()
				code := partnerGet(client, g, secrets[i%len(secrets)], cheapTarget)
				took := time.Since(start)
				mu.Lock()
				lat, codes[code] = append(lat, took), codes[code]+1
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lat, codes
}

// partnerGet is the status of one GET target with the key, 0 when the
// request failed.
func partnerGet(client *http.Client, g *gateway.Gateway, secret, target string) int {
	req, _ := http.NewRequest("GET", "http://"+g.ProxyAddr()+target, nil)
	req.Header.Set("X-Ledger-Reporting-API-Key", secret)
	req.Header.Set("X-Ledger-Workspace", "acme")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
