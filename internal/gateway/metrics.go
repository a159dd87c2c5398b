package gateway

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// registerMetrics declares the metric families of the parts the gateway
// owns itself (the notification queue, the Redis client); the proxy and the
// key cache register their own.
func (g *Gateway) registerMetrics(m metric.Meter) error {
	queue, err1 := m.Int64ObservableGauge("reportgate.notifications.queue_depth",
		metric.WithDescription("Notification jobs waiting or in flight (kind=jobs) and events not yet fanned out (kind=events)"))
	deliveries, err2 := m.Int64ObservableCounter("reportgate.notifications.deliveries",
		metric.WithDescription("Partner deliveries by outcome: delivered, retried, dead_letter"))
	redisErrs, err3 := m.Int64ObservableCounter("reportgate.redis.errors", metric.WithDescription("Redis commands that failed (not 'not found')"))
	retries, err4 := m.Int64ObservableCounter("reportgate.upstream.retries",
		metric.WithDescription("Upstream GETs sent again on a fresh connection after the first closed before any byte of the answer"))
	if err := errors.Join(err1, err2, err3, err4, g.keys.RegisterMetrics(m)); err != nil {
		return err
	}
	_, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		if jobs, events, err := g.reg.QueueDepth(ctx); err == nil {
			o.ObserveInt64(queue, jobs, metric.WithAttributes(attribute.String("kind", "jobs")))
			o.ObserveInt64(queue, events, metric.WithAttributes(attribute.String("kind", "events")))
		}
		ns := g.notifier.Stats()
		for outcome, n := range map[string]uint64{"delivered": ns.Delivered, "retried": ns.Retried, "dead_letter": ns.Dead} {
			o.ObserveInt64(deliveries, int64(n), metric.WithAttributes(attribute.String("outcome", outcome)))
		}
		o.ObserveInt64(redisErrs, g.redisErrors.Load())
		o.ObserveInt64(retries, int64(g.up.Retries()))
		return nil
	}, queue, deliveries, redisErrs, retries)
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
