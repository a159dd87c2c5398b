package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/internal/testkit"
)

// upstreamCalls counts the requests the simulator recorded for target
// (path and query as sent).
func (w *world) upstreamCalls(target string) int {
	n := 0
	for _, r := range w.upstreamRequests() {
		if r.RequestURI == target {
			n++
		}
	}
	return n
}

// metrics reads a replica's /metrics.
func metrics(t *testing.T, g *gateway.Gateway) string {
	t.Helper()
	resp, err := http.Get("http://" + g.AdminAddr() + "/metrics")
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestIdenticalRequestsMakeOneUpstreamCall: 100 identical requests at once
// (the same key, so the same scope filter) make one upstream call, and
// each gets the answer; with the cache on, the identical requests that
// follow make none.
func TestIdenticalRequestsMakeOneUpstreamCall(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(func(c *config.Config) { c.MaxInflightPerKey = 200 }, nil)
	_, secret := w.key(1)
	get(t, g, secret, "/entities/1") // the key and its scope resolved first
	// The upstream answers in a second: every request arrives while the
	// first one's exchange is in flight.
	must(t, w.sim.SetFaults(ledgersim.Faults{Latency: time.Second}))
	const n = 100
	c := client("")
	shots := make([]shot, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { shots[i] = fire(t, c, g.ProxyAddr(), secret, "/accounts?page_size=5") })
	}
	wg.Wait()
	for i, s := range shots {
		if s.status != http.StatusOK || string(s.body) != string(shots[0].body) {
			t.Fatalf("request %d: %d %s, want 200 and the same body as the others", i, s.status, s.body)
		}
	}
	if calls := w.upstreamCalls("/accounts?page_size=5&entity=1"); calls != 1 {
		t.Errorf("%d identical requests at once made %d upstream calls, want 1", n, calls)
	}
	if m := metrics(t, g); !strings.Contains(m, `reportgate_upstream_saved_total{how="coalesced",otel_scope_name="reportgate",otel_scope_schema_url="",otel_scope_version=""} 99`) &&
		!strings.Contains(m, `reportgate_upstream_saved_total{how="coalesced"} 99`) {
		t.Errorf("/metrics does not count 99 coalesced reads:\n%s", grepLines(m, "reportgate_upstream_saved"))
	}
}

// scrapeSaved is the replica's count of upstream reads answered from the
// cache (reportgate_upstream_saved_total{how="cached"}).
func scrapeSaved(t *testing.T, g *gateway.Gateway) int {
	t.Helper()
	for _, l := range strings.Split(metrics(t, g), "\n") {
		if strings.HasPrefix(l, "reportgate_upstream_saved_total{") && strings.Contains(l, `how="cached"`) {
			n, err := strconv.Atoi(l[strings.LastIndexByte(l, ' ')+1:])
			must(t, err)
			return n
		}
	}
	t.Fatal("/metrics has no reportgate_upstream_saved_total{how=\"cached\"}")
	return 0
}

// keyUpstream reads GET /v1/keys/{id}/upstream.
func (w *world) keyUpstream(t *testing.T, g *gateway.Gateway, keyID string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+g.AdminAddr()+"/v1/keys/"+keyID+"/upstream", nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens[0])
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/keys/%s/upstream: %d %v", keyID, resp.StatusCode, err)
	}
	return v
}

// TestModestKeysKeepTheirShare: a greedy key and two modest keys under a
// budget they exceed together, the upstream limiting the operator's user
// a little above it. Once a window has measured them, the modest keys get
// everything they ask, the greedy key the rest and, beyond what waiting
// for its share absorbs, the gateway's 420s with Retry-After; the upstream
// never answers 420.
func TestModestKeysKeepTheirShare(t *testing.T) {
	sim := ledgersim.DefaultConfig()
	sim.RateLimit = 40 // per second of the clock
	w := newWorld(t, sim)
	// 30/s with a burst of 3: at most 3 + 30 + a lease (1) in any second.
	g := w.gateway(func(c *config.Config) { c.UpstreamRateLimit, c.UpstreamRateLimitBurst = "30/s", 3 }, nil)
	greedy, greedySecret := w.key(1)
	modestA, secretA := w.key(2)
	_, secretB := w.key(3)
	c := client("")
	const d = 5 * time.Second
	const measured = 2500 * time.Millisecond // two whole windows after the start
	start := time.Now()
	type tally struct{ ok, refused, lateRefused int }
	var mu sync.Mutex
	got := map[string]*tally{greedySecret: {}, secretA: {}, secretB: {}}
	var retryAfter string
	count := func(secret string, s shot) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case s.status == http.StatusOK:
			got[secret].ok++
		case s.status == 420:
			got[secret].refused++
			if s.at.Sub(start) > measured {
				got[secret].lateRefused++
			}
			retryAfter = s.header.Get("Retry-After")
		default:
			t.Errorf("status %d: %s", s.status, s.body)
		}
	}
	var wg sync.WaitGroup
	// Greedy: as fast as 24 connections go, every page different. A
	// request over the key's share waits for it up to a second: with 24
	// at once, the queue outgrows that, and the gateway answers 420.
	const conns = 24
	for i := range conns {
		wg.Go(func() {
			for n := i; time.Since(start) < d; n += conns {
				count(greedySecret, fire(t, c, g.ProxyAddr(), greedySecret, sprintf("/transactions?page=%d&page_size=1", n%50+1)))
			}
		})
	}
	for _, secret := range []string{secretA, secretB} {
		wg.Go(func() {
			for n := 0; time.Since(start) < d; n++ {
				count(secret, fire(t, c, g.ProxyAddr(), secret, sprintf("/transactions?page=%d&page_size=1", n%50+1)))
				time.Sleep(200 * time.Millisecond) // 5/s: a partner's pace, not a wait for an event
			}
		})
	}
	wg.Wait()
	for name, secret := range map[string]string{"modest A": secretA, "modest B": secretB} {
		if g := got[secret]; g.lateRefused > 0 || g.ok < 15 {
			t.Errorf("%s: %+v, want every request answered once measured", name, *g)
		}
	}
	gr := got[greedySecret]
	t.Logf("greedy %+v, modest A %+v, modest B %+v; the upstream answered 420 %d times", *gr, *got[secretA], *got[secretB], w.sim.RateLimited())
	if gr.refused == 0 || retryAfter == "" {
		t.Errorf("greedy key: %+v, Retry-After %q: want the gateway's 420s with Retry-After", *gr, retryAfter)
	}
	if n := w.sim.RateLimited(); n != 0 {
		t.Errorf("the upstream answered 420 %d times, want none: the gateway sent more than its budget", n)
	}
	// The last window may be the one the load ended in: its share is not
	// asserted, only logged.
	u := w.keyUpstream(t, g, greedy.ID)
	t.Logf("greedy key's upstream use: %v", u)
	if u["enabled"] != true || u["budget"] != "30/s" || u["refused_24h"].(float64) == 0 {
		t.Errorf("greedy key's upstream use: %v, want the budget and refusals", u)
	}
	if u := w.keyUpstream(t, g, modestA.ID); u["sent_24h"].(float64) < 15 {
		t.Errorf("modest key's upstream use: %v", u)
	}
	if m := metrics(t, g); !strings.Contains(m, `reportgate_upstream_budget_refusals_total{reason="fair_share"`) {
		t.Errorf("/metrics lacks the budget's refusals:\n%s", grepLines(m, "reportgate_upstream_budget"))
	}
}

// TestUpstream420PausesEveryReplica: a budget set above the plan (the
// operator's mistake): the upstream's first 420 pauses both replicas for
// its Retry-After, and partners get the gateway's own 420 meanwhile, with
// no request reaching the upstream. The replicas resolve the key's scope
// before the plan runs out, so the 420s land on one operation whatever
// the timing (the contract table of docs/contract.md records them).
func TestUpstream420PausesEveryReplica(t *testing.T) {
	sim := ledgersim.DefaultConfig()
	sim.RateLimit, sim.RatePer = 40, time.Minute // the window outlasts the test: Retry-After counts down from up to a minute
	w := newWorld(t, sim)
	budget := func(c *config.Config) { c.UpstreamRateLimit = "1000/s" }
	g1, g2 := w.gateway(budget, nil), w.gateway(budget, nil)
	_, secret := w.key(1)
	acct := entityAccount(t, w.sim.Dataset(), 1)
	target := sprintf("/accounts/%d", acct)
	c := client("")
	for _, g := range []*gateway.Gateway{g1, g2} {
		if s := fire(t, c, g.ProxyAddr(), secret, "/entities/1"); s.status != http.StatusOK {
			t.Fatalf("before the plan ran out: %d %s", s.status, s.body)
		}
	}
	var first shot
	for i := 0; w.sim.RateLimited() == 0; i++ {
		if i > 40 {
			t.Fatal("the upstream never answered 420")
		}
		first = fire(t, c, g1.ProxyAddr(), secret, target)
	}
	if first.status != 420 || first.header.Get("Retry-After") == "" {
		t.Fatalf("the upstream's 420: %d %v, want it passed on with its Retry-After", first.status, first.header)
	}
	sent := len(w.upstreamRequests())
	for _, g := range []*gateway.Gateway{g1, g2} {
		var s shot
		testkit.WaitFor(t, 3*time.Second, "a replica never paused", func() bool {
			s = fire(t, c, g.ProxyAddr(), secret, target)
			return s.status == 420 && strings.Contains(string(s.body), "slow down")
		})
		if s.header.Get("Retry-After") == "" {
			t.Errorf("a paused replica's 420 without Retry-After: %v", s.header)
		}
	}
	// The second replica may have sent requests until it heard of the
	// pause (within 250 ms); none once paused.
	before := len(w.upstreamRequests())
	for range 10 {
		fire(t, c, g2.ProxyAddr(), secret, target)
	}
	if after := len(w.upstreamRequests()); after != before {
		t.Errorf("%d requests reached the upstream during the pause", after-before)
	}
	t.Logf("requests sent after the 420 before both replicas paused: %d", before-sent)
}
