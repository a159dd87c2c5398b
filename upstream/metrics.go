package upstream

import (
	"context"

	"go.opentelemetry.io/otel/metric"
)

// RegisterMetrics reports reportgate.upstream.retries on m at scrape time.
func (c *Client) RegisterMetrics(m metric.Meter) error {
	retries, err := m.Int64ObservableCounter("reportgate.upstream.retries",
		metric.WithDescription("Upstream GETs sent again on a fresh connection after the first closed before any byte of the answer"))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(retries, int64(c.Retries()))
		return nil
	}, retries)
	return err
}
