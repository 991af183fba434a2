package auditevent_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/audit"
	ae "github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/audit/auditevent/balptest"
)

var when = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

// fhirRecord is pcp's allowed read of child-01 as fhirproxy records it.
func fhirRecord() audit.Record {
	return audit.Record{Time: when, RequestID: "REQ1", Event: "fhir.read", User: "accounts:u-pcp", Username: "pcp",
		FHIRUser: "Practitioner/dr-patel", Client: "demo-app", TokenID: "jti-1", Source: "127.0.0.1",
		Patients: []string{"child-01"}, Disclosed: []string{"child-01"}, ResourceType: "Observation", Interaction: "read",
		Resource: "Observation/obs-01", Decision: "allow", Basis: map[string]string{"child-01": "pcp"},
		DecisionID: "DEC1", PolicyRevision: "rev-7", Status: 200}
}

func TestEventsFollowBALP(t *testing.T) {
	t.Parallel()
	m := ae.New("https://mypatients.example.org")
	search := fhirRecord()
	search.Event, search.Interaction, search.Resource, search.Query = "fhir.search", "search", "", "family=Rivera&_count=5"
	search.Patients, search.Disclosed = []string{"child-01", "child-02"}, []string{"child-01"}
	search.Basis = map[string]string{"child-01": "pcp", "child-02": "not_pcp"}
	directory := search
	directory.ResourceType, directory.Patients, directory.Disclosed, directory.Basis, directory.Reason = "Practitioner", []string{}, nil, nil, "clinician_directory"
	denied := fhirRecord()
	denied.Decision, denied.Reason, denied.Status, denied.Disclosed = "deny", "not_pcp", 403, nil
	unauthenticated := audit.Record{Time: when, RequestID: "REQ9", Patients: []string{}, Decision: "deny", Reason: "unauthenticated", Status: 401, Source: "10.0.0.7"}
	staff := fhirRecord()
	staff.User, staff.Username, staff.FHIRUser, staff.Sponsor = "accounts:u-staff", "staff", "", "accounts:u-pcp"

	for _, tc := range []struct {
		name    string
		rec     audit.Record
		events  int
		profile string
		outcome string
		check   func(t *testing.T, ev ae.AuditEvent)
	}{
		{"allowed read", fhirRecord(), 1, ae.ProfilePRead, "0", func(t *testing.T, ev ae.AuditEvent) {
			user := ev.Agent[0]
			if user.Who.Reference != "Practitioner/dr-patel" || user.Who.Identifier.Value != "accounts:u-pcp" || user.Policy[0] != ae.JTIPrefix+"jti-1" {
				t.Errorf("user agent = %+v", user)
			}
			wantDetail(t, ev, "basis", "pcp")
			wantDetail(t, ev, "policy_revision", "rev-7")
		}},
		{"search of two patients", search, 2, ae.ProfilePQry, "0", func(t *testing.T, ev ae.AuditEvent) {
			q, _ := base64.StdEncoding.DecodeString(entityWithRole(ev, "24").Query)
			if string(q) != "Observation?family=Rivera&_count=5" {
				t.Errorf("query entity = %q", q)
			}
		}},
		{"directory search", directory, 1, ae.ProfileQuery, "0", func(t *testing.T, ev ae.AuditEvent) {
			wantDetail(t, ev, "rule", "clinician_directory")
		}},
		{"refused read", denied, 1, "", "4", func(t *testing.T, ev ae.AuditEvent) {
			if ev.OutcomeDesc != "not_pcp" {
				t.Errorf("outcomeDesc = %q", ev.OutcomeDesc)
			}
			wantDetail(t, ev, "reason", "not_pcp")
		}},
		{"unauthenticated", unauthenticated, 1, "", "4", func(t *testing.T, ev ae.AuditEvent) {
			if ev.Agent[0].Who.Display != "unauthenticated client" || !ev.Agent[0].Requestor || ev.Agent[0].Network.Address != "10.0.0.7" {
				t.Errorf("client agent = %+v", ev.Agent[0])
			}
		}},
		{"staff read on the sponsor's behalf", staff, 1, ae.ProfilePRead, "0", func(t *testing.T, ev ae.AuditEvent) {
			resp := ev.Agent[1]
			if resp.Type.Coding[0].Code != "RESP" || resp.Who.Identifier.Value != "accounts:u-pcp" || resp.Requestor {
				t.Errorf("sponsor agent = %+v", resp)
			}
		}},
		{"grant revoked on the patient portal", audit.Record{Time: when, RequestID: "REQ3", Event: "grant.revoke", Actor: "portal:mychildrens:g-1",
			Subject: "accounts:u-specialist", Client: "demo-portal", Patients: []string{"child-20"}, Outcome: audit.Success, Source: "127.0.0.1"}, 1, "", "0",
			func(t *testing.T, ev ae.AuditEvent) {
				if ev.Type.Code != "110136" || ev.Action != "D" || ev.Agent[0].Type.Coding[0].Code != "429577009" || ev.Agent[0].Who.Identifier.Value != "mychildrens:g-1" {
					t.Errorf("event = %+v", ev)
				}
				if e := entityWithRole(ev, "11"); e.What == nil || e.What.Identifier.Value != "accounts:u-specialist" {
					t.Errorf("account entity = %+v", e)
				}
			}},
		{"failed sign-in", audit.Record{Time: when, RequestID: "REQ4", Event: "signin.failure", Actor: "accounts:u-pcp", Outcome: audit.Failure,
			Reason: "bad_credentials", Client: "mypatients-auditor", Source: "127.0.0.1"}, 1, "", "4", func(t *testing.T, ev ae.AuditEvent) {
			if ev.Type.Code != "110114" || ev.Subtype[0].Code != "110122" || ev.OutcomeDesc != "bad_credentials" {
				t.Errorf("event = %+v", ev)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := m.Events(tc.rec, 42)
			if len(evs) != tc.events {
				t.Fatalf("%d events, want %d", len(evs), tc.events)
			}
			for _, ev := range evs {
				if problems := balptest.Check(ev); len(problems) > 0 {
					t.Errorf("BALP: %v\n%s", problems, mustJSON(t, ev))
				}
				if got := profileOf(ev); got != tc.profile || ev.Outcome != tc.outcome {
					t.Errorf("profile %q outcome %q, want %q %q", got, ev.Outcome, tc.profile, tc.outcome)
				}
				if ev.Extension[0].ValueString != "42" {
					t.Errorf("sequence extension = %+v", ev.Extension)
				}
				tc.check(t, ev)
			}
			if len(evs) > 1 && (evs[0].ID == evs[1].ID || evs[0].Entity[0].Name == evs[1].Entity[0].Name) {
				t.Errorf("events of one record share an id or key: %s %s", evs[0].ID, evs[1].ID)
			}
		})
	}
}

// TestEventsCarryNoSecrets maps a record whose every field is filled and requires that the
// AuditEvent says nothing the record does not: the record holds no token, so neither does it.
func TestEventsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	rec := fhirRecord()
	b, err := json.Marshal(ae.New("https://gw.example.org").Events(rec, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Bearer", "password", "eyJ"} {
		if strings.Contains(string(b), s) {
			t.Errorf("AuditEvent holds %q: %s", s, b)
		}
	}
}

// TestCheckFailsABrokenEvent: the BALP checker must fail an AuditEvent that lost an element
// its profile requires, or every test that relies on it proves nothing.
func TestCheckFailsABrokenEvent(t *testing.T) {
	t.Parallel()
	rec := fhirRecord()
	rec.Event, rec.Interaction, rec.Resource, rec.Query = "fhir.search", "search", "", "_count=5"
	ev := ae.New("https://gw.example.org").Events(rec, 1)[0]
	ev.Entity = slices.DeleteFunc(ev.Entity, func(e ae.Entity) bool { return e.Role != nil && e.Role.Code == "24" })
	ev.Agent = ev.Agent[1:]
	if problems := balptest.Check(ev); len(problems) < 2 {
		t.Errorf("a query without its query entity or user passed: %v", problems)
	}
}

func profileOf(ev ae.AuditEvent) string {
	if ev.Meta == nil {
		return ""
	}
	return ev.Meta.Profile[0]
}

func entityWithRole(ev ae.AuditEvent, role string) ae.Entity {
	for _, e := range ev.Entity {
		if e.Role != nil && e.Role.Code == role {
			return e
		}
	}
	return ae.Entity{}
}

func wantDetail(t *testing.T, ev ae.AuditEvent, typ, value string) {
	t.Helper()
	for _, e := range ev.Entity {
		for _, d := range e.Detail {
			if d.Type == typ && d.ValueString == value {
				return
			}
		}
	}
	t.Errorf("no entity detail %s=%s in %s", typ, value, mustJSON(t, ev))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
