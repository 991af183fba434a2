package authz_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/upstream"
)

// caller returns a demo clinician holding a token that may read everything.
func caller(user, practitioner string) gateway.Caller {
	c := gateway.Caller{
		Subject:  "accounts:u-" + user,
		Username: user,
		IdP:      "accounts",
		ClientID: "demo-app",
		Scopes:   []string{"openid", "fhirUser", "launch/patient", "user/*.rs"},
		TokenID:  "jti-" + user,
	}
	if practitioner != "" {
		c.FHIRUser = "Practitioner/" + practitioner
	}
	return c
}

var (
	pcp        = caller("pcp", "dr-patel")
	colleague  = caller("colleague", "dr-okafor")
	pcp2       = caller("pcp2", "dr-lindqvist")
	specialist = caller("specialist", "dr-moreau")
	staff      = caller("staff", "")
)

// env is an Authorizer over a test upstream and a real (embedded) Redis.
type env struct {
	az  *authz.Authorizer
	up  *fhirServer
	rdb redis.UniversalClient
	// stopRedis stops the Redis server; it may be called more than once.
	stopRedis func()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	up := newFHIRServer(t)
	client, err := upstream.New(upstream.Options{BaseURL: up.base, BearerToken: gatewayToken, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	emb, err := redisstore.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	stopRedis := sync.OnceFunc(emb.Close)
	t.Cleanup(stopRedis)
	rdb, err := redisstore.Open(ctx, redisstore.Options{URL: emb.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	az, err := authz.New(ctx, authz.Options{Upstream: client, Redis: rdb, KeyPrefix: "test:", FactsTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &env{az: az, up: up, rdb: rdb, stopRedis: stopRedis}
}

func readPatient(ids ...string) gateway.Request {
	return gateway.Request{Interaction: gateway.Read, ResourceType: "Patient", Patients: ids}
}

func TestDecideOnePatient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		caller  gateway.Caller
		patient string
		basis   string // empty: refused with not_pcp
	}{
		{"pcp listed as Practitioner", pcp, "child-01", "pcp"},
		{"pcp listed by absolute versioned reference", pcp, "child-02", "pcp"},
		{"pcp listed through PractitionerRole", pcp, "child-05", "pcp"},
		{"practice listed as Organization", pcp, "child-06", "pcp_practice"},
		{"colleague's patient", pcp, "child-07", "pcp_practice"},
		{"colleague of listed pcp", colleague, "child-01", "pcp_practice"},
		{"colleague of pcp listed through role", colleague, "child-05", "pcp_practice"},
		{"other practice's patient", pcp, "child-10", ""},
		{"other practice listed as Organization", pcp, "child-15", ""},
		{"inactive old role confers no practice", colleague, "child-15", ""},
		{"pcp2 own patient", pcp2, "child-10", "pcp"},
		{"pcp2 practice as Organization", pcp2, "child-15", "pcp_practice"},
		{"pcp2 not maple's", pcp2, "child-01", ""},
		{"specialist", specialist, "child-01", ""},
		{"staff without practitioner", staff, "child-01", ""},
		{"unusable references only", pcp, "child-20", ""},
		{"no generalPractitioner", pcp, "child-23", ""},
		{"unknown patient", pcp, "child-99", ""},
		{"id that cannot exist", pcp, "../Practitioner/dr-patel", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.az.Decide(context.Background(), tt.caller, readPatient(tt.patient))
			if err != nil {
				t.Fatal(err)
			}
			got := d.Patients[tt.patient]
			if tt.basis != "" {
				if !d.Allow || !got.Allowed || got.Basis != tt.basis || len(d.Reasons) != 0 {
					t.Fatalf("want allowed on basis %q, got %+v", tt.basis, d)
				}
				return
			}
			if d.Allow || got.Allowed || got.Reason == nil || got.Reason.Code != "not_pcp" {
				t.Fatalf("want refused with not_pcp, got %+v", d)
			}
			if len(d.Reasons) != 1 || d.Reasons[0].Code != "not_pcp" || !strings.Contains(d.Reasons[0].Message, "primary care provider") {
				t.Fatalf("reasons = %+v", d.Reasons)
			}
		})
	}
}

func TestUnknownPatientLooksLikeSomeoneElses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	known, err := e.az.Decide(ctx, pcp, readPatient("child-10"))
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := e.az.Decide(ctx, pcp, readPatient("child-99"))
	if err != nil {
		t.Fatal(err)
	}
	k, u := known.Patients["child-10"], unknown.Patients["child-99"]
	if k.Allowed != u.Allowed || *k.Reason != *u.Reason || len(known.Reasons) != len(unknown.Reasons) ||
		known.Reasons[0] != unknown.Reasons[0] {
		t.Fatalf("decisions differ:\n%+v\n%+v", known, unknown)
	}
}

func TestDecideSeveralPatients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	req := gateway.Request{Interaction: gateway.Search, ResourceType: "Observation",
		Patients: []string{"child-01", "child-05", "child-06", "child-07"}}
	d, err := e.az.Decide(ctx, pcp, req)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allow || len(d.Patients) != 4 {
		t.Fatalf("all of Dr Patel's practice's patients: got %+v", d)
	}
	req.Patients = append(req.Patients, "child-10")
	d, err = e.az.Decide(ctx, pcp, req)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || !d.PatientAllowed("child-01") || d.PatientAllowed("child-10") {
		t.Fatalf("one patient of another practice must refuse the request: %+v", d)
	}
	if len(d.Reasons) != 1 || d.Reasons[0].Code != "not_pcp" {
		t.Fatalf("reasons = %+v", d.Reasons)
	}
}

func TestDecideRequestReasons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	observationsOnly := pcp
	observationsOnly.Scopes = []string{"openid", "user/Observation.rs"}
	tests := []struct {
		name   string
		caller gateway.Caller
		req    gateway.Request
		code   string
	}{
		{"write", pcp, gateway.Request{Interaction: "update", ResourceType: "Patient", Patients: []string{"child-01"}}, "not_read_only"},
		{"delete", pcp, gateway.Request{Interaction: "delete", ResourceType: "Patient", Patients: []string{"child-01"}}, "not_read_only"},
		{"scope for another type", observationsOnly, readPatient("child-01"), "scope_not_permitted"},
		{"no patient", pcp, gateway.Request{Interaction: gateway.Search, ResourceType: "Patient"}, "no_patient_named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.az.Decide(context.Background(), tt.caller, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow || len(d.Reasons) != 1 || d.Reasons[0].Code != tt.code {
				t.Fatalf("want refusal %s, got %+v", tt.code, d)
			}
			for id, p := range d.Patients {
				if p.Allowed {
					t.Fatalf("patient %s allowed in a refused request", id)
				}
			}
		})
	}
}

func TestDecisionIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, err := e.az.Decide(ctx, pcp, readPatient("child-01"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.az.Decide(ctx, pcp, readPatient("child-01"))
	if err != nil {
		t.Fatal(err)
	}
	if a.DecisionID == "" || a.DecisionID == b.DecisionID {
		t.Fatalf("decision ids %q and %q must be distinct and present", a.DecisionID, b.DecisionID)
	}
	if rev := e.az.PolicyRevision(); a.PolicyRevision != rev || !strings.HasPrefix(rev, "sha256:") {
		t.Fatalf("policy revision %q, authorizer's %q", a.PolicyRevision, rev)
	}
}

// TestDecideDirectory is the clinician directory rule: a request naming no patient for a
// directory type is allowed on the basis "clinician_directory" to a clinician whose scopes
// cover it, refused with a reason code otherwise, and decided without asking the upstream.
func TestDecideDirectory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	practitionersOnly := pcp
	practitionersOnly.Scopes = []string{"openid", "user/Practitioner.rs"}
	launched := pcp
	launched.Scopes, launched.Patient = []string{"launch/patient", "patient/*.rs"}, "child-01"
	tests := []struct {
		name   string
		caller gateway.Caller
		req    gateway.Request
		code   string // empty: allowed on the directory basis
	}{
		{"clinician reads a Practitioner", pcp, gateway.Request{Interaction: gateway.Read, ResourceType: "Practitioner"}, ""},
		{"clinician searches Organizations", specialist, gateway.Request{Interaction: gateway.Search, ResourceType: "Organization"}, ""},
		{"patient-context scope", launched, gateway.Request{Interaction: gateway.VRead, ResourceType: "Location"}, ""},
		{"staff has no Practitioner", staff, gateway.Request{Interaction: gateway.Read, ResourceType: "Practitioner"}, "not_clinician"},
		{"scope for another type", practitionersOnly, gateway.Request{Interaction: gateway.Search, ResourceType: "Medication"}, "scope_not_permitted"},
		{"not a directory type", pcp, gateway.Request{Interaction: gateway.Search, ResourceType: "Observation"}, "no_patient_named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.az.Decide(context.Background(), tt.caller, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.PolicyRevision == "" || d.PolicyRevision != e.az.PolicyRevision() || d.DecisionID == "" {
				t.Fatalf("decision lacks its identity: %+v", d)
			}
			if tt.code == "" {
				if !d.Allow || d.Basis != "clinician_directory" || len(d.Reasons) != 0 || len(d.Patients) != 0 {
					t.Fatalf("want allowed on the directory basis, got %+v", d)
				}
				return
			}
			if d.Allow || d.Basis != "" || len(d.Reasons) != 1 || d.Reasons[0].Code != tt.code || d.Reasons[0].Message == "" {
				t.Fatalf("want refusal %s, got %+v", tt.code, d)
			}
		})
	}
	if n := e.up.requests.Load(); n != 0 {
		t.Errorf("directory decisions made %d upstream requests, want none", n)
	}
}
