package telemetry

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/audit"
)

// surface is the first segment of a path: a label with a handful of values.
func surface(path string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch seg {
	case "fhir", "oauth", "login", "api", "smart", "portal", "accounts", "account", "demo", ".well-known", "healthz", "readyz":
		return "/" + seg
	case "":
		return "/"
	}
	return "other"
}

// Handler counts and traces every request to next.
func (t *Telemetry) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, s := time.Now(), surface(r.URL.Path)
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.tracer.Start(ctx, r.Method+" "+s, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
		t.m.requests.WithLabelValues(s, strconv.Itoa(rec.status)).Inc()
		t.m.duration.WithLabelValues(s).Observe(time.Since(start).Seconds())
		if rec.status == http.StatusTooManyRequests {
			t.m.rateLimited.WithLabelValues(s).Inc()
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// RoundTripper times and traces every request to the EHR.
func (t *Telemetry) RoundTripper(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		ctx, span := t.tracer.Start(r.Context(), "upstream "+r.Method+" "+resourceType(r.URL.Path), trace.WithSpanKind(trace.SpanKindClient))
		defer span.End()
		r = r.Clone(ctx)
		t.prop.Inject(ctx, propagation.HeaderCarrier(r.Header))
		start := time.Now()
		resp, err := next.RoundTrip(r)
		outcome := "error"
		switch {
		case err != nil:
			kind := "transport"
			if errors.Is(err, context.DeadlineExceeded) {
				kind = "timeout"
			}
			t.m.upErrors.WithLabelValues(kind).Inc()
			span.SetStatus(codes.Error, kind)
		default:
			outcome = strconv.Itoa(resp.StatusCode/100) + "xx"
			span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
			if resp.StatusCode >= 500 {
				t.m.upErrors.WithLabelValues("status_5xx").Inc()
				span.SetStatus(codes.Error, outcome)
			}
		}
		t.m.upstream.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

// resourceType is the first path segment that names a FHIR type ("Patient" of
// /fhir/Patient/x): never an id or a query.
func resourceType(path string) string {
	for _, seg := range strings.Split(path, "/") {
		if seg != "" && seg[0] >= 'A' && seg[0] <= 'Z' {
			return seg
		}
	}
	return "metadata"
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Authorizer is the FHIR API's authorizer (fhirproxy.Authorizer).
type Authorizer interface {
	Decide(ctx context.Context, c gateway.Caller, req gateway.Request) (gateway.Decision, error)
	Narrow(ctx context.Context, c gateway.Caller, resourceType string) (url.Values, bool, error)
}

// Authorizer traces every decision of a.
func (t *Telemetry) Authorizer(a Authorizer) Authorizer { return tracedAuthorizer{a, t.tracer} }

type tracedAuthorizer struct {
	next   Authorizer
	tracer trace.Tracer
}

func (a tracedAuthorizer) Decide(ctx context.Context, c gateway.Caller, req gateway.Request) (gateway.Decision, error) {
	ctx, span := a.tracer.Start(ctx, "authz.decide", trace.WithAttributes(attribute.String("fhir.interaction", req.Interaction),
		attribute.String("fhir.resource_type", req.ResourceType), attribute.Int("fhir.patients", len(req.Patients))))
	defer span.End()
	d, err := a.next.Decide(ctx, c, req)
	if err != nil {
		span.SetStatus(codes.Error, "no decision")
	}
	span.SetAttributes(attribute.Bool("authz.allow", d.Allow))
	return d, err
}

func (a tracedAuthorizer) Narrow(ctx context.Context, c gateway.Caller, resourceType string) (url.Values, bool, error) {
	ctx, span := a.tracer.Start(ctx, "authz.narrow", trace.WithAttributes(attribute.String("fhir.resource_type", resourceType)))
	defer span.End()
	return a.next.Narrow(ctx, c, resourceType)
}

// Audit counts decisions and audit lag from the records written through w, and traces the write.
func (t *Telemetry) Audit(w audit.Writer) audit.Writer { return auditWriter{w, t} }

type auditWriter struct {
	next audit.Writer
	t    *Telemetry
}

func (a auditWriter) Write(ctx context.Context, r audit.Record) error {
	ctx, span := a.t.tracer.Start(ctx, "audit.write")
	defer span.End()
	err := a.next.Write(ctx, r)
	if err != nil {
		a.t.m.auditFails.Inc()
		span.SetStatus(codes.Error, "not stored")
		return err
	}
	if !r.Time.IsZero() {
		a.t.m.auditLag.Observe(time.Since(r.Time).Seconds())
	}
	bases := map[string]bool{}
	for _, b := range r.Basis {
		bases[b] = true
	}
	if len(bases) == 0 {
		bases["none"] = true
	}
	for b := range bases {
		a.t.m.decisions.WithLabelValues(r.Decision, b, r.Reason).Inc()
	}
	return nil
}
