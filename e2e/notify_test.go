package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/internal/signature"
	"reportgate/internal/testkit"
	"reportgate/notify"
)

const upstreamSecret = "upstream-webhook-secret"

// withWebhooks makes the simulator notify the gateway, as the operator's
// upstream webhook configuration would.
func (w *world) withWebhooks(g *gateway.Gateway) {
	w.t.Helper()
	must(w.t, w.sim.SetWebhook("http://"+g.AdminAddr()+"/v1/ledger/webhooks", upstreamSecret))
}

func webhookConfig(c *config.Config) {
	c.UpstreamWebhookSecret = upstreamSecret
	c.AllowLoopbackHTTPWebhooks = true
}

// entityAccount returns an account of entity e without ERC-20 children and
// that is not itself a child (so it moves alone).
func entityAccount(t *testing.T, d ledgersim.Dataset, e int) int {
	t.Helper()
	parents := map[int]bool{}
	for _, a := range d.Accounts {
		if a.Parent != nil {
			parents[*a.Parent] = true
		}
	}
	for _, ent := range d.Entities {
		if ent.ID != e {
			continue
		}
		for _, id := range ent.Accounts {
			for _, a := range d.Accounts {
				if a.ID == id && a.Parent == nil && !parents[id] {
					return id
				}
			}
		}
	}
	t.Fatalf("entity %d has no movable account", e)
	return 0
}

// TestScopeFollowsEntityEdits moves an account out of the key's entity and
// back, upstream, and measures how long the gateway takes to follow.
func TestScopeFollowsEntityEdits(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(webhookConfig, nil)
	w.withWebhooks(g)
	_, secret := w.key(1)
	acct := entityAccount(t, w.sim.Dataset(), 1)
	target := sprintf("/accounts/%d", acct)
	trials := 50
	if testing.Short() {
		trials = 5
	}
	var out, back []time.Duration
	for i := 0; i < trials; i++ {
		if a := get(t, g, secret, target); a.status != http.StatusOK {
			t.Fatalf("trial %d: in-scope account: %d %s", i, a.status, a.body)
		}
		start := time.Now()
		if _, err := w.sim.MoveAccount(acct, 3); err != nil {
			t.Fatal(err)
		}
		out = append(out, waitFor(t, g, secret, target, http.StatusNotFound, start))
		start = time.Now()
		if _, err := w.sim.MoveAccount(acct, 1); err != nil {
			t.Fatal(err)
		}
		back = append(back, waitFor(t, g, secret, target, http.StatusOK, start))
	}
	t.Logf("account leaves the entity → 404: %s; comes back → 200: %s", percentiles(out), percentiles(back))
	// Its transactions follow it.
	if _, err := w.sim.MoveAccount(acct, 3); err != nil {
		t.Fatal(err)
	}
	waitFor(t, g, secret, target, http.StatusNotFound, time.Now())
	a := get(t, g, secret, sprintf("/transactions?account=%d", acct))
	if _, count := nodeIDs(t, a.body, "account_id"); count != 0 {
		t.Errorf("transactions of the moved account still listed: %s", a.body)
	}
}

// waitFor polls target until it answers want, and returns the delay.
func waitFor(t *testing.T, g *gateway.Gateway, secret, target string, want int, start time.Time) time.Duration {
	t.Helper()
	testkit.Measure(t, 10*time.Second, sprintf("%s does not answer %d", target, want),
		func() bool { return get(t, g, secret, target).status == want })
	return time.Since(start)
}

func percentiles(ds []time.Duration) string {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return sprintf("p50 %v, p99 %v over %d", ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*99/100].Round(time.Microsecond), len(ds))
}

// Without notifications the scope still follows, within --scope-max-age.
func TestScopeFollowsWithinMaxAgeWithoutWebhooks(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	clk := testkit.NewRealClock()
	g := w.gateway(func(c *config.Config) { c.ScopeMaxAge = time.Minute }, clk)
	_, secret := w.key(1)
	acct := entityAccount(t, w.sim.Dataset(), 1)
	target := sprintf("/accounts/%d", acct)
	if a := get(t, g, secret, target); a.status != http.StatusOK {
		t.Fatalf("before: %d", a.status)
	}
	if _, err := w.sim.MoveAccount(acct, 3); err != nil {
		t.Fatal(err)
	}
	clk.Advance(61 * time.Second)
	if a := get(t, g, secret, target); a.status != http.StatusNotFound {
		t.Errorf("after the max age: %d, want 404", a.status)
	}
}

func TestUpstreamNotificationsAuthenticated(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(webhookConfig, nil)
	url := "http://" + g.AdminAddr() + "/v1/ledger/webhooks"
	body := []byte(`{"payload_type":"ENTITY","event_type":"ENTITY_HAS_BEEN_EDITED","id":1}`)
	post := func(sig string, b []byte) int {
		req, _ := http.NewRequest("POST", url, strings.NewReader(string(b)))
		if sig != "" {
			req.Header.Set(signature.Header, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := time.Now()
	good := signature.Sign([]byte(upstreamSecret), now, body)
	tests := []struct {
		name string
		sig  string
		body []byte
		want int
	}{
		{"unsigned", "", body, 401},
		{"wrong secret", signature.Sign([]byte("other"), now, body), body, 401},
		{"stale", signature.Sign([]byte(upstreamSecret), now.Add(-6*time.Minute), body), body, 401},
		{"body altered", good, []byte(`{"payload_type":"ENTITY","event_type":"ENTITY_HAS_BEEN_EDITED","id":2}`), 401},
		{"valid", good, body, 202},
		{"not an event", signature.Sign([]byte(upstreamSecret), now.Add(time.Second), []byte(`{"x":1}`)), []byte(`{"x":1}`), 400},
	}
	// Every accepted ENTITY event bumps the shared scope version.
	depth := func() string {
		_, version, err := w.reg.LoadSnapshot(t.Context(), 1)
		must(t, err)
		return version
	}
	for _, tt := range tests {
		before := depth()
		if got := post(tt.sig, tt.body); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
		if changed := depth() != before; changed != (tt.want == 202) {
			t.Errorf("%s: scope invalidated = %v, want %v", tt.name, changed, tt.want == 202)
		}
	}
	queued := func() int { return strings.Count(w.logs.String(), `"msg":"upstream notification"`) }
	before := queued()
	if got := post(good, body); got != 200 {
		t.Errorf("replayed: status %d, want 200 (acknowledged, not acted upon)", got)
	}
	if queued() != before {
		t.Errorf("a replay was queued for partners")
	}
}

// receiver is a partner's webhook endpoint that verifies signatures.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []map[string]any
	fail   int           // answer 500 to this many deliveries first
	hang   chan struct{} // when set, the first delivery waits on it, then fails
	hung   chan struct{} // signalled when that delivery arrives
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if _, err := signature.Verify([]byte(r.secret), req.Header.Get(signature.Header), body, time.Now(), signature.DefaultMaxAge); err != nil {
		r.t.Errorf("delivery with a bad signature: %v", err)
		w.WriteHeader(400)
		return
	}
	r.mu.Lock()
	if hang := r.hang; hang != nil {
		r.hang = nil
		r.mu.Unlock()
		r.hung <- struct{}{}
		<-hang
		w.WriteHeader(500)
		return
	}
	if r.fail > 0 {
		r.fail--
		r.mu.Unlock()
		w.WriteHeader(500)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	r.got = append(r.got, m)
	r.mu.Unlock()
	w.WriteHeader(204)
}

func (r *receiver) events() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.got...)
}

func (r *receiver) waitCount(n int) []map[string]any {
	r.t.Helper()
	testkit.WaitFor(r.t, 10*time.Second, sprintf("the receiver did not get %d events", n),
		func() bool { return len(r.events()) >= n })
	return r.events()
}

// waitQueueDrained waits until every upstream event is fanned out and every
// delivery job is done (delivered or dead-lettered): after it, no delivery
// is still to come.
func (w *world) waitQueueDrained() {
	w.t.Helper()
	testkit.WaitFor(w.t, 10*time.Second, "the notification queue is not drained", func() bool {
		jobs, events, err := w.reg.QueueDepth(context.Background())
		return err == nil && jobs == 0 && events == 0
	})
}

func setWebhook(t *testing.T, g *gateway.Gateway, secret, url, hookSecret string) answer {
	t.Helper()
	body := sprintf(`{"all":{"webhook":{"url":%q,"secret":%q}}}`, url, hookSecret)
	return raw(t, g.ProxyAddr(), sprintf("PUT /notifications/configuration HTTP/1.1\r\nHost: gw\r\n"+
		"X-Ledger-Reporting-API-Key: %s\r\nX-Ledger-Workspace: acme\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		secret, len(body), body))
}

var fastNotifier = notify.NotifierOptions{Poll: 20 * time.Millisecond, Lease: 2 * time.Second, FirstRetry: 100 * time.Millisecond}

func TestPartnersReceiveExactlyTheirEvents(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gatewayWith(webhookConfig, nil, fastNotifier)
	w.withWebhooks(g)
	_, s1 := w.key(1)
	_, s3 := w.key(3)
	r1, r3 := newReceiver(t, "partner-one-secret-123"), newReceiver(t, "partner-three-secret-12")
	if a := setWebhook(t, g, s1, r1.srv.URL, r1.secret); a.status != 200 || strings.Contains(string(a.body), r1.secret) {
		t.Fatalf("PUT configuration: %d %s (the secret must not be echoed)", a.status, a.body)
	}
	must(t, setWebhook(t, g, s3, r3.srv.URL, r3.secret).errIf(200))
	if a := get(t, g, s1, "/notifications/configuration"); a.status != 200 || strings.Contains(string(a.body), r1.secret) {
		t.Errorf("GET configuration: %d %s (the secret is write-only)", a.status, a.body)
	}
	d := w.sim.Dataset()
	tx1, err := w.sim.AddTransaction(ledgersim.NewTransaction{AccountID: entityAccount(t, d, 1), Type: "RECEIVE"})
	must(t, err)
	tx3, err := w.sim.AddTransaction(ledgersim.NewTransaction{AccountID: entityAccount(t, d, 3), Type: "RECEIVE"})
	must(t, err)
	r1.waitCount(1)
	r3.waitCount(1)
	// Every event fanned out and every job done: no other delivery can come.
	w.waitQueueDrained()
	if got1 := r1.events(); len(got1) != 1 || got1[0]["id"] != float64(tx1.ID) || got1[0]["event_type"] != "NEW_TRANSACTION_HAS_BEEN_RECEIVED" {
		t.Errorf("partner 1 got %v, want only transaction %d", got1, tx1.ID)
	}
	if got3 := r3.events(); len(got3) != 1 || got3[0]["id"] != float64(tx3.ID) {
		t.Errorf("partner 3 got %v, want only transaction %d", got3, tx3.ID)
	}
}

func (a answer) errIf(want int) error {
	if a.status != want {
		return &statusError{a}
	}
	return nil
}

type statusError struct{ a answer }

func (e *statusError) Error() string { return sprintf("status %d: %s", e.a.status, e.a.body) }

func TestWebhookConfigurationRefusals(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g := w.gateway(nil, nil) // loopback http not allowed
	_, secret := w.key(1)
	w.sim.ResetRequests() // readiness probes the upstream
	for _, tt := range []struct{ name, url, secret string }{
		{"http", "http://127.0.0.1:9/hook", "0123456789abcdef"},
		{"credentials", "https://u:p@example.com/hook", "0123456789abcdef"},
		{"relative", "/hook", "0123456789abcdef"},
		{"short secret", "https://example.com/hook", "short"},
		{"https loopback", "https://127.0.0.1/hook", "0123456789abcdef"},
		{"localhost", "https://localhost:8443/hook", "0123456789abcdef"},
		{"IPv6 loopback", "https://[::1]/hook", "0123456789abcdef"},
		{"IPv4-mapped loopback", "https://[::ffff:127.0.0.1]/hook", "0123456789abcdef"},
		{"cloud metadata", "https://169.254.169.254/latest/meta-data/", "0123456789abcdef"},
		{"private", "https://10.0.0.7/hook", "0123456789abcdef"},
		{"unspecified", "https://0.0.0.0/hook", "0123456789abcdef"},
		{"carrier-grade NAT", "https://100.64.1.1/hook", "0123456789abcdef"},
	} {
		if a := setWebhook(t, g, secret, tt.url, tt.secret); a.status != 400 {
			t.Errorf("%s: %d %s, want 400", tt.name, a.status, a.body)
		}
	}
	if a := get(t, g, secret, "/notifications/configuration"); a.status != 404 {
		t.Errorf("GET without configuration: %d %s, want 404", a.status, a.body)
	}
	if a := setWebhook(t, g, secret, "https://example.com/hook", "0123456789abcdef"); a.status != 200 {
		t.Fatalf("valid: %d %s", a.status, a.body)
	}
	a := raw(t, g.ProxyAddr(), "DELETE /notifications/configuration HTTP/1.1\r\nHost: gw\r\nX-Ledger-Reporting-API-Key: "+secret+"\r\nX-Ledger-Workspace: acme\r\n\r\n")
	if a.status != 204 {
		t.Errorf("DELETE: %d %s", a.status, a.body)
	}
	if n := len(w.upstreamRequests()); n != 0 {
		t.Errorf("the configuration reached the upstream (%d requests): it is the gateway's own", n)
	}
}

// A replica killed in the middle of a delivery: another one delivers it.
func TestDeliverySurvivesReplicaDeath(t *testing.T) {
	w := newWorld(t, ledgersim.DefaultConfig())
	g1 := w.gatewayWith(webhookConfig, nil, fastNotifier)
	w.withWebhooks(g1)
	_, secret := w.key(1)
	r := newReceiver(t, "partner-one-secret-123")
	must(t, setWebhook(t, g1, secret, r.srv.URL, r.secret).errIf(200))
	release := make(chan struct{})
	r.mu.Lock()
	r.hang, r.hung = release, make(chan struct{}, 1)
	hung := r.hung
	r.mu.Unlock()
	tx, err := w.sim.AddTransaction(ledgersim.NewTransaction{AccountID: entityAccount(t, w.sim.Dataset(), 1), Type: "RECEIVE"})
	must(t, err)
	select {
	case <-hung:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_ = g1.Shutdown(ctx) // dies with the delivery in flight
	cancel()
	close(release)
	w.gatewayWith(webhookConfig, nil, fastNotifier)
	got := r.waitCount(1)
	if got[0]["id"] != float64(tx.ID) {
		t.Errorf("delivered %v, want transaction %d", got[0], tx.ID)
	}
}
