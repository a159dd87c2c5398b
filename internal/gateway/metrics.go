package gateway

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
)

// registerMetrics has every part register its metric families; the
// gateway's own is the Redis client's error count.
func (g *Gateway) registerMetrics(m metric.Meter) error {
	redisErrs, err := m.Int64ObservableCounter("reportgate.redis.errors", metric.WithDescription("Redis commands that failed (not 'not found')"))
	if err := errors.Join(err, g.keys.RegisterMetrics(m), g.notifier.RegisterMetrics(m), g.up.RegisterMetrics(m),
		g.shared.RegisterMetrics(m)); err != nil {
		return err
	}
	if g.budget != nil {
		if err := g.budget.RegisterMetrics(m); err != nil {
			return err
		}
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(redisErrs, g.redisErrors.Load())
		return nil
	}, redisErrs)
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
