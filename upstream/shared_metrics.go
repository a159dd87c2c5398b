package upstream

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RegisterMetrics reports, at scrape time, the upstream calls saved
// (reportgate.upstream.saved, how: coalesced or cached), the upstream's
// 420 answers (reportgate.upstream.rate_limited) and what the cache holds
// (reportgate.upstream.cache.bytes and .entries). No key id labels a
// series.
func (s *Shared) RegisterMetrics(m metric.Meter) error {
	saved, err1 := m.Int64ObservableCounter("reportgate.upstream.saved",
		metric.WithDescription("Upstream reads answered without an exchange of their own, by how: coalesced (an identical read was in flight) or cached"))
	limited, err2 := m.Int64ObservableCounter("reportgate.upstream.rate_limited",
		metric.WithDescription("Upstream answers 420 (the operator's plan is spent): each pauses the budget for its Retry-After"))
	cacheBytes, err3 := m.Int64ObservableGauge("reportgate.upstream.cache.bytes", metric.WithUnit("By"),
		metric.WithDescription("Memory the response cache holds (keys, headers, bodies)"))
	cacheEntries, err4 := m.Int64ObservableGauge("reportgate.upstream.cache.entries",
		metric.WithDescription("Answers the response cache holds"))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return err
	}
	_, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := s.Stats()
		o.ObserveInt64(saved, int64(st.Joined), metric.WithAttributes(attribute.String("how", "coalesced")))
		o.ObserveInt64(saved, int64(st.Cached), metric.WithAttributes(attribute.String("how", "cached")))
		o.ObserveInt64(limited, int64(st.RateLimited))
		o.ObserveInt64(cacheBytes, st.CacheBytes)
		o.ObserveInt64(cacheEntries, st.CacheEntries)
		return nil
	}, saved, limited, cacheBytes, cacheEntries)
	return err
}
