package test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/demo/login"
)

const scopes = "user/Patient.rs user/Observation.rs user/Encounter.rs user/MedicationRequest.rs"

// TestGatewayEndToEnd runs the walking-skeleton scenario once on a real redis-server and once
// on the embedded Redis.
func TestGatewayEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name  string
		redis func(testing.TB) string
	}{
		{"redis-server", startRedis},
		{"embedded-redis", func(testing.TB) string { return "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, tc.redis(t))
			runScenario(t, g)
		})
	}
}

// fhirCall is one request the scenario made to the FHIR API, with what the audit trail must
// say about it.
type fhirCall struct {
	user, path string
	status     int
	decision   string
}

func runScenario(t *testing.T, g *gateway) {
	ctx := context.Background()
	var calls []fhirCall
	tokens := map[string]string{}
	for _, u := range []struct{ idp, name string }{
		{"accounts", "pcp"}, {"accounts", "colleague"}, {"accounts", "specialist"}, {"accounts", "pcp2"}, {"childrens", "hospdoc"},
	} {
		tok, err := login.Login(ctx, g.loginOptions(), u.idp, u.name, g.password)
		if err != nil {
			t.Fatalf("login %s at %s: %v", u.name, u.idp, err)
		}
		if tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 || tok.Scope != scopes {
			t.Errorf("token response for %s: type=%q expires_in=%d scope=%q", u.name, tok.TokenType, tok.ExpiresIn, tok.Scope)
		}
		tokens[u.name] = tok.AccessToken
	}
	get := func(user, path string, wantStatus int, wantDecision string) map[string]any {
		t.Helper()
		status, body := g.fhir(t, http.MethodGet, path, tokens[user])
		calls = append(calls, fhirCall{user, path, status, wantDecision})
		if status != wantStatus {
			t.Errorf("%s GET %s: status %d, want %d; body %.300s", user, path, status, wantStatus, body)
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("%s GET %s: body is not JSON: %.200s", user, path, body)
		}
		return v
	}

	t.Run("pcp reads own patient and observations", func(t *testing.T) {
		p := get("pcp", "/Patient/child-01", 200, "allow")
		if p["resourceType"] != "Patient" || p["id"] != "child-01" {
			t.Errorf("Patient/child-01 = %v", p)
		}
		b := get("pcp", "/Observation?patient=child-01", 200, "allow")
		entries := bundleResources(b)
		if len(entries) == 0 {
			t.Fatal("no Observations for child-01")
		}
		for _, e := range entries {
			if ref := subjectRef(e); ref != "Patient/child-01" {
				t.Errorf("Observation %v belongs to %q", e["id"], ref)
			}
		}
	})
	t.Run("colleague in the same practice reads the same", func(t *testing.T) {
		if p := get("colleague", "/Patient/child-01", 200, "allow"); p["id"] != "child-01" {
			t.Errorf("colleague got %v", p)
		}
		if b := get("colleague", "/Observation?patient=Patient/child-01", 200, "allow"); len(bundleResources(b)) == 0 {
			t.Error("colleague got no Observations")
		}
	})
	t.Run("specialist is refused without data", func(t *testing.T) {
		status, body := g.fhir(t, http.MethodGet, "/Patient/child-01", tokens["specialist"])
		calls = append(calls, fhirCall{"specialist", "/Patient/child-01", status, "deny"})
		assertOutcome(t, status, body, http.StatusForbidden)
		// The refusal offers the ways to access as codes an app can act on.
		for _, step := range []string{"request-pcp-access", "request-family-access"} {
			if !strings.Contains(string(body), `"code":"`+step+`"`) {
				t.Errorf("refusal does not offer %s: %s", step, body)
			}
		}
		obs := get("specialist", "/Observation?patient=child-01", 403, "deny")
		if obs["resourceType"] != "OperationOutcome" {
			t.Errorf("Observation search as specialist: %v", obs)
		}
		for _, leak := range []string{"MRN1000", "birthDate", "\"name\"", "valueQuantity"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("refusal body leaks %q: %s", leak, body)
			}
		}
	})
	t.Run("pcp's broad Patient search lists only their practice's patients", func(t *testing.T) {
		b := get("pcp", "/Patient?_count=50", 200, "allow")
		var ids []string
		for _, e := range bundleResources(b) {
			ids = append(ids, e["id"].(string))
		}
		slices.Sort(ids)
		want := []string{"child-01", "child-02", "child-03", "child-04", "child-05", "child-06", "child-07", "child-08", "child-09"}
		if !slices.Equal(ids, want) {
			t.Errorf("pcp's Patient search = %v, want %v", ids, want)
		}
	})
	t.Run("pcp2 sees only the other practice", func(t *testing.T) {
		get("pcp2", "/Patient/child-10", 200, "allow")
		get("pcp2", "/Patient/child-01", 403, "deny")
	})
	t.Run("hospdoc logs in through the hospital SSO and reads a patient", func(t *testing.T) {
		if p := get("hospdoc", "/Patient/child-16", 200, "allow"); p["id"] != "child-16" {
			t.Errorf("hospdoc got %v", p)
		}
		get("hospdoc", "/Patient/child-01", 403, "deny")
	})
	t.Run("writes are refused", func(t *testing.T) {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			status, body := g.fhir(t, m, "/Patient/child-01", tokens["pcp"])
			calls = append(calls, fhirCall{"pcp", m + " /Patient/child-01", status, "deny"})
			assertOutcome(t, status, body, http.StatusMethodNotAllowed)
		}
	})
	t.Run("no token, bad token", func(t *testing.T) {
		status, body := g.fhir(t, http.MethodGet, "/Patient/child-01", "")
		calls = append(calls, fhirCall{"", "/Patient/child-01", status, "deny"})
		assertOutcome(t, status, body, http.StatusUnauthorized)
		forged := tokens["pcp"][:len(tokens["pcp"])-4] + "AAAA"
		status, body = g.fhir(t, http.MethodGet, "/Patient/child-01", forged)
		calls = append(calls, fhirCall{"", "/Patient/child-01", status, "deny"})
		assertOutcome(t, status, body, http.StatusUnauthorized)
	})
	t.Run("a callback carrying another IdP's response is refused", func(t *testing.T) {
		s := login.NewSession(g.loginOptions())
		if _, err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		cb, err := s.LoginAtIdP(ctx, "accounts", "pcp", g.password)
		if err != nil {
			t.Fatal(err)
		}
		mixed := *cb
		mixed.Path = strings.Replace(cb.Path, "/login/accounts/", "/login/childrens/", 1)
		if _, err := s.Finish(ctx, &mixed); err == nil {
			t.Fatal("the gateway accepted the accounts IdP's response at the Children's ID callback")
		}
		// The flow was consumed by the refused attempt: the genuine callback cannot be
		// replayed afterwards either.
		if _, err := s.Finish(ctx, cb); err == nil {
			t.Error("the login flow could be completed after a mix-up attempt")
		}
	})
	t.Run("audit stream holds one record per request", func(t *testing.T) {
		records := readAudit(t, g)
		if len(records) != len(calls) {
			t.Fatalf("audit has %d records for %d FHIR requests", len(records), len(calls))
		}
		for i, c := range calls {
			r := records[i]
			if r["decision"] != c.decision || int(r["status"].(float64)) != c.status {
				t.Errorf("audit record %d for %s %s: decision=%v status=%v, want %s %d", i, c.user, c.path, r["decision"], r["status"], c.decision, c.status)
			}
			if c.user != "" && !strings.HasPrefix(r["user"].(string), "accounts:") && !strings.HasPrefix(r["user"].(string), "childrens:") {
				t.Errorf("audit record %d has user %v", i, r["user"])
			}
			if r["request_id"] == "" || r["time"] == "" {
				t.Errorf("audit record %d lacks request id or time: %v", i, r)
			}
		}
		first := records[0]
		if basis, _ := first["basis"].(map[string]any); basis["child-01"] != "pcp" || first["client"] != "demo-app" {
			t.Errorf("pcp's read: basis=%v client=%v, want child-01: pcp, demo-app", first["basis"], first["client"])
		}
		if basis, _ := records[2]["basis"].(map[string]any); basis["child-01"] != "pcp_practice" {
			t.Errorf("colleague's read: basis=%v, want pcp_practice", records[2]["basis"])
		}
		if r := records[4]; r["reason"] != "not_pcp" || !slices.Contains(toStrings(r["patients"]), "child-01") {
			t.Errorf("specialist's refusal: reason=%v patients=%v", r["reason"], r["patients"])
		}
		// Every decided record names the policy revision that decided it: one policy here.
		revisions := map[any]bool{}
		for _, r := range records {
			if r["decision_id"] != nil {
				revisions[r["policy_revision"]] = true
			}
		}
		if len(revisions) != 1 || revisions[nil] || revisions[""] {
			t.Errorf("decided records carry the policy revisions %v, want one", revisions)
		}
	})
}

func (g *gateway) loginOptions() login.Options {
	return login.Options{Gateway: g.base, ClientID: "demo-app", RedirectURI: "http://127.0.0.1:8765/callback", Scope: scopes}
}

// fhir makes one request to the FHIR API with a bearer token (none when empty).
func (g *gateway) fhir(t *testing.T, method, path, token string) (int, []byte) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost || method == http.MethodPut {
		body = strings.NewReader(`{"resourceType":"Patient","id":"child-01"}`)
	}
	req, err := http.NewRequest(method, g.base+"/fhir"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func assertOutcome(t *testing.T, status int, body []byte, want int) {
	t.Helper()
	if status != want {
		t.Errorf("status %d, want %d; body %.300s", status, want, body)
	}
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity, Code, Diagnostics string
		} `json:"issue"`
	}
	if err := json.Unmarshal(body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
		t.Errorf("body is not an OperationOutcome: %.300s", body)
	}
}

func bundleResources(b map[string]any) []map[string]any {
	var out []map[string]any
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		if r, ok := e.(map[string]any)["resource"].(map[string]any); ok {
			out = append(out, r)
		}
	}
	return out
}

func subjectRef(r map[string]any) string {
	s, _ := r["subject"].(map[string]any)
	ref, _ := s["reference"].(string)
	return ref
}

func toStrings(v any) []string {
	var out []string
	xs, _ := v.([]any)
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// readAudit returns the audit records of FHIR requests, oldest first.
func readAudit(t *testing.T, g *gateway) []map[string]any {
	t.Helper()
	return slices.DeleteFunc(readTrail(t, g), func(r map[string]any) bool {
		e, _ := r["event"].(string)
		return !strings.HasPrefix(e, "fhir.")
	})
}

// readEvents returns the audit records of access-management and sign-in events, oldest first.
func readEvents(t *testing.T, g *gateway) []map[string]any {
	t.Helper()
	return slices.DeleteFunc(readTrail(t, g), func(r map[string]any) bool {
		e, _ := r["event"].(string)
		return strings.HasPrefix(e, "fhir.")
	})
}

// readTrail returns every record of the audit stream, oldest first.
func readTrail(t *testing.T, g *gateway) []map[string]any {
	t.Helper()
	opts, err := redis.ParseURL(g.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	msgs, err := rdb.XRange(context.Background(), "mypatients:{audit}", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, m := range msgs {
		rec, ok := m.Values["record"].(string)
		if !ok {
			continue // a checkpoint
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(rec), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
