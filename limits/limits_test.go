package limits

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mypatients/gateway/redisstore/redistest"
)

// TestTakeIsAtomic: twenty concurrent attempts against a limit of five let exactly five
// through, on both Redis servers; refunds give attempts back, never below zero.
func TestTakeIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		l := New(srv.Client, "t:", Rule{Name: "signin", Limit: 5, Window: time.Minute})
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				r, err := l.Take(ctx, "pcp")
				if err != nil {
					t.Error(err)
				}
				if r.Allowed {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 5 {
			t.Errorf("%d of 20 concurrent attempts allowed, want 5", allowed.Load())
		}
		r, err := l.Take(ctx, "pcp")
		if err != nil || r.Allowed || r.RetryAfter <= 0 || r.RetryAfter > time.Minute {
			t.Errorf("21st attempt: %+v %v", r, err)
		}
		if r, _ := l.Take(ctx, "colleague"); !r.Allowed {
			t.Error("another key shares the budget")
		}
		for range 30 {
			if err := l.Refund(ctx, "pcp"); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := l.Count(ctx, "pcp"); n != 0 || err != nil {
			t.Errorf("count after refunds = %d, %v", n, err)
		}
		if keys, _ := srv.Client.Keys(ctx, "*pcp*").Result(); len(keys) != 0 {
			t.Errorf("keys hold the key in clear: %v", keys)
		}
	})
}

func TestSignInRefundsSuccessAndRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s := SignIn{
			Account: New(srv.Client, "t:", Rule{Name: "acct", Limit: 3, Window: time.Minute}),
			Address: New(srv.Client, "t:", Rule{Name: "addr", Limit: 10, Window: time.Minute}),
		}
		for range 5 { // right passwords never count
			a, err := s.Begin(ctx, "pcp", "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Succeeded(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 5 {
			_, err := s.Begin(ctx, "pcp", "192.0.2.1")
			if limited := errors.Is(err, ErrLimited); limited != (i >= 3) {
				t.Errorf("failure %d: %v", i, err)
			}
		}
		if n, _ := s.Address.Count(ctx, "192.0.2.1"); n != 3 {
			t.Errorf("refused attempts were counted against the address: %d, want 3", n)
		}
		if _, err := s.Begin(ctx, "colleague", "192.0.2.1"); err != nil {
			t.Errorf("another account from the same address: %v", err)
		}
	})
}

func TestHashGate(t *testing.T) {
	t.Parallel()
	g := NewHashGate(2, 3, 200*time.Millisecond)
	release := make(chan struct{})
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	var busy atomic.Int32
	for range 10 {
		wg.Go(func() {
			err := g.Do(context.Background(), func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				<-release
				running.Add(-1)
			})
			if errors.Is(err, ErrBusy) {
				busy.Add(1)
			}
		})
	}
	time.Sleep(400 * time.Millisecond)
	close(release)
	wg.Wait()
	if peak.Load() != 2 || busy.Load() != 8 {
		t.Errorf("peak %d concurrent, %d busy; want 2 and 8 (5 admitted to the line, 3 of them timed out)", peak.Load(), busy.Load())
	}
	if err := (*HashGate)(nil).Do(context.Background(), func() {}); err != nil {
		t.Errorf("a nil gate refused: %v", err)
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	p, err := ParseProxies([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"198.51.100.9:5000", nil, "198.51.100.9"},
		{"198.51.100.9:5000", []string{"203.0.113.1"}, "198.51.100.9"},                  // untrusted peer: header ignored
		{"10.1.2.3:5000", []string{"203.0.113.1"}, "203.0.113.1"},                       // through the balancer
		{"10.1.2.3:5000", []string{"6.6.6.6, 203.0.113.1"}, "203.0.113.1"},              // client-written hop to the left
		{"10.1.2.3:5000", []string{"6.6.6.6", "203.0.113.1, 192.0.2.7"}, "203.0.113.1"}, // two proxies, two headers
		{"10.1.2.3:5000", []string{"10.9.9.9"}, "10.9.9.9"},                             // all trusted: the leftmost
		{"10.1.2.3:5000", []string{"203.0.113.1, garbage"}, "10.1.2.3"},                 // malformed: stop at the proxy
		{"10.1.2.3:5000", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"[::ffff:10.1.2.3]:5000", []string{"203.0.113.5"}, "203.0.113.5"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		r.Header["X-Forwarded-For"] = tc.xff
		if got := p.ClientAddr(r); got != tc.want {
			t.Errorf("%s %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
		if got := (Proxies{}).ClientAddr(r); tc.remote == "10.1.2.3:5000" && got != "10.1.2.3" {
			t.Errorf("no trusted proxies, yet %q was believed: %s", tc.xff, got)
		}
	}
	if _, err := ParseProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a bad CIDR was accepted")
	}
}
