// Package telemetry is what operators watch: Prometheus metrics (requests, decisions by basis
// and reason, EHR latency and errors, the circuit breaker, audit lag, the mail outbox, rate
// limiting) and OpenTelemetry traces across the request, the decision, the EHR calls and the
// audit write, exported over OTLP when configured. It wraps the parts it observes (an HTTP
// handler, a round tripper, the authorizer, the audit writer) and changes none of their
// answers. Metric labels and span attributes never carry a user, a patient or a query.
package telemetry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Telemetry holds the gateway's metrics and its tracer. It is safe for concurrent use.
type Telemetry struct {
	reg    *prometheus.Registry
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	m      metrics
	// shutdown flushes the traces still queued.
	shutdown func(context.Context) error
}

// Options configures Telemetry.
type Options struct {
	// OTLPEndpoint is the OTLP/HTTP collector's base URL (traces go to <it>/v1/traces); empty
	// traces nothing.
	OTLPEndpoint string
	// ServiceName names the gateway in traces.
	ServiceName string
}

// New returns Telemetry with its metrics registered and, when an endpoint is configured, a
// batching OTLP trace exporter.
func New(opts Options) (*Telemetry, error) {
	t := &Telemetry{reg: prometheus.NewRegistry(), tracer: noop.NewTracerProvider().Tracer(""),
		prop: propagation.TraceContext{}, shutdown: func(context.Context) error { return nil }}
	t.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	t.m = newMetrics(t.reg)
	if opts.OTLPEndpoint == "" {
		return t, nil
	}
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(opts.OTLPEndpoint+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(opts.ServiceName))))
	t.tracer, t.shutdown = tp.Tracer("github.com/mypatients/gateway"), tp.Shutdown
	return t, nil
}

// Shutdown exports the spans still queued.
func (t *Telemetry) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }

// MetricsHandler serves the metrics in Prometheus's text format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{Registry: t.reg})
}

// Gauge registers a gauge read at every scrape, such as the outbox depth or the breaker.
func (t *Telemetry) Gauge(name, help string, read func() float64) {
	t.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, read))
}
