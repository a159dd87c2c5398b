package notify

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RegisterMetrics reports the notification queue on m at scrape time:
// reportgate.notifications.queue_depth{kind} (read from Redis) and
// reportgate.notifications.deliveries{outcome} (this replica's).
func (n *Notifier) RegisterMetrics(m metric.Meter) error {
	queue, err1 := m.Int64ObservableGauge("reportgate.notifications.queue_depth",
		metric.WithDescription("Notification jobs waiting or in flight (kind=jobs) and events not yet fanned out (kind=events)"))
	deliveries, err2 := m.Int64ObservableCounter("reportgate.notifications.deliveries",
		metric.WithDescription("Partner deliveries by outcome: delivered, retried, dead_letter"))
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	_, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		if jobs, events, err := n.reg.QueueDepth(ctx); err == nil {
			o.ObserveInt64(queue, jobs, metric.WithAttributes(attribute.String("kind", "jobs")))
			o.ObserveInt64(queue, events, metric.WithAttributes(attribute.String("kind", "events")))
		}
		s := n.Stats()
		for outcome, c := range map[string]uint64{"delivered": s.Delivered, "retried": s.Retried, "dead_letter": s.Dead} {
			o.ObserveInt64(deliveries, int64(c), metric.WithAttributes(attribute.String("outcome", outcome)))
		}
		return nil
	}, queue, deliveries)
	return err
}
