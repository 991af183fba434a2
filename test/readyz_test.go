package test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/ehr"
)

// readyz reads /readyz: its status and each dependency's state.
func readyz(t *testing.T, client *http.Client, base string) (int, map[string]struct {
	OK    bool
	Error string
}) {
	t.Helper()
	resp, err := client.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Checks map[string]struct {
			OK    bool
			Error string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, doc.Checks
}

// TestReadyzTurnsRedForEachDependency: /readyz is green with Redis, the EHR and the identity
// provider up, and names each one that goes down, while /healthz stays 200; a gateway whose
// EHR credential is refused is not ready either.
func TestReadyzTurnsRedForEachDependency(t *testing.T) {
	t.Parallel()
	redisURL, stopRedis := startRedisProcess(t)
	e := startWorldEHR(t, ehr.Seed())
	op := startOIDCProvider(t, opConfig{Clients: []map[string]any{{"client_id": "mypatients", "client_secret": "s", "redirect_uris": []string{"http://127.0.0.1:1/cb"}}}})
	cfg := writeConfig(t, "demo:\n  enabled: true\nidentity_providers:\n  - id: sso\n    name: SSO\n    issuer: "+op.issuer+
		"\n    client_id: mypatients\n    client_secret: s\n")
	g := startGatewayWith(t, gatewayOptions{RedisURL: redisURL, ConfigFile: cfg, Env: []string{
		"MYPATIENTS_UPSTREAM_URL=" + e.base, "MYPATIENTS_UPSTREAM_BEARER_TOKEN=" + e.token}})
	wrong := startGatewayWith(t, gatewayOptions{RedisURL: redisURL, ConfigFile: cfg, Env: []string{
		"MYPATIENTS_UPSTREAM_URL=" + e.base, "MYPATIENTS_UPSTREAM_BEARER_TOKEN=not-" + e.token}})

	expect := func(step string, base string, wantStatus int, red map[string]string) {
		t.Helper()
		status, checks := readyz(t, http.DefaultClient, base)
		if status != wantStatus {
			t.Errorf("%s: readyz %d, want %d (%v)", step, status, wantStatus, checks)
		}
		for _, dep := range []string{"redis", "ehr", "idp:sso"} {
			want, isRed := red[dep]
			if got := checks[dep]; got.OK == isRed || got.Error != want {
				t.Errorf("%s: %s = %+v, want ok=%v error=%q", step, dep, got, !isRed, want)
			}
		}
		if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: healthz %v %v, want 200: the process is alive", step, resp, err)
		}
	}
	expect("all up", g.base, http.StatusOK, nil)
	expect("EHR credential refused", wrong.base, http.StatusServiceUnavailable, map[string]string{"ehr": "credential_refused"})
	op.stop()
	expect("IdP down", g.base, http.StatusServiceUnavailable, map[string]string{"idp:sso": "unavailable"})
	e.stop()
	expect("EHR down too", g.base, http.StatusServiceUnavailable, map[string]string{"idp:sso": "unavailable", "ehr": "unreachable"})
	stopRedis()
	expect("Redis down too", g.base, http.StatusServiceUnavailable, map[string]string{"idp:sso": "unavailable", "ehr": "unreachable", "redis": "unavailable"})
}

// TestTLSListener: with tls.cert_file and key_file the gateway serves https itself, with HSTS,
// and serves a renewed certificate without a restart.
func TestTLSListener(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := x509.NewCertPool()
	issue := func(serial int64) {
		pool.AddCert(writeCert(t, certFile, keyFile, serial))
		later := time.Now().Add(time.Duration(serial) * time.Second)
		_ = os.Chtimes(certFile, later, later)
	}
	issue(1)
	addr := freeAddr(t)
	e := startWorldEHR(t, ehr.Seed())
	cfg := writeConfig(t, fmt.Sprintf(`
base_url: https://%s
tls: {cert_file: %s, key_file: %s}
upstream: {url: %s, bearer_token: %s}
redis: {url: %q}
identity_providers: [{id: sso, name: SSO, issuer: "http://127.0.0.1:1", client_id: gw, client_secret: s}]
`, addr, certFile, keyFile, e.base, e.token, startRedis(t)))
	g := startGatewayWith(t, gatewayOptions{ConfigFile: cfg, Env: sharedKeys(t), Addr: addr, Scheme: "https"})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	serial := func() int64 {
		resp, err := client.Get(g.base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Error("no HSTS over https")
		}
		client.CloseIdleConnections()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 1 {
		t.Errorf("certificate serial %d, want 1", got)
	}
	issue(2)
	if got := serial(); got != 2 {
		t.Errorf("after renewal: certificate serial %d, want 2", got)
	}
}
