package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"reportgate/admin"
	"reportgate/config"
	"reportgate/internal/spec"
	"reportgate/policy"
	"reportgate/proxy"
	"reportgate/registry"
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
}

// Gateway is one replica: the partner proxy, the admin listener and their
// background work, sharing one Redis client.
type Gateway struct {
	cfg      config.Config
	log      *slog.Logger
	now      func() time.Time
	rdb      redis.UniversalClient
	ownRedis bool
	reg      *registry.Registry
	keys     *registry.KeyCache
	up       *proxy.Upstream
	resolver *policy.Resolver
	proxy    *proxy.Proxy
	admin    *http.Server

	proxyLn, adminLn net.Listener
	cancel           context.CancelFunc
	wg               sync.WaitGroup
	ready            readiness
}

// New builds a gateway from a validated configuration. It touches no
// network: Start does.
func New(cfg config.Config, opts Options) (*Gateway, error) {
	g := &Gateway{cfg: cfg, log: opts.Logger, now: opts.Now, rdb: opts.Redis}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.rdb == nil {
		g.rdb, g.ownRedis = cfg.Redis.NewClient(), true
	}
	var err error
	g.reg, err = registry.New(g.rdb, cfg.Workspace, registry.Options{
		Quorum: cfg.Quorum, RequestTTL: cfg.RequestTTL, Now: g.now, Logger: g.log,
	})
	if err != nil {
		return nil, err
	}
	g.keys, err = registry.NewKeyCache(g.lookup, registry.CacheOptions{
		Size: cfg.KeyCacheSize, NegativeTTL: cfg.NegativeCacheTTL, OutageGrace: cfg.OutageGrace,
		Now: g.now, Logger: g.log,
	})
	if err != nil {
		return nil, err
	}
	if err := g.buildProxy(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	admin.NewAPI(g.reg, g.log).Register(mux)
	g.health(mux)
	g.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	return g, nil
}

func (g *Gateway) buildProxy() error {
	d, err := spec.Load()
	if err != nil {
		return err
	}
	rules := policy.Table()
	router, err := policy.NewRouter(rules, d.Routes)
	if err != nil {
		return err
	}
	popts := proxy.Options{
		Workspace: g.cfg.Workspace, Upstream: g.cfg.Upstream,
		APIUser: g.cfg.UpstreamAPIUser, APIKey: g.cfg.UpstreamAPIKey,
		Timeout: g.cfg.UpstreamTimeout, MaxConns: g.cfg.UpstreamMaxConns,
		MaxResponseBytes: g.cfg.MaxResponseBytes, MaxPageSize: g.cfg.MaxPageSize,
		DenyReferenceData: !g.cfg.ReferenceData,
		TrustedProxies:    g.cfg.TrustedPrefixes, Logger: g.log, Now: g.now,
	}
	up := proxy.NewUpstream(popts)
	g.up = up
	owners, err := policy.NewOwners(up, 100_000)
	if err != nil {
		return err
	}
	g.resolver, err = policy.NewResolver(up, rules, policy.ResolverOptions{
		MaxAge: g.cfg.ScopeMaxAge, Store: g.reg, Now: g.now, Logger: g.log,
	})
	if err != nil {
		return err
	}
	lister, err := policy.NewLister(up, owners, policy.ListerOptions{MaxScan: g.cfg.MaxScan, Now: g.now})
	if err != nil {
		return err
	}
	g.proxy, err = proxy.New(popts, up, proxy.Deps{
		Keys: g.keys, Router: router, Resolver: g.resolver, Owners: owners,
		Verifier: policy.NewVerifier(owners), Lister: lister,
	})
	return err
}

// lookupTimeout bounds one registry lookup on a cache miss.
const lookupTimeout = 500 * time.Millisecond

// lookup adapts the registry to the key cache: not found is an answer,
// anything else an outage.
func (g *Gateway) lookup(ctx context.Context, hash [32]byte) (registry.Principal, bool, error) {
	// A partner waits on this: an unreachable Redis must fail fast and fall
	// back to the outage grace, not hold the request for go-redis's retries.
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	k, err := g.reg.KeyByHash(ctx, hash)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return registry.Principal{}, false, nil
	case err != nil:
		return registry.Principal{}, false, err
	}
	return registry.Principal{
		ID: k.ID, Active: k.Status == registry.StatusActive, Entities: k.Entities, Generation: k.Generation,
	}, true, nil
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
	bg, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	g.spawn(func() { g.reg.Watch(bg, g) })
	g.spawn(func() { g.every(bg, time.Minute, g.expire) })
	g.spawn(func() { g.every(bg, 10*time.Second, g.flushLastUsed) })
	g.spawn(func() {
		if err := g.proxy.Serve(g.proxyLn); err != nil {
			g.log.Error("proxy listener stopped", "err", err)
		}
	})
	g.spawn(func() {
		if err := g.admin.Serve(g.adminLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("admin listener stopped", "err", err)
		}
	})
	// GOMAXPROCS follows the CPU affinity and cgroup limit; it changes the
	// proxy's cost and tail latency (benchmarks/RESULTS.md), so say it.
	g.log.Info("reportgate started", "listen", g.proxyLn.Addr().String(), "admin", g.adminLn.Addr().String(),
		"upstream", g.cfg.Upstream.String(), "workspace", g.cfg.Workspace, "gomaxprocs", runtime.GOMAXPROCS(0))
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

func (g *Gateway) expire(ctx context.Context) {
	if n, err := g.reg.ExpireDue(ctx); err != nil {
		g.log.Warn("request expiry failed", "err", err)
	} else if n > 0 {
		g.log.Info("requests expired", "count", n)
	}
}

func (g *Gateway) flushLastUsed(ctx context.Context) {
	if used := g.keys.TakeUsed(); len(used) > 0 {
		if err := g.reg.TouchLastUsed(ctx, used); err != nil {
			g.log.Warn("last-used times not recorded", "err", err)
		}
	}
}

// Subscribed implements registry.EventHandler: events may have been missed
// while the subscription was down, so nothing cached is trusted again.
func (g *Gateway) Subscribed(live bool) {
	g.keys.SetSubscribed(live)
	if live {
		g.resolver.InvalidateAll()
	}
	g.ready.setSubscribed(live)
}

// Event implements registry.EventHandler.
func (g *Gateway) Event(e registry.Event) {
	switch e.Type {
	case registry.EventKey:
		if h, err := e.HashBytes(); err == nil {
			g.keys.Invalidate(h)
		}
	case registry.EventScope:
		if e.All {
			g.resolver.InvalidateAll()
		}
		for _, id := range e.Entities {
			g.resolver.InvalidateEntity(id)
		}
	}
}

// ProxyAddr and AdminAddr are the listening addresses (after Start).
func (g *Gateway) ProxyAddr() string { return g.proxyLn.Addr().String() }
func (g *Gateway) AdminAddr() string { return g.adminLn.Addr().String() }

// Registry is the gateway's registry (for the demo and tests).
func (g *Gateway) Registry() *registry.Registry { return g.reg }

// Shutdown stops accepting, lets in-flight requests finish until ctx ends,
// stops the background work and closes Redis. Safe after a partial Start.
func (g *Gateway) Shutdown(ctx context.Context) error {
	var errs []error
	if g.proxyLn != nil {
		errs = append(errs, g.proxy.Shutdown(ctx))
	}
	if g.adminLn != nil {
		errs = append(errs, g.admin.Shutdown(ctx))
	}
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	if g.ownRedis {
		errs = append(errs, g.rdb.Close())
	}
	return errors.Join(errs...)
}
