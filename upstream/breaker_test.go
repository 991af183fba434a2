package upstream

import (
	"context"
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

// TestBreakerIgnoresCancellations: requests their clients drop do not count as upstream
// failures, however many; the upstream's own faults still do.
func TestBreakerIgnoresCancellations(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	b := newBreaker(http.DefaultTransport, 3, time.Minute)
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, slow.URL, nil)
		go func() { time.Sleep(5 * time.Millisecond); cancel() }()
		if resp, err := b.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
		cancel()
	}
	if _, err := b.admit(); err != nil {
		t.Fatalf("twenty cancelled requests opened the circuit: %v", err)
	}
	for range 3 { // a deadline of our own that the upstream missed is its fault
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, slow.URL, nil)
		if resp, err := b.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
		cancel()
	}
	if _, err := b.admit(); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("three upstream timeouts did not open the circuit: %v", err)
	}
}

// TestLanesAndCallers: a lane holds its slots until the answer's body is closed, and a caller
// gets at most its share of slots.
func TestLanesAndCallers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	l := newLane(http.DefaultTransport, 1)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := l.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	waiting, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := l.RoundTrip(waiting); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a full lane let a request through: %v", err)
	}
	resp.Body.Close()
	if resp, err := l.RoundTrip(req); err != nil {
		t.Errorf("the slot was not freed: %v", err)
	} else {
		resp.Body.Close()
	}
	c := &callers{limit: 2, busy: map[string]int{}}
	r1, _ := c.admit("pcp")
	r2, _ := c.admit("pcp")
	if _, err := c.admit("pcp"); !errors.Is(err, ErrBusy) {
		t.Errorf("third slot: %v", err)
	}
	if _, err := c.admit("colleague"); err != nil {
		t.Errorf("another caller: %v", err)
	}
	r1()
	r1() // twice is once
	if _, err := c.admit("pcp"); err != nil {
		t.Errorf("after a release: %v", err)
	}
	r2()
}
