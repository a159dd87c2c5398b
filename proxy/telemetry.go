package proxy

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// telemetry is the proxy's OpenTelemetry instruments. With no meter or
// tracer it does nothing, and the request path pays nothing for it.
type telemetry struct {
	upstream metric.Float64Histogram // nil without a meter
	tracer   trace.Tracer            // nil without tracing
}

func (t *telemetry) init(m metric.Meter, tr trace.Tracer) error {
	t.tracer = tr
	if m == nil {
		return nil
	}
	h, err := m.Float64Histogram("reportgate.upstream.duration", metric.WithUnit("s"),
		metric.WithDescription("Time the upstream took to answer a forwarded request"),
		metric.WithExplicitBucketBoundaries(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
	t.upstream = h
	return err
}

func (t *telemetry) observeUpstream(d time.Duration) {
	if t.upstream != nil {
		t.upstream.Record(context.Background(), d.Seconds())
	}
}

// span starts a span when tracing is on; end is always safe to call.
func (t *telemetry) span(ctx context.Context, name string) (context.Context, func(err error)) {
	if t.tracer == nil {
		return ctx, noEnd
	}
	ctx, s := t.tracer.Start(ctx, name)
	return ctx, func(err error) {
		if err != nil {
			s.SetStatus(codes.Error, err.Error())
		}
		s.End()
	}
}

func noEnd(error) {}

// annotate adds the request's outcome to its root span.
func annotate(ctx context.Context, route, decision string, status int) {
	s := trace.SpanFromContext(ctx)
	if s.IsRecording() {
		s.SetAttributes(attribute.String("reportgate.route", route), attribute.String("reportgate.decision", decision),
			attribute.Int("http.response.status_code", status))
	}
}
