package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// smartClientsDir holds the Node project of the real-client tests (fhirclient, playwright-core).
const smartClientsDir = "js/smart-clients"

// smartClientsConfig is the gateway configuration of TestSmartClients, with %[1]s the
// browser-side app's address: the demo world (EHR, IdPs, and the demo EHR's launcher
// "demo-ehr", whose secret the test sets in MYPATIENTS_DEMO_LAUNCHER_SECRET) plus the SMART
// apps the clients run as. A clients list replaces the demo's default one, so demo-app is
// listed again.
const smartClientsConfig = `demo:
  enabled: true
clients:
  # fhirclient in a Node app, on an ephemeral loopback port: the gateway accepts any port for
  # a registered loopback http redirect URI (RFC 8252 §7.3), so this port is only nominal.
  - id: smart-clients-test
    name: SMART client tests
    type: public
    redirect_uris: [http://127.0.0.1:8799/callback]
  # fhirclient in the browser: its origin must be exact, for CORS.
  - id: smart-clients-spa
    name: SMART client tests in the browser
    type: public
    redirect_uris: [http://%[1]s/index.html]
  - id: demo-app
    name: Demo SMART app
    type: public
    redirect_uris: [http://127.0.0.1:8765/callback]
`

// TestSmartClients runs real SMART clients against the gateway: the fhirclient library from
// Node (a standalone and an EHR launch, each reading the launch patient, refreshing and
// reading again) and headless Chromium doing a standalone launch through the login form,
// the consent screen and the patient picker. They are ordinary clients: they know the gateway
// only by its URL, the demo password a clinician types and the demo EHR's launcher secret.
func TestSmartClients(t *testing.T) {
	node := nodeBinary(t)
	dir, err := filepath.Abs(smartClientsDir)
	if err != nil {
		t.Fatal(err)
	}
	ensureNodeModules(t, dir)

	// The browser-side app must be served from its registered origin, port included: CORS at
	// the token and FHIR endpoints allows registered origins only.
	spaAddr := freeAddr(t)
	config := filepath.Join(t.TempDir(), "smart-clients.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(smartClientsConfig, spaAddr)), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := randomHex(t)
	g := startGatewayWith(t, gatewayOptions{
		RedisURL:   startRedis(t),
		ConfigFile: config,
		Env:        []string{"MYPATIENTS_DEMO_LAUNCHER_SECRET=" + secret},
	})
	env := []string{
		"MYPATIENTS_GATEWAY_URL=" + g.base,
		"MYPATIENTS_DEMO_PASSWORD=" + g.password,
		"MYPATIENTS_DEMO_LAUNCHER_SECRET=" + secret,
		"SMART_CLIENT_ID=smart-clients-test",
		"SMART_SPA_CLIENT_ID=smart-clients-spa",
		"SMART_SPA_ADDR=" + spaAddr,
	}

	tests := []struct {
		name, file string
		browser    bool
	}{
		{name: "fhirclient", file: "fhirclient.test.js"},
		{name: "browser", file: "browser.test.js", browser: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := slices.Clone(env)
			if tt.browser {
				env = append(env, "CHROMIUM_PATH="+chromiumBinary(t))
			}
			// Screenshots of a failure must outlive the test, so not t.TempDir.
			artifacts, err := os.MkdirTemp("", "smart-clients-"+tt.name+"-")
			if err != nil {
				t.Fatal(err)
			}
			env = append(env, "SMART_ARTIFACTS_DIR="+artifacts)
			out, err := runNodeTest(t, node, dir, tt.file, env)
			if err != nil {
				t.Fatalf("node --test %s failed: %v (artifacts, if any, in %s)\n%s", tt.file, err, artifacts, out)
			}
			os.RemoveAll(artifacts)
			if testing.Verbose() {
				t.Logf("node --test %s:\n%s", tt.file, out)
			}
		})
	}
}

// runNodeTest runs one test file with node's built-in test runner. The runner starts a child
// process per file, so the whole process group is killed if it overruns.
func runNodeTest(t *testing.T, node, dir, file string, env []string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w: no result within 8 minutes", ctx.Err())
	}
	return out.String(), err
}

// nodeBinary returns the path of node, failing the test when it is missing or older than 20:
// these tests are part of the suite, not optional extras.
func nodeBinary(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed; the SMART client tests need Node.js 20 or later with npm (apt-get install -y nodejs npm)")
	}
	v, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(string(v)), "v"), ".", 2)[0])
	if major < 20 {
		t.Fatalf("node %s is too old; the SMART client tests need Node.js 20 or later", strings.TrimSpace(string(v)))
	}
	return node
}

// chromiumBinary returns Debian's Chromium (or CHROMIUM_PATH), failing when it is missing:
// playwright-core never downloads a browser here.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed; the browser test needs Debian's chromium (apt-get install -y chromium; bash .ci/run does it)")
	return ""
}

// npmInstalls serializes ensureNodeModules per folder: parallel tests that need the same Node
// project must not start it while another test's npm ci is still writing node_modules.
var npmInstalls sync.Map // folder → *sync.Mutex

// ensureNodeModules installs the locked npm packages of dir when they are missing or older than
// the lock file, as .ci/run does, so `go test ./...` also works where only Go and npm are present.
func ensureNodeModules(t *testing.T, dir string) {
	t.Helper()
	mu, _ := npmInstalls.LoadOrStore(dir, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatalf("the lock file of %s is missing: %v", dir, err)
	}
	// npm ci writes node_modules/.package-lock.json last; its presence means a finished install.
	done, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err == nil && !lock.ModTime().After(done.ModTime()) {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm is not installed and " + dir + "/node_modules is missing; install Node.js 20+ with npm, or run bash .ci/run")
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	// The browser is Debian's Chromium; playwright must never try to download its own.
	cmd.Env = append(os.Environ(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
