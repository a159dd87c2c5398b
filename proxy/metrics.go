package proxy

import (
	"context"
	"errors"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// registerMetrics declares the proxy's metric families as observable
// instruments read at scrape time from its counters, so the request path
// only increments atomics. No label carries a key id or a raw path: routes
// are templates, decisions and reasons fixed tokens.
func (p *Proxy) registerMetrics(m metric.Meter) error {
	requests, err1 := m.Int64ObservableCounter("reportgate.requests",
		metric.WithDescription("Partner requests by route template, method, status and decision"))
	authFail, err2 := m.Int64ObservableCounter("reportgate.auth.failures",
		metric.WithDescription("Failed authentications by reason"))
	violations, err3 := m.Int64ObservableCounter("reportgate.scope.violations",
		metric.WithDescription("Upstream bodies withheld because they failed scope verification"))
	limited, err4 := m.Int64ObservableCounter("reportgate.rate_limit.rejections",
		metric.WithDescription("Requests refused by a limit, by reason: rate_limited, concurrency_limited, auth_throttled, rate_limiter_down, and the operator's upstream budget: upstream_share, upstream_budget, upstream_paused"))
	unreadable, err5 := m.Int64ObservableCounter("reportgate.unreadable",
		metric.WithDescription("Partner requests the server could not read (kind=request) and connection errors it reported (kind=connection); never logged with their bytes"))
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return err
	}
	_, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		auth, lim, viol := map[string]int64{}, map[string]int64{}, int64(0)
		p.stats.Each(func(k StatKey, n uint64) {
			o.ObserveInt64(requests, int64(n), metric.WithAttributes(attribute.String("route", k.Route),
				attribute.String("method", k.Method), attribute.String("status", strconv.Itoa(k.Status)),
				attribute.String("decision", k.Decision)))
			switch k.class {
			case authClass:
				auth[k.Decision] += int64(n)
			case scopeClass:
				viol += int64(n)
			case limitClass:
				lim[k.Decision] += int64(n)
			}
		})
		for reason, n := range auth {
			o.ObserveInt64(authFail, n, metric.WithAttributes(attribute.String("reason", reason)))
		}
		for reason, n := range lim {
			o.ObserveInt64(limited, n, metric.WithAttributes(attribute.String("reason", reason)))
		}
		o.ObserveInt64(violations, viol)
		o.ObserveInt64(unreadable, int64(p.unparsed.Load()), metric.WithAttributes(attribute.String("kind", "request")))
		o.ObserveInt64(unreadable, int64(p.connErrors.Load()), metric.WithAttributes(attribute.String("kind", "connection")))
		return nil
	}, requests, authFail, violations, limited, unreadable)
	return err
}
