package ratelimit

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RegisterMetrics reports, at scrape time, the budget's refusals by reason
// (reportgate.upstream.budget.refusals) and the fair share of the current
// window (reportgate.upstream.budget.share, requests per second; absent
// before the first window). No key id labels a series.
func (s *Shared) RegisterMetrics(m metric.Meter) error {
	refusals, err1 := m.Int64ObservableCounter("reportgate.upstream.budget.refusals",
		metric.WithDescription("Upstream requests the operator's budget refused, by reason: fair_share, budget, paused, limiter_down"))
	share, err2 := m.Float64ObservableGauge("reportgate.upstream.budget.share",
		metric.WithDescription("Each key's fair share of the upstream budget in the current window, requests per second, and whether the keys' demand exceeds the budget (contended)"))
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	_, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for r, n := range s.Refusals() {
			o.ObserveInt64(refusals, int64(n), metric.WithAttributes(attribute.String("reason", r.String())))
		}
		if perSecond, contended, ok := s.Share(); ok {
			o.ObserveFloat64(share, perSecond, metric.WithAttributes(attribute.Bool("contended", contended)))
		}
		return nil
	}, refusals, share)
	return err
}
