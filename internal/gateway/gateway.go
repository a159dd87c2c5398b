package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/admin"
	"reportgate/config"
	"reportgate/internal/certs"
	"reportgate/internal/health"
	"reportgate/internal/telemetry"
	"reportgate/keycache"
	"reportgate/notify"
	"reportgate/policy"
	"reportgate/proxy"
	"reportgate/ratelimit"
	"reportgate/registry"
	"reportgate/upstream"
)

// Options are what a Gateway takes besides its Config.
type Options struct {
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Redis, when set, is used instead of a client built from
	// Config.RedisURL (the demo's embedded Redis).
	Redis redis.UniversalClient
	// Notifier overrides the delivery timings (tests); zero values keep
	// the upstream's retry policy.
	Notifier notify.NotifierOptions
	// Version is reported in telemetry resources.
	Version string
	// AccessLog, when set, receives the access log's lines written by hand
	// in the JSON shape (proxy.Options.AccessLog); serve sets it for the
	// json format.
	AccessLog io.Writer
	// UsageFlush is how often the keys' use counted in memory goes to
	// Redis. Default 5s (tests shorten it).
	UsageFlush time.Duration
	// CertPoll is how often the listeners' certificate files are looked
	// at for a rotation. Default 5s (tests shorten it).
	CertPoll time.Duration
	// Replica names this replica to the others and to admins (which
	// replicas confirmed a suspension); default: the host name and 4
	// random hex digits (registry.Options.Replica).
	Replica string
}

// Gateway is one replica: the partner proxy, the admin listener and their
// background work, sharing one Redis client.
type Gateway struct {
	cfg       config.Config
	log       *slog.Logger
	now       func() time.Time
	accessLog io.Writer
	// injected is Options.Now as given: nil when the clock is the real one
	// (the proxy then takes a request's start from fasthttp).
	injected func() time.Time
	// usageFlush is Options.UsageFlush with its default.
	usageFlush time.Duration
	rdb        redis.UniversalClient
	ownRedis   bool
	reg        *registry.Registry
	keys       *keycache.KeyCache
	limiter    *ratelimit.Limiter
	up         *upstream.Client
	// shared is up as every part shares it (coalescing, the cache, the
	// budget); budget is the operator's upstream budget, nil without one.
	shared   *upstream.Shared
	budget   *ratelimit.Shared
	policy   *policy.Engine
	notifier *notify.Notifier
	proxy    *proxy.Proxy
	admin    *http.Server
	// partnerCert and adminCert serve the listeners' certificates; nil
	// for a listener in plain HTTP.
	partnerCert, adminCert *certs.Reloader

	tel         *telemetry.Telemetry
	redisErrors atomic.Int64

	proxyLn, adminLn net.Listener
	cancel           context.CancelFunc
	wg               sync.WaitGroup
}

// New builds a gateway from a validated configuration. It touches no
// network: Start does.
func New(cfg config.Config, opts Options) (*Gateway, error) {
	g := &Gateway{cfg: cfg, log: opts.Logger, now: opts.Now, injected: opts.Now, rdb: opts.Redis,
		usageFlush: cmp.Or(opts.UsageFlush, defaultUsageFlush), accessLog: opts.AccessLog}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.rdb == nil {
		g.rdb, g.ownRedis = cfg.Redis.NewClient(), true
	}
	g.rdb.AddHook(errorCounter{&g.redisErrors})
	if err := g.listenerTLS(opts.CertPoll); err != nil {
		return nil, err
	}
	var err error
	if g.tel, err = telemetry.New(context.Background(), "reportgate", opts.Version); err != nil {
		return nil, err
	}
	g.reg, err = registry.New(g.rdb, cfg.Workspace, registry.Options{
		Quorum: cfg.Quorum, RequestTTL: cfg.RequestTTL, Now: g.now, Logger: g.log, Seal: cfg.Seal,
		Replica: opts.Replica, OutageGrace: cfg.OutageGrace,
	})
	if err != nil {
		return nil, err
	}
	g.keys, err = keycache.NewKeyCache(keycache.RegistryLookup(g.reg, 0), keycache.CacheOptions{
		Size: cfg.KeyCacheSize, NegativeTTL: cfg.NegativeCacheTTL, OutageGrace: cfg.OutageGrace,
		Now: g.now, Logger: g.log,
	})
	if err != nil {
		return nil, err
	}
	g.limiter, err = ratelimit.NewLimiter(ratelimit.NewBudget(g.rdb, g.reg.Prefix()), ratelimit.LimiterOptions{
		Default: cfg.DefaultRateLimit, LeaseSpan: cfg.RateLimitLease, MaxInFlight: cfg.MaxInflightPerKey,
		Outage: ratelimit.OutageMode(cfg.RateLimitOutage), Now: g.now, Logger: g.log,
	})
	if err != nil {
		return nil, err
	}
	if err := g.buildProxy(); err != nil {
		return nil, err
	}
	nopts := opts.Notifier
	nopts.Consumer, nopts.Now, nopts.Logger = cmp.Or(nopts.Consumer, consumerName()), g.now, g.log
	nopts.AllowLoopback = cfg.AllowLoopbackHTTPWebhooks
	g.notifier = notify.NewNotifier(g.reg, g.policy.Resolver(), g.policy.Owners(), nopts)
	mux := http.NewServeMux()
	// Approvers hear of requests filed through the API and the console alike.
	var filed func(context.Context, registry.Request)
	if cfg.ApproverWebhookURL != "" {
		filed = notify.NewApprovers(g.reg, cfg.ApproverWebhookURL, cfg.ApproverWebhookSecret, g.now, g.log).Filed
	}
	api := admin.NewAPI(g.reg, g.log)
	actions := admin.NewKeyActions(g.reg, g.keys) // effective here before the answer
	api.UseKeyActions(actions)
	if filed != nil {
		api.OnRequestFiled(filed)
	}
	api.AcceptClientCertBindings(cfg.ClientCAs != nil)
	if g.budget != nil {
		api.ServeUpstreamBudget(g.budget)
	}
	api.Register(mux)
	notify.NewReceiver(g.reg, cfg.UpstreamWebhookSecret, g.now, g.log).Register(mux)
	if err := g.console(mux, filed, actions); err != nil {
		return nil, err
	}
	health.Register(mux, []health.Check{
		{Name: "redis", Run: g.reg.Ping},
		{Name: "upstream", Run: g.up.Check},
		{Name: "subscription", Run: g.keys.Ready},
	}, health.Note{Name: "persistence", Say: func() string { return g.reg.Durability().String() }})
	mux.Handle("GET /metrics", g.tel.Metrics)
	if err := g.registerMetrics(g.tel.Meter); err != nil {
		return nil, err
	}
	// ErrorLog: the server's own lines (TLS handshake errors among them)
	// go to the structured log, not to stderr in another format.
	g.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(g.log.Handler(), slog.LevelWarn)}
	return g, nil
}

func (g *Gateway) buildProxy() error {
	up, err := upstream.New(upstream.Options{
		URL: g.cfg.Upstream, APIUser: g.cfg.UpstreamAPIUser, APIKey: g.cfg.UpstreamAPIKey,
		Timeout: g.cfg.UpstreamTimeout, MaxConns: g.cfg.UpstreamMaxConns, MaxResponseBytes: g.cfg.MaxResponseBytes,
		Now:         g.now,
		IdleTimeout: g.cfg.UpstreamIdleTimeout,
	})
	if err != nil {
		return err
	}
	g.up = up
	if err := g.shareUpstream(); err != nil {
		return err
	}
	g.policy, err = policy.New(policy.Config{
		Upstream: g.shared, ScopeUpstream: g.shared.Uncached(), Snapshots: g.reg,
		Local:       notify.NewConfigurations(g.reg, g.cfg.AllowLoopbackHTTPWebhooks, g.log),
		MaxPageSize: g.cfg.MaxPageSize, DenyReferenceData: !g.cfg.ReferenceData,
		ScopeMaxAge: g.cfg.ScopeMaxAge, MaxScan: g.cfg.MaxScan, Now: g.now, Logger: g.log,
	})
	if err != nil {
		return err
	}
	g.proxy, err = proxy.New(proxy.Options{
		Workspace: g.cfg.Workspace, TrustedProxies: g.cfg.TrustedPrefixes, TLS: g.partnerTLS(), Logger: g.log, Now: g.injected,
		Meter: g.tel.Meter, Tracer: g.tel.Tracer,
		ReadTimeout: g.cfg.ReadTimeout, WriteTimeout: g.cfg.WriteTimeout, IdleTimeout: g.cfg.IdleTimeout,
		MaxHeaderBytes: g.cfg.MaxHeaderBytes, MaxBodyBytes: g.cfg.MaxBodyBytes, MaxConnsPerIP: g.cfg.MaxConnsPerIP,
		RateLimitStatus: g.cfg.RateLimitStatus, AuthFailures: g.cfg.FailedAuth, AccessLog: g.accessLog,
	}, proxy.Deps{Upstream: g.shared, Keys: g.keys, Policy: g.policy, Limiter: g.limiter})
	return err
}

// shareUpstream builds the operator's budget, when there is one, and the
// client every upstream read goes through.
func (g *Gateway) shareUpstream() error {
	opts := upstream.SharedOptions{CacheTTL: g.cfg.UpstreamCacheTTL, CacheBytes: g.cfg.UpstreamCacheBytes, Now: g.now}
	if !g.cfg.UpstreamBudget.IsZero() {
		b, err := ratelimit.NewShared(g.rdb, g.reg.Prefix(), ratelimit.SharedOptions{
			Limit: g.cfg.UpstreamBudget, Outage: ratelimit.OutageMode(g.cfg.RateLimitOutage), Now: g.now, Logger: g.log,
		})
		if err != nil {
			return err
		}
		g.budget, opts.Budget = b, b
	}
	var err error
	g.shared, err = upstream.NewShared(g.up, opts)
	return err
}

// Start listens on both addresses and starts the background work.
func (g *Gateway) Start(ctx context.Context) error {
	var err error
	if g.proxyLn, err = net.Listen("tcp", g.cfg.Listen); err != nil {
		return fmt.Errorf("gateway: listen %s: %w", g.cfg.Listen, err)
	}
	if g.adminLn, err = net.Listen("tcp", g.cfg.AdminListen); err != nil {
		g.proxyLn.Close()
		return fmt.Errorf("gateway: admin listen %s: %w", g.cfg.AdminListen, err)
	}
	g.warnIfAdminExposed(g.adminLn)
	bg, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	g.limiter.Start()
	if g.budget != nil {
		g.budget.Start()
	}
	g.spawn(func() { g.reg.Watch(bg, g) })
	g.spawn(func() { g.reg.TrackDurability(bg, time.Second, g.durabilityChanged) })
	g.spawn(func() { g.reg.RunExpirer(bg, time.Minute) })
	g.spawn(func() { g.every(bg, g.usageFlush, g.flushUsage) })
	g.spawn(func() { g.notifier.Run(bg) })
	g.spawn(func() { g.resealWebhooks(bg) })
	g.watchCertificates(bg)
	g.spawn(func() {
		if err := g.proxy.Serve(g.proxyLn); err != nil {
			g.log.Error("proxy listener stopped", "err", err)
		}
	})
	g.spawn(func() {
		if err := g.serveAdmin(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("admin listener stopped", "err", err)
		}
	})
	// GOMAXPROCS follows the CPU affinity and cgroup limit; it changes the
	// proxy's cost and tail latency (benchmarks/RESULTS.md), so say it.
	g.log.Info("reportgate started", "listen", g.proxyLn.Addr().String(), "admin", g.adminLn.Addr().String(),
		"upstream", g.cfg.Upstream.String(), "workspace", g.cfg.Workspace, "gomaxprocs", runtime.GOMAXPROCS(0),
		"tls", g.partnerCert != nil, "admin_tls", g.adminCert != nil, "client_certificates", g.cfg.ClientCAs != nil)
	return nil
}

func (g *Gateway) spawn(f func()) {
	g.wg.Add(1)
	go func() { defer g.wg.Done(); f() }()
}

func (g *Gateway) every(ctx context.Context, d time.Duration, f func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// defaultUsageFlush is how often the keys' use counted in memory goes to
// Redis ("last used", "requests in the last 24 h"): a crash loses at most
// this much of it.
const defaultUsageFlush = 5 * time.Second

func (g *Gateway) flushUsage(ctx context.Context) {
	if used := g.keys.TakeUsed(); len(used) > 0 {
		if err := g.reg.RecordUsage(ctx, used); err != nil {
			g.log.Warn("key usage not recorded", "keys", len(used), "err", err)
		}
	}
}

// Subscribed implements registry.EventHandler: events may have been missed
// while the subscription was down, so nothing cached is trusted again.
func (g *Gateway) Subscribed(live bool) {
	g.keys.SetSubscribed(live)
	if live {
		g.shared.PurgeAll()
		g.policy.Resolver().InvalidateAll()
	}
}

// Reached implements registry.EventHandler: whether Redis answers decides
// the key cache's outage mode and when its grace starts.
func (g *Gateway) Reached(ok bool) { g.keys.Reached(ok) }

// Event implements registry.EventHandler.
func (g *Gateway) Event(e registry.Event) {
	switch e.Type {
	case registry.EventKey:
		if h, err := e.HashBytes(); err == nil {
			g.keys.Invalidate(h, e.Generation)
		}
	case registry.EventScope:
		// First: a scope rebuilt after this must not join an upstream read
		// sent before it, nor find its answer cached.
		g.shared.PurgeAll()
		if e.All {
			g.policy.Resolver().InvalidateAll()
		}
		for _, id := range e.Entities {
			g.policy.Resolver().InvalidateEntity(id)
		}
	case registry.EventPurge:
		g.shared.Purge(e.Heads...)
	}
}

// durabilityChanged logs, at start and on every change, whether Redis
// keeps the registry safe from a restart (README: the registry needs AOF or
// replicas).
func (g *Gateway) durabilityChanged(d registry.Durability) {
	switch {
	case d.Refused != "":
		g.log.Warn("redis persistence unknown", "note", d.String(), "err", d.Refused)
	case !d.Safe():
		g.log.Warn("redis persistence off", "note", d.String())
	default:
		g.log.Info("redis persistence", "note", d.String())
	}
}

// consumerName identifies this replica in the notification consumer group.
func consumerName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// ProxyAddr and AdminAddr are the listening addresses (after Start).
func (g *Gateway) ProxyAddr() string { return g.proxyLn.Addr().String() }
func (g *Gateway) AdminAddr() string { return g.adminLn.Addr().String() }

// Registry is the gateway's registry (for the demo and tests).
func (g *Gateway) Registry() *registry.Registry { return g.reg }

// Shutdown stops accepting, lets in-flight requests finish until ctx ends
// (partner requests still in flight near its end are answered 503 with
// Connection: close, see proxy.Shutdown), stops the background work and
// closes Redis. Safe after a partial Start. Both listeners drain at once,
// so neither spends the other's grace.
func (g *Gateway) Shutdown(ctx context.Context) error {
	var perr, aerr error
	var wg sync.WaitGroup
	if g.proxyLn != nil {
		wg.Go(func() { perr = g.proxy.Shutdown(ctx) })
	}
	if g.adminLn != nil {
		wg.Go(func() { aerr = g.admin.Shutdown(ctx) })
	}
	wg.Wait()
	errs := []error{perr, aerr}
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	g.limiter.Close()
	if g.budget != nil {
		g.budget.Close()
	}
	errs = append(errs, g.tel.Close(ctx))
	if g.ownRedis {
		errs = append(errs, g.rdb.Close())
	}
	return errors.Join(errs...)
}

// Live reports whether the replica currently hears key and scope changes.
func (g *Gateway) Live() bool { return g.keys.Subscribed() }
