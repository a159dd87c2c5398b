package keycache

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RegisterMetrics reports the cache's counters on m at scrape time:
// reportgate.key_cache.events{kind} and reportgate.key_cache.entries.
func (c *KeyCache) RegisterMetrics(m metric.Meter) error {
	events, err1 := m.Int64ObservableCounter("reportgate.key_cache.events",
		metric.WithDescription("Key cache hits, misses, negative hits and evictions"))
	entries, err2 := m.Int64ObservableGauge("reportgate.key_cache.entries", metric.WithDescription("Keys cached"))
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	_, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := c.Stats()
		for kind, n := range map[string]uint64{"hit": s.Hits, "miss": s.Misses, "negative_hit": s.NegativeHits, "eviction": s.Evictions} {
			o.ObserveInt64(events, int64(n), metric.WithAttributes(attribute.String("kind", kind)))
		}
		o.ObserveInt64(entries, int64(s.Entries))
		return nil
	}, events, entries)
	return err
}
