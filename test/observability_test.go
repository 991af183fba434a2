package test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver in the test: it keeps the spans the gateway
// exports, by trace id.
type otlpReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	traces map[string][]string // trace id → span names
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{traces: map[string][]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var export coltrace.ExportTraceServiceRequest
		if req.URL.Path != "/v1/traces" || proto.Unmarshal(body, &export) != nil {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range export.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					id := string(s.TraceId)
					r.traces[id] = append(r.traces[id], s.Name)
				}
			}
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(r.Close)
	return r
}

// traceWith returns the span names of a trace holding every one of names, if any.
func (r *otlpReceiver) traceWith(names ...string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, spans := range r.traces {
		all := true
		for _, n := range names {
			all = all && strings.Contains(strings.Join(spans, "|"), n)
		}
		if all {
			return spans
		}
	}
	return nil
}

// TestObservability: with admin_addr and tracing configured, a read by pcp is counted in the
// Prometheus metrics of the admin listener (request, decision by basis, EHR latency, breaker,
// outbox depth), authorization requests beyond the limit count as rate-limit hits, pprof answers, nothing of
// the admin listener is on the public one, and the read's trace reaches an OTLP receiver with
// spans for the request, the decision, its facts, the EHR and the audit write.
func TestObservability(t *testing.T) {
	t.Parallel()
	receiver := startOTLPReceiver(t)
	admin := freeAddr(t)
	g := startGatewayWith(t, gatewayOptions{RedisURL: startRedis(t), Env: []string{
		"MYPATIENTS_ADMIN_ADDR=" + admin, "MYPATIENTS_TRACING_OTLP_ENDPOINT=" + receiver.URL, "MYPATIENTS_LIMITS_AUTHORIZE=3"}})
	tok, err := loginUser(g, "pcp")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := g.fhir(t, http.MethodGet, "/Patient/child-01", tok); status != http.StatusOK {
		t.Fatalf("read: %d %.200s", status, body)
	}
	limited := 0
	for range 6 {
		resp, err := http.Get(g.base + "/oauth/authorize?" + url.Values{"client_id": {"demo-app"}, "response_type": {"code"},
			"redirect_uri": {"http://127.0.0.1:8765/callback"}, "scope": {"user/Patient.rs"}, "state": {"s"}, "aud": {g.base + "/fhir"},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}.Encode())
		if err == nil {
			limited += map[bool]int{true: 1}[resp.StatusCode == http.StatusTooManyRequests]
			resp.Body.Close()
		}
	}
	if limited == 0 {
		t.Fatal("6 authorization requests met no rate limit of 3 a minute")
	}
	metrics := get(t, "http://"+admin+"/metrics")
	for _, want := range []string{
		`mypatients_http_requests_total{code="200",surface="/fhir"}`,
		`mypatients_decisions_total{basis="pcp",decision="allow",reason=""}`,
		`mypatients_upstream_request_duration_seconds_count{outcome="2xx"}`,
		"mypatients_upstream_circuit_open 0", "mypatients_mail_outbox_depth 0",
		`mypatients_rate_limited_total{surface="/oauth"}`, "mypatients_audit_lag_seconds_count",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(get(t, "http://"+admin+"/debug/pprof/"), "goroutine") {
		t.Error("pprof index does not list the profiles")
	}
	if resp, err := http.Get(g.base + "/metrics"); err != nil || resp.StatusCode == http.StatusOK {
		t.Errorf("/metrics on the public listener: %v %v", resp, err)
	}
	want := []string{"GET /fhir", "authz.decide", "authz.facts.patients", "upstream GET Patient", "audit.write"}
	deadline := time.Now().Add(20 * time.Second)
	for receiver.traceWith(want...) == nil && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond) // the batcher exports every few seconds
	}
	if spans := receiver.traceWith(want...); spans == nil {
		t.Errorf("no trace with the spans %v; got %v", want, receiver.traces)
	}
}

// get reads a URL that must answer 200.
func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return string(b)
}
