package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
)

// want is one expected event record: every field named must be exactly so.
type want map[string]any

// TestAccessManagementIsAudited (finding 5): every access-management and sign-in action leaves
// its record in the audit trail, checked record by record: the event, outcome, actor,
// subject, sponsor, patients, reason, client and the client's address; and no record holds a
// token, password or set-up link.
func TestAccessManagementIsAudited(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "pcp", "specialist", "colleague")
	portal := w.portalToken(t)
	const sam = "sam.audit@maple-pediatrics.example.org"
	status, st := w.api(t, "POST", "/api/staff", w.tokens["pcp"], map[string]string{"name": "Sam", "role": "RN", "email": sam})
	if status != http.StatusCreated {
		t.Fatalf("create staff: %d %v", status, st)
	}
	samID := st["id"].(string)
	link := setupLink.FindString(w.waitMail(t, sam, "staff account").Body)
	b := browser(t)
	const password = "a long phrase only sam knows"
	if status, body := postSetup(t, b, link, openSetupPage(t, b, link), password, password); status != http.StatusOK {
		t.Fatalf("set-up: %d %.200s", status, body)
	}
	for _, action := range []string{"suspend", "reinstate", "remove"} {
		if status, out := w.api(t, "POST", "/api/staff/"+samID+"/"+action, w.tokens["pcp"], nil); status != http.StatusOK {
			t.Fatalf("%s: %d %v", action, status, out)
		}
	}
	w.api(t, "POST", "/api/staff/"+samID+"/reinstate", w.tokens["pcp"], nil) // refused: removal is final
	family := map[string]string{"patient": "child-20", "kind": "family", "name": "Dr. Claire Moreau", "email": specialistEmail}
	_, req := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], family)
	w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], family) // a duplicate
	family["patient"] = "child-19"
	_, req2 := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], family)
	w.api(t, "POST", "/api/portal/patients/child-20/requests/"+req["request"].(string)+"/approve", portal, map[string]string{"by": "guardian-20"})
	w.api(t, "POST", "/api/portal/patients/child-19/requests/"+req2["request"].(string)+"/deny", portal, map[string]string{"by": "guardian-19"})
	_, inv := w.api(t, "POST", "/api/portal/patients/child-22/invitations", portal, map[string]string{"mrn": "MRN100022", "by": "guardian-22"})
	token := inv["token"].(string)
	w.api(t, "POST", "/api/invitations/redeem", w.tokens["colleague"], map[string]string{"token": token, "mrn": "MRN100021"})
	w.api(t, "POST", "/api/invitations/redeem", w.tokens["specialist"], map[string]string{"token": token, "mrn": "MRN100022"})
	w.api(t, "POST", "/api/portal/patients/child-22/grants/revoke", portal, map[string]string{"clinician": "accounts:u-specialist", "by": "guardian-22"})
	if code, out := runCLI(t, []string{"MYPATIENTS_REDIS_URL=" + w.redisURL}, "account", "suspend", "accounts:u-pcp2", "--reason", "licence review", "--by", "kim"); code != 0 {
		t.Fatalf("account suspend: %s", out)
	}
	if _, err := login.Login(context.Background(), w.shellOptions(), "accounts", "pcp", "wrong password"); err == nil {
		t.Fatal("a wrong password signed in")
	}

	recs := readEvents(t, w.gateway)
	pcp, spec := "accounts:u-pcp", "accounts:u-specialist"
	for _, x := range []want{
		{"event": "signin", "outcome": "success", "actor": pcp, "subject": pcp, "client": "demo-shell"},
		{"event": "signin", "outcome": "success", "actor": spec, "subject": spec, "client": "demo-shell"},
		{"event": "staff.create", "outcome": "success", "actor": pcp, "subject": samID, "sponsor": pcp, "client": "demo-shell"},
		{"event": "staff.setup_link.issue", "outcome": "success", "actor": pcp, "subject": samID, "sponsor": pcp},
		{"event": "staff.setup_link.use", "outcome": "success", "actor": samID, "subject": samID, "sponsor": pcp, "client": "setup-page"},
		{"event": "staff.suspend", "outcome": "success", "actor": pcp, "subject": samID},
		{"event": "staff.reinstate", "outcome": "success", "actor": pcp, "subject": samID},
		{"event": "staff.remove", "outcome": "success", "actor": pcp, "subject": samID},
		{"event": "staff.reinstate", "outcome": "failure", "reason": "removed_final", "subject": samID},
		{"event": "access_request.file", "outcome": "success", "actor": spec, "subject": spec, "patients": "child-20", "reason": "family_access"},
		{"event": "access_request.file", "outcome": "failure", "actor": spec, "patients": "child-20", "reason": "duplicate"},
		{"event": "access_request.approve", "outcome": "success", "actor": "portal:guardian-20", "subject": spec, "patients": "child-20", "client": "patient-portal"},
		{"event": "access_request.deny", "outcome": "success", "actor": "portal:guardian-19", "subject": spec, "patients": "child-19"},
		{"event": "invitation.issue", "outcome": "success", "actor": "portal:guardian-22", "patients": "child-22", "client": "patient-portal"},
		{"event": "invitation.redeem_failure", "outcome": "failure", "actor": "accounts:u-colleague", "reason": "invalid_invitation", "patients": ""},
		{"event": "invitation.redeem", "outcome": "success", "actor": spec, "subject": spec, "patients": "child-22"},
		{"event": "grant.revoke", "outcome": "success", "actor": "portal:guardian-22", "subject": spec, "patients": "child-22"},
		{"event": "account.suspend", "outcome": "success", "actor": "support:kim", "subject": "accounts:u-pcp2", "note": "licence review", "client": "mypatients-cli"},
		{"event": "signin.failure", "outcome": "failure", "reason": "invalid_credentials", "client": "idp:MyPatients accounts"},
	} {
		i := slices.IndexFunc(recs, func(r map[string]any) bool { return matches(r, x) })
		if i < 0 {
			t.Errorf("no audit record %v among:\n%s", x, describe(recs))
			continue
		}
		r := recs[i]
		if x["event"] != "account.suspend" && r["source"] != "127.0.0.1" {
			t.Errorf("record %v: source %v, want the client's address", x, r["source"])
		}
		recs = slices.Delete(recs, i, i+1) // each record answers one expectation
	}
	all, _ := json.Marshal(readTrail(t, w.gateway))
	for _, secret := range []string{token, strings.ReplaceAll(token, "-", ""), password, w.password, w.tokens["pcp"], link} {
		if strings.Contains(string(all), secret) {
			t.Errorf("the audit trail holds a secret: %.20s…", secret)
		}
	}
}

// matches reports whether record r has every field of x; "patients" names the one patient, or
// "" for none.
func matches(r map[string]any, x want) bool {
	for k, v := range x {
		if k == "patients" {
			if strings.Join(toStrings(r["patients"]), ",") != v {
				return false
			}
			continue
		}
		if r[k] != v {
			return false
		}
	}
	return true
}

func describe(recs []map[string]any) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "  %v %v actor=%v subject=%v patients=%v reason=%v client=%v\n", r["event"], r["outcome"], r["actor"], r["subject"], r["patients"], r["reason"], r["client"])
	}
	return b.String()
}
