package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/audit"
	ae "github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/audit/auditevent/balptest"
	"github.com/mypatients/gateway/demo/login"
)

// day is what the scripted day did, for the checks after it.
type day struct {
	w *accessWorld
	// disclosed are the request ids of the FHIR requests that released child-01's data.
	disclosed []string
	// ids names some requests for the checks of their AuditEvents.
	ids map[string]string
}

// TestAuditTrailScriptedDay runs a day at the gateway (sign-ins, reads, refusals, staff
// changes, a grant and its revocation, an auditor at work) with the Medplum Audit Record
// Repository and NDJSON files as sinks, then requires that every record of the day reached the
// repository once as an AuditEvent that Medplum's R4 validator accepted and that carries the
// BALP elements, that the files hold the same, that audit verify passes, that the accounting
// of disclosures of child-01 lists exactly the requests that released her data, and that the
// patient portal says who viewed her record.
func TestAuditTrailScriptedDay(t *testing.T) {
	t.Parallel()
	arr := startARR(t)
	yaml, filesDir := auditConfig(t, arr.base, arr.token, 0)
	d := &day{w: startAccessWorldWith(t, nil, yaml, "pcp", "specialist", "staff"), ids: map[string]string{}}
	d.readsAndRefusals(t)
	d.staffChanges(t)
	d.grantAndRevocation(t)
	d.auditorAtWork(t)
	d.portalViews(t)

	recs := streamRecords(t, d.w.redisURL, "audit")
	keys := eventKeys(d.w.base, recs)
	evs := waitForEvents(t, arr, len(keys), d.w.log)
	t.Run("the repository holds every record once, valid and with the BALP elements", func(t *testing.T) { d.checkRepository(t, evs, keys) })
	t.Run("the files hold the same", func(t *testing.T) { checkFiles(t, filesDir, keys) })
	t.Run("audit verify passes", func(t *testing.T) {
		if code, out := d.cli(t, "audit", "verify"); code != 0 || !strings.Contains(out, "OK: no entry was removed") {
			t.Errorf("audit verify: %d\n%s", code, out)
		}
	})
	t.Run("the accounting of disclosures lists exactly the accesses made", func(t *testing.T) { d.checkAccounting(t) })
	t.Run("the repository refuses an invalid AuditEvent", func(t *testing.T) { checkARRValidates(t, arr) })
}

func (d *day) cli(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return runCLI(t, nil, append(args, "--config", d.w.configFile, "--redis-url", d.w.redisURL)...)
}

// call makes a FHIR request as user ("" for none), requires its status and returns its id.
func (d *day) call(t *testing.T, user, path string, want int) string {
	t.Helper()
	status, id := fhirCallID(t, d.w.gateway, path, d.w.tokens[user])
	if status != want || id == "" {
		t.Fatalf("%s %s: %d (id %q), want %d", user, path, status, id, want)
	}
	return id
}

func (d *day) readsAndRefusals(t *testing.T) {
	d.ids["pcp read"] = d.call(t, "pcp", "/Patient/child-01", 200)
	d.ids["pcp search"] = d.call(t, "pcp", "/Observation?patient=child-01&_count=5", 200)
	d.ids["pcp list"] = d.call(t, "pcp", "/Patient?_count=50", 200) // her practice's patients, child-01 among them
	d.ids["staff read"] = d.call(t, "staff", "/Encounter?patient=child-01", 200)
	d.disclosed = []string{d.ids["pcp read"], d.ids["pcp search"], d.ids["pcp list"], d.ids["staff read"]}
	d.ids["refused"] = d.call(t, "specialist", "/Patient/child-01", 403)
	d.ids["unauthenticated"] = d.call(t, "", "/Patient/child-01", 401)
	d.ids["bad request"] = d.call(t, "pcp", "/Observation?patient=child-01&foo=1", 400)
}

func (d *day) staffChanges(t *testing.T) {
	status, out := d.w.api(t, "POST", "/api/staff", d.w.tokens["pcp"], map[string]any{"name": "Sam Lee", "role": "referral coordinator",
		"email": "sam.lee@maple-pediatrics.example.org"})
	if status != http.StatusCreated {
		t.Fatalf("create staff: %d %v", status, out)
	}
	if status, out := d.w.api(t, "POST", "/api/staff/"+out["id"].(string)+"/suspend", d.w.tokens["pcp"], nil); status != http.StatusOK {
		t.Fatalf("suspend staff: %d %v", status, out)
	}
	for _, args := range [][]string{{"account", "suspend", "accounts:u-pcp2", "--reason", "licence under review", "--by", "support-1"},
		{"account", "reinstate", "accounts:u-pcp2", "--reason", "review closed", "--by", "support-1"}} {
		if code, out := d.cli(t, args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, out)
		}
	}
}

func (d *day) grantAndRevocation(t *testing.T) {
	w := d.w
	status, out := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], map[string]any{"patient": "child-20", "kind": "family",
		"name": "Dr. Claire Moreau", "email": specialistEmail})
	if status != http.StatusCreated {
		t.Fatalf("access request: %d %v", status, out)
	}
	portal := w.portalToken(t)
	if status, out := w.api(t, "POST", "/api/portal/patients/child-20/requests/"+out["request"].(string)+"/approve", portal,
		map[string]any{"by": "mychildrens:guardian-20"}); status != http.StatusOK {
		t.Fatalf("approve: %d %v", status, out)
	}
	d.ids["granted read"] = d.call(t, "specialist", "/Patient/child-20", 200)
	if status, out := w.api(t, "POST", "/api/portal/patients/child-20/grants/revoke", portal,
		map[string]any{"clinician": "accounts:u-specialist", "by": "mychildrens:guardian-20"}); status != http.StatusOK {
		t.Fatalf("revoke: %d %v", status, out)
	}
	d.ids["after revocation"] = d.call(t, "specialist", "/Patient/child-20", 403)
}

// auditorAtWork: the privacy officer signs in to the auditors' page and asks for child-01's
// accesses; the physician without the role is turned away.
func (d *day) auditorAtWork(t *testing.T) {
	c, status, page := signInAuditor(t, d.w.gateway, "privacy")
	if status != 200 || !strings.Contains(page, "Every access to a patient") {
		t.Fatalf("the privacy officer's sign-in: %d %.500s", status, page)
	}
	resp, err := c.Get(d.w.base + "/audit/?q=patient&patient=child-01")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "<h2>4 records</h2>") || !strings.Contains(string(b), "accounts:u-staff") {
		t.Errorf("the page's accounting of disclosures of child-01: %.3000s", b)
	}
	resp, err = c.Get(d.w.base + "/audit/export?q=patient&patient=child-01")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if n := bytes.Count(b, []byte("\n")); resp.Header.Get("Content-Type") != "application/fhir+ndjson" || n < 4 {
		t.Errorf("export: %s, %d lines", resp.Header.Get("Content-Type"), n)
	}
	if _, status, page := signInAuditor(t, d.w.gateway, "hospdoc"); status != http.StatusForbidden || !strings.Contains(page, "Not an auditor") {
		t.Errorf("hospdoc on the auditors' page: %d %.300s", status, page)
	}
}

// portalViews: the family sees, on the patient portal's API and on the demo portal's page,
// who viewed child-01's record.
func (d *day) portalViews(t *testing.T) {
	status, out := d.w.api(t, "GET", "/api/portal/patients/child-01/views", d.w.portalToken(t), nil)
	views, _ := out["views"].([]any)
	if status != 200 || len(views) != 4 {
		t.Fatalf("views: %d %v", status, out)
	}
	var who []string
	for _, v := range views {
		m := v.(map[string]any)
		who = append(who, m["clinician"].(string))
		if m["clinician"] == "accounts:u-staff" {
			if obo, _ := m["on_behalf_of"].(map[string]any); obo["clinician"] != "accounts:u-pcp" || m["name"] == "" {
				t.Errorf("the staff member's view: %v", m)
			}
		}
		if m["clinician"] == "accounts:u-pcp" && (!strings.Contains(m["name"].(string), "Patel") || m["basis"] != "pcp") {
			t.Errorf("pcp's view: %v", m)
		}
	}
	if slices.Sort(who); strings.Join(who, " ") != "accounts:u-pcp accounts:u-pcp accounts:u-pcp accounts:u-staff" {
		t.Errorf("viewers: %v", who)
	}
	resp, err := http.Get(d.w.base + "/demo/portal/?patient=child-01")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Who has viewed child-01") || !strings.Contains(string(b), "Patel") {
		t.Errorf("the demo portal's page: %.2000s", b)
	}
}

// signInAuditor signs username in to the auditors' page through the demo Children's ID.
func signInAuditor(t *testing.T, g *gateway, username string) (*http.Client, int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	status, page, err := login.AtIdP(context.Background(), c, g.base+"/audit/login", username, g.password)
	if err != nil {
		t.Fatalf("sign in %s on the auditors' page: %v", username, err)
	}
	return c, status, page
}

// checkRepository requires the repository to hold exactly the day's events, each once, each
// with the BALP elements, and the particular elements of some.
func (d *day) checkRepository(t *testing.T, evs []ae.AuditEvent, keys map[string]audit.Record) {
	got := map[string]ae.AuditEvent{}
	for _, ev := range evs {
		k := keyOf(ev)
		if _, dup := got[k]; dup {
			t.Errorf("the repository holds %s twice", k)
		}
		got[k] = ev
		if problems := balptest.Check(ev); len(problems) > 0 {
			b, _ := json.Marshal(ev)
			t.Errorf("AuditEvent %s lacks BALP elements: %v\n%s", k, problems, b)
		}
	}
	for k := range keys {
		if _, ok := got[k]; !ok {
			t.Errorf("record %s (%s) is not in the repository", k, keys[k].Event)
		}
	}
	if len(got) != len(keys) {
		t.Errorf("the repository holds %d AuditEvents, the day made %d", len(got), len(keys))
	}
	d.checkElements(t, got)
}

// checkElements checks what particular events must say.
func (d *day) checkElements(t *testing.T, got map[string]ae.AuditEvent) {
	read := got[d.ids["pcp read"]]
	if profile(read) != ae.ProfilePRead || read.Agent[0].Who.Reference != "Practitioner/dr-patel" || !strings.HasPrefix(read.Agent[0].Policy[0], ae.JTIPrefix) {
		t.Errorf("pcp's read: %+v", read)
	}
	search := got[d.ids["pcp search"]]
	if q := queryOf(search); profile(search) != ae.ProfilePQry || !strings.Contains(q, "Observation?") || !strings.Contains(q, "patient=Patient%2Fchild-01") {
		t.Errorf("pcp's search: query %q, %+v", q, search)
	}
	if staff := got[d.ids["staff read"]]; staff.Agent[1].Type.Coding[0].Code != "RESP" || staff.Agent[1].Who.Identifier.Value != "accounts:u-pcp" {
		t.Errorf("staff's read names no sponsor: %+v", staff.Agent)
	}
	for _, name := range []string{"refused", "unauthenticated", "bad request", "after revocation"} {
		if ev := got[d.ids[name]]; ev.Outcome != "4" || ev.OutcomeDesc == "" || profile(ev) != "" {
			t.Errorf("%s: outcome %q %q, profile %q", name, ev.Outcome, ev.OutcomeDesc, profile(ev))
		}
	}
	if ev := got[d.ids["granted read"]]; !hasDetail(ev, "basis", "patient_grant") {
		t.Errorf("the granted read says not why: %+v", ev.Entity)
	}
	for _, ev := range got {
		if eventCode(ev) == "grant.revoke" && (ev.Action != "D" || ev.Agent[0].Type.Coding[0].Code != "429577009" ||
			ev.Agent[0].Who.Identifier.Value != "mychildrens:guardian-20" || !strings.Contains(mustJSON(ev), `"reference":"Patient/child-20"`)) {
			t.Errorf("the revocation: %s", mustJSON(ev))
		}
	}
	counts := map[string]int{}
	for _, ev := range got {
		counts[ev.Type.Code+" "+eventCode(ev)]++
	}
	for _, want := range []string{"110137 account.suspend", "110137 account.reinstate", "110114 signin", "110114 signin.failure",
		"110137 staff.create", "110137 staff.suspend", "110136 access_request.file", "110136 access_request.approve",
		"110136 grant.revoke", "110101 audit.query", "110101 audit.export", "110101 audit.views"} {
		if counts[want] == 0 {
			t.Errorf("no %s AuditEvent; the day made %v", want, counts)
		}
	}
}

// checkAccounting: the CLI's and the page's accounting of disclosures of child-01 is exactly
// the requests that released her data.
func (d *day) checkAccounting(t *testing.T) {
	code, out := d.cli(t, "audit", "patient", "child-01", "--format", "json", "--by", "privacy-office")
	if code != 0 {
		t.Fatalf("audit patient: %d %s", code, out)
	}
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit patient --format json: %v: %s", err, sc.Text())
		}
		ids = append(ids, r.RequestID)
	}
	want := slices.Clone(d.disclosed)
	slices.Sort(want)
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Errorf("accounting of disclosures of child-01 = %v, want %v", ids, want)
	}
	if code, out := d.cli(t, "audit", "refusals"); code != 0 || !strings.Contains(out, "not_pcp") || !strings.Contains(out, "unauthenticated") {
		t.Errorf("audit refusals: %d\n%s", code, out)
	}
	if code, out := d.cli(t, "audit", "user", "accounts:u-specialist", "--format", "text"); code != 0 || strings.Count(out, "accounts:u-specialist") < 3 {
		t.Errorf("audit user: %d\n%s", code, out)
	}
}

// checkFiles requires the NDJSON files to hold each event of keys once, waiting a little for
// the forwarder's round to reach them.
func checkFiles(t *testing.T, dir string, keys map[string]audit.Record) {
	var seen map[string]int
	for range 50 {
		if seen = fileEvents(t, dir); len(seen) >= len(keys) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for k := range keys {
		if seen[k] != 1 {
			t.Errorf("the files hold %s %d times", k, seen[k])
		}
	}
	if len(seen) != len(keys) {
		t.Errorf("the files hold %d events, the records make %d", len(seen), len(keys))
	}
}

// fileEvents counts the AuditEvents of the NDJSON files by key.
func fileEvents(t *testing.T, dir string) map[string]int {
	names, _ := filepath.Glob(filepath.Join(dir, "auditevent-*.ndjson"))
	seen := map[string]int{}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			b = b[:i] // complete lines only: the forwarder may be writing
		} else {
			continue
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			var ev ae.AuditEvent
			if err := json.Unmarshal(line, &ev); err != nil || ev.ResourceType != "AuditEvent" {
				t.Fatalf("%s: a line that is no AuditEvent: %.200s", name, line)
			}
			seen[keyOf(ev)]++
		}
	}
	return seen
}

// checkARRValidates posts an AuditEvent without its required recorded and agent.requestor:
// Medplum's validator must refuse it, or the repository's acceptance proves nothing.
func checkARRValidates(t *testing.T, arr *medplumServer) {
	body := `{"resourceType":"AuditEvent","type":{"code":"rest"},"agent":[{"who":{"display":"x"}}],"source":{"observer":{"display":"gw"}}}`
	req, _ := http.NewRequest(http.MethodPost, arr.base+"/AuditEvent", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+arr.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "recorded") || !strings.Contains(string(b), "requestor") {
		t.Errorf("an invalid AuditEvent: %d %s", resp.StatusCode, b)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func profile(ev ae.AuditEvent) string {
	if ev.Meta == nil || len(ev.Meta.Profile) == 0 {
		return ""
	}
	return ev.Meta.Profile[0]
}

func queryOf(ev ae.AuditEvent) string {
	for _, e := range ev.Entity {
		if e.Query != "" {
			q, _ := base64.StdEncoding.DecodeString(e.Query)
			return string(q)
		}
	}
	return ""
}

func eventCode(ev ae.AuditEvent) string {
	for _, s := range ev.Subtype {
		if s.System == ae.EventSystem {
			return s.Code
		}
	}
	return ""
}

func hasDetail(ev ae.AuditEvent, typ, value string) bool {
	for _, e := range ev.Entity {
		for _, d := range e.Detail {
			if d.Type == typ && d.ValueString == value {
				return true
			}
		}
	}
	return false
}
