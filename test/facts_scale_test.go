package test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/mypatients/gateway/demo/ehr"
)

// largePractice is the demo world with roles more at Maple Street Pediatrics, pcp's practice:
// a hospital-owned practice network with thousands of roles under one organization.
func largePractice(roles int) *ehr.Dataset {
	extra := make([]map[string]any, 0, roles)
	for i := range roles {
		extra = append(extra, map[string]any{"resourceType": "PractitionerRole", "id": fmt.Sprintf("role-bulk-%04d", i),
			"active": true, "practitioner": map[string]any{"reference": fmt.Sprintf("Practitioner/bulk-%04d", i)},
			"organization": map[string]any{"reference": "Organization/practice-maple"}})
	}
	return ehr.Seed().With(extra...)
}

// TestFactsAtFiveThousandRoles: with 5,000 roles at pcp's practice, pcp reads their own PCP
// patient and a practice patient, and is refused another practice's, asking the EHR exactly as
// often as in the demo world: a decision reads the PCPs' own roles, never the practice's roster.
// The patient list, which does need the roster, still lists the practice's patients.
func TestFactsAtFiveThousandRoles(t *testing.T) {
	t.Parallel()
	redisURL := startRedis(t)
	counts := map[string][]int64{}
	for name, world := range map[string]*ehr.Dataset{"demo world": ehr.Seed(), "5,000 roles": largePractice(5000)} {
		e := startWorldEHR(t, world)
		g := startGatewayWith(t, gatewayOptions{RedisURL: redisURL, Env: []string{
			"MYPATIENTS_UPSTREAM_URL=" + e.base, "MYPATIENTS_UPSTREAM_BEARER_TOKEN=" + e.token,
			"MYPATIENTS_REDIS_KEY_PREFIX=" + randomString(t)[:8] + ":"}})
		tok, err := loginUser(g, "pcp")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path string
			want int
		}{
			{"/Patient/child-01", http.StatusOK},        // pcp is the PCP
			{"/Patient/child-07", http.StatusOK},        // a colleague at Maple Street is
			{"/Patient/child-10", http.StatusForbidden}, // Harbor Family Medicine's
		} {
			before := e.requests.Load()
			if status, body := g.fhir(t, http.MethodGet, c.path, tok); status != c.want {
				t.Fatalf("%s: %s: status %d, want %d: %.300s", name, c.path, status, c.want, body)
			}
			counts[name] = append(counts[name], e.requests.Load()-before)
		}
		var list struct {
			Entry []struct{ Resource struct{ ID string } }
		}
		g.getJSON(t, tok, "/Patient?_count=50", &list)
		if len(list.Entry) != 9 {
			t.Errorf("%s: pcp's patient list has %d patients, want child-01 … child-09", name, len(list.Entry))
		}
	}
	small, large := counts["demo world"], counts["5,000 roles"]
	for i := range small {
		if small[i] != large[i] {
			t.Errorf("EHR requests per read: demo world %v, 5,000 roles %v: a decision must not depend on the practice's size", small, large)
			break
		}
	}
}
