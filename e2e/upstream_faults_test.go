package e2e_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/gateway"
	"reportgate/internal/ledgersim"
	"reportgate/internal/testkit"
)

const operatorKey = "op-key-0123456789abcdef"

// faultWorld is a world whose gateway reaches the simulator through a
// front, with an operator API key the front can echo.
func faultWorld(t *testing.T, idle time.Duration, edit func(*config.Config)) (*world, *front, *gateway.Gateway) {
	t.Helper()
	w := newWorld(t, ledgersim.DefaultConfig())
	f := startFront(t, w.sim.URL(), idle)
	g := w.gateway(func(c *config.Config) {
		c.UpstreamURL, c.UpstreamAPIKey = f.url, operatorKey
		if edit != nil {
			edit(c)
		}
	}, nil)
	return w, f, g
}

// allEntities binds a key to every entity of the data set and returns,
// besides its secret, an account, an Ethereum account and a transaction in
// its scope.
func allEntities(t *testing.T, w *world) (secret string, account, eth, tx int64) {
	t.Helper()
	d := w.sim.Dataset()
	var ids []int64
	inScope := map[int]bool{}
	for _, e := range d.Entities {
		ids = append(ids, int64(e.ID))
		for _, a := range e.Accounts {
			inScope[a] = true
		}
	}
	_, secret = w.key(ids...)
	for _, a := range d.Accounts {
		if inScope[a.ID] && account == 0 {
			account = int64(a.ID)
		}
		if inScope[a.ID] && eth == 0 && strings.EqualFold(a.Type, "ethereum") && a.Parent == nil {
			eth = int64(a.ID)
		}
	}
	for _, x := range d.Transactions {
		if inScope[x.AccountID] {
			tx = int64(x.ID)
			break
		}
	}
	if account == 0 || eth == 0 || tx == 0 {
		t.Fatalf("the data set has no account (%d), Ethereum account (%d) or transaction (%d) in scope", account, eth, tx)
	}
	return secret, account, eth, tx
}

func failing(status int) *faultAnswer {
	return &faultAnswer{status: status, header: map[string]string{"Content-Type": "application/json"},
		body: `{"message":"front says boom for {key}","name":"Boom","status_code":` + strconv.Itoa(status) + `}`}
}

// Regression (issues 16.6, 17.3): an upstream 500 or 503 reached partners
// unchanged on forwarded routes, while owner lookups and scoped lists said
// "the upstream could not be reached". Every strategy now follows one rule
// (proxy classifyUpstream): 504 → 504, other 5xx → 502, in the Error shape,
// the upstream's status and message logged without the operator's key;
// the upstream's 420 keeps its Retry-After; a forwarded 4xx passes.
func TestUpstreamFailuresFollowOneRule(t *testing.T) {
	w, f, g := faultWorld(t, 0, nil)
	secret, account, eth, tx := allEntities(t, w)
	if a := get(t, g, secret, "/accounts"); a.status != http.StatusOK { // the scope, resolved
		t.Fatalf("/accounts: %d %s", a.status, a.body)
	}
	acct, nfts := sprintf("/accounts/%d", account), sprintf("/accounts/%d/nfts", eth)
	txPath := sprintf("/transactions/%d", tx)
	tests := []struct {
		name, target, failAt string
		upstream             int
		want                 int
		reason               string // the Error body's name is the status's; reason is in the access log
	}{
		{"inject, 500", "/accounts", "/accounts", 500, 502, "upstream_failed"},
		{"inject, 503", "/accounts", "/accounts", 503, 502, "upstream_failed"},
		{"inject, 502", "/accounts", "/accounts", 502, 502, "upstream_failed"},
		{"inject, 504", "/accounts", "/accounts", 504, 504, "upstream_timeout"},
		{"path, 500", acct, acct, 500, 502, "upstream_failed"},
		{"global, 503", "/currencies", "/currencies", 503, 502, "upstream_failed"},
		{"owner lookup, 500", txPath, txPath, 500, 502, "upstream_failed"},
		{"owner lookup, 504", txPath, txPath, 504, 504, "upstream_timeout"},
		{"scoped list, 503", "/users", "/users", 503, 502, "upstream_failed"},
		{"scoped list, 504", "/groups", "/groups", 504, 504, "upstream_timeout"},
		{"scoped list, 401 to the gateway's read", "/users", "/users", 401, 502, "upstream_refused"},
		{"NFT check's collections, 500", nfts, nfts[:len(nfts)-len("nfts")] + "nft-collections", 500, 502, "upstream_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.answer(at(tt.failAt, failing(tt.upstream)))
			defer f.answer(nil)
			a := get(t, g, secret, tt.target)
			if a.status != tt.want {
				t.Fatalf("GET %s with the upstream answering %d: %d %s, want %d", tt.target, tt.upstream, a.status, a.body, tt.want)
			}
			testkit.DecodeError(t, a.body, tt.want)
			if strings.Contains(string(a.body), "front says") {
				t.Errorf("the upstream's message reached the partner: %s", a.body)
			}
			if !strings.Contains(w.logs.String(), `"decision":"`+tt.reason+`"`) {
				t.Errorf("no access-log line with decision %s", tt.reason)
			}
		})
	}
	logs := w.logs.String()
	if strings.Contains(logs, operatorKey) {
		t.Error("the logs carry the operator's API key the upstream echoed")
	}
	for _, want := range []string{`"msg":"upstream failed"`, `"upstream_status":503`, `"upstream_message":"front says boom for [redacted]"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %s", want)
		}
	}
}

// The upstream's 420 reaches the partner with its Retry-After on every
// strategy: forwarded as the upstream sent it, and, met by a read of the
// gateway's own, as a 420 of the gateway's with the same Retry-After. A
// forwarded 400 passes through as before.
func TestUpstreamRateLimitAndClientErrorsPass(t *testing.T) {
	w, f, g := faultWorld(t, 0, nil)
	_, secret := w.key(1)
	get(t, g, secret, "/accounts")
	limited := &faultAnswer{status: 420, header: map[string]string{"Retry-After": "9", "Content-Type": "application/json"},
		body: `{"message":"slow down","name":"RateLimited","status_code":420}`}
	f.answer(at("/accounts", limited))
	if a := get(t, g, secret, "/accounts"); a.status != 420 || a.header.Get("Retry-After") != "9" || !strings.Contains(string(a.body), "slow down") {
		t.Errorf("forwarded 420: %d Retry-After %q %s, want the upstream's 420 as it was", a.status, a.header.Get("Retry-After"), a.body)
	}
	f.answer(at("/users", limited))
	a := get(t, g, secret, "/users")
	if a.status != 420 || a.header.Get("Retry-After") != "9" {
		t.Errorf("420 to a scoped list's scan: %d Retry-After %q %s, want 420 with Retry-After 9", a.status, a.header.Get("Retry-After"), a.body)
	}
	testkit.DecodeError(t, a.body, 420)
	f.answer(at("/accounts", &faultAnswer{status: 400, header: map[string]string{"Content-Type": "application/json"},
		body: `{"message":"bad filter","name":"BadRequest","status_code":400}`}))
	if a := get(t, g, secret, "/accounts"); a.status != 400 || !strings.Contains(string(a.body), "bad filter") {
		t.Errorf("forwarded 400: %d %s, want the upstream's answer", a.status, a.body)
	}
}

// A key whose scope cannot be resolved because the upstream fails follows
// the same rule, and is served once the upstream is back.
func TestScopeResolutionFailuresFollowOneRule(t *testing.T) {
	w, f, g := faultWorld(t, 0, nil)
	_, secret := w.key(2)
	for upstream, want := range map[int]int{500: 502, 503: 502, 504: 504} {
		f.answer(at("/entities/2", failing(upstream)))
		a := get(t, g, secret, "/accounts")
		if a.status != want {
			t.Fatalf("scope resolution answered %d: %d %s, want %d", upstream, a.status, a.body, want)
		}
		testkit.DecodeError(t, a.body, want)
	}
	f.answer(nil)
	if a := get(t, g, secret, "/accounts"); a.status != http.StatusOK {
		t.Errorf("after the upstream recovered: %d %s, want 200", a.status, a.body)
	}
}

// Regression (issue 16.7): the gateway kept idle upstream connections 30 s
// and never retried, so an upstream closing them sooner made the next
// request a 502. The front closes connections idle for 1 s; requests come
// once it has closed every one. With the default --upstream-idle-timeout
// (4 s) each request meets a stale connection and is retried once on a
// fresh one; with an idle timeout below the front's, the gateway closes
// first and nothing is retried. Either way: no 502.
func TestStaleUpstreamConnectionsAreNot502(t *testing.T) {
	for _, tt := range []struct {
		name        string
		idle        time.Duration
		wantRetries int
	}{
		{"upstream closes first", 0, 3},
		{"gateway closes first", 300 * time.Millisecond, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, f, g := faultWorld(t, time.Second, func(c *config.Config) {
				if tt.idle > 0 {
					c.UpstreamIdleTimeout = tt.idle
				}
			})
			_, secret := w.key(1)
			for round := range 4 {
				if a := get(t, g, secret, "/accounts"); a.status != http.StatusOK {
					t.Fatalf("round %d: %d %s, want 200", round, a.status, a.body)
				}
				testkit.WaitFor(t, 5*time.Second, "the upstream connections never went idle and closed", f.idle)
			}
			if got := metric(t, g, "reportgate_upstream_retries_total"); got != tt.wantRetries {
				t.Errorf("reportgate_upstream_retries_total = %d, want %d", got, tt.wantRetries)
			}
		})
	}
}

// Regression (issue 16.7): an upstream answer with more than 4 KiB of
// headers was a 502. 6 KiB is served; beyond the gateway's 16 KiB it is a
// 502 that says why, logged.
func TestLargeUpstreamHeaders(t *testing.T) {
	w, f, g := faultWorld(t, 0, nil)
	_, secret := w.key(1)
	get(t, g, secret, "/accounts")
	f.answer(at("/accounts", &faultAnswer{padding: 6 << 10}))
	if a := get(t, g, secret, "/accounts"); a.status != http.StatusOK || a.header.Get("X-Padding-11") == "" {
		t.Errorf("6 KiB of upstream headers: %d %s, want 200 with them", a.status, a.body)
	}
	f.answer(at("/accounts", &faultAnswer{padding: 20 << 10}))
	a := get(t, g, secret, "/accounts")
	if a.status != http.StatusBadGateway || !strings.Contains(testkit.DecodeError(t, a.body, 502).Message, "headers exceed") {
		t.Errorf("20 KiB of upstream headers: %d %s, want 502 naming the headers", a.status, a.body)
	}
	if !strings.Contains(w.logs.String(), `"err":"upstream: the response headers exceed`) {
		t.Error("no log line names the oversized upstream headers")
	}
}

// metric reads an unlabelled counter from the gateway's /metrics.
func metric(t *testing.T, g *gateway.Gateway, name string) int {
	t.Helper()
	resp, err := http.Get("http://" + g.AdminAddr() + "/metrics")
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			n, err := strconv.Atoi(v)
			must(t, err)
			return n
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}
