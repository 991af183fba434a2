package fhirproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/upstream"
)

// upstreamToken is the gateway's own credential at the fake upstream.
const upstreamToken = "gateway-upstream-secret"

// fakeUpstream is a real HTTP FHIR server serving testdata/upstream, with {{BASE}} replaced by
// its own base URL, and recording what it received.
type fakeUpstream struct {
	srv  *httptest.Server
	base string
	mu   sync.Mutex
	got  []*http.Request
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	u.base = u.srv.URL + "/fhir"
	return u
}

func (u *fakeUpstream) requests() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*http.Request(nil), u.got...)
}

func (u *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.got = append(u.got, r.Clone(context.Background()))
	u.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/fhir/")
	w.Header().Set("Content-Type", "application/fhir+json")
	w.Header().Set("X-Upstream-Server", "fake "+u.base)
	w.Header().Set("ETag", `W/"3"`)
	switch path {
	case "Patient/slow":
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
		return
	case "Patient/boom", "MedicationRequest":
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"diagnostics":"UPSTREAM-SECRET at `+u.base+`"}]}`)
		return
	case "Observation/notjson":
		io.WriteString(w, "<Observation xmlns='http://hl7.org/fhir'/>")
		return
	}
	name := strings.ReplaceAll(path, "/", "-")
	if !strings.Contains(path, "/") {
		name += "-search"
		for _, k := range []string{"patient", "subject", "_id"} {
			if v := r.URL.Query().Get(k); v != "" {
				if _, err := os.Stat(filepath.Join("testdata", "upstream", name+"-"+strings.TrimPrefix(v, "Patient/")+".json")); err == nil {
					name += "-" + strings.TrimPrefix(v, "Patient/")
				}
				break
			}
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", "upstream", name+".json"))
	if err != nil {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"diagnostics":"UPSTREAM-SECRET `+path+` not found at `+u.base+`"}]}`)
		return
	}
	b = bytes.ReplaceAll(b, []byte("{{HOST}}"), []byte(strings.TrimPrefix(u.srv.URL, "http://")))
	w.Write(bytes.ReplaceAll(b, []byte("{{BASE}}"), []byte(u.base)))
}

// stubAuthn maps token strings to callers.
type stubAuthn map[string]gateway.Caller

func (s stubAuthn) Authenticate(_ context.Context, token string) (gateway.Caller, error) {
	c, ok := s[token]
	if !ok {
		return gateway.Caller{}, fmt.Errorf("%w: unknown token", gateway.ErrInvalidToken)
	}
	return c, nil
}

var testCallers = stubAuthn{
	"tok-pcp":        {Subject: "accounts:u-pcp", Username: "pcp", ClientID: "demo-app", TokenID: "jti-pcp"},
	"tok-specialist": {Subject: "accounts:u-specialist", Username: "specialist", ClientID: "demo-app", TokenID: "jti-spec"},
	"tok-noscope":    {Subject: "accounts:u-noscope", Username: "noscope", ClientID: "demo-app"},
	"tok-broken":     {Subject: "accounts:u-broken", Username: "broken", ClientID: "demo-app"},
	"tok-lazy":       {Subject: "accounts:u-lazy", Username: "lazy", ClientID: "demo-app"},
	"tok-clinician": {Subject: "accounts:u-pcp", Username: "pcp", ClientID: "demo-app", TokenID: "jti-clin",
		FHIRUser: "Practitioner/dr-patel", Scopes: []string{"openid", "user/*.rs"}},
	"tok-lab": {Subject: "accounts:u-pcp", Username: "pcp", ClientID: "demo-app", TokenID: "jti-lab", Scopes: []string{
		"user/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory", "user/Patient.rs"}},
	"tok-lab-or-vital": {Subject: "accounts:u-pcp", Username: "pcp", ClientID: "demo-app", Scopes: []string{
		"user/Observation.rs?category=laboratory", "user/Observation.rs?category=vital-signs"}},
	"tok-odd-scopes": {Subject: "accounts:u-pcp", Username: "pcp", ClientID: "demo-app", Scopes: []string{
		"user/Observation.rs?category=laboratory", "user/Observation.rs?code=2345-7"}},
}

// fakeAuthz allows each user a fixed set of patients. "noscope" gets per-patient answers but an
// overall denial (as a scope refusal would); "broken" fails; "lazy" is narrowed by nothing.
type fakeAuthz struct {
	mu    sync.Mutex
	calls []gateway.Request
}

var visible = map[string][]string{
	"accounts:u-pcp":     {"child-01", "child-02", "child-05", "child-gone", "slow", "boom", "child-linked"},
	"accounts:u-noscope": {"child-01", "child-02"},
	"accounts:u-lazy":    {"child-01", "child-02", "child-10"},
}

func (f *fakeAuthz) Decide(_ context.Context, c gateway.Caller, req gateway.Request) (gateway.Decision, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	f.mu.Unlock()
	if c.Username == "broken" {
		return gateway.Decision{}, errors.New("policy engine down")
	}
	if len(req.Patients) == 0 && directoryTypes[req.ResourceType] {
		return directoryDecision(c, req), nil
	}
	d := gateway.Decision{Allow: len(req.Patients) > 0, Patients: map[string]gateway.PatientDecision{},
		DecisionID: "dec-" + strings.Join(req.Patients, "+"), PolicyRevision: testRevision}
	for _, p := range req.Patients {
		if contains(visible[c.Subject], p) {
			d.Patients[p] = gateway.PatientDecision{Allowed: true, Basis: "pcp"}
			continue
		}
		d.Allow = false
		d.Patients[p] = gateway.PatientDecision{Reason: &gateway.Reason{Code: "not_pcp",
			Message: "You are not this patient's primary care provider, and no one in your practice is."}}
	}
	if c.Username == "noscope" {
		d.Allow = false
		d.Reasons = []gateway.Reason{{Code: "scope_not_permitted", Message: "The app was not granted access to this type."}}
	}
	return d, nil
}

// testRevision is the policy revision of every fake decision.
const testRevision = "test-policy-1"

// directoryTypes are the types of the policy's clinician directory rule.
var directoryTypes = map[string]bool{"Location": true, "Medication": true, "Organization": true,
	"Practitioner": true, "PractitionerRole": true}

// directoryDecision answers a request naming no patient for a directory type as the policy's
// clinician directory rule does: allowed on its basis to a caller whose token names a
// Practitioner and whose user or patient scopes cover the type and interaction.
func directoryDecision(c gateway.Caller, req gateway.Request) gateway.Decision {
	d := gateway.Decision{Patients: map[string]gateway.PatientDecision{}, DecisionID: "dec-directory",
		PolicyRevision: testRevision}
	switch {
	case c.PractitionerID() == "":
		d.Reasons = []gateway.Reason{{Code: "not_clinician", Message: "Only clinicians and the staff they sponsor may read the hospital directory."}}
	case len(covering(c.Scopes, req.ResourceType, interactionPerm(req.Interaction), "user", "patient")) == 0:
		d.Reasons = []gateway.Reason{{Code: "scope_not_permitted",
			Message: "The app you are using was not granted permission to read this kind of record."}}
	default:
		d.Allow, d.Basis = true, "clinician_directory"
	}
	return d
}

func (f *fakeAuthz) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeAuthz) Narrow(_ context.Context, c gateway.Caller, _ string) (url.Values, bool, error) {
	if c.Username == "broken" {
		return nil, false, errors.New("facts unavailable")
	}
	if c.Username == "lazy" { // "you may see some patients" without saying which
		return nil, true, nil
	}
	ids := visible[c.Subject]
	if len(ids) == 0 {
		return nil, false, nil
	}
	return url.Values{"_id": {"child-01,child-02"}}, true, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// memAudit records audit records in memory; fail makes every write fail.
type memAudit struct {
	mu   sync.Mutex
	recs []audit.Record
	fail bool
}

func (m *memAudit) Write(_ context.Context, r audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("redis: connection refused")
	}
	m.recs = append(m.recs, r)
	return nil
}

func (m *memAudit) records() []audit.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]audit.Record(nil), m.recs...)
}

// env is a gateway in front of a fake upstream, served over real HTTP.
type env struct {
	up    *fakeUpstream
	gw    *httptest.Server
	base  string // the gateway's public FHIR base
	h     *Handler
	authz *fakeAuthz
	audit *memAudit
	logs  *syncBuffer
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t *testing.T, tweak func(*Options)) *env {
	t.Helper()
	e := &env{up: newFakeUpstream(t), authz: &fakeAuthz{}, audit: &memAudit{}, logs: &syncBuffer{}}
	client, err := upstream.New(upstream.Options{BaseURL: e.up.base, BearerToken: upstreamToken,
		ConnectTimeout: time.Second, HeaderTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.gw = httptest.NewServer(mux)
	t.Cleanup(e.gw.Close)
	e.base = e.gw.URL + "/fhir"
	opts := Options{Upstream: client, PublicBase: e.base, Authn: testCallers, Authz: e.authz,
		Audit: e.audit, MaxCount: 50, Timeout: 2 * time.Second, Logger: slog.New(slog.NewJSONHandler(e.logs, nil))}
	if tweak != nil {
		tweak(&opts)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	mux.Handle("/fhir/", h)
	mux.Handle("/fhir", h)
	return e
}

// result is one gateway answer.
type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request to the gateway and checks what every answer must satisfy: the
// security headers, our own request id, and no trace of the upstream's address.
func (e *env) do(t *testing.T, method, path, token string, hdr http.Header) result {
	t.Helper()
	req, err := http.NewRequest(method, e.gw.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, body: body}
	upHost := strings.TrimPrefix(e.up.srv.URL, "http://")
	if bytes.Contains(body, []byte(upHost)) || bytes.Contains(body, []byte(strings.ReplaceAll(upHost, ".", `\.`))) {
		t.Errorf("%s %s: body leaks upstream address %s: %s", method, path, upHost, body)
	}
	for k, vs := range resp.Header {
		if strings.Contains(strings.Join(vs, " "), upHost) || k == "X-Upstream-Server" {
			t.Errorf("%s %s: header %s leaks upstream", method, path, k)
		}
	}
	for k, want := range map[string]string{"Content-Type": "application/fhir+json; charset=utf-8",
		"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s %s: %s = %q, want %q", method, path, k, got, want)
		}
	}
	return r
}

// outcome decodes an OperationOutcome answer, failing the test if it is anything else.
func (r result) outcome(t *testing.T) outcomeIssue {
	t.Helper()
	var oo operationOutcome
	if err := json.Unmarshal(r.body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) != 1 {
		t.Fatalf("want an OperationOutcome, got %d %s", r.status, r.body)
	}
	return oo.Issue[0]
}
