package test

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The production-mode tests' OpenID Provider and authorization server: panva oidc-provider, a
// certified implementation this project did not write, in js/oidc-provider.

const oidcProviderDir = "js/oidc-provider"

// opConfig is js/oidc-provider/server.mjs's configuration.
type opConfig struct {
	Clients  []map[string]any          `json:"clients"`
	Accounts map[string]map[string]any `json:"accounts,omitempty"`
	Scopes   []string                  `json:"scopes,omitempty"`
	Claims   map[string][]string       `json:"claims,omitempty"`
}

// opServer is a running oidc-provider.
type opServer struct {
	issuer string
	// stop ends it before the test does; calling it twice is harmless.
	stop func()
}

// startOIDCProvider runs oidc-provider with conf.
func startOIDCProvider(t *testing.T, conf opConfig) *opServer {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: oidc-provider needs Node.js 20")
	}
	ensureNodeModules(t, oidcProviderDir)
	path := filepath.Join(t.TempDir(), "op.json")
	b, _ := json.Marshal(conf)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	cmd := exec.Command(node, "server.mjs", path)
	cmd.Dir, cmd.Stderr, cmd.SysProcAttr = oidcProviderDir, log, dieWithParent()
	stdout, _ := cmd.StdoutPipe()
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := sync.OnceFunc(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("oidc-provider output:\n%s", log.String())
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			ready <- strings.TrimSpace(sc.Text())
		}
		close(ready)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case issuer := <-ready:
		if !strings.HasPrefix(issuer, "http://127.0.0.1:") {
			t.Fatalf("oidc-provider did not start; output:\n%s", log.String())
		}
		return &opServer{issuer: issuer, stop: stop}
	case <-time.After(30 * time.Second):
		t.Fatalf("oidc-provider was not ready in 30s; output:\n%s", log.String())
	}
	return nil
}
