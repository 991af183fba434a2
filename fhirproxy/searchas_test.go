package fhirproxy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/mypatients/gateway/audit"
)

// resourceIDs returns "Type/id" of each resource.
func resourceIDs(t *testing.T, rs []json.RawMessage) []string {
	t.Helper()
	var ids []string
	for _, raw := range rs {
		var r struct{ ResourceType, ID string }
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ResourceType+"/"+r.ID)
	}
	return ids
}

// SearchAs takes the very path of an HTTP search: the same upstream query, the same decisions,
// the same answer and an audit record that differs only in its request id and time.
func TestSearchAsIsTheHTTPSearch(t *testing.T) {
	t.Parallel()
	for _, query := range []string{"gender=female", "_id=child-05", "name=Alder"} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			r := e.do(t, http.MethodGet, "/fhir/Patient?"+query, "tok-pcp", nil)
			httpEntries := r.bundle(t).Entry
			httpRec, httpCalls := e.auditOf(t, r), e.authz.callCount()
			q, _ := url.ParseQuery(query)
			got, err := e.h.SearchAs(context.Background(), testCallers["tok-pcp"], "Patient", q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(httpEntries) {
				t.Fatalf("SearchAs %q, HTTP %s", resourceIDs(t, got), r.body)
			}
			for i, en := range httpEntries {
				if string(got[i]) != string(en.Resource) {
					t.Errorf("entry %d: SearchAs %s, HTTP %s", i, got[i], en.Resource)
				}
			}
			ups := e.up.requests()
			if len(ups) != 2 || ups[0].URL.RawQuery != ups[1].URL.RawQuery {
				t.Errorf("upstream requests %v, want the HTTP search's twice", ups)
			}
			if calls := e.authz.callCount(); calls != 2*httpCalls {
				t.Errorf("authorizer calls %d, want %d as over HTTP", calls-httpCalls, httpCalls)
			}
			recs := e.audit.records()
			if len(recs) != 2 {
				t.Fatalf("%d audit records, want 2", len(recs))
			}
			asRec := recs[1]
			if asRec.RequestID == "" || asRec.RequestID == httpRec.RequestID || asRec.Time.Before(httpRec.Time) {
				t.Errorf("request id %q and time %v of %+v", asRec.RequestID, asRec.Time, asRec)
			}
			asRec.RequestID, asRec.Time = httpRec.RequestID, httpRec.Time
			if a, b := mustJSON(t, asRec), mustJSON(t, httpRec); a != b {
				t.Errorf("audit record\n%s\nwant as over HTTP\n%s", a, b)
			}
		})
	}
}

func mustJSON(t *testing.T, r audit.Record) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSearchAs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		token     string
		typ       string
		query     url.Values
		want      []string
		err       bool
		forbidden bool // the error wraps ErrForbidden
		status    int  // of the audit record
		reason    string
	}{
		{name: "narrowed to the clinician's patients", token: "tok-pcp", typ: "Patient", query: url.Values{"gender": {"female"}},
			want: []string{"Patient/child-01", "Patient/child-02"}, status: 200},
		{name: "nobody visible", token: "tok-specialist", typ: "Patient", status: 200},
		{name: "the policy refuses every entry", token: "tok-noscope", typ: "Patient", status: 200},
		{name: "named patient refused", token: "tok-specialist", typ: "Patient", query: url.Values{"_id": {"child-01"}},
			err: true, forbidden: true, status: 403, reason: "not_pcp"},
		{name: "no patient named", token: "tok-pcp", typ: "Observation", err: true, forbidden: true, status: 403, reason: reasonNoPatient},
		{name: "not searchable", token: "tok-pcp", typ: "Binary", err: true, forbidden: true, status: 403, reason: reasonUnsupported},
		{name: "unknown type", token: "tok-pcp", typ: "Spaceship", err: true, forbidden: true, status: 403, reason: reasonUnsupported},
		{name: "a read is no search", token: "tok-pcp", typ: "Patient/child-01", err: true, status: 400, reason: reasonInvalid},
		{name: "unknown parameter", token: "tok-pcp", typ: "Patient", query: url.Values{"bogus": {"1"}}, err: true, status: 400, reason: reasonInvalid},
		{name: "authorizer down", token: "tok-broken", typ: "Patient", err: true, status: 503, reason: reasonAuthzError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			c := testCallers[tc.token]
			got, err := e.h.SearchAs(context.Background(), c, tc.typ, tc.query)
			if (err != nil) != tc.err || errors.Is(err, ErrForbidden) != tc.forbidden {
				t.Fatalf("error %v, want error %v (forbidden %v)", err, tc.err, tc.forbidden)
			}
			if ids := resourceIDs(t, got); !slices.Equal(ids, tc.want) || (err != nil && got != nil) {
				t.Errorf("resources %q, want %q", ids, tc.want)
			}
			recs := e.audit.records()
			if len(recs) != 1 || recs[0].User != c.Subject || recs[0].TokenID != c.TokenID ||
				recs[0].Status != tc.status || recs[0].Reason != tc.reason {
				t.Errorf("audit %+v, want one record of %s with status %d, reason %q", recs, c.Subject, tc.status, tc.reason)
			}
		})
	}
}

// Nothing is returned that is not in the audit trail.
func TestSearchAsWithoutAuditReturnsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.audit.fail = true
	got, err := e.h.SearchAs(context.Background(), testCallers["tok-pcp"], "Patient", nil)
	if err == nil || errors.Is(err, ErrForbidden) || got != nil {
		t.Errorf("got %d resources, error %v; want none and a failure", len(got), err)
	}
}
