package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
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
	path := filepath.Join(t.TempDir(), "op.json")
	b, _ := json.Marshal(conf)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNodeServer(t, "oidc-provider", oidcProviderDir, "server.mjs", []string{path}, nil)
	return &opServer{issuer: n.url, stop: n.stop}
}
