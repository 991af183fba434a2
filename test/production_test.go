package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestProductionMode runs the gateway as a hospital would, with demo mode off and no part of
// ours around it: clinicians sign in at oidc-provider, which sends only an NPI claim; the EHR is
// Medplum guarded by a second oidc-provider, reached by SMART Backend Services; Redis persists
// (appendonly); nginx terminates TLS in front of the gateway. A clinician whose NPI the EHR
// knows sees exactly their patients with fhirUser granted; one whose NPI it does not know gets
// a page saying so and the gateway logs a warning; every read is audited in Redis.
func TestProductionMode(t *testing.T) {
	t.Parallel()
	ehrAS := startGuardedEHR(t)
	redisAddr, _ := startRedisWith(t, "--appendonly", "yes", "--dir", t.TempDir(), "--save", "")
	nginxAddr, gatewayAddr := freeAddr(t), freeAddr(t)
	base := "https://" + nginxAddr
	sso := startOIDCProvider(t, opConfig{
		Scopes: []string{"openid", "npi"}, Claims: map[string][]string{"npi": {"npi"}},
		Accounts: map[string]map[string]any{"priya.patel": {"npi": npiOf(t, "dr-patel")}, "visiting.locum": {"npi": "1000000009"}},
		Clients: []map[string]any{{"client_id": "mypatients", "client_secret": "sso-secret",
			"redirect_uris": []string{base + "/login/childrens/callback"}, "grant_types": []string{"authorization_code"}}},
	})
	cfg := writeConfig(t, fmt.Sprintf(`
addr: %s
base_url: %s
upstream:
  url: %s
  backend_services:
    client_id: mypatients-gateway
    private_key_file: %s
    key_id: gateway-key-1
redis:
  url: redis://%s
identity_providers:
  - id: childrens
    name: Children's ID
    issuer: %s
    client_id: mypatients
    client_secret: sso-secret
    scopes: [openid, npi]
    practitioner:
      identifier_claim: npi
      identifier_system: http://hl7.org/fhir/sid/us-npi
      required: true
clients:
  - id: viewer
    type: public
    redirect_uris: ["http://127.0.0.1:8765/callback"]
`, gatewayAddr, base, ehrAS.medplum.base, ehrAS.keyFile, redisAddr, sso.issuer))
	g := startGatewayWith(t, gatewayOptions{ConfigFile: cfg, Addr: gatewayAddr, Env: sharedKeys(t)})
	if strings.Contains(g.log.String(), "DEMO") || strings.Contains(g.log.String(), "does not persist") {
		t.Errorf("the production gateway runs demo parts or an unpersisted Redis:\n%s", g.log.String())
	}
	client := startNginx(t, nginxAddr, gatewayAddr)
	// The accounts provider the gateway serves is one of its identity providers: the gateway
	// reads its discovery in process, never through nginx (whose certificate it does not trust).
	if status, checks := readyz(t, client, base); status != http.StatusOK || !checks["idp:accounts"].OK || !checks["idp:childrens"].OK {
		t.Errorf("readyz behind nginx: %d %+v", status, checks)
	}

	tok, err := signInAtOIDCProvider(t, client, base, "priya.patel", "openid fhirUser user/*.rs")
	if err != nil {
		t.Fatalf("Dr. Patel's sign-in: %v", err)
	}
	if !strings.Contains(" "+tok.Scope+" ", " fhirUser ") {
		t.Errorf("Dr. Patel's token lacks fhirUser: %q", tok.Scope)
	}
	var list struct {
		Entry []struct{ Resource struct{ ID string } }
	}
	if status := getVia(t, client, base+"/fhir/Patient?_count=50", tok.AccessToken, &list); status != http.StatusOK || len(list.Entry) != 9 {
		t.Errorf("Dr. Patel's patient list through nginx: %d, %d patients, want child-01 … child-09", status, len(list.Entry))
	}
	if status := getVia(t, client, base+"/fhir/Patient/child-10", tok.AccessToken, nil); status != http.StatusForbidden {
		t.Errorf("another practice's patient: %d, want 403", status)
	}
	if status := getVia(t, client, base+"/fhir/Practitioner/dr-patel", tok.AccessToken, nil); status != http.StatusOK {
		t.Errorf("the fhirUser resource: %d", status)
	}

	_, err = signInAtOIDCProvider(t, client, base, "visiting.locum", "openid fhirUser user/*.rs")
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "We could not match your sign-in to a clinician") {
		t.Errorf("a clinician whose NPI the EHR does not know: %v, want the gateway's page saying so", err)
	}
	// The warning reaches the log through the process's output pipe, a moment after the page.
	waitFor(t, "the unresolved clinician's warning", func() bool {
		return strings.Contains(g.log.String(), "practitioner could not be resolved")
	}, g.log)
	if strings.Contains(g.log.String(), "1000000009") {
		t.Errorf("no warning (or one naming the NPI) about the unresolved clinician:\n%s", g.log.String())
	}

	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	n, err := rdb.XLen(context.Background(), "mypatients:{audit}").Result()
	if err != nil || n < 3 {
		t.Errorf("audit records in Redis: %d, %v; want the three reads", n, err)
	}
	if aof, _ := rdb.ConfigGet(context.Background(), "appendonly").Result(); aof["appendonly"] != "yes" {
		t.Errorf("the test's Redis does not persist: %v", aof)
	}
	_, port, _ := net.SplitHostPort(nginxAddr)
	resp, err := client.Get(base + "/healthz")
	if err != nil || resp.Header.Get("Strict-Transport-Security") == "" || resp.TLS == nil {
		t.Errorf("https://127.0.0.1:%s/healthz through nginx: %v %v, want HSTS over TLS", port, resp, err)
	}
}

// getVia reads u with a bearer token through client and decodes a 200 answer into out.
func getVia(t *testing.T, client *http.Client, u, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}
