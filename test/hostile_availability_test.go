package test

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/login"
)

// slowUpstream is a reverse proxy in front of a FHIR server that holds every Observation
// search for delay (or until the gateway gives up on it), counting how many it holds at once.
type slowUpstream struct {
	url        string
	delay      time.Duration
	held, peak atomic.Int32
}

func startSlowUpstream(t *testing.T, up upstreamServer, delay time.Duration) *slowUpstream {
	t.Helper()
	target, _ := url.Parse(up.base)
	s := &slowUpstream{delay: delay}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.URL.Path = r.In.URL.Path }}
	srv := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/Observation") {
			n := s.held.Add(1)
			for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
			}
			select {
			case <-time.After(s.delay):
			case <-r.Context().Done():
			}
			s.held.Add(-1)
		}
		proxy.ServeHTTP(w, r)
	}))
	s.url = srv + strings.TrimPrefix(up.base, "http://"+target.Host)
	return s
}

// TestClientCancellationsDoNotSwitchTheAPIOff (finding 2): twenty concurrent searches whose
// client hangs up after 60 ms, three rounds over, leave the breaker closed: another clinician
// reads at once each time. And one clinician's flood gets at most their share of the upstream
// (8 at once): the rest are 429 at once and never reach it.
func TestClientCancellationsDoNotSwitchTheAPIOff(t *testing.T) {
	t.Parallel()
	up := startDemoEHR(t)
	slow := startSlowUpstream(t, up, 600*time.Millisecond)
	g := startGatewayWith(t, gatewayOptions{Env: []string{"MYPATIENTS_UPSTREAM_URL=" + slow.url, "MYPATIENTS_UPSTREAM_BEARER_TOKEN=" + up.token}})
	tokens := map[string]string{}
	for _, u := range []string{"pcp", "colleague", "pcp2"} {
		tok, err := login.Login(context.Background(), g.loginOptions(), "accounts", u, g.password)
		if err != nil {
			t.Fatal(err)
		}
		tokens[u] = tok.AccessToken
	}
	search := func(client *http.Client, user, query string) int {
		req, _ := http.NewRequest(http.MethodGet, g.base+"/fhir/Observation?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[user])
		resp, err := client.Do(req)
		if err != nil {
			return 0 // the client gave up
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	impatient := &http.Client{Timeout: 60 * time.Millisecond}
	for round := range 3 {
		var wg sync.WaitGroup
		for i := range 20 {
			user := []string{"pcp", "colleague"}[i%2]
			wg.Go(func() { search(impatient, user, "patient=child-01") })
		}
		wg.Wait()
		time.Sleep(100 * time.Millisecond) // the gateway notices the hang-ups
		if status, body := g.fhir(t, http.MethodGet, "/Patient/child-10", tokens["pcp2"]); status != http.StatusOK {
			t.Fatalf("round %d: another clinician's read after the dropped searches: %d %.200s", round, status, body)
		}
	}
	// One clinician's flood, waiting patiently: at most their share reaches the upstream.
	slow.peak.Store(0)
	var wg sync.WaitGroup
	var busy, ok atomic.Int32
	patient := &http.Client{Timeout: 20 * time.Second}
	for range 20 {
		wg.Go(func() {
			switch search(patient, "pcp", "patient=child-02") {
			case http.StatusTooManyRequests:
				busy.Add(1)
			case http.StatusOK:
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if busy.Load() < 12 || ok.Load() == 0 || slow.peak.Load() > 8 {
		t.Errorf("20 concurrent searches of one clinician: %d answered, %d refused 429, %d at the upstream at once; want at most 8 through",
			ok.Load(), busy.Load(), slow.peak.Load())
	}
	if status, _ := g.fhir(t, http.MethodGet, "/Patient/child-01", tokens["pcp"]); status != http.StatusOK {
		t.Errorf("the flooding clinician after the flood: %d", status)
	}
}
