package test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/login"
)

// The attack suite: every attack family that reaches the FHIR API (joins and chains that
// reach another patient, spellings the filter might miss, oracles in counts, errors and
// paging), as data (attack_cases_test.go), run end to end against the real binary. It depends on the
// upstream only through the demo world of demo/ehr/README.md (users, patients child-01..24,
// who may see whom): the victims' resource ids, names and MRNs are discovered through the
// gateway as a user who may see them, so the same table runs against any FHIR server loaded
// with that world (test/upstream_medplum_test.go runs it against a second implementation).

// attackScopes asks for every type the gateway serves.
const attackScopes = "user/Patient.rs user/Observation.rs user/Encounter.rs user/MedicationRequest.rs " +
	"user/DocumentReference.rs user/Binary.rs user/DiagnosticReport.rs user/Practitioner.rs " +
	"user/PractitionerRole.rs user/Organization.rs user/AllergyIntolerance.rs user/Condition.rs"

// TestAttackSuite runs the suite against the demo EHR, with a real redis-server.
func TestAttackSuite(t *testing.T) {
	g := startGatewayWith(t, gatewayOptions{RedisURL: startRedis(t)})
	runAttackSuite(t, g)
}

// runAttackSuite logs the demo users in, discovers the victims' data, runs every case and then
// checks that the audit stream recorded each answer.
func runAttackSuite(t *testing.T, g *gateway) {
	tokens := map[string]string{}
	for _, u := range []struct{ idp, name string }{
		{"accounts", "pcp"}, {"accounts", "colleague"}, {"accounts", "pcp2"}, {"accounts", "specialist"},
	} {
		tok, err := login.Login(context.Background(), login.Options{Gateway: g.base, ClientID: "demo-app",
			RedirectURI: "http://127.0.0.1:8765/callback", Scope: attackScopes}, u.idp, u.name, g.password)
		if err != nil {
			t.Fatalf("login %s: %v", u.name, err)
		}
		tokens[u.name] = tok.AccessToken
	}
	tokens["forged"] = tokens["pcp"][:len(tokens["pcp"])-4] + "AAAA"
	v := discoverVictims(t, g, tokens)
	bodies := map[string][]byte{}
	var sent []sentCase
	for _, c := range attackCases() {
		t.Run(c.family+"/"+c.name, func(t *testing.T) {
			path, ok := v.expand(c.path)
			if !ok {
				// Both upstreams hold the demo world; a case without its data would prove nothing.
				t.Fatalf("this upstream has no data for %s", c.path)
			}
			status, hdr, body := g.attack(t, c, path, tokens[c.user], v)
			bodies[c.name] = body
			c.check(t, status, body, v)
			if c.sameAs != "" && string(bodies[c.sameAs]) != string(body) {
				t.Errorf("denial differs from %q's:\n%s\n%s", c.sameAs, bodies[c.sameAs], body)
			}
			sent = append(sent, sentCase{c, hdr.Get("X-Request-Id"), status})
		})
	}
	t.Run("audit stream recorded every answer", func(t *testing.T) { checkAudit(t, g, sent) })
}

// sentCase is one answered case, for the audit check.
type sentCase struct {
	c         attackCase
	requestID string
	status    int
}

// attack sends one case's request. It follows no redirect: every path under /fhir, however
// spelled, must be answered by the FHIR API itself, with an OperationOutcome and an audit record.
func (g *gateway) attack(t *testing.T, c attackCase, path, token string, v victims) (int, http.Header, []byte) {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(v.replace(c.body))
	}
	req, err := http.NewRequest(method, g.base+"/fhir"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, val := range c.header {
		req.Header[k] = []string{v.replace(val)}
	}
	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// check asserts the case's status, that a refusal is an OperationOutcome, and that no
// victim's id or value appears: anywhere in a refusal, in the entries of a released Bundle
// (whose self link may echo the caller's own query).
func (c attackCase) check(t *testing.T, status int, body []byte, v victims) {
	t.Helper()
	if status != c.status {
		t.Errorf("status %d, want %d; body %.400s", status, c.status, body)
	}
	scanned := body
	if status >= 400 {
		assertOutcome(t, status, body, status)
	} else {
		var b struct {
			ResourceType string            `json:"resourceType"`
			Entry        []json.RawMessage `json:"entry"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatalf("body is not JSON: %.300s", body)
		}
		scanned, _ = json.Marshal(b.Entry)
	}
	for _, secret := range v.secrets {
		if strings.Contains(string(scanned), secret) {
			t.Errorf("body reveals %q: %.600s", secret, body)
		}
	}
}

// checkAudit asserts one audit record per answer, matched by request id, with the decision the
// status implies and the case's reason code when it names one.
func checkAudit(t *testing.T, g *gateway, sent []sentCase) {
	byID := map[string]map[string]any{}
	for _, r := range readAudit(t, g) {
		id, _ := r["request_id"].(string)
		byID[id] = r
	}
	for _, s := range sent {
		r, ok := byID[s.requestID]
		if !ok {
			t.Errorf("%s/%s: no audit record for request %q", s.c.family, s.c.name, s.requestID)
			continue
		}
		want := "deny"
		if s.status < 400 {
			want = "allow"
		}
		if r["decision"] != want || int(r["status"].(float64)) != s.status {
			t.Errorf("%s/%s: audit decision=%v status=%v, want %s %d", s.c.family, s.c.name, r["decision"], r["status"], want, s.status)
		}
		if s.c.reason != "" && r["reason"] != s.c.reason {
			t.Errorf("%s/%s: audit reason %v, want %s", s.c.family, s.c.name, r["reason"], s.c.reason)
		}
	}
}
