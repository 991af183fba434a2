// Package ehrtest serves a demo EHR world over real HTTP for the tests of other packages, with
// the gateway's own client of it. It is for tests only.
package ehrtest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/ehr"
	"github.com/mypatients/gateway/upstream"
)

// Token is the bearer token the served EHR requires.
const Token = "ehrtest-gateway-token"

// Start serves d until the test ends and returns a client of it and the server (to close it
// early, for tests of an EHR that goes away).
func Start(t testing.TB, d *ehr.Dataset) (*upstream.Client, *httptest.Server) {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String() + "/fhir"
	srv, err := ehr.NewServer(d, ehr.Options{BaseURL: base, BearerToken: Token})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv
	hs.Start()
	t.Cleanup(hs.Close)
	up, err := upstream.New(upstream.Options{BaseURL: base, BearerToken: Token, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return up, hs
}
