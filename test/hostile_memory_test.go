package test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rssBound is what the gateway process may grow to while 40 anonymous sign-ins fail at once:
// the bound on concurrent argon2id hashes (2 of 64 MiB) and the garbage they leave until the
// collector runs (measured 345 to 421 MiB, idle about 160 MiB, on two busy cores), over the
// idle process. Unbounded, 40 hashes took the process to 2.7 GiB.
const rssBound = 600 << 20

// rss reads the resident set size of process pid from /proc.
func rss(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// TestAnonymousCallersCannotExhaustMemory (finding 3): forty concurrent failed sign-ins, each
// an argon2id check, keep the process under rssBound, sampled from /proc every 10 ms; beyond
// the hash bound and its queue they are told 503 at once. The authorization endpoint refuses
// oversized parameters, bodies and cookies, and limits how many requests one address creates.
func TestAnonymousCallersCannotExhaustMemory(t *testing.T) {
	t.Parallel()
	g := startGatewayWith(t, gatewayOptions{Env: []string{"MYPATIENTS_LIMITS_AUTHORIZE=30"}})
	f := g.openIdPForm(t)
	idle := rss(t, g.pid)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := rss(t, g.pid); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			status := f.post(t, nil, "", fmt.Sprintf("nobody-%d@example.org", i), "a wrong but long password")
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("RSS idle %d MiB, peak %d MiB during 40 concurrent failed sign-ins (bound %d MiB); answers %v",
		idle>>20, peak.Load()>>20, rssBound>>20, statuses)
	if peak.Load() > rssBound {
		t.Errorf("RSS peaked at %d MiB, over the bound of %d MiB", peak.Load()>>20, rssBound>>20)
	}
	if statuses[http.StatusServiceUnavailable] == 0 || statuses[http.StatusUnauthorized] == 0 ||
		statuses[http.StatusUnauthorized]+statuses[http.StatusServiceUnavailable] != 40 {
		t.Errorf("answers %v: want 401 for the checked ones and 503 beyond the hash bound", statuses)
	}

	authorize := func(mod func(url.Values), cookie string) int {
		q := url.Values{"response_type": {"code"}, "client_id": {"demo-app"}, "redirect_uri": {"http://127.0.0.1:8765/callback"},
			"scope": {"user/*.rs"}, "state": {"s"}, "aud": {g.base + "/fhir"},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
		if mod != nil {
			mod(q)
		}
		req, _ := http.NewRequest(http.MethodPost, g.base+"/oauth/authorize", strings.NewReader(q.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for name, tc := range map[string]struct {
		mod    func(url.Values)
		cookie string
		want   int
	}{
		"8 MiB state":      {func(q url.Values) { q.Set("state", strings.Repeat("s", 8<<20)) }, "", http.StatusBadRequest},
		"2 KiB state":      {func(q url.Values) { q.Set("state", strings.Repeat("s", 2<<10)) }, "", http.StatusBadRequest},
		"4 KiB nonce":      {func(q url.Values) { q.Set("nonce", strings.Repeat("n", 4<<10)) }, "", http.StatusBadRequest},
		"100 parameters":   {func(q url.Values) { addMany(q, 100) }, "", http.StatusBadRequest},
		"repeated scope":   {func(q url.Values) { q["x"] = make([]string, 10) }, "", http.StatusBadRequest},
		"100 KiB cookie":   {nil, "mp_login=" + strings.Repeat("c", 100<<10), http.StatusRequestHeaderFieldsTooLarge},
		"a plain request":  {nil, "", http.StatusOK},
		"a 512-byte state": {func(q url.Values) { q.Set("state", strings.Repeat("s", 512)) }, "", http.StatusOK},
	} {
		if got := authorize(tc.mod, tc.cookie); got != tc.want {
			t.Errorf("authorize with %s: %d, want %d", name, got, tc.want)
		}
	}
	// Thirty authorization requests a minute per address (three were made above): of forty
	// concurrent ones, exactly 27 are created.
	var created, limited atomic.Int32
	for range 40 {
		wg.Go(func() {
			switch authorize(nil, "") {
			case http.StatusOK:
				created.Add(1)
			case http.StatusTooManyRequests:
				limited.Add(1)
			}
		})
	}
	wg.Wait()
	if created.Load() != 27 || limited.Load() != 13 {
		t.Errorf("40 concurrent authorization requests: %d created, %d limited; want 27 and 13", created.Load(), limited.Load())
	}
}

func addMany(q url.Values, n int) {
	for i := range n {
		q.Set(fmt.Sprintf("p%d", i), "v")
	}
}
