package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"reportgate/internal/gcra"
	"reportgate/keycache"
	"reportgate/policy"
	"reportgate/upstream"
)

// Authenticator checks a well-formed reporting key (keycache.KeyCache
// implements it). Cached answers from the cache alone, or
// keycache.ErrNotCached; Authenticate may ask Redis.
type Authenticator interface {
	Cached(key []byte, now time.Time) (*keycache.Principal, error)
	Authenticate(ctx context.Context, key []byte, now time.Time) (*keycache.Principal, error)
}

var _ Authenticator = (*keycache.KeyCache)(nil)

// Options configure a Proxy. Each field's zero value means the documented
// default where one exists.
type Options struct {
	// Workspace partners must name in X-Ledger-Workspace. Required.
	Workspace string
	// TrustedProxies may send Forwarded / X-Forwarded-*; others' are dropped.
	TrustedProxies []netip.Prefix
	// TLS, when set, serves partners over TLS with it (its ClientCAs and
	// ClientAuth decide whether client certificates are asked for, which
	// keys bound to one need). Nil: plain HTTP.
	TLS *tls.Config
	// ReadTimeout, WriteTimeout and IdleTimeout bound a partner connection.
	// Defaults 10s, 30s, 60s.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers (431 beyond). Default 8 KiB.
	MaxHeaderBytes int
	// MaxBodyBytes bounds a request body (413 beyond); only
	// PUT /notifications/configuration takes one. Default 64 KiB.
	MaxBodyBytes int
	// MaxConnsPerIP caps a client address's open connections; beyond, a
	// connection is answered 429 in the Error shape and closed (conncap.go).
	// 0: no cap.
	MaxConnsPerIP int
	// RateLimitStatus is the status of the gateway's limit refusals: 420
	// like the upstream (default) or 429.
	RateLimitStatus int
	// AuthFailures is the budget of failed authentications per client
	// address (see authThrottle). Default one per second, 20 at once.
	AuthFailures gcra.Limit
	// AuthTrackedAddrs bounds the addresses AuthFailures remembers.
	// Default 65536.
	AuthTrackedAddrs int
	// Logger receives the access log and incidents. Default slog.Default().
	Logger *slog.Logger
	// DisableAccessLog turns the access log off; the zero value logs one
	// line per request.
	DisableAccessLog bool
	// AccessLog, when set, receives the access-log lines, each appended by
	// hand in the shape slog.JSONHandler would give it and written in one
	// call (the batching log writer, internal/logbuf): no slog record per
	// request. Nil logs them through Logger (text format, tests).
	AccessLog io.Writer
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Meter receives the proxy's metrics (requests, refusals by family,
	// upstream latency); nil records nothing.
	Meter metric.Meter
	// Tracer, when set, traces every request with a span per pipeline step
	// and per upstream call. Nil traces nothing and costs nothing.
	Tracer trace.Tracer
}

// Forwarder sends a partner's rewritten request upstream
// (upstream.Shared implements it).
type Forwarder interface {
	// Prepare adds the operator's credentials, Host and scheme to a
	// request whose client headers were stripped.
	Prepare(req *fasthttp.Request)
	// Forward sends the request on behalf of keyID, unless an identical
	// read in flight or cached answers it (upstream.Via says which); an
	// answer the partner must not get (a 5xx) comes back as an error, and a
	// refusal of the operator's budget as *ratelimit.Refusal.
	Forward(keyID string, req *fasthttp.Request, resp *fasthttp.Response) (upstream.Via, error)
	// Forget drops the cached answer to req: it failed its scope check.
	Forget(req *fasthttp.Request)
	// Close drops idle connections.
	Close()
	// Abort ends every exchange in flight and refuses later ones with
	// upstream.ErrClosed (the shutdown grace ran out).
	Abort()
}

var _ Forwarder = (*upstream.Shared)(nil)

// Policy decides what happens to a request (policy.Engine implements
// it): the proxy carries out its decisions and decides nothing about scope.
type Policy interface {
	// Endpoints lists the operations (one 404 body is rendered for each).
	Endpoints() []*policy.Endpoint
	// Match finds the operation and checks the path and query (step 1).
	Match(method, path, rawQuery []byte, r *policy.Request) error
	// Decide applies the operation's strategy for the caller (step 4).
	Decide(ctx context.Context, c policy.Caller, r *policy.Request, method, body, buf []byte) policy.Decision
	// Verify checks the upstream's answer against the scope (step 7).
	Verify(ctx context.Context, r *policy.Request, status int, contentEncoding, body []byte) error
}

var _ Policy = (*policy.Engine)(nil)

// Deps are the collaborators of a Proxy.
type Deps struct {
	Upstream Forwarder
	Keys     Authenticator
	Policy   Policy
	// Limiter enforces per-key limits (step 3); nil admits everything.
	Limiter RateLimiter
}

// Proxy is the partner-facing gateway. Safe for concurrent use; Close stops
// it.
type Proxy struct {
	opts   Options
	deps   Deps
	up     Forwarder
	server *fasthttp.Server
	states sync.Pool
	stats  *Stats
	tel    telemetry

	answers  limitAnswers
	throttle *authThrottle
	// peers are the open TLS connections; nil without TLS.
	peers *peers
	// notFound holds the 404 of every endpoint, rendered once (notFoundFor).
	notFound map[string]*apiError

	// unparsed and connErrors count what unreadable and serverLogger see.
	unparsed, connErrors atomic.Uint64
	// closing is set by Shutdown: every answer closes its connection.
	closing atomic.Bool
	// realClock is set when Options.Now is the real clock: a request's
	// start is then the time fasthttp read for it (RequestCtx.Time), not a
	// second reading of the clock.
	realClock bool
	// conns counts open partner connections (connState): fasthttp's own
	// count is off by one once its shutdown has returned.
	conns atomic.Int64

	mu sync.Mutex
	ln net.Listener
}

// New validates opts and returns a proxy ready to Serve.
func New(opts Options, deps Deps) (*Proxy, error) {
	if opts.Workspace == "" {
		return nil, errors.New("proxy: Workspace is required")
	}
	if deps.Upstream == nil || deps.Keys == nil || deps.Policy == nil {
		return nil, errors.New("proxy: every dependency is required")
	}
	realClock := opts.Now == nil
	setDefaults(&opts)
	if opts.RateLimitStatus != 420 && opts.RateLimitStatus != 429 {
		return nil, fmt.Errorf("proxy: RateLimitStatus %d: give 420 or 429", opts.RateLimitStatus)
	}
	if opts.AuthFailures.Interval <= 0 || opts.AuthFailures.Burst < 1 {
		return nil, fmt.Errorf("proxy: AuthFailures %+v: give an interval and a burst of at least 1", opts.AuthFailures)
	}
	throttle, err := newAuthThrottle(opts.AuthFailures, opts.AuthTrackedAddrs)
	if err != nil {
		return nil, fmt.Errorf("proxy: failed-authentication throttle: %w", err)
	}
	p := &Proxy{opts: opts, deps: deps, up: deps.Upstream, stats: newStats(), notFound: map[string]*apiError{}, realClock: realClock,
		answers: newLimitAnswers(opts.RateLimitStatus), throttle: throttle}
	if opts.TLS != nil {
		p.peers = newPeers()
	}
	if err := p.tel.init(opts.Meter, opts.Tracer); err != nil {
		return nil, err
	}
	if opts.Meter != nil {
		if err := p.registerMetrics(opts.Meter); err != nil {
			return nil, fmt.Errorf("proxy: metrics: %w", err)
		}
	}
	for _, ep := range deps.Policy.Endpoints() {
		p.notFound[ep.Template] = notFound(ep.Template)
	}
	p.states.New = func() any { return new(state) }
	p.server = &fasthttp.Server{
		Handler:                       p.serve,
		ErrorHandler:                  p.unreadable,
		Name:                          "reportgate",
		ReadTimeout:                   opts.ReadTimeout,
		WriteTimeout:                  opts.WriteTimeout,
		IdleTimeout:                   opts.IdleTimeout,
		ReadBufferSize:                opts.MaxHeaderBytes,
		MaxRequestBodySize:            opts.MaxBodyBytes,
		DisablePreParseMultipartForm:  true,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: false,
		CloseOnShutdown:               true,
		ConnState:                     p.connState,
		Logger:                        serverLogger{opts.Logger, &p.connErrors},
	}
	return p, nil
}

func setDefaults(o *Options) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ReadTimeout, 10*time.Second)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.IdleTimeout, 60*time.Second)
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 8 << 10
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.RateLimitStatus == 0 {
		o.RateLimitStatus = statusRateLimited
	}
	if o.AuthFailures == (gcra.Limit{}) {
		o.AuthFailures = gcra.Limit{Interval: time.Second, Burst: 20}
	}
	if o.AuthTrackedAddrs <= 0 {
		o.AuthTrackedAddrs = 1 << 16
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Serve accepts partner connections on ln until Shutdown, over TLS when
// Options.TLS is set.
func (p *Proxy) Serve(ln net.Listener) error {
	if p.opts.TLS != nil {
		ln = &tlsListener{Listener: ln, cfg: p.opts.TLS, peers: p.peers}
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	logged := serverLogger{p.opts.Logger, &p.connErrors}
	return p.server.Serve(capConns(ln, p.opts.MaxConnsPerIP, func(addr net.Addr) {
		logged.Printf("The number of connections from %s exceeds MaxConnsPerIP=%d", addr, p.opts.MaxConnsPerIP)
	}))
}

// answerWindow is the end of the shutdown grace kept for answering the
// requests still in flight (a quarter of the grace when that is shorter).
const answerWindow = time.Second

// Shutdown stops accepting and lets in-flight requests finish until ctx's
// deadline, less answerWindow. Requests still in flight then are not cut
// without an answer: the upstream exchanges they wait on are aborted, so
// they answer 503 (shutting_down) with Connection: close, which Shutdown
// waits for until the deadline (for answerWindow when ctx has none).
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.closing.Store(true)
	drain, end := ctx, time.Time{}
	if deadline, ok := ctx.Deadline(); ok {
		end = deadline
		var cancel context.CancelFunc
		drain, cancel = context.WithDeadline(ctx, deadline.Add(-min(answerWindow, time.Until(deadline)/4)))
		defer cancel()
	}
	err := p.server.ShutdownWithContext(drain)
	if err == nil {
		p.up.Close()
		return nil
	}
	if end.IsZero() {
		end = time.Now().Add(answerWindow)
	}
	inFlight := p.conns.Load()
	p.up.Abort()
	open := p.awaitClosed(end)
	p.opts.Logger.Warn("shutdown grace ran out: requests in flight answered 503",
		"open_connections", inFlight, "still_open", open)
	return fmt.Errorf("proxy: shutdown: %d connections open when the grace ran out: %w", inFlight, err)
}

// awaitClosed polls until every partner connection is closed or end, and
// returns how many are still open. Nothing signals the last close; fasthttp
// polls too (every 100 ms) while it drains.
func (p *Proxy) awaitClosed(end time.Time) int64 {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		open := p.conns.Load()
		if open == 0 || !time.Now().Before(end) {
			return open
		}
		<-tick.C
	}
}

// connState counts open partner connections.
func (p *Proxy) connState(_ net.Conn, s fasthttp.ConnState) {
	switch s {
	case fasthttp.StateNew:
		p.conns.Add(1)
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		p.conns.Add(-1)
	}
}

// unreadable answers a request the server could not read (bad framing,
// duplicate Host, oversized headers) in the upstream's Error shape, like
// every other refusal; fasthttp closes the connection after it. It logs the
// reason, the client address and counts it: never err's text, which may
// quote the request buffer and so the key.
func (p *Proxy) unreadable(ctx *fasthttp.RequestCtx, err error) {
	ae := parseError(err)
	p.unparsed.Add(1)
	p.opts.Logger.Info("request unreadable", "status", ae.status, "reason", ae.reason,
		"client", ctx.RemoteAddr().String())
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(ae.status)
	ctx.Response.Header.SetContentType("application/json")
	ctx.Response.SetBodyRaw(ae.body())
}

// serverLogger is fasthttp's logger. fasthttp formats the raw request
// buffer into some of its lines ("error when serving connection …: %v"
// quotes the bytes it could not parse, the reporting key among them), so
// no argument is ever formatted: the line carries the fixed format text
// (what failed), the addresses among the arguments (the client) and a
// count.
type serverLogger struct {
	l *slog.Logger
	n *atomic.Uint64
}

func (f serverLogger) Printf(format string, args ...any) {
	f.n.Add(1)
	attrs := []any{"event", format}
	for _, a := range args {
		if addr, ok := a.(net.Addr); ok {
			attrs = append(attrs, "addr", addr.String())
		}
	}
	f.l.Warn("http server error", attrs...)
}
