package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/ehr"
	"github.com/mypatients/gateway/demo/ehr/ehrtest"
	"github.com/mypatients/gateway/redisstore/redistest"
	"github.com/mypatients/gateway/smart/identity"
	"github.com/mypatients/gateway/upstream"
)

const npiSystem = "http://hl7.org/fhir/sid/us-npi"

// npiOf reads the NPI the EHR holds for a practitioner.
func npiOf(t *testing.T, up *upstream.Client, id string) string {
	t.Helper()
	var p struct {
		Identifier []struct{ System, Value string } `json:"identifier"`
	}
	if err := up.GetJSON(context.Background(), "Practitioner/"+id, nil, &p); err != nil {
		t.Fatal(err)
	}
	for _, i := range p.Identifier {
		if i.System == npiSystem {
			return i.Value
		}
	}
	t.Fatalf("Practitioner/%s has no NPI", id)
	return ""
}

func TestPractitioner(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, rs *redistest.Server) {
		up, _ := ehrtest.Start(t, ehr.Seed().With(map[string]any{"resourceType": "Practitioner", "id": "dr-twin",
			"identifier": []any{map[string]any{"system": npiSystem, "value": "1999999999"}}},
			map[string]any{"resourceType": "Practitioner", "id": "dr-twin-2",
				"identifier": []any{map[string]any{"system": npiSystem, "value": "1999999999"}}}))
		patel := npiOf(t, up, "dr-patel")
		r := identity.New(identity.Options{Upstream: up, Redis: rs.Client, KeyPrefix: "t:", CacheTTL: time.Minute,
			Rules: map[string]identity.Rule{
				"sso":   {Claim: "fhirUser"},
				"must":  {Claim: "fhirUser", Required: true},
				"npi":   {IdentifierClaim: "npi", IdentifierSystem: npiSystem, Required: true},
				"staff": {IdentifierClaim: "npi", IdentifierSystem: npiSystem},
			}})
		var asNumber float64
		if err := json.Unmarshal([]byte(patel), &asNumber); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, idp string
			claims    map[string]any
			want      string // the Practitioner, or the reason it is not resolved
			refuse    bool
		}{
			{"relative fhirUser", "sso", map[string]any{"fhirUser": "Practitioner/dr-patel"}, "Practitioner/dr-patel", false},
			{"absolute under the EHR's base", "sso", map[string]any{"fhirUser": up.Base().String() + "/Practitioner/dr-okafor"}, "Practitioner/dr-okafor", false},
			{"absolute at another server", "sso", map[string]any{"fhirUser": "https://elsewhere.example/fhir/Practitioner/dr-patel"}, identity.ReasonOtherServer, true},
			{"a Patient is not a clinician", "sso", map[string]any{"fhirUser": "Patient/child-01"}, identity.ReasonOtherServer, true},
			{"no claim, not required", "sso", map[string]any{"sub": "x"}, identity.ReasonNoClaim, false},
			{"no claim, required", "must", map[string]any{}, identity.ReasonNoClaim, true},
			{"NPI found", "npi", map[string]any{"npi": patel}, "Practitioner/dr-patel", false},
			{"NPI as a JSON number", "npi", map[string]any{"npi": asNumber}, "Practitioner/dr-patel", false},
			{"NPI nobody has", "npi", map[string]any{"npi": "1000000000"}, identity.ReasonNotFound, true},
			{"NPI two records have", "npi", map[string]any{"npi": "1999999999"}, identity.ReasonAmbiguous, true},
			{"no NPI, not required", "staff", map[string]any{"email": "x@example.org"}, identity.ReasonNoClaim, false},
			{"an IdP without a rule", "other", map[string]any{"fhirUser": "Practitioner/dr-patel"}, identity.ReasonNoClaim, false},
		}
		for _, tt := range tests {
			got, err := r.Practitioner(context.Background(), tt.idp, tt.claims)
			var un *identity.Unresolved
			switch {
			case errors.As(err, &un):
				if un.Reason != tt.want || un.Refuse != tt.refuse {
					t.Errorf("%s: unresolved %s (refuse %v), want %s (refuse %v)", tt.name, un.Reason, un.Refuse, tt.want, tt.refuse)
				}
			case err != nil:
				t.Errorf("%s: %v", tt.name, err)
			case got != tt.want:
				t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
			}
		}
	})
}

// TestPractitionerCached resolves an NPI once at the EHR, then from the cache while the EHR is
// gone; an EHR fault on an uncached NPI is an error, never "no practitioner".
func TestPractitionerCached(t *testing.T) {
	t.Parallel()
	up, hs := ehrtest.Start(t, ehr.Seed())
	patel, okafor := npiOf(t, up, "dr-patel"), npiOf(t, up, "dr-okafor")
	r := identity.New(identity.Options{Upstream: up, Redis: redistest.Embedded(t).Client, KeyPrefix: "t:", CacheTTL: time.Minute,
		Rules: map[string]identity.Rule{"npi": {IdentifierClaim: "npi", IdentifierSystem: npiSystem}}})
	ctx := context.Background()
	if got, err := r.Practitioner(ctx, "npi", map[string]any{"npi": patel}); err != nil || got != "Practitioner/dr-patel" {
		t.Fatalf("first resolution: %q, %v", got, err)
	}
	hs.Close()
	if got, err := r.Practitioner(ctx, "npi", map[string]any{"npi": patel}); err != nil || got != "Practitioner/dr-patel" {
		t.Errorf("cached resolution with the EHR down: %q, %v", got, err)
	}
	_, err := r.Practitioner(ctx, "npi", map[string]any{"npi": okafor})
	var un *identity.Unresolved
	if err == nil || errors.As(err, &un) {
		t.Errorf("uncached NPI with the EHR down: %v, want a fault", err)
	}
}
