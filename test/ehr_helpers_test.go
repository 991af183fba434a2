package test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/mypatients/gateway/demo/ehr"
)

// startWorldEHR serves d with the demo EHR's server over real HTTP, for tests that need an EHR
// unlike the demo world, and returns its FHIR base and the bearer token it requires.
func startWorldEHR(t *testing.T, d *ehr.Dataset) (fhirBase, token string) {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	fhirBase, token = "http://"+hs.Listener.Addr().String()+"/fhir", randomString(t)
	srv, err := ehr.NewServer(d, ehr.Options{BaseURL: fhirBase, BearerToken: token, MaxCount: 1000})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv
	hs.Start()
	t.Cleanup(hs.Close)
	return fhirBase, token
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
