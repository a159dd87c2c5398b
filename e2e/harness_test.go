package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"reportgate/config"
	"reportgate/internal/contract"
	"reportgate/internal/gateway"
	"reportgate/internal/gateway/gatewaytest"
	"reportgate/internal/ledgersim"
	"reportgate/internal/ledgersim/simtest"
	"reportgate/internal/redistest"
	"reportgate/internal/testkit"
	"reportgate/notify"
	"reportgate/registry"
)

// world is a simulator, a real redis-server and the admins of a workspace.
type world struct {
	t      *testing.T
	sim    *ledgersim.Server
	redis  *redistest.Server
	reg    *registry.Registry
	admins []registry.Admin
	tokens []string // the admins' bearer tokens, in the same order
	// usageFlush, when set, is the gateways' usage flush interval (its
	// Redis calls would count in tests that count script calls).
	usageFlush time.Duration
	logs       *testkit.LogBuffer
	// rec validates every exchange of the world's simulator (upstream hop)
	// and replicas (partner hop) against the spec: contract_test.go.
	rec *contract.Recorder
}

func newWorld(t *testing.T, simCfg ledgersim.Config) *world {
	t.Helper()
	rec := newRecorder(t) // first: it reports after the simulator and replicas are stopped
	simCfg.Observe = rec.Observe
	w := &world{t: t, sim: simtest.Start(t, simCfg), redis: redistest.Start(t), logs: &testkit.LogBuffer{}, rec: rec}
	cfg := w.config()
	client := cfg.Redis.NewClient()
	t.Cleanup(func() { client.Close() })
	reg, err := registry.New(client, cfg.Workspace, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.reg = reg
	for _, name := range []string{"alice", "bob", "carol"} {
		a, token, err := reg.CreateAdmin(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		w.admins, w.tokens = append(w.admins, a), append(w.tokens, token)
	}
	return w
}

func (w *world) config() config.Config {
	w.t.Helper()
	cfg := config.Default()
	cfg.Listen, cfg.AdminListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.UpstreamURL = w.sim.URL()
	cfg.UpstreamAPIUser = ledgersim.DefaultAPIUser
	// Short enough that outage tests notice a dead Redis in well under a
	// second, long enough that a loaded 2-core machine running the whole
	// suite under -race does not read a slow answer as an outage.
	cfg.RedisURL = w.redis.URL() + "?dial_timeout=200ms&read_timeout=1s&write_timeout=1s&max_retries=1"
	cfg.Workspace = "acme"
	// Tests that are not about limits must not meet them.
	cfg.RateLimit, cfg.RateLimitBurst = "10000/s", 10000
	cfg.FailedAuthLimit, cfg.FailedAuthBurst = "10000/s", 10000
	cfg.WebhookSealKey = testSealKey // one key for every replica of the world
	if err := cfg.Validate(); err != nil {
		w.t.Fatal(err)
	}
	return cfg
}

// gateway starts one replica with cfg edited by edit, and a clock.
func (w *world) gateway(edit func(*config.Config), clk *testkit.Clock) *gateway.Gateway {
	w.t.Helper()
	return w.gatewayWith(edit, clk, notify.NotifierOptions{})
}

// gatewayWith is gateway with notifier timings.
func (w *world) gatewayWith(edit func(*config.Config), clk *testkit.Clock, n notify.NotifierOptions) *gateway.Gateway {
	w.t.Helper()
	cfg := w.config()
	if edit != nil {
		edit(&cfg)
		if err := cfg.Validate(); err != nil {
			w.t.Fatal(err)
		}
	}
	// The access log goes through the hand-written path serve uses, into
	// the same buffer: the log scans cover it.
	opts := gateway.Options{Logger: slog.New(slog.NewJSONHandler(w.logs, nil)), AccessLog: w.logs, Notifier: n,
		UsageFlush: w.usageFlush}
	if clk != nil {
		opts.Now = clk.Now
	}
	g := gatewaytest.Start(w.t, cfg, opts)
	register(w.t, g.ProxyAddr(), w.rec)
	waitReady(w.t, g)
	return g
}

// waitReady polls /readyz until the replica is subscribed and ready.
func waitReady(t *testing.T, g *gateway.Gateway) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, "the gateway is not ready", func() bool {
		resp, err := http.Get("http://" + g.AdminAddr() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// key creates, approves and reveals a key bound to entities.
func (w *world) key(entities ...int64) (registry.Key, string) {
	w.t.Helper()
	ctx := context.Background()
	_, req, err := w.reg.FileCreate(ctx, w.admins[0].ID, "partner", entities)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, a := range w.admins[1:] {
		if _, _, err := w.reg.Approve(ctx, a.ID, req.ID); err != nil {
			w.t.Fatal(err)
		}
	}
	k, secret, err := w.reg.Reveal(ctx, w.admins[0].ID, req.KeyID)
	if err != nil {
		w.t.Fatal(err)
	}
	return k, secret
}

// answer is one response of the gateway.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, a.body)
	}
	return v
}

// get sends GET target with the key and workspace headers.
func get(t *testing.T, g *gateway.Gateway, secret, target string) answer {
	t.Helper()
	return raw(t, g.ProxyAddr(), "GET "+target+" HTTP/1.1\r\nHost: gw\r\n"+
		"X-Ledger-Reporting-API-Key: "+secret+"\r\nX-Ledger-Workspace: acme\r\n\r\n")
}

// raw writes a request byte for byte (so tests control every header) and
// reads one response. The request must be one the spec allows; the answer
// is validated against the spec (contract_test.go).
func raw(t *testing.T, addr, request string) answer {
	t.Helper()
	return sendAs(t, addr, request, specAllows).answer
}

// rawRefused is raw for a request the spec refuses: the answer must be an
// error in the spec's Error shape.
func rawRefused(t *testing.T, addr, request string) answer {
	t.Helper()
	return sendAs(t, addr, request, specRefuses).answer
}

// reply is an answer with what raw leaves out: whether it answered a
// HEAD (no body follows) and whether the gateway closes the connection.
type reply struct {
	answer
	head, close bool
}

// send writes a request byte for byte and reads one answer, read as the
// answer to the request's method (a HEAD has no body). Like raw, it
// validates the exchange against the spec.
func send(t *testing.T, addr, request string) reply {
	t.Helper()
	return sendAs(t, addr, request, specAllows)
}

// sendAs is send with what the test knows of the request.
func sendAs(t *testing.T, addr, request string, view specView) reply {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(request, " ")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response to %q: %v", strings.SplitN(request, "\r\n", 2)[0], err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := reply{answer: answer{status: resp.StatusCode, header: resp.Header, body: body}, head: method == "HEAD", close: resp.Close}
	checkRaw(t, addr, request, view, r.answer)
	return r
}

// nodeIDs returns edges[].node.<field> of a page.
func nodeIDs(t *testing.T, body []byte, field string) ([]int64, int) {
	t.Helper()
	var page struct {
		Edges []struct {
			Node map[string]any `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			Count int `json:"count"`
		} `json:"page_info"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("not a page: %v: %s", err, body)
	}
	var ids []int64
	for _, e := range page.Edges {
		f, ok := e.Node[field].(float64)
		if !ok {
			t.Fatalf("node without %s: %v", field, e.Node)
		}
		ids = append(ids, int64(f))
	}
	return ids, page.PageInfo.Count
}

func (w *world) upstreamRequests() []ledgersim.RecordedRequest { return w.sim.Requests() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
