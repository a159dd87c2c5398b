package gateway

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"reportgate/proxy"
)

// Decisions that are authentication failures and scope incidents, for
// their own metric families.
var (
	authFailures = map[string]bool{"no_key": true, "invalid_key": true, "ambiguous_key": true,
		"no_workspace": true, "ambiguous_workspace": true, "key_inactive": true, "registry_down": true}
	scopeIncidents = map[string]bool{"scope_violation": true, "malformed_upstream": true, "encoded_upstream": true}
	limitRefusals  = map[string]bool{"rate_limited": true, "concurrency_limited": true, "auth_throttled": true, "rate_limiter_down": true}
)

// registerMetrics declares every metric family of DESIGN §8 / issue 8 as
// observable instruments read at scrape time from the components' own
// counters, so the request path only increments atomics. No label carries a
// key id or a raw path.
func (g *Gateway) registerMetrics(m metric.Meter) error {
	requests, err1 := m.Int64ObservableCounter("reportgate.requests",
		metric.WithDescription("Partner requests by route template, method, status and decision"))
	authFail, err2 := m.Int64ObservableCounter("reportgate.auth.failures",
		metric.WithDescription("Failed authentications by reason"))
	violations, err3 := m.Int64ObservableCounter("reportgate.scope.violations",
		metric.WithDescription("Upstream bodies withheld because they failed scope verification"))
	cache, err4 := m.Int64ObservableCounter("reportgate.key_cache.events",
		metric.WithDescription("Key cache hits, misses, negative hits and evictions"))
	entries, err5 := m.Int64ObservableGauge("reportgate.key_cache.entries", metric.WithDescription("Keys cached"))
	queue, err6 := m.Int64ObservableGauge("reportgate.notifications.queue_depth",
		metric.WithDescription("Notification jobs waiting or in flight (kind=jobs) and events not yet fanned out (kind=events)"))
	deliveries, err7 := m.Int64ObservableCounter("reportgate.notifications.deliveries",
		metric.WithDescription("Partner deliveries by outcome: delivered, retried, dead_letter"))
	redisErrs, err8 := m.Int64ObservableCounter("reportgate.redis.errors", metric.WithDescription("Redis commands that failed (not 'not found')"))
	limited, err9 := m.Int64ObservableCounter("reportgate.rate_limit.rejections",
		metric.WithDescription("Requests refused by a limit, by reason: rate_limited, concurrency_limited, auth_throttled, rate_limiter_down"))
	unreadable, err10 := m.Int64ObservableCounter("reportgate.unreadable",
		metric.WithDescription("Partner requests the server could not read (kind=request) and connection errors it reported (kind=connection); never logged with their bytes"))
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8, err9, err10); err != nil {
		return err
	}
	_, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		auth, lim, viol := map[string]int64{}, map[string]int64{}, int64(0)
		g.proxy.Stats().Each(func(k proxy.StatKey, n uint64) {
			o.ObserveInt64(requests, int64(n), metric.WithAttributes(attribute.String("route", k.Route),
				attribute.String("method", k.Method), attribute.String("status", strconv.Itoa(k.Status)),
				attribute.String("decision", k.Decision)))
			if authFailures[k.Decision] {
				auth[k.Decision] += int64(n)
			}
			if scopeIncidents[k.Decision] {
				viol += int64(n)
			}
			if limitRefusals[k.Decision] {
				lim[k.Decision] += int64(n)
			}
		})
		for reason, n := range lim {
			o.ObserveInt64(limited, n, metric.WithAttributes(attribute.String("reason", reason)))
		}
		for reason, n := range auth {
			o.ObserveInt64(authFail, n, metric.WithAttributes(attribute.String("reason", reason)))
		}
		o.ObserveInt64(violations, viol)
		cs := g.keys.Stats()
		for kind, n := range map[string]uint64{"hit": cs.Hits, "miss": cs.Misses, "negative_hit": cs.NegativeHits, "eviction": cs.Evictions} {
			o.ObserveInt64(cache, int64(n), metric.WithAttributes(attribute.String("kind", kind)))
		}
		o.ObserveInt64(entries, int64(cs.Entries))
		if jobs, events, err := g.reg.QueueDepth(ctx); err == nil {
			o.ObserveInt64(queue, jobs, metric.WithAttributes(attribute.String("kind", "jobs")))
			o.ObserveInt64(queue, events, metric.WithAttributes(attribute.String("kind", "events")))
		}
		ns := g.notifier.Stats()
		for outcome, n := range map[string]uint64{"delivered": ns.Delivered, "retried": ns.Retried, "dead_letter": ns.Dead} {
			o.ObserveInt64(deliveries, int64(n), metric.WithAttributes(attribute.String("outcome", outcome)))
		}
		o.ObserveInt64(redisErrs, g.redisErrors.Load())
		reqs, conns := g.proxy.Unreadable()
		o.ObserveInt64(unreadable, int64(reqs), metric.WithAttributes(attribute.String("kind", "request")))
		o.ObserveInt64(unreadable, int64(conns), metric.WithAttributes(attribute.String("kind", "connection")))
		return nil
	}, requests, authFail, violations, cache, entries, queue, deliveries, redisErrs, limited, unreadable)
	return err
}

// errorCounter is a go-redis hook counting failed commands; "not found"
// (redis.Nil) is an answer, not an error.
type errorCounter struct{ n *atomic.Int64 }

func (e errorCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			e.n.Add(1)
		}
		return c, err
	}
}

func (e errorCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		// NOSCRIPT is EVALSHA's expected miss (go-redis falls back to EVAL).
		if err != nil && !errors.Is(err, redis.Nil) && !strings.HasPrefix(err.Error(), "NOSCRIPT") {
			e.n.Add(1)
		}
		return err
	}
}

func (e errorCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err != nil && !errors.Is(err, redis.Nil) && !handshake(cmds) {
			e.n.Add(1)
		}
		return err
	}
}

// handshake reports go-redis's connection handshake (CLIENT SETINFO …),
// whose refusal by an older server go-redis ignores, as it should.
func handshake(cmds []redis.Cmder) bool {
	return len(cmds) > 0 && cmds[len(cmds)-1].Name() == "client"
}
