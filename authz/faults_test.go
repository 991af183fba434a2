package authz_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mypatients/gateway/authz"
)

func TestCachedFactsAvoidUpstream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	req := readPatient("child-01", "child-05")
	if _, err := e.az.Decide(ctx, pcp, req); err != nil {
		t.Fatal(err)
	}
	first := e.up.requests.Load()
	if first == 0 {
		t.Fatal("the first decision made no upstream request")
	}
	var cached authz.PCP
	raw, err := e.rdb.Get(ctx, "test:facts:pcp:child-05").Bytes()
	if err != nil {
		t.Fatalf("patient facts not cached: %v", err)
	}
	if err := json.Unmarshal(raw, &cached); err != nil {
		t.Fatal(err)
	}
	if ttl := e.rdb.TTL(ctx, "test:facts:pcp:child-05").Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("patient facts cached for %s, want the facts TTL", ttl)
	}
	if strings.Join(cached.Practitioners, ",") != "Practitioner/dr-patel" ||
		strings.Join(cached.Organizations, ",") != "Organization/practice-maple" {
		t.Fatalf("cached facts of child-05 = %+v", cached)
	}
	d, err := e.az.Decide(ctx, pcp, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.up.requests.Load(); got != first {
		t.Fatalf("second decision made %d upstream requests, want none", got-first)
	}
	if !d.Allow {
		t.Fatalf("decision from cached facts: %+v", d)
	}
}

func TestUpstreamFaultsAreErrors(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusInternalServerError, http.StatusUnauthorized, http.StatusBadRequest} {
		e := newEnv(t)
		e.up.failWith.Store(int32(status))
		if d, err := e.az.Decide(context.Background(), pcp, readPatient("child-01")); err == nil {
			t.Fatalf("status %d: want an error, got %+v", status, d)
		}
	}
}

func TestUpstreamDownIsAnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.up.Close()
	ctx := context.Background()
	if d, err := e.az.Decide(ctx, pcp, readPatient("child-01")); err == nil {
		t.Fatalf("want an error, got %+v", d)
	}
	// Without a practitioner no principal facts are needed, but the patient's still are.
	if d, err := e.az.Decide(ctx, staff, readPatient("child-01")); err == nil {
		t.Fatalf("want an error for staff too, got %+v", d)
	}
	if q, _, err := e.az.Narrow(ctx, pcp, "Patient"); err == nil {
		t.Fatalf("Narrow: want an error, got %v", q)
	}
}

func TestCacheDownIsAnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.stopRedis()
	if d, err := e.az.Decide(context.Background(), pcp, readPatient("child-01")); err == nil {
		t.Fatalf("want an error, got %+v", d)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	_, err := authz.New(context.Background(), authz.Options{})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"upstream", "Redis", "TTL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// bundleWith returns a policy bundle whose only module is src.
func bundleWith(src string) fstest.MapFS {
	return fstest.MapFS{
		".manifest":                  {Data: []byte(`{"roots": ["mypatients"]}`)},
		"mypatients/access/bad.rego": {Data: []byte("package mypatients.access\n\n" + src)},
	}
}

func TestPolicyFaultsAreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := authz.Input{Request: authz.RequestInput{Interaction: "read", ResourceType: "Patient", Patients: []string{"child-01"}}}
	tests := []struct{ name, src string }{
		{"undefined decision", `decision := {"allow": true} if false`},
		{"missing patients", `decision := {"allow": true, "reasons": []}`},
		{"wrong type", `decision := "allow"`},
		{"allow with an unallowed patient", `decision := {"allow": true, "reasons": [],
			"patients": {"child-01": {"allowed": false, "reason": {"code": "x", "message": "y"}}}}`},
		{"allow without the patient", `decision := {"allow": true, "reasons": [], "patients": {}}`},
		{"deny without reason", `decision := {"allow": false, "reasons": [],
			"patients": {"child-01": {"allowed": false, "reason": {"code": "x", "message": "y"}}}}`},
		{"runtime error", `decision := {"allow": true, "patients": {}, "reasons": [x]} if x := 1 / (count(input.request.patients) - 1)`},
		{"basis for named patients", `decision := {"allow": true, "reasons": [], "basis": "clinician_directory",
			"patients": {"child-01": {"allowed": true, "basis": "pcp"}}}`},
		{"basis of a denial", `decision := {"allow": false, "basis": "clinician_directory",
			"reasons": [{"code": "x", "message": "y"}],
			"patients": {"child-01": {"allowed": false, "reason": {"code": "x", "message": "y"}}}}`},
		{"conflict", `decision := {"allow": true} if true
decision := {"allow": false} if true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := authz.LoadPolicy(ctx, bundleWith(tt.src))
			if err != nil {
				t.Fatalf("the bundle must load, so that evaluation is what fails: %v", err)
			}
			if d, err := p.Evaluate(ctx, in); err == nil {
				t.Fatalf("want an error, got %+v", d)
			}
		})
	}
	// A request naming no patient may be allowed only on a basis.
	p, err := authz.LoadPolicy(ctx, bundleWith(`decision := {"allow": true, "reasons": [], "patients": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	none := authz.Input{Request: authz.RequestInput{Interaction: "read", ResourceType: "Practitioner", Patients: []string{}}}
	if d, err := p.Evaluate(ctx, none); err == nil {
		t.Fatalf("allowed without patients and without a basis: want an error, got %+v", d)
	}
}

func TestBrokenBundlesDoNotLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, fsys := range map[string]fstest.MapFS{
		"syntax error": bundleWith("decision := {"),
		"no manifest":  {"mypatients/access/a.rego": {Data: []byte("package mypatients.access\n")}},
		"hand-kept revision": {".manifest": {Data: []byte(`{"revision": "2026.1", "roots": ["mypatients"]}`)},
			"mypatients/access/a.rego": {Data: []byte("package mypatients.access\n")}},
		"other roots":     {".manifest": {Data: []byte(`{"roots": ["other"]}`)}, "mypatients/access/a.rego": {Data: []byte("package mypatients.access\n")}},
		"only tests":      {".manifest": {Data: []byte(`{"roots": ["mypatients"]}`)}, "mypatients/access/a_test.rego": {Data: []byte("package x\n")}},
		"rego v0 keyword": bundleWith(`decision { true }`),
	} {
		if _, err := authz.LoadPolicy(ctx, fsys); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func TestCancelledContextIsAnError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if d, err := e.az.Decide(ctx, pcp, readPatient("child-01", "child-05", "child-06")); err == nil {
		t.Fatalf("want an error, got %+v", d)
	}
}
