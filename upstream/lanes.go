package upstream

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// ErrBusy is returned when one caller already has as much upstream work in flight as one
// caller may: the FHIR API answers 429, and the upstream and its breaker never see the
// request.
var ErrBusy = errors.New("upstream: too many concurrent requests of this caller")

// lane is one class of upstream traffic (the clinicians' data reads, the authorizer's fact
// lookups) with a breaker and a bound on concurrent requests of its own: a flood or an outage
// in one lane can neither take the other's connections nor open the other's breaker.
type lane struct {
	slots chan struct{}
	next  http.RoundTripper
}

func newLane(next http.RoundTripper, concurrent int) *lane {
	return &lane{slots: make(chan struct{}, max(concurrent, 1)), next: next}
}

// RoundTrip waits for a free slot of the lane (at most as long as the request's context
// allows), then sends r on.
func (l *lane) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case l.slots <- struct{}{}:
	case <-r.Context().Done():
		return nil, fmt.Errorf("%s %s: waiting for an upstream connection: %w", r.Method, r.URL.Path, r.Context().Err())
	}
	resp, err := l.next.RoundTrip(r)
	if err != nil {
		<-l.slots
		return nil, err
	}
	resp.Body = &releaseOnClose{ReadCloser: resp.Body, release: sync.OnceFunc(func() { <-l.slots })}
	return resp, nil
}

// releaseOnClose frees the lane's slot when the answer's body is closed: the slot is held for
// as long as the upstream connection is busy with the answer.
type releaseOnClose struct {
	io.ReadCloser
	release func()
}

func (r *releaseOnClose) Close() error {
	defer r.release()
	return r.ReadCloser.Close()
}

// callers bounds the upstream work of each caller in flight at once, in this process.
type callers struct {
	limit int
	mu    sync.Mutex
	busy  map[string]int
}

// admit takes one of key's slots, or fails with ErrBusy; release gives it back.
func (c *callers) admit(key string) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy[key] >= c.limit {
		return nil, ErrBusy
	}
	c.busy[key]++
	return sync.OnceFunc(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.busy[key]--; c.busy[key] <= 0 {
			delete(c.busy, key)
		}
	}), nil
}
