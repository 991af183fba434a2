package test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestSponsoredStaff: pcp sponsors staff; staff see exactly pcp's patients and read the
// directory through pcp; every audit record of a staff request names the sponsor; staff
// cannot sponsor; pcp suspends and reinstates staff; when the support team suspends pcp with
// `mypatients account suspend`, staff are refused on the next request, and `account
// reinstate` gives both their access back.
func TestSponsoredStaff(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "staff", "pcp")

	status, list := w.api(t, "GET", "/api/staff", w.tokens["pcp"], nil)
	staff, _ := list["staff"].([]any)
	if status != http.StatusOK || len(staff) != 1 || staff[0].(map[string]any)["id"] != "accounts:u-staff" {
		t.Fatalf("pcp's staff: %d %v", status, list)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/Patient/child-01", 200}, {"/Patient/child-07", 200}, {"/Patient/child-10", 403}, {"/Patient/child-20", 403},
		// The directory is theirs through their sponsor: who to call.
		{"/Practitioner/dr-patel", 200}, {"/PractitionerRole?organization=practice-maple", 200},
	} {
		if status, body := w.read(t, "staff", tc.path); status != tc.status {
			t.Errorf("staff GET %s: %d, want %d; %.200s", tc.path, status, tc.status, body)
		}
	}
	status, body := w.fhir(t, http.MethodGet, "/Patient?_count=50", w.tokens["staff"])
	var ids []string
	for _, id := range []string{"01", "02", "03", "04", "05", "06", "07", "08", "09"} {
		if strings.Contains(string(body), `"id":"child-`+id+`"`) {
			ids = append(ids, id)
		}
	}
	if status != http.StatusOK || len(ids) != 9 || strings.Contains(string(body), `"id":"child-1`) {
		t.Errorf("staff's patient list: %d, pcp's patients found %v; %.300s", status, ids, body)
	}
	recs := readAudit(t, w.gateway)
	for _, r := range recs {
		if r["user"] == "accounts:u-staff" && r["sponsor"] != "accounts:u-pcp" {
			t.Errorf("audit record of a staff request without the sponsor: %v", r)
		}
	}
	if !slices.ContainsFunc(recs, func(r map[string]any) bool {
		return r["user"] == "accounts:u-staff" && r["resource_type"] == "Practitioner" && r["decision"] == "allow" &&
			r["reason"] == "clinician_directory"
	}) {
		t.Errorf("no audit record of staff reading the directory on the clinician_directory basis")
	}

	nurse := map[string]string{"name": "Sam Lee", "role": "referral coordinator", "email": "sam.lee@maple-pediatrics.example.org"}
	if status, out := w.api(t, "POST", "/api/staff", w.tokens["pcp"], nurse); status != http.StatusCreated || out["sponsor"] != "accounts:u-pcp" {
		t.Fatalf("pcp creates a staff account: %d %v", status, out)
	}
	if m := w.waitMail(t, "sam.lee@maple-pediatrics.example.org", "staff account"); !strings.Contains(m.Body, "/accounts/setup") {
		t.Errorf("welcome mail: %q", m.Body)
	}
	if status, _ := w.api(t, "POST", "/api/staff", w.tokens["staff"], nurse); status != http.StatusForbidden {
		t.Errorf("staff sponsoring: %d, want 403", status)
	}

	if status, out := w.api(t, "POST", "/api/staff/accounts:u-staff/suspend", w.tokens["pcp"], nil); status != http.StatusOK {
		t.Fatalf("suspend staff: %d %v", status, out)
	}
	if status, body := w.read(t, "staff", "/Patient/child-01"); status != http.StatusForbidden || !strings.Contains(body, "staff account is suspended") {
		t.Errorf("suspended staff: %d %.300s", status, body)
	}
	if status, _ := w.api(t, "POST", "/api/staff/accounts:u-staff/reinstate", w.tokens["pcp"], nil); status != http.StatusOK {
		t.Fatal("reinstate staff")
	}
	if status, _ := w.read(t, "staff", "/Patient/child-01"); status != http.StatusOK {
		t.Errorf("reinstated staff: %d", status)
	}

	// The support team suspends pcp with the CLI, on the gateway's Redis.
	cli := []string{"MYPATIENTS_REDIS_URL=" + w.redisURL}
	if code, out := runCLI(t, cli, "account", "suspend", "accounts:u-pcp", "--reason", "licence under review", "--by", "support-test"); code != 0 || !strings.Contains(out, `"standing": "suspended"`) {
		t.Fatalf("account suspend exited %d:\n%s", code, out)
	}
	for _, user := range []string{"staff", "pcp"} {
		if status, body := w.read(t, user, "/Patient/child-01"); status != http.StatusForbidden {
			t.Errorf("%s after pcp's suspension: %d %.200s", user, status, body)
		}
	}
	if status, body := w.read(t, "staff", "/Practitioner/dr-patel"); status != http.StatusForbidden || !strings.Contains(body, "provider who sponsors you is suspended") {
		t.Errorf("staff reading the directory after pcp's suspension: %d %.300s", status, body)
	}
	recs = readAudit(t, w.gateway)
	i := slices.IndexFunc(recs, func(r map[string]any) bool {
		return r["user"] == "accounts:u-staff" && r["reason"] == "sponsor_suspended"
	})
	if i < 0 {
		t.Errorf("no audit record of staff refused for the sponsor's suspension")
	}
	if !slices.ContainsFunc(readEvents(t, w.gateway), func(r map[string]any) bool {
		return r["subject"] == "accounts:u-pcp" && r["event"] == "account.suspend" && r["note"] == "licence under review" && r["actor"] == "support:support-test"
	}) {
		t.Errorf("no audit record of the support team's suspension of pcp")
	}

	if code, out := runCLI(t, cli, "account", "show", "accounts:u-staff"); code != 0 ||
		!strings.Contains(out, `"sponsor_standing": "suspended"`) || !strings.Contains(out, `"sponsor": "accounts:u-pcp"`) {
		t.Errorf("account show of staff exited %d:\n%s", code, out)
	}
	if code, out := runCLI(t, cli, "account", "reinstate", "accounts:u-pcp", "--by", "support-test"); code != 0 || !strings.Contains(out, `"standing": "active"`) {
		t.Fatalf("account reinstate exited %d:\n%s", code, out)
	}
	for _, user := range []string{"staff", "pcp"} {
		if status, body := w.read(t, user, "/Patient/child-01"); status != http.StatusOK {
			t.Errorf("%s after pcp's reinstatement: %d %.200s", user, status, body)
		}
	}
	if !slices.ContainsFunc(readEvents(t, w.gateway), func(r map[string]any) bool {
		return r["subject"] == "accounts:u-pcp" && r["event"] == "account.reinstate"
	}) {
		t.Errorf("no audit record of pcp's reinstatement")
	}
}
