package test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
)

// TestRedisDownFailsClosed stops redis-server under a running gateway: a clinician holding a
// valid token is refused with a 503 OperationOutcome that tells the app to retry, no byte of
// the record is released, and the health check reports the fault.
func TestRedisDownFailsClosed(t *testing.T) {
	t.Parallel()
	url, stopRedis := startRedisProcess(t)
	g := startGateway(t, url)
	tok, err := login.Login(context.Background(), g.loginOptions(), "accounts", "pcp", g.password)
	if err != nil {
		t.Fatal(err)
	}
	status, body := g.fhir(t, http.MethodGet, "/Patient/child-01", tok.AccessToken)
	if status != http.StatusOK {
		t.Fatalf("read before the fault: %d %.300s", status, body)
	}
	name := "Hartley" // child-01's family name in the demo world

	stopRedis()
	for _, path := range []string{"/Patient/child-01", "/Observation?patient=child-01", "/Patient"} {
		status, body := g.fhir(t, http.MethodGet, path, tok.AccessToken)
		assertOutcome(t, status, body, http.StatusServiceUnavailable)
		if strings.Contains(string(body), name) || strings.Contains(string(body), "MRN") {
			t.Errorf("%s with Redis down leaks data: %s", path, body)
		}
	}
	resp, err := http.Get(g.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with Redis down: %d, want 503", resp.StatusCode)
	}
}
