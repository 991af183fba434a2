package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/mypatients/gateway/demo/ehr"
)

// guardedEHR is Medplum behind a real authorization server: oidc-provider issues the gateway's
// tokens by SMART Backend Services and Medplum checks each one by introspection.
type guardedEHR struct {
	issuer  string
	medplum *medplumServer
	// keyFile is the gateway's registered private key (EC P-384, ES384), PEM.
	keyFile string
}

// startGuardedEHR starts the authorization server and the EHR it guards.
func startGuardedEHR(t *testing.T) *guardedEHR {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(key)
	g := &guardedEHR{keyFile: filepath.Join(t.TempDir(), "ehr-client.pem")}
	if err := os.WriteFile(g.keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: key.Public(), KeyID: "gateway-key-1", Algorithm: "ES384", Use: "sig"})
	var pub map[string]any
	_ = json.Unmarshal(jwk, &pub)
	introspectSecret := randomString(t)
	g.issuer = startOIDCProvider(t, opConfig{Scopes: []string{"openid", "system/*.rs"}, Clients: []map[string]any{
		{"client_id": "mypatients-gateway", "grant_types": []string{"client_credentials"}, "response_types": []string{},
			"redirect_uris": []string{}, "token_endpoint_auth_method": "private_key_jwt",
			"token_endpoint_auth_signing_alg": "ES384", "jwks": map[string]any{"keys": []any{pub}}, "scope": "system/*.rs"},
		{"client_id": "medplum", "client_secret": introspectSecret, "grant_types": []string{}, "response_types": []string{},
			"redirect_uris": []string{}},
	}}).issuer
	g.medplum = startMedplumWorld(t, ehr.Seed(), []string{
		"MEDPLUM_INTROSPECTION_URL=" + g.issuer + "/token/introspection", "MEDPLUM_INTROSPECTION_CLIENT=medplum",
		"MEDPLUM_INTROSPECTION_SECRET=" + introspectSecret, "MEDPLUM_TOKEN_ENDPOINT=" + g.issuer + "/token",
	})
	return g
}

// env configures a gateway to reach the guarded EHR by backend services with keyFile.
func (g *guardedEHR) env(keyFile string) []string {
	return []string{"MYPATIENTS_UPSTREAM_URL=" + g.medplum.base,
		"MYPATIENTS_UPSTREAM_BACKEND_SERVICES_CLIENT_ID=mypatients-gateway",
		"MYPATIENTS_UPSTREAM_BACKEND_SERVICES_PRIVATE_KEY_FILE=" + keyFile,
		"MYPATIENTS_UPSTREAM_BACKEND_SERVICES_KEY_ID=gateway-key-1"}
}

// TestBackendServicesToTheEHR: the gateway discovers the EHR's token endpoint, obtains a
// token with a private_key_jwt assertion (ES384) from oidc-provider, and reads through
// Medplum, which introspects every token; with a key the authorization server does not know,
// the same reads are 502 naming the EHR, and nothing is released.
func TestBackendServicesToTheEHR(t *testing.T) {
	t.Parallel()
	g := startGuardedEHR(t)
	redisURL := startRedis(t)
	gw := startGatewayWith(t, gatewayOptions{RedisURL: redisURL, Env: g.env(g.keyFile)})
	tok, err := loginUser(gw, "pcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/Patient/child-01", "/Observation?patient=child-01&_count=5", "/Patient?_count=50"} {
		if status, body := gw.fhir(t, http.MethodGet, path, tok); status != http.StatusOK {
			t.Errorf("GET %s through backend services: %d %.300s", path, status, body)
		}
	}
	if code, out := runCLI(t, g.env(g.keyFile), "ehr", "check", "--config", writeConfig(t, "demo:\n  enabled: true\n")); code != 0 {
		t.Errorf("ehr check through backend services exited %d:\n%s", code, out)
	}

	otherKey := filepath.Join(t.TempDir(), "unknown.pem")
	k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(k)
	_ = os.WriteFile(otherKey, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	refused := startGatewayWith(t, gatewayOptions{RedisURL: redisURL, Env: append(g.env(otherKey), "MYPATIENTS_REDIS_KEY_PREFIX=other:")})
	tok, err = loginUser(refused, "pcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/Patient/child-01", "/Observation?patient=child-01"} {
		status, body := refused.fhir(t, http.MethodGet, path, tok)
		assertOutcome(t, status, body, http.StatusBadGateway)
		if !strings.Contains(string(body), "hospital's FHIR server") || strings.Contains(string(body), g.issuer) {
			t.Errorf("GET %s with an unknown key: %s", path, body)
		}
	}
}
