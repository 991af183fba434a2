package test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const specialistEmail = "claire.moreau@lakeside-cardiology.example.org"

// TestAccessRequestApprovedThenRevoked: a specialist is refused, asks the family, the patient
// portal (as a backend client) approves, the specialist is emailed and can read, the portal
// revokes, and the next read is refused.
func TestAccessRequestApprovedThenRevoked(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "specialist")

	status, body := w.read(t, "specialist", "/Patient/child-20")
	if status != http.StatusForbidden || !strings.Contains(body, "request PCP access") || !strings.Contains(body, "family") {
		t.Fatalf("first read: %d %.400s", status, body)
	}
	contact := map[string]any{"patient": "child-20", "kind": "family", "name": "Dr. Claire Moreau",
		"email": specialistEmail, "phone": "555-0100", "practice": "Lakeside Cardiology Associates"}
	status, req := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], contact)
	if status != http.StatusCreated || req["portal_account"] != nil || req["request"] == "" {
		t.Fatalf("family request: %d %v", status, req)
	}

	portal := w.portalToken(t)
	status, list := w.api(t, "GET", "/api/portal/patients/child-20/access", portal, nil)
	pending, _ := list["pending_requests"].([]any)
	if status != http.StatusOK || len(pending) != 1 || pending[0].(map[string]any)["id"] != req["request"] {
		t.Fatalf("portal list: %d %v", status, list)
	}
	if status, out := w.api(t, "GET", "/api/portal/patients/child-20/access", w.tokens["specialist"], nil); status != http.StatusForbidden {
		t.Errorf("a clinician's token on the portal API: %d %v", status, out)
	}
	approve := "/api/portal/patients/child-20/requests/" + req["request"].(string) + "/approve"
	if status, out := w.api(t, "POST", approve, portal, map[string]string{"by": "mychildrens:guardian-20"}); status != http.StatusOK || out["status"] != "approved" {
		t.Fatalf("approve: %d %v", status, out)
	}
	if status, _ := w.api(t, "POST", approve, portal, map[string]string{"by": "mychildrens:guardian-20"}); status != http.StatusConflict {
		t.Errorf("approving twice: %d, want 409", status)
	}
	msg := w.waitMail(t, specialistEmail, "approved")
	if strings.Contains(msg.Body, "child-20") || !strings.Contains(msg.Body, "0020") {
		t.Errorf("approval email names the patient or lacks the MRN's end: %q", msg.Body)
	}

	if status, body := w.read(t, "specialist", "/Patient/child-20"); status != http.StatusOK {
		t.Fatalf("read after approval: %d %.300s", status, body)
	}
	if status, _ := w.read(t, "specialist", "/Patient/child-19"); status != http.StatusForbidden {
		t.Errorf("the grant opened another patient: %d", status)
	}
	recs := readAudit(t, w.gateway)
	if last := recs[len(recs)-2]; last["basis"].(map[string]any)["child-20"] != "patient_grant" {
		t.Errorf("audit basis of the granted read = %v", last["basis"])
	}

	// The granted patient is on the specialist's patient list, and no one else is.
	if ids := w.patientList(t, "specialist"); strings.Join(ids, ",") != "child-20" {
		t.Errorf("specialist's patient list after approval = %v, want [child-20]", ids)
	}

	revoke := map[string]string{"clinician": "accounts:u-specialist", "by": "mychildrens:guardian-20"}
	if status, out := w.api(t, "POST", "/api/portal/patients/child-20/grants/revoke", portal, revoke); status != http.StatusOK || out["revoked_at"] == nil {
		t.Fatalf("revoke: %d %v", status, out)
	}
	if status, body := w.read(t, "specialist", "/Patient/child-20"); status != http.StatusForbidden {
		t.Fatalf("read after revocation: %d %.300s", status, body)
	}
	if ids := w.patientList(t, "specialist"); len(ids) != 0 {
		t.Errorf("specialist's patient list after revocation = %v, want none", ids)
	}
	_, list = w.api(t, "GET", "/api/portal/patients/child-20/access", portal, nil)
	if g, _ := list["grants"].([]any); len(g) != 0 {
		t.Errorf("grants after revocation: %v", list)
	}
	if r, _ := list["revoked"].([]any); len(r) != 1 {
		t.Errorf("revoked history: %v", list)
	}
}

// TestAccessRequestsOtherPaths: a PCP request goes to the support team with the requester's
// contact details; a family without a portal account gets printable instructions.
func TestAccessRequestsOtherPaths(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "specialist")
	// The SMTP server is down when the request is made: the mail waits in the outbox and is
	// delivered once the server is back.
	w.smtp.SetFailing(true)
	pcp := map[string]any{"patient": "child-23", "kind": "pcp", "name": "Dr. Claire Moreau",
		"email": specialistEmail, "phone": "555-0100", "practice": "Lakeside Cardiology Associates"}
	if status, out := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], pcp); status != http.StatusCreated {
		t.Fatalf("PCP request: %d %v", status, out)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := w.smtp.Messages(); len(got) != 0 {
		t.Fatalf("mail delivered while the SMTP server refused it: %v", got)
	}
	w.smtp.SetFailing(false)
	msg := w.waitMail(t, "support@test.example.org", "PCP access request")
	for _, want := range []string{"MRN100023", "Dr. Claire Moreau", specialistEmail, "555-0100", "accounts:u-specialist"} {
		if !strings.Contains(msg.Body, want) {
			t.Errorf("support email lacks %q: %s", want, msg.Body)
		}
	}
	family := map[string]any{"patient": "child-21", "kind": "family", "name": "Dr. Claire Moreau", "email": specialistEmail}
	status, out := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], family)
	if status != http.StatusCreated || out["portal_account"] != nil || out["signup_instructions"] == nil {
		t.Fatalf("request for a family without a portal account: %d %v", status, out)
	}
	// A patient the hospital does not have gets the same answer: requests are no oracle.
	family["patient"] = "child-99"
	if status, ghost := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], family); status != http.StatusCreated ||
		ghost["message"] != out["message"] {
		t.Errorf("request for an unknown patient: %d %v", status, ghost)
	}
	resp, err := http.Get(w.base + out["signup_instructions"].(string))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-up instructions: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestInvitationTokens: issued, emailed, refused with the wrong MRN, granted with the right
// one, refused when used again, refused when six months old; staff redeeming grants the sponsor.
func TestInvitationTokens(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "specialist", "staff", "pcp")
	portal := w.portalToken(t)
	invite := map[string]string{"mrn": "MRN100019", "email": specialistEmail, "by": "mychildrens:guardian-19"}
	status, out := w.api(t, "POST", "/api/portal/patients/child-19/invitations", portal, invite)
	token, _ := out["token"].(string)
	if status != http.StatusCreated || len(token) < 26 || out["emailed"] != true {
		t.Fatalf("issue: %d %v", status, out)
	}
	msg := w.waitMail(t, specialistEmail, "invited")
	if !strings.Contains(msg.Body, token) || strings.Contains(msg.Body, "MRN100019") {
		t.Errorf("invitation email must carry the token and not the whole MRN: %q", msg.Body)
	}
	redeem := func(user, token, mrn string) (int, map[string]any) {
		return w.api(t, "POST", "/api/invitations/redeem", w.tokens[user], map[string]string{"token": token, "mrn": mrn})
	}
	status, wrong := redeem("specialist", token, "MRN100018")
	if status != http.StatusBadRequest || wrong["error"] != "invalid_invitation" {
		t.Fatalf("wrong MRN: %d %v", status, wrong)
	}
	if status, ok := redeem("specialist", strings.ToLower(token), "MRN100019"); status != http.StatusOK || ok["granted"] != true {
		t.Fatalf("right MRN: %d %v", status, ok)
	}
	if status, body := w.read(t, "specialist", "/Patient/child-19"); status != http.StatusOK {
		t.Fatalf("read after redeeming: %d %.300s", status, body)
	}
	status, used := redeem("specialist", token, "MRN100019")
	if status != http.StatusBadRequest || used["message"] != wrong["message"] {
		t.Errorf("used token: %d %v (must say exactly what a wrong MRN says)", status, used)
	}

	// A six-month-old invitation, as the store would have written it then.
	old := "OLDINVITATIONTOKEN234567AB"
	sum := sha256.Sum256([]byte(old))
	rdb := w.redis(t)
	issued := time.Now().Add(-184 * 24 * time.Hour)
	key := "mypatients:invitation:" + hex.EncodeToString(sum[:])
	if err := rdb.HSet(context.Background(), key, "patient_id", "child-22", "mrn", "MRN100022", "by", "mychildrens:guardian-22",
		"issued_at", issued.Unix(), "expires_at", issued.Add(183*24*time.Hour).Unix()).Err(); err != nil {
		t.Fatal(err)
	}
	if status, exp := redeem("specialist", old, "MRN100022"); status != http.StatusBadRequest || exp["message"] != wrong["message"] {
		t.Errorf("expired token: %d %v", status, exp)
	}

	// Staff redeem an invitation: the grant goes to their sponsor, pcp, and staff see the
	// patient through pcp.
	_, out = w.api(t, "POST", "/api/portal/patients/child-22/invitations", portal,
		map[string]string{"mrn": "MRN100022", "by": "mychildrens:guardian-22"})
	status, ok := redeem("staff", out["token"].(string), "MRN100022")
	if status != http.StatusOK || ok["clinician"] != "accounts:u-pcp" || !strings.Contains(ok["message"].(string), "sponsor") {
		t.Fatalf("staff redeeming: %d %v", status, ok)
	}
	for _, user := range []string{"staff", "pcp"} {
		if status, body := w.read(t, user, "/Patient/child-22"); status != http.StatusOK {
			t.Errorf("%s reads child-22 after staff redeemed: %d %.200s", user, status, body)
		}
	}
}

// patientList returns the ids of a broad Patient search as user: their patient list.
func (w *accessWorld) patientList(t *testing.T, user string) []string {
	t.Helper()
	status, body := w.read(t, user, "/Patient?_count=100")
	if status != http.StatusOK {
		t.Fatalf("%s's patient list: %d %.300s", user, status, body)
	}
	var b struct {
		Entry []struct {
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range b.Entry {
		ids = append(ids, e.Resource.ID)
	}
	return ids
}
