package e2e_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/internal/signature"
	"reportgate/internal/testkit"
)

// lastUpstreamTarget is the request target of the simulator's last
// request whose path is path.
func (w *world) lastUpstreamTarget(t *testing.T, path string) string {
	t.Helper()
	reqs := w.upstreamRequests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			return reqs[i].RequestURI
		}
	}
	t.Fatalf("the upstream never saw %s", path)
	return ""
}

// TestCachedAnswerNeverServedPastItsTTL: with --upstream-cache-ttl 2s, an
// answer serves the identical requests until 2 s after its request was
// sent, on the gateway's clock, and never after.
func TestCachedAnswerNeverServedPastItsTTL(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	clk := testkit.NewRealClock()
	g := w.gateway(func(c *config.Config) { c.UpstreamCacheTTL = 2 * time.Second }, clk)
	_, secret := w.key(1)
	acct := entityAccount(t, w.sim.Dataset(), 1)
	target := sprintf("/accounts/%d", acct)
	for range 3 {
		if a := get(t, g, secret, target); a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", target, a.status, a.body)
		}
	}
	if n := w.upstreamCalls(target); n != 1 {
		t.Fatalf("3 requests within the TTL made %d upstream calls, want 1", n)
	}
	clk.Advance(2 * time.Second)
	if a := get(t, g, secret, target); a.status != http.StatusOK {
		t.Fatalf("%s: %d", target, a.status)
	}
	if n := w.upstreamCalls(target); n != 2 {
		t.Errorf("a request at the TTL made the upstream calls %d in all, want a fresh one (2)", n)
	}
}

// TestCachedAnswerOutsideTheScopeIsNeverServed: an account leaves the
// key's entity upstream, with no notification; once the key's scope is
// rebuilt (after --scope-max-age), the list the cache still holds, which
// names the account, is checked against the new scope like a fresh answer:
// it is not served, but dropped and read again.
func TestCachedAnswerOutsideTheScopeIsNeverServed(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	clk := testkit.NewRealClock()
	g := w.gateway(func(c *config.Config) { c.UpstreamCacheTTL, c.ScopeMaxAge = 10*time.Minute, time.Minute }, clk)
	_, secret := w.key(1)
	acct := entityAccount(t, w.sim.Dataset(), 1)
	const list = "/accounts?page_size=100"
	ids, _ := nodeIDs(t, get(t, g, secret, list).body, "id")
	if !containsID(ids, acct) {
		t.Fatalf("account %d not listed before the move: %v", acct, ids)
	}
	upstreamList := w.lastUpstreamTarget(t, "/accounts")
	if _, err := w.sim.MoveAccount(acct, 3); err != nil {
		t.Fatal(err)
	}
	get(t, g, secret, list) // within the scope's max age: the cache answers, the old scope agrees
	if n := w.upstreamCalls(upstreamList); n != 1 {
		t.Fatalf("the list was read %d times upstream, want once (cached)", n)
	}
	clk.Advance(61 * time.Second) // the scope is rebuilt without the account; the cache entry lives on
	a := get(t, g, secret, list)
	ids, _ = nodeIDs(t, a.body, "id")
	if a.status != http.StatusOK || containsID(ids, acct) {
		t.Fatalf("after the move: %d, ids %v: want 200 without account %d", a.status, ids, acct)
	}
	if n := w.upstreamCalls(upstreamList); n != 2 {
		t.Errorf("the list was read %d times upstream, want twice (the stale cached one dropped, read again)", n)
	}
	if !strings.Contains(w.logs.String(), "cached answer failed its scope check") {
		t.Error("no log line for the cached answer that failed its scope check")
	}
	if strings.Contains(w.logs.String(), "scope violation withheld") {
		t.Error("a stale cached answer was reported as a scope violation")
	}
}

func containsID(ids []int64, id int) bool {
	for _, x := range ids {
		if x == int64(id) {
			return true
		}
	}
	return false
}

// notifyUpstream posts a signed upstream notification to a replica.
func notifyUpstream(t *testing.T, g *gateway.Gateway, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+g.AdminAddr()+"/v1/ledger/webhooks", bytes.NewReader([]byte(body)))
	req.Header.Set(signature.Header, signature.Sign([]byte(upstreamSecret), time.Now(), []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notification %s: %d", body, resp.StatusCode)
	}
}

// TestNotificationsPurgeTheCache: the upstream's notification of a
// transaction drops the cached transaction on every replica (not only the
// one it reached); an entity's notification drops everything cached.
func TestNotificationsPurgeTheCache(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	cached := func(c *config.Config) { webhookConfig(c); c.UpstreamCacheTTL = 10 * time.Minute }
	g1, g2 := w.gateway(cached, nil), w.gateway(cached, nil)
	_, secret := w.key(1)
	acct := entityAccount(t, w.sim.Dataset(), 1)
	var tx int
	for _, x := range w.sim.Dataset().Transactions {
		if x.AccountID == acct {
			tx = x.ID
			break
		}
	}
	if tx == 0 {
		t.Fatalf("account %d has no transaction", acct)
	}
	targets := []string{sprintf("/transactions/%d", tx), sprintf("/accounts/%d", acct)}
	readAll := func() {
		for _, g := range []*gateway.Gateway{g1, g2} {
			for _, target := range targets {
				if a := get(t, g, secret, target); a.status != http.StatusOK {
					t.Fatalf("%s: %d %s", target, a.status, a.body)
				}
			}
		}
	}
	calls := func() []int { return []int{w.upstreamCalls(targets[0]), w.upstreamCalls(targets[1])} }
	readAll()
	readAll()
	if got := calls(); got[0] != 2 || got[1] != 2 {
		t.Fatalf("upstream calls %v, want one per replica and target", got)
	}
	notifyUpstream(t, g1, sprintf(`{"payload_type":"TRANSACTION","event_type":"NEW_TRANSACTION_HAS_BEEN_SCORED","id":%d}`, tx))
	testkit.WaitFor(t, 5*time.Second, "the transaction was not purged on both replicas", func() bool {
		readAll()
		return calls()[0] == 4
	})
	if got := calls(); got[1] != 2 {
		t.Errorf("the account was read %d times upstream, want 2: a transaction's notification purges only the transaction", got[1])
	}
	notifyUpstream(t, g1, `{"payload_type":"ENTITY","event_type":"ENTITY_HAS_BEEN_EDITED","id":1}`)
	testkit.WaitFor(t, 5*time.Second, "an entity's notification did not purge the cache of both replicas", func() bool {
		readAll()
		return calls()[1] == 4
	})
}
