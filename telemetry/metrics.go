package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "mypatients"

type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	rateLimited *prometheus.CounterVec
	decisions   *prometheus.CounterVec
	upstream    *prometheus.HistogramVec
	upErrors    *prometheus.CounterVec
	auditLag    prometheus.Histogram
	auditFails  prometheus.Counter
}

func newMetrics(reg *prometheus.Registry) metrics {
	m := metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by surface (first path segment) and status code."}, []string{"surface", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by surface.", Buckets: prometheus.DefBuckets}, []string{"surface"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "rate_limited_total",
			Help: "Requests refused with 429 by a rate limit, by surface."}, []string{"surface"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "decisions_total",
			Help: "FHIR requests by decision, basis (per patient: pcp, pcp_practice, patient_grant, ...) and reason code."},
			[]string{"decision", "basis", "reason"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "upstream_request_duration_seconds",
			Help: "Time for the EHR to answer, by outcome (2xx, 4xx, 5xx, error).", Buckets: prometheus.DefBuckets}, []string{"outcome"}),
		upErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "upstream_errors_total",
			Help: "EHR requests that failed: transport errors and 5xx answers, by kind."}, []string{"kind"}),
		auditLag: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "audit_lag_seconds",
			Help: "Time from a request's arrival to its audit record being stored.", Buckets: prometheus.DefBuckets}),
		auditFails: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "audit_write_failures_total",
			Help: "Audit records that could not be stored (the request was refused)."}),
	}
	reg.MustRegister(m.requests, m.duration, m.rateLimited, m.decisions, m.upstream, m.upErrors, m.auditLag, m.auditFails)
	return m
}
