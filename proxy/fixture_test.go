package proxy

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"reportgate/benchmarks/origin"
	"reportgate/internal/gcra"
	"reportgate/internal/redistest"
	"reportgate/keycache"
	"reportgate/policy"
	"reportgate/ratelimit"
	"reportgate/registry"
	"reportgate/upstream"
)

// fixture is a whole proxy in memory, for the benchmarks and allocation
// tests of this package: the fixed-response origin of package
// benchmarks/origin on one in-memory listener, the proxy on another, a key
// cache answering from a map, and scope resolution reading the origin.
type fixture struct {
	p      *Proxy
	origin *origin.Origin
	secret string
	// up is the proxy's upstream; shared its options (the cache is off
	// unless a test sets it: newFixtureWith).
	up     *upstream.Shared
	shared upstream.SharedOptions
	// client reaches the proxy's listener; direct the origin's.
	client, direct *fasthttp.HostClient
}

const fixtureWorkspace = "acme"

// newFixture builds and starts the proxy; opts may edit its Options.
func newFixture(tb testing.TB, edit func(*Options)) *fixture {
	tb.Helper()
	return newFixtureWith(tb, edit, upstream.SharedOptions{})
}

// newFixtureWith is newFixture with the upstream's sharing options (the
// cache, the budget).
func newFixtureWith(tb testing.TB, edit func(*Options), shared upstream.SharedOptions) *fixture {
	tb.Helper()
	f := &fixture{origin: origin.New(), shared: shared}
	upLn := fasthttputil.NewInmemoryListener()
	upSrv := &fasthttp.Server{Handler: f.origin.Handler, NoDefaultServerHeader: true}
	go upSrv.Serve(upLn) //nolint:errcheck // ends with Shutdown below
	tb.Cleanup(func() { _ = upSrv.Shutdown() })

	secret, err := registry.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	f.secret = secret
	opts := Options{
		Workspace: fixtureWorkspace, DisableAccessLog: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The benchmarks refuse millions of keys from one address: the
		// failed-authentication throttle would answer them 420 instead.
		AuthFailures: gcra.Limit{Interval: time.Nanosecond, Burst: 1 << 30},
	}
	if edit != nil {
		edit(&opts)
	}
	up, err := upstream.New(upstream.Options{URL: &url.URL{Scheme: "http", Host: "origin.invalid"},
		APIUser: origin.APIUser, Dial: func(string) (net.Conn, error) { return upLn.Dial() }})
	if err != nil {
		tb.Fatal(err)
	}
	f.up, err = upstream.NewShared(up, f.shared)
	if err != nil {
		tb.Fatal(err)
	}
	f.p, err = New(opts, deps(tb, f.up, secret))
	if err != nil {
		tb.Fatal(err)
	}
	ln := fasthttputil.NewInmemoryListener()
	go f.p.Serve(ln) //nolint:errcheck // ends with Shutdown below
	tb.Cleanup(func() { _ = f.p.Shutdown(context.Background()) })
	f.client = &fasthttp.HostClient{Addr: "gateway", Dial: func(string) (net.Conn, error) { return ln.Dial() }, MaxConns: 64}
	f.direct = &fasthttp.HostClient{Addr: "origin", Dial: func(string) (net.Conn, error) { return upLn.Dial() }, MaxConns: 64}
	return f
}

// deps wires the policy over up and a key cache that knows one key, bound
// to origin.EntityID.
func deps(tb testing.TB, up *upstream.Shared, secret string) Deps {
	tb.Helper()
	hash := registry.KeyHash([]byte(secret))
	lookup := func(_ context.Context, h [32]byte) (keycache.Principal, bool, error) {
		if h != hash {
			return keycache.Principal{}, false, nil
		}
		return keycache.Principal{ID: "key_bench", Active: true, Entities: []int64{origin.EntityID}, Generation: 1}, true, nil
	}
	keys, err := keycache.NewKeyCache(lookup, keycache.CacheOptions{NegativeTTL: time.Minute})
	if err != nil {
		tb.Fatal(err)
	}
	keys.SetSubscribed(true) // as when the invalidation subscription is live
	engine, err := policy.New(policy.Config{Upstream: up, ScopeUpstream: up.Uncached(), Local: noWebhooks{}, OwnerCacheSize: 1024})
	if err != nil {
		tb.Fatal(err)
	}
	return Deps{Upstream: up, Keys: keys, Policy: engine}
}

// request returns a partner request for target with the fixture's key.
func (f *fixture) request(target string) *fasthttp.Request {
	return f.requestWithKey(target, f.secret)
}

func (f *fixture) requestWithKey(target, key string) *fasthttp.Request {
	req := &fasthttp.Request{}
	req.SetRequestURI(target)
	req.Header.SetHost("gateway")
	req.Header.Set("User-Agent", "bench/1")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Ledger-Reporting-API-Key", key)
	req.Header.Set("X-Ledger-Workspace", fixtureWorkspace)
	return req
}

// do sends req through the proxy and returns the status and a copy of the
// body.
func (f *fixture) do(tb testing.TB, req *fasthttp.Request) (int, []byte) {
	tb.Helper()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	if err := f.client.Do(req, resp); err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...)
}

// warm sends target once (resolving the key, its scope and owners) and
// checks the proxy answered want.
func (f *fixture) warm(tb testing.TB, target string, want int) {
	tb.Helper()
	if status, body := f.do(tb, f.request(target)); status != want {
		tb.Fatalf("GET %s: %d %s, want %d", target, status, body, want)
	}
}

// noWebhooks is the fixture's Gateway strategy: the benchmarked routes
// never reach it.
type noWebhooks struct{}

func (noWebhooks) ServeLocal(context.Context, string, string, []byte) (int, []byte) {
	return 404, []byte(`{"message":"no configuration","name":"NotFound","status_code":404}`)
}

// newTestLimiter is the gateway's limiter over a real redis-server, with a
// default limit far above what a test sends: every request takes the
// admission path (leases refill from Redis in the background).
func newTestLimiter(tb testing.TB) *ratelimit.Limiter {
	tb.Helper()
	srv := redistest.Start(tb)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	tb.Cleanup(func() { _ = client.Close() })
	l, err := ratelimit.NewLimiter(ratelimit.NewBudget(client, "rg:{"+fixtureWorkspace+"}:"), ratelimit.LimiterOptions{
		Default:     ratelimit.Limit{Count: ratelimit.MaxCount, Per: time.Second, Burst: ratelimit.MaxBurst},
		MaxInFlight: 64,
	})
	if err != nil {
		tb.Fatal(err)
	}
	l.Start()
	tb.Cleanup(l.Close)
	return l
}
