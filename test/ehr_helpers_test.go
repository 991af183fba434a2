package test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mypatients/gateway/demo/ehr"
)

// worldEHR is the demo EHR's server serving a world of the test's own over real HTTP, for
// tests that need an EHR unlike the demo world.
type worldEHR struct {
	base, token string
	// requests counts the requests it answered.
	requests atomic.Int64
	// stop ends it before the test does.
	stop func()
}

// startWorldEHR serves d and returns the running EHR.
func startWorldEHR(t *testing.T, d *ehr.Dataset) *worldEHR {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	e := &worldEHR{base: "http://" + hs.Listener.Addr().String() + "/fhir", token: randomString(t)}
	srv, err := ehr.NewServer(d, ehr.Options{BaseURL: e.base, BearerToken: e.token, MaxCount: 1000})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		srv.ServeHTTP(w, r)
	})
	hs.Start()
	t.Cleanup(hs.Close)
	e.stop = hs.Close
	return e
}

// writeConfig writes a configuration file for the gateway and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mypatients.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
