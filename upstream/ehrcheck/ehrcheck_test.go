package ehrcheck_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/ehr"
	"github.com/mypatients/gateway/demo/ehr/ehrtest"
	"github.com/mypatients/gateway/fhirproxy"
	"github.com/mypatients/gateway/sharing"
	"github.com/mypatients/gateway/upstream/ehrcheck"
)

func check(t *testing.T, d *ehr.Dataset) []ehrcheck.Finding {
	t.Helper()
	up, _ := ehrtest.Start(t, d)
	found, err := ehrcheck.Run(context.Background(), ehrcheck.Options{Upstream: up, Served: fhirproxy.Served(),
		MRNSystem: sharing.MRNSystem, PortalExtension: sharing.PortalAccountExtension,
		IdentifierSystems: map[string]string{"sso": "http://hl7.org/fhir/sid/us-npi"}})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestCompleteEHR: the demo EHR provides everything.
func TestCompleteEHR(t *testing.T) {
	t.Parallel()
	for _, f := range check(t, ehr.Seed()) {
		if f.Status != ehrcheck.OK {
			t.Errorf("demo EHR: %s %s: %s", f.Status, f.Item, f.Detail)
		}
	}
}

// TestIncompleteEHR: an EHR without PractitionerRoles and notes is told what it lacks.
func TestIncompleteEHR(t *testing.T) {
	t.Parallel()
	found := check(t, ehr.Seed().Without("PractitionerRole", "Binary"))
	want := map[string]string{"Patient.generalPractitioner": ehrcheck.Missing, "Binary.securityContext": ehrcheck.Missing}
	for _, f := range found {
		if st, ok := want[f.Item]; ok {
			if f.Status != st {
				t.Errorf("%s: %s (%s), want %s", f.Item, f.Status, f.Detail, st)
			}
			delete(want, f.Item)
		}
	}
	for item := range want {
		t.Errorf("no finding for %s in %v", item, found)
	}
	if !ehrcheck.AnyMissing(found) || !strings.Contains(findingOf(found, "Patient.generalPractitioner").Detail, "PractitionerRole/") {
		t.Errorf("the unresolved PCP roles are not named: %+v", findingOf(found, "Patient.generalPractitioner"))
	}
}

func findingOf(fs []ehrcheck.Finding, item string) ehrcheck.Finding {
	for _, f := range fs {
		if f.Item == item {
			return f
		}
	}
	return ehrcheck.Finding{}
}
