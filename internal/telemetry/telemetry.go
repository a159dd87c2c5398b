// Package telemetry sets up OpenTelemetry for one replica: a meter provider
// exported to Prometheus on the admin listener's /metrics (its own registry,
// never the global one), and a tracer provider exporting over OTLP/HTTP when
// the standard OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) variable is
// set — the exporter honours the other OTEL_* variables itself. Without an
// endpoint there is no tracer, and the request path creates no span.
package telemetry

import (
	"context"
	"errors"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// Telemetry is one replica's providers. Close flushes and stops them.
type Telemetry struct {
	Meter   metric.Meter
	Tracer  trace.Tracer // nil when no OTLP endpoint is configured
	Metrics http.Handler // Prometheus exposition of Meter's instruments

	mp *sdkmetric.MeterProvider
	tp *sdktrace.TracerProvider
}

// New builds the providers for service, version.
func New(ctx context.Context, service, version string) (*Telemetry, error) {
	res := resource.NewSchemaless(semconv.ServiceName(service), semconv.ServiceVersion(version))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, err
	}
	t := &Telemetry{mp: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res))}
	t.Meter = t.mp.Meter("reportgate")
	t.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		te, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, errors.Join(err, t.mp.Shutdown(ctx))
		}
		t.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(te), sdktrace.WithResource(res))
		t.Tracer = t.tp.Tracer("reportgate")
	}
	return t, nil
}

// Close flushes pending telemetry and stops the providers.
func (t *Telemetry) Close(ctx context.Context) error {
	var errs []error
	if t.tp != nil {
		errs = append(errs, t.tp.Shutdown(ctx))
	}
	errs = append(errs, t.mp.Shutdown(ctx))
	return errors.Join(errs...)
}
