package upstream

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestBreaker opens after consecutive failures, fails fast while open without reaching the
// server, lets one probe through after the cooldown and closes when it succeeds.
func TestBreaker(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	var hits atomic.Int32
	failing.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if failing.Load() {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	now := time.Unix(1000, 0)
	b := newBreaker(http.DefaultTransport, 3, time.Minute)
	b.now = func() time.Time { return now }
	get := func() error {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := b.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	for i := range 3 {
		if err := get(); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if err := get(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("after 3 failures: %v, want ErrCircuitOpen", err)
	}
	if hits.Load() != 3 {
		t.Errorf("server hit %d times, want 3 (open circuit must not reach it)", hits.Load())
	}
	now = now.Add(2 * time.Minute)
	failing.Store(false)
	if err := get(); err != nil {
		t.Fatalf("probe after cooldown: %v", err)
	}
	if err := get(); err != nil {
		t.Fatalf("after a successful probe the circuit must be closed: %v", err)
	}
}

// TestBreakerTransportErrors counts connection failures like 5xx answers.
func TestBreakerTransportErrors(t *testing.T) {
	t.Parallel()
	c, err := New(Options{BaseURL: "http://127.0.0.1:1/fhir", ConnectTimeout: time.Second, BreakerThreshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, c.URL("Patient/x", nil).String(), nil)
		if resp, err := c.Transport().RoundTrip(req); err == nil {
			resp.Body.Close()
		} else {
			last = err
		}
	}
	if !errors.Is(last, ErrCircuitOpen) {
		t.Errorf("third request: %v, want ErrCircuitOpen", last)
	}
}
