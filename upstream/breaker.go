package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// ErrCircuitOpen is returned instead of contacting an upstream that failed repeatedly: while
// the circuit is open, requests fail at once rather than each waiting for its own timeout.
var ErrCircuitOpen = errors.New("upstream: circuit open after repeated failures")

// breaker is a small circuit breaker around a RoundTripper. After threshold consecutive
// failures (transport errors or 5xx answers) it opens for cooldown; then one request is let
// through (half-open): success closes the circuit, failure opens it again. Only the
// upstream's faults count: a request its own client cancelled (a dropped connection) says
// nothing about the upstream and is counted neither way.
type breaker struct {
	next      http.RoundTripper
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	probing   bool
}

func newBreaker(next http.RoundTripper, threshold int, cooldown time.Duration) *breaker {
	return &breaker{next: next, threshold: threshold, cooldown: cooldown, now: time.Now}
}

// RoundTrip implements http.RoundTripper.
func (b *breaker) RoundTrip(r *http.Request) (*http.Response, error) {
	probe, err := b.admit()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	resp, err := b.next.RoundTrip(r)
	if err != nil && errors.Is(r.Context().Err(), context.Canceled) {
		b.forget(probe)
		return resp, err
	}
	b.record(probe, err == nil && resp.StatusCode < 500)
	return resp, err
}

// forget ends a request that tells nothing about the upstream: a probe's slot is freed.
func (b *breaker) forget(probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
}

// admit lets a request through unless the circuit is open; after the cooldown it lets one
// probe through at a time.
func (b *breaker) admit() (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return false, nil
	}
	if b.now().Before(b.openUntil) || b.probing {
		return false, ErrCircuitOpen
	}
	b.probing = true
	return true, nil
}

// record counts one outcome.
func (b *breaker) record(probe, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	if ok {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = b.now().Add(b.cooldown)
	}
}
