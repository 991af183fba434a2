package test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/ehr"
)

// The second upstream: Medplum's FHIR router and in-memory repository behind the small Node
// wrapper in js/medplum, loaded with the demo world. It is a FHIR server this project did not
// write, with its own Bundle shape (no fullUrl, no search.mode), its own paging links and its
// own OperationOutcomes; the gateway must release the same data through it as through the demo
// EHR.

// medplumDir is the Node project of the Medplum upstream, relative to this package.
const medplumDir = "js/medplum"

// medplumServer is one running Medplum upstream.
type medplumServer struct {
	base, token string
	log         *syncBuffer
	// stop ends it before the test does; calling it twice is harmless.
	stop func()
}

// startMedplum runs the Medplum upstream loaded with the demo world and returns its FHIR base
// and the bearer token it requires. It stops at the test's cleanup.
func startMedplum(t *testing.T) (fhirBase, bearerToken string) {
	t.Helper()
	m := startMedplumServer(t)
	return m.base, m.token
}

// startMedplumServer is startMedplum with a handle on the process, for tests that stop the
// upstream on purpose.
func startMedplumServer(t *testing.T) *medplumServer {
	t.Helper()
	return startMedplumWorld(t, ehr.Seed(), nil)
}

// startMedplumWorld is startMedplumServer loaded with world, with extra environment for the
// wrapper.
func startMedplumWorld(t *testing.T, d *ehr.Dataset, env []string) *medplumServer {
	t.Helper()
	world := filepath.Join(t.TempDir(), "world.json")
	resources, err := json.Marshal(d.Resources())
	if err != nil {
		t.Fatalf("encode the demo world: %v", err)
	}
	if err := os.WriteFile(world, resources, 0o600); err != nil {
		t.Fatalf("write the demo world: %v", err)
	}
	return runMedplumEnv(t, env, "server.mjs", world, "0")
}

// runMedplum runs one of the Node servers of js/medplum with a fresh bearer token and waits
// until it prints its FHIR base URL.
func runMedplum(t *testing.T, script string, args ...string) *medplumServer {
	t.Helper()
	return runMedplumEnv(t, nil, script, args...)
}

// runMedplumEnv is runMedplum with extra environment for the server.
func runMedplumEnv(t *testing.T, env []string, script string, args ...string) *medplumServer {
	t.Helper()
	token := randomString(t)
	n := startNodeServer(t, script, medplumDir, script, args,
		append([]string{"MEDPLUM_BEARER_TOKEN=" + token, "MEDPLUM_EXIT_WITH_STDIN=1"}, env...))
	return &medplumServer{base: n.url, token: token, log: n.log, stop: n.stop}
}

func randomString(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// medplumGateway starts the gateway in demo mode for its IdPs, with Medplum as its upstream
// (demo mode starts no demo EHR when an upstream URL is set).
func medplumGateway(t *testing.T, redisURL string) *gateway {
	t.Helper()
	base, token := startMedplum(t)
	return startGatewayWith(t, gatewayOptions{RedisURL: redisURL, Env: []string{
		"MYPATIENTS_UPSTREAM_URL=" + base, "MYPATIENTS_UPSTREAM_BEARER_TOKEN=" + token,
	}})
}

// TestGatewayEndToEndMedplum runs the walking-skeleton scenario of e2e_test.go with Medplum as
// the upstream.
func TestGatewayEndToEndMedplum(t *testing.T) {
	t.Parallel()
	runScenario(t, medplumGateway(t, startRedis(t)))
}

// TestAttackSuiteMedplum runs the attack suite of attack_test.go with Medplum as the upstream:
// every family must be defended whatever FHIR server is behind the gateway.
func TestAttackSuiteMedplum(t *testing.T) {
	t.Parallel()
	runAttackSuite(t, medplumGateway(t, startRedis(t)))
}

// TestMedplumValidatesTheDemoWorld loads the demo world into Medplum, which checks every
// resource against its R4 structure definitions as a Medplum server does on create, and
// requires that none fails.
func TestMedplumValidatesTheDemoWorld(t *testing.T) {
	t.Parallel()
	m := startMedplumServer(t)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(m.log.String(), "resources loaded") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // stderr is copied to the log by its own goroutine
	}
	if log := m.log.String(); strings.Contains(log, "not valid R4") || !strings.Contains(log, "resources loaded") {
		t.Errorf("Medplum did not accept the demo world:\n%s", log)
	}
}
